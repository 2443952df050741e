//! `hqsync dev --aws-endpoint URL` (feature `aws`): the dev sandboxes with the AWS code paths —
//! DynamoDB, SQS and Secrets Manager on that endpoint, the Lambda handlers run in-process.

use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use hqsync::model::ConnectionId;
use hqsync_aws::local_cloud::{
    HEALTH_PATH, HUBSPOT_WEBHOOK_PATH, LambdaHandlers, LocalCloudOptions, QUICKBOOKS_WEBHOOK_PATH,
    SandboxAccounts, StackFactory, start_local_cloud,
};
use hqsync_hubspot_webhook::HubspotWebhookState;
use hqsync_poller::PollerState;
use hqsync_quickbooks_webhook::QuickbooksWebhookState;
use hqsync_worker::WorkerState;
use secrecy::SecretString;
use tokio::net::TcpListener;

use crate::sandbox_pair::SandboxPair;

/// The connection the local cloud stores between the two sandboxes.
const CONNECTION: &str = "dev";

/// The four functions, each with its own stack as on Lambda.
pub struct InProcessLambdas {
    hubspot: HubspotWebhookState,
    quickbooks: QuickbooksWebhookState,
    worker: WorkerState,
    poller: PollerState,
}

impl InProcessLambdas {
    pub fn new(stacks: &StackFactory) -> Self {
        InProcessLambdas {
            hubspot: HubspotWebhookState {
                stack: stacks.stack(),
            },
            quickbooks: QuickbooksWebhookState {
                stack: stacks.stack(),
            },
            worker: WorkerState::new(stacks.stack()),
            poller: PollerState::new(stacks.stack()),
        }
    }
}

#[async_trait]
impl LambdaHandlers for InProcessLambdas {
    async fn hubspot_webhook(
        &self,
        request: lambda_http::Request,
    ) -> lambda_http::Response<lambda_http::Body> {
        hqsync_hubspot_webhook::handle(&self.hubspot, request).await
    }

    async fn quickbooks_webhook(
        &self,
        request: lambda_http::Request,
    ) -> lambda_http::Response<lambda_http::Body> {
        hqsync_quickbooks_webhook::handle(&self.quickbooks, request).await
    }

    async fn worker(&self, event: SqsEvent) -> SqsBatchResponse {
        hqsync_worker::handle_batch(&self.worker, event).await
    }

    async fn poller(&self, event: serde_json::Value) -> Result<String, String> {
        hqsync_poller::handle(&self.poller, event)
            .await
            .map(|summary| format!("{summary:?}"))
            .map_err(|e| e.to_string())
    }
}

/// The sandboxes' accounts and credentials as the local cloud's secrets hold them.
fn accounts(sandboxes: &SandboxPair) -> SandboxAccounts {
    let hs = sandboxes.hubspot.config();
    let qb = sandboxes.quickbooks.config();
    SandboxAccounts {
        hubspot_base_url: sandboxes.hubspot.base_url(),
        hubspot_portal_id: hs.portal_id.to_string(),
        hubspot_app_id: hs.app_id.to_string(),
        hubspot_client_id: hs.client_id.to_string(),
        hubspot_client_secret: SecretString::from(hs.client_secret.to_string()),
        hubspot_token: SecretString::from(hs.dev_token.to_string()),
        quickbooks_base_url: sandboxes.quickbooks.base_url(),
        quickbooks_realm_id: qb.realm_id.to_string(),
        quickbooks_client_id: qb.client_id.to_string(),
        quickbooks_client_secret: SecretString::from(qb.client_secret.to_string()),
        quickbooks_token: SecretString::from(qb.dev_token.to_string()),
        quickbooks_verifier_token: SecretString::from(qb.verifier_token.to_string()),
    }
}

/// Runs until Ctrl-C. Resource names are unique per run: the sandboxes start afresh, so links
/// a previous run stored would point at records that no longer exist.
pub async fn run(
    endpoint: String,
    webhook_listener: TcpListener,
    sandboxes: SandboxPair,
    poll_interval: Duration,
) -> anyhow::Result<()> {
    let name = format!("hqsync-dev-{}", chrono::Utc::now().timestamp());
    let cloud = start_local_cloud(
        webhook_listener,
        LocalCloudOptions {
            endpoint: endpoint.clone(),
            name: name.clone(),
            connection: ConnectionId::new(CONNECTION)?,
            accounts: accounts(&sandboxes),
            poll_interval,
        },
        InProcessLambdas::new,
    )
    .await?;
    let base = &cloud.public_base_url;
    println!("initial sweep       {}", cloud.sweep_summary);
    println!();
    println!(
        "HubSpot sandbox     {}  (token {})",
        sandboxes.hubspot.base_url(),
        sandboxes.hubspot.config().dev_token
    );
    println!(
        "QuickBooks sandbox  {}  (token {})",
        sandboxes.quickbooks.base_url(),
        sandboxes.quickbooks.config().dev_token
    );
    println!("AWS endpoint        {endpoint}  (table, queues, secrets named {name}*)");
    println!("webhooks            {base}{HUBSPOT_WEBHOOK_PATH}");
    println!("                    {base}{QUICKBOOKS_WEBHOOK_PATH}");
    println!("health              {base}{HEALTH_PATH}");
    println!(
        "worker on the live and bulk queues; poller every {}s; Ctrl-C to stop",
        poll_interval.as_secs()
    );
    tokio::signal::ctrl_c().await?;
    cloud.shutdown().await;
    sandboxes.shutdown().await;
    Ok(())
}

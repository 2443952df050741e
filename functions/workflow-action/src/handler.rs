//! The workflow-action Lambda's logic, callable without Lambda: verify HubSpot's signature
//! (v3, else v2) over the public URL, parse the execution, hand the job on, answer `BLOCK`.

use async_trait::async_trait;
use hqsync::engine::invoice_action::{ActionJobSink, CreateInvoiceJob, accept_action_request};
use hqsync::hubspot::webhook::WebhookVerifier;
use hqsync::ports::TokenVault;
use hqsync_aws::AwsStack;
use hqsync_aws::webhook_http::{Delivery, error_response, json_response, not_configured};
use lambda_http::{Body, Request, Response};

const VENDOR: &str = "hubspot";

/// Built once per cold start.
pub struct WorkflowActionState {
    pub stack: AwsStack,
}

/// The cloud sink. The live queue carries `Job{kind: ObjectKind}` only, and action jobs are
/// not an object kind yet, so this refuses (500: HubSpot may retry; nothing is created)
/// rather than pretend. Wiring it to the queue is the open item in issue 6's report.
struct UnwiredQueue;

#[async_trait]
impl ActionJobSink for UnwiredQueue {
    async fn submit(&self, job: CreateInvoiceJob) -> Result<(), String> {
        tracing::error!(callback = %job.callback_id, deal = %job.deal_id, "workflow action accepted but no action queue is wired");
        Err("no action queue is wired in this stack".into())
    }
}

/// Handles one execution request: 200 `BLOCK` (job handed on), 401 bad signature, 400
/// malformed, 413 too large, 500 when the job could not be stored.
pub async fn handle(state: &WorkflowActionState, request: Request) -> Response<Body> {
    let stack = &state.stack;
    let app = match stack.vault.app_credentials().await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(vendor = VENDOR, %error, "cannot read the app secret");
            return error_response(500, "app credentials unavailable; retry later");
        }
    };
    let Some(client_secret) = app.hubspot_client_secret.clone() else {
        return not_configured(VENDOR, "the app secret has no hubspot.client_secret");
    };
    let verifier = WebhookVerifier::new(client_secret);
    let delivery = Delivery::new(stack.config.public_base_url.as_deref(), &request);
    let response = match accept_action_request(
        &verifier,
        &delivery.inbound(),
        stack.clock.now(),
        &UnwiredQueue,
    )
    .await
    {
        Ok(block) => json_response(200, block),
        Err(error) => error_response(error.status(), &error.to_string()),
    };
    stack.flush_metrics();
    response
}

//! A whole HQSync stack in one process for the end-to-end tests and the Lambda benchmark: moto
//! (DynamoDB, SQS, Secrets Manager) provisioned like template.yaml, both vendor sandboxes, a
//! local HTTP front that hands their webhooks to the webhook Lambda handlers, and helpers that
//! feed SQS batches to the worker handler the way the Lambda event source mapping does.

use std::collections::HashMap;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use hqsync::adapters::dynamodb::{ensure_table, local_sdk_config};
use hqsync::adapters::sqs::{QueueSettings, ensure_queues};
use hqsync::model::{Connection, ConnectionId, ConnectionSettings, ObjectKind, Side};
use hqsync::ports::{
    ConnectionRecord, ConnectionStatus, Connections, Lane, Links, SideTokens, TokenVault,
};
use hqsync::tokens::LOCAL_ENVIRONMENT;
use hqsync_aws::{AwsStack, StackConfig, config as env};
use hqsync_hubspot_webhook::HubspotWebhookState;
use hqsync_quickbooks_webhook::QuickbooksWebhookState;
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use secrecy::SecretString;

use crate::hubspot::start_hubspot_sandbox;
use crate::quickbooks::start_quickbooks_sandbox;

/// The connection every local stack is set up with.
pub const CONNECTION: &str = "e2e";
/// Webhook paths, as template.yaml routes them.
pub const HUBSPOT_PATH: &str = "/webhooks/hubspot";
pub const QUICKBOOKS_PATH: &str = "/webhooks/quickbooks";

/// Everything the stack runs on; dropping it leaves moto resources behind (unique names).
pub struct AwsTestStack {
    pub stack: AwsStack,
    pub config: StackConfig,
    /// The functions' environment (template.yaml names) for this stack, e.g. for a child
    /// process that runs a handler on its own.
    pub env: HashMap<String, String>,
    pub hubspot: HubspotSandbox,
    pub quickbooks: QuickbooksSandbox,
    pub sqs: aws_sdk_sqs::Client,
    pub connection: ConnectionId,
    /// `http://127.0.0.1:PORT` of the webhook front (the stack's PUBLIC_BASE_URL).
    pub front_url: String,
    front: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Front {
    hubspot: std::sync::Arc<HubspotWebhookState>,
    quickbooks: std::sync::Arc<QuickbooksWebhookState>,
    base: String,
}

/// A name no other run against the same moto uses.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

/// Provisions moto at `endpoint`, starts both sandboxes and the webhook front, and stores the
/// connection (ids of the sandboxes' accounts, environment `local`) and its tokens.
pub async fn start_aws_test_stack(endpoint: &str) -> AwsTestStack {
    let sdk = local_sdk_config(endpoint).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);

    let name = unique("hqsync-e2e");
    ensure_table(&dynamodb, &name).await.expect("create table");
    let urls = ensure_queues(&sqs, &QueueSettings::new(name.clone()))
        .await
        .expect("create queues");

    // The front listens first: the sandboxes need its URL for their webhooks.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the webhook front");
    let front_url = format!("http://{}", listener.local_addr().expect("front address"));
    let hubspot = start_hubspot_sandbox(HubspotSandboxConfig {
        search_index_delay: Duration::ZERO,
        webhook_delay: Duration::from_millis(100),
        webhook_url: Some(format!("{front_url}{HUBSPOT_PATH}")),
        ..HubspotSandboxConfig::default()
    })
    .await;
    let quickbooks = start_quickbooks_sandbox(QuickbooksSandboxConfig {
        webhook_url: Some(format!("{front_url}{QUICKBOOKS_PATH}")),
        webhook_delay_ms: 100,
        ..QuickbooksSandboxConfig::default()
    })
    .await;

    let app_secret = format!("{name}/app");
    let hs = hubspot.config();
    let qb = quickbooks.config();
    secrets
        .create_secret()
        .name(&app_secret)
        .secret_string(
            serde_json::json!({
                "hubspot": {"app_id": hs.app_id.to_string(), "client_id": hs.client_id,
                            "client_secret": hs.client_secret},
                "quickbooks": {"client_id": qb.client_id, "client_secret": qb.client_secret,
                               "webhook_verifier_token": qb.verifier_token},
            })
            .to_string(),
        )
        .send()
        .await
        .expect("create the app secret");

    let vars: HashMap<String, String> = [
        (env::TABLE_NAME, name.clone()),
        (env::LIVE_QUEUE_URL, urls.live.clone()),
        (env::BULK_QUEUE_URL, urls.bulk.clone()),
        (
            env::LIVE_DLQ_URL,
            urls.live_dead_letter.clone().unwrap_or_default(),
        ),
        (
            env::BULK_DLQ_URL,
            urls.bulk_dead_letter.clone().unwrap_or_default(),
        ),
        (env::APP_SECRET_ARN, app_secret),
        (env::CONNECTION_SECRET_PREFIX, format!("{name}/connection/")),
        (env::PUBLIC_BASE_URL, front_url.clone()),
        (env::MAX_RECEIVE_COUNT, "8".to_owned()),
        (env::HUBSPOT_BASE_URL, hubspot.base_url()),
        (env::QUICKBOOKS_BASE_URL, quickbooks.base_url()),
        (
            env::QUICKBOOKS_TOKEN_URL,
            format!("{}/oauth2/v1/tokens/bearer", quickbooks.base_url()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = StackConfig::from_map(&vars).expect("stack config");
    let stack = AwsStack::new(&sdk, config.clone());

    let connection = ConnectionId::new(CONNECTION).expect("valid id");
    stack
        .store
        .put_connection(&ConnectionRecord {
            connection: Connection {
                id: connection.clone(),
                hubspot_portal_id: hs.portal_id.to_string(),
                qbo_realm_id: qb.realm_id.clone(),
                settings: ConnectionSettings::default(),
            },
            environment: LOCAL_ENVIRONMENT.to_owned(),
            status: ConnectionStatus::Active,
        })
        .await
        .expect("store the connection");
    for (side, token) in [
        (Side::Hubspot, hs.dev_token.clone()),
        (Side::Quickbooks, qb.dev_token.clone()),
    ] {
        stack
            .vault
            .store_tokens(
                &connection,
                side,
                SideTokens {
                    access_token: SecretString::from(token),
                    refresh_token: SecretString::from("unused-refresh-token".to_owned()),
                    access_expires_at: Utc::now() + chrono::Duration::hours(2),
                    refresh_expires_at: None,
                },
            )
            .await
            .expect("store the connection's tokens");
    }

    // Each webhook function is its own Lambda: its own stack (caches, metrics).
    let front_state = Front {
        hubspot: std::sync::Arc::new(HubspotWebhookState {
            stack: AwsStack::new(&sdk, config.clone()),
        }),
        quickbooks: std::sync::Arc::new(QuickbooksWebhookState {
            stack: AwsStack::new(&sdk, config.clone()),
        }),
        base: front_url.clone(),
    };
    let router = Router::new()
        .route(HUBSPOT_PATH, post(hubspot_route))
        .route(QUICKBOOKS_PATH, post(quickbooks_route))
        .with_state(front_state);
    let front = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });

    AwsTestStack {
        stack,
        config,
        env: vars,
        hubspot,
        quickbooks,
        sqs,
        connection,
        front_url,
        front,
    }
}

/// An axum request as API Gateway hands it to the Lambda (payload 2.0 via lambda_http).
fn lambda_request(
    base: &str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> lambda_http::Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(method.as_str())
        .uri(format!(
            "{base}{}",
            uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
        ));
    for (name, value) in headers.iter() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    builder
        .body(lambda_http::Body::Binary(body.to_vec()))
        .expect("a valid request")
}

fn axum_response(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let status = StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, response.body().as_ref().to_vec()).into_response()
}

async fn hubspot_route(
    State(front): State<Front>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = lambda_request(&front.base, method, uri, headers, body);
    axum_response(hqsync_hubspot_webhook::handle(&front.hubspot, request).await)
}

async fn quickbooks_route(
    State(front): State<Front>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = lambda_request(&front.base, method, uri, headers, body);
    axum_response(hqsync_quickbooks_webhook::handle(&front.quickbooks, request).await)
}

impl AwsTestStack {
    fn queue_url(&self, lane: Lane) -> &str {
        match lane {
            Lane::Live => &self.config.live_queue_url,
            Lane::Bulk => &self.config.bulk_queue_url,
        }
    }

    /// Up to 10 messages of `lane` as the Lambda event source mapping would deliver them.
    pub async fn receive_event(&self, lane: Lane) -> SqsEvent {
        receive_lambda_event(&self.sqs, self.queue_url(lane)).await
    }

    /// What the event source mapping does after the handler answered (see [`settle_batch`]).
    pub async fn settle(&self, lane: Lane, event: &SqsEvent, response: &SqsBatchResponse) {
        settle_batch(&self.sqs, self.queue_url(lane), event, response).await
    }

    /// Waits until `lane` holds at least `count` jobs (visible or delayed), up to `timeout`.
    pub async fn wait_for_jobs(&self, lane: Lane, count: usize, timeout: Duration) -> bool {
        use hqsync::ports::JobQueue;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.stack.queue.pending(lane).await.unwrap_or(0) >= count {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The connection's link of a HubSpot record, if any.
    pub async fn link_of(
        &self,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Option<hqsync::model::Link> {
        self.stack
            .store
            .get_link(&self.connection, kind, side, id)
            .await
            .expect("read a link")
    }

    /// Stops the sandboxes and the front.
    pub async fn shutdown(self) {
        self.front.abort();
        self.hubspot.shutdown().await;
        self.quickbooks.shutdown().await;
    }
}

/// Up to 10 messages of the queue at `url`, as the Lambda event source mapping delivers them
/// (the local cloud's own receive, so tests and `hqsync dev --aws-endpoint` read alike).
pub async fn receive_lambda_event(sqs: &aws_sdk_sqs::Client, url: &str) -> SqsEvent {
    hqsync_aws::local_cloud::receive_lambda_event(sqs, url)
        .await
        .expect("receive from SQS")
}

/// What the event source mapping does after the handler answered: deletes every message of
/// `event` not listed as a batch item failure (the local cloud's own settle).
pub async fn settle_batch(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    event: &SqsEvent,
    response: &SqsBatchResponse,
) {
    hqsync_aws::local_cloud::settle_batch(sqs, url, event, response)
        .await
        .expect("delete the handled messages");
}

//! The "local cloud" (`hqsync dev --aws-endpoint`): provisions DynamoDB, SQS and Secrets Manager
//! on a moto endpoint and drives the Lambda handlers in-process (webhook front, worker, poller).
//!
//! The handler crates depend on this one, so they are reached through [`LambdaHandlers`], which
//! the caller (the CLI, the tests) implements with `hqsync_worker`, `hqsync_poller` and the two
//! webhook crates; everything else (provisioning, HTTP front, queue loops) lives here.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use hqsync::adapters::dynamodb::{ensure_table, local_sdk_config};
use hqsync::adapters::sqs::{QueueSettings, QueueUrls, ensure_queues};
use hqsync::engine::jobs::schedule::SweepSchedule;
use hqsync::model::{Connection, ConnectionId, ConnectionSettings, Side};
use hqsync::ports::{
    AppCredentials, ConnectionRecord, ConnectionStatus, Connections, SideTokens, TokenVault,
};
use hqsync::tokens::LOCAL_ENVIRONMENT;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::{self as env, ConfigError, StackConfig};
use crate::stack::AwsStack;

/// Routes, as template.yaml's HTTP API names them.
pub const HUBSPOT_WEBHOOK_PATH: &str = "/webhooks/hubspot";
pub const QUICKBOOKS_WEBHOOK_PATH: &str = "/webhooks/quickbooks";
pub const HEALTH_PATH: &str = "/healthz";
/// The queues' `maxReceiveCount`: the settle policy's, as in template.yaml.
const MAX_RECEIVE_COUNT: u32 = hqsync::engine::jobs::settle::MAX_RECEIVES;
/// The refresh token is never used locally: the sandboxes' dev tokens do not expire within a
/// run (stored as valid for a day).
const UNUSED_REFRESH_TOKEN: &str = "local-cloud-unused-refresh-token";
/// Pause of a queue loop when its queue was empty or unreachable.
const IDLE_WAIT: Duration = Duration::from_millis(200);

/// The four Lambda functions, called in-process. Implemented by the caller over the handler
/// crates (which depend on this crate, so it cannot name them).
#[async_trait]
pub trait LambdaHandlers: Send + Sync + 'static {
    async fn hubspot_webhook(
        &self,
        request: lambda_http::Request,
    ) -> lambda_http::Response<lambda_http::Body>;
    async fn quickbooks_webhook(
        &self,
        request: lambda_http::Request,
    ) -> lambda_http::Response<lambda_http::Body>;
    /// One event source mapping invocation; failed messages are listed in the response.
    async fn worker(&self, event: SqsEvent) -> SqsBatchResponse;
    /// One scheduled invocation (`{"mode":"poll"}` or `{"mode":"sweep"}`); `Ok` is its summary.
    async fn poller(&self, event: Value) -> Result<String, String>;
}

/// Builds a fresh [`AwsStack`] per function, as each Lambda has its own (caches, metrics).
pub struct StackFactory {
    sdk: SdkConfig,
    config: StackConfig,
}

impl StackFactory {
    pub fn stack(&self) -> AwsStack {
        AwsStack::new(&self.sdk, self.config.clone())
    }

    pub fn config(&self) -> &StackConfig {
        &self.config
    }
}

/// The sandboxes' accounts and credentials, as a deployed stack finds them in its secrets.
pub struct SandboxAccounts {
    pub hubspot_base_url: String,
    pub hubspot_portal_id: String,
    /// Webhook events our app caused are dropped as echoes (docs/hubspot.md §11 item 4).
    pub hubspot_app_id: String,
    pub hubspot_client_id: String,
    pub hubspot_client_secret: SecretString,
    pub hubspot_token: SecretString,
    pub quickbooks_base_url: String,
    pub quickbooks_realm_id: String,
    pub quickbooks_client_id: String,
    pub quickbooks_client_secret: SecretString,
    pub quickbooks_token: SecretString,
    pub quickbooks_verifier_token: SecretString,
}

/// What to provision and where to find it.
pub struct LocalCloudOptions {
    /// The moto (or other AWS-compatible) endpoint, e.g. `http://127.0.0.1:5000`.
    pub endpoint: String,
    /// Table name, queue prefix and secret prefix.
    pub name: String,
    pub connection: ConnectionId,
    pub accounts: SandboxAccounts,
    /// Between `{"mode":"poll"}` invocations of the poller.
    pub poll_interval: Duration,
}

/// A provisioning step that failed, named.
#[derive(Debug, thiserror::Error)]
pub enum LocalCloudError {
    #[error("local cloud: {step} failed at the AWS endpoint: {reason}")]
    Provision { step: &'static str, reason: String },
    #[error("local cloud: {0}")]
    Config(#[from] ConfigError),
    #[error("local cloud: the webhook listener has no address: {0}")]
    Listener(#[from] std::io::Error),
    #[error("local cloud: the initial sweep (poller, mode sweep) failed: {0}")]
    Sweep(String),
}

fn provision<E: std::fmt::Display>(step: &'static str) -> impl FnOnce(E) -> LocalCloudError {
    move |e| LocalCloudError::Provision {
        step,
        reason: e.to_string(),
    }
}

/// The running local cloud; dropping it without [`LocalCloud::shutdown`] leaves its tasks running.
pub struct LocalCloud {
    /// The front's `http://HOST:PORT` (the stack's PUBLIC_BASE_URL).
    pub public_base_url: String,
    pub config: StackConfig,
    /// The functions' environment (template.yaml names).
    pub env: HashMap<String, String>,
    /// A stack of its own for inspection (links, queue depths).
    pub stack: AwsStack,
    /// What the initial `{"mode":"sweep"}` reported.
    pub sweep_summary: String,
    tasks: Vec<JoinHandle<()>>,
}

/// Provisions `options.endpoint` (table, queues, app secret, connection item and secret; each
/// created only if absent), invokes the poller's sweep once (it queues the connection's sweep
/// job, which the bulk worker loop runs: schema, initial pairing), then serves the webhook front
/// on `listener` and runs the worker loops and the poll schedule.
pub async fn start_local_cloud<H, B>(
    listener: TcpListener,
    options: LocalCloudOptions,
    build_handlers: B,
) -> Result<LocalCloud, LocalCloudError>
where
    H: LambdaHandlers,
    B: FnOnce(&StackFactory) -> H,
{
    let public_base_url = format!("http://{}", listener.local_addr()?);
    let sdk = local_sdk_config(&options.endpoint).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &options.name)
        .await
        .map_err(provision("creating the DynamoDB table"))?;
    let urls = ensure_queues(&sqs, &QueueSettings::new(options.name.clone()))
        .await
        .map_err(provision("creating the SQS queues"))?;
    let env = function_env(&options, &urls, &public_base_url);
    let config = StackConfig::from_map(&env)?;
    let stack = AwsStack::new(&sdk, config.clone());
    store_connection(&stack, &options).await?;

    let handlers = Arc::new(build_handlers(&StackFactory {
        sdk,
        config: config.clone(),
    }));
    let sweep_summary = handlers
        .poller(serde_json::json!({"mode": "sweep"}))
        .await
        .map_err(LocalCloudError::Sweep)?;

    let front = Front {
        handlers: handlers.clone(),
        base: public_base_url.clone(),
    };
    let router = Router::new()
        .route(HUBSPOT_WEBHOOK_PATH, post(hubspot_route::<H>))
        .route(QUICKBOOKS_WEBHOOK_PATH, post(quickbooks_route::<H>))
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .with_state(front);
    let mut tasks = vec![tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "local cloud webhook front stopped");
        }
    })];
    for url in [config.live_queue_url.clone(), config.bulk_queue_url.clone()] {
        tasks.push(tokio::spawn(worker_loop(
            handlers.clone(),
            sqs.clone(),
            url,
        )));
    }
    tasks.push(tokio::spawn(poll_loop(handlers, options.poll_interval)));

    Ok(LocalCloud {
        public_base_url,
        config,
        env,
        stack,
        sweep_summary,
        tasks,
    })
}

impl LocalCloud {
    /// Stops the front, the worker loops and the poll schedule (moto resources stay).
    pub async fn shutdown(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The environment template.yaml gives the functions, aimed at moto and the sandboxes.
fn function_env(
    options: &LocalCloudOptions,
    urls: &QueueUrls,
    public_base_url: &str,
) -> HashMap<String, String> {
    let name = &options.name;
    let accounts = &options.accounts;
    [
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
        (env::APP_SECRET_ARN, format!("{name}/app")),
        (env::CONNECTION_SECRET_PREFIX, format!("{name}/connection/")),
        (env::PUBLIC_BASE_URL, public_base_url.to_owned()),
        (env::MAX_RECEIVE_COUNT, MAX_RECEIVE_COUNT.to_string()),
        (env::HUBSPOT_BASE_URL, accounts.hubspot_base_url.clone()),
        (
            env::QUICKBOOKS_BASE_URL,
            accounts.quickbooks_base_url.clone(),
        ),
        (
            env::QUICKBOOKS_TOKEN_URL,
            format!(
                "{}/oauth2/v1/tokens/bearer",
                accounts.quickbooks_base_url.trim_end_matches('/')
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The app secret, the connection item and the connection's token secret (infra/DEPLOY.md).
async fn store_connection(
    stack: &AwsStack,
    options: &LocalCloudOptions,
) -> Result<(), LocalCloudError> {
    let a = &options.accounts;
    let copy = |s: &SecretString| SecretString::from(s.expose_secret().to_owned());
    stack
        .vault
        .put_app_credentials(&AppCredentials {
            hubspot_app_id: Some(a.hubspot_app_id.clone()),
            hubspot_client_id: Some(a.hubspot_client_id.clone()),
            hubspot_client_secret: Some(copy(&a.hubspot_client_secret)),
            quickbooks_client_id: Some(a.quickbooks_client_id.clone()),
            quickbooks_client_secret: Some(copy(&a.quickbooks_client_secret)),
            quickbooks_sandbox: None,
            quickbooks_webhook_verifier: Some(copy(&a.quickbooks_verifier_token)),
            hubspot_legacy_signatures: false,
        })
        .await
        .map_err(provision("writing the app secret"))?;
    stack
        .store
        .put_connection(&ConnectionRecord {
            connection: Connection {
                id: options.connection.clone(),
                hubspot_portal_id: a.hubspot_portal_id.clone(),
                qbo_realm_id: a.quickbooks_realm_id.clone(),
                settings: ConnectionSettings::default(),
            },
            environment: LOCAL_ENVIRONMENT.to_owned(),
            status: ConnectionStatus::Active,
        })
        .await
        .map_err(provision("writing the connection item"))?;
    for (side, token) in [
        (Side::Hubspot, &a.hubspot_token),
        (Side::Quickbooks, &a.quickbooks_token),
    ] {
        stack
            .vault
            .store_tokens(
                &options.connection,
                side,
                SideTokens {
                    access_token: copy(token),
                    refresh_token: SecretString::from(UNUSED_REFRESH_TOKEN.to_owned()),
                    access_expires_at: Utc::now() + chrono::Duration::hours(24),
                    refresh_expires_at: None,
                },
            )
            .await
            .map_err(provision("writing the connection secret"))?;
    }
    Ok(())
}

struct Front<H> {
    handlers: Arc<H>,
    base: String,
}

impl<H> Clone for Front<H> {
    fn clone(&self) -> Self {
        Front {
            handlers: self.handlers.clone(),
            base: self.base.clone(),
        }
    }
}

/// An axum request as API Gateway (HTTP API, payload 2.0) hands it to the Lambda through
/// lambda_http: the public URL, every header, the raw body.
pub fn lambda_request(
    base: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<lambda_http::Request, lambda_http::http::Error> {
    let mut builder = lambda_http::http::Request::builder()
        .method(method.as_str())
        .uri(format!(
            "{base}{}",
            uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
        ));
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    builder.body(lambda_http::Body::Binary(body.to_vec()))
}

fn axum_response(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let status = StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, response.body().as_ref().to_vec()).into_response()
}

async fn hubspot_route<H: LambdaHandlers>(
    State(front): State<Front<H>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match lambda_request(&front.base, &method, &uri, &headers, body) {
        Ok(request) => axum_response(front.handlers.hubspot_webhook(request).await),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn quickbooks_route<H: LambdaHandlers>(
    State(front): State<Front<H>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match lambda_request(&front.base, &method, &uri, &headers, body) {
        Ok(request) => axum_response(front.handlers.quickbooks_webhook(request).await),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// The event source mapping of one queue: receive up to 10, invoke the worker, delete what
/// succeeded, leave the `batchItemFailures` to reappear after their visibility timeout.
async fn worker_loop<H: LambdaHandlers>(handlers: Arc<H>, sqs: aws_sdk_sqs::Client, url: String) {
    loop {
        match receive_lambda_event(&sqs, &url).await {
            Ok(event) if !event.records.is_empty() => {
                let response = handlers.worker(event.clone()).await;
                if let Err(e) = settle_batch(&sqs, &url, &event, &response).await {
                    tracing::warn!(queue = %url, error = %e, "deleting handled messages failed");
                }
            }
            Ok(_) => tokio::time::sleep(IDLE_WAIT).await,
            Err(e) => {
                tracing::warn!(queue = %url, error = %e, "receiving from SQS failed");
                tokio::time::sleep(IDLE_WAIT).await;
            }
        }
    }
}

/// The two schedules of template.yaml: `{"mode":"poll"}` every `interval` (the first one after
/// `interval`), and `{"mode":"sweep"}` when the engine's daily sweep schedule says it is due
/// (the first sweep ran at start).
async fn poll_loop<H: LambdaHandlers>(handlers: Arc<H>, interval: Duration) {
    let mut sweeps = SweepSchedule::since(Some(Utc::now()));
    let mut ticks = tokio::time::interval(interval.max(Duration::from_secs(1)));
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if sweeps.is_due(Utc::now()) {
            match handlers.poller(serde_json::json!({"mode": "sweep"})).await {
                Ok(summary) => {
                    sweeps.done(Utc::now());
                    tracing::info!(%summary, "sweep");
                }
                Err(e) => tracing::warn!(error = %e, "sweep failed"),
            }
        }
        match handlers.poller(serde_json::json!({"mode": "poll"})).await {
            Ok(summary) => tracing::info!(%summary, "poll"),
            Err(e) => tracing::warn!(error = %e, "poll failed"),
        }
    }
}

/// Up to 10 messages of the queue at `url`, as the Lambda event source mapping delivers them
/// (system attributes, `eventSourceARN` naming the queue).
pub async fn receive_lambda_event(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> Result<SqsEvent, aws_sdk_sqs::Error> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(0)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await?;
    let queue_name = url.rsplit('/').next().unwrap_or_default();
    let mut event = SqsEvent::default();
    for message in out.messages.unwrap_or_default() {
        let mut record = SqsMessage::default();
        record.message_id = message.message_id.clone();
        record.receipt_handle = message.receipt_handle.clone();
        record.body = message.body.clone();
        record.attributes = message
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect();
        record.event_source = Some("aws:sqs".to_owned());
        // moto's default account and region (local_sdk_config).
        record.event_source_arn = Some(format!("arn:aws:sqs:us-east-1:123456789012:{queue_name}"));
        event.records.push(record);
    }
    Ok(event)
}

/// Deletes every message of `event` not listed in the response's `batchItemFailures`.
pub async fn settle_batch(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    event: &SqsEvent,
    response: &SqsBatchResponse,
) -> Result<(), aws_sdk_sqs::Error> {
    for record in &event.records {
        let id = record.message_id.as_deref().unwrap_or_default();
        if response
            .batch_item_failures
            .iter()
            .any(|f| f.item_identifier == id)
        {
            continue;
        }
        if let Some(handle) = &record.receipt_handle {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(handle)
                .send()
                .await?;
        }
    }
    Ok(())
}

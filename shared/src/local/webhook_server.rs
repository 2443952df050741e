//! The local HTTP server on axum: the webhook endpoints (`POST /webhooks/hubspot`,
//! `POST /webhooks/quickbooks`, `GET /healthz`, the same intake as the Lambdas, within limits)
//! and, when given, the admin API beside them, told each caller's address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, OriginalUri, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use secrecy::SecretString;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use super::http_serve::{ConnectionLimits, serve};
use crate::admin::sign_in::ClientAddress;
use crate::engine::invoicing::action::{ActionJobSink, accept_action_request};
use crate::hubspot::webhook::WebhookVerifier;
use crate::hubspot::webhook::signature::{HEADER_LEGACY, HEADER_V3};
use crate::intake::hubspot::hubspot_delivery;
use crate::intake::quickbooks::quickbooks_delivery;
use crate::intake::{self, InboundRequest, IntakeError, IntakeOutcome, MAX_BODY_BYTES};
use crate::ports::{Clock, JobQueue, Store};

/// The paths the vendors are told to call, relative to the server's base URL.
pub const HUBSPOT_WEBHOOK_PATH: &str = "/webhooks/hubspot";
pub const QUICKBOOKS_WEBHOOK_PATH: &str = "/webhooks/quickbooks";
pub const HEALTH_PATH: &str = "/healthz";
/// The "Create QuickBooks invoice" workflow action (same path as the cloud route).
pub const CREATE_INVOICE_ACTION_PATH: &str = "/hubspot/actions/create-invoice";

/// What the webhook server needs.
pub struct WebhookServerOptions {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn JobQueue>,
    pub clock: Arc<dyn Clock>,
    /// Verifies HubSpot deliveries; `None` answers them 500 (not configured).
    pub hubspot_client_secret: Option<SecretString>,
    /// Also accept HubSpot's v1/v2 signatures (the app credentials' `hubspot_legacy_signatures`).
    pub hubspot_legacy_signatures: bool,
    /// Our HubSpot app's id: events it caused are our own echoes and are dropped; `None`
    /// keeps every event.
    pub hubspot_app_id: Option<String>,
    /// Verifies QBO deliveries; `None` answers them 500 (not configured).
    pub quickbooks_verifier_token: Option<SecretString>,
    /// The base URL the vendors were given (HubSpot signs the full URL it called).
    pub public_base_url: String,
    /// Notified after jobs are enqueued (wakes the worker).
    pub wake: Arc<Notify>,
    /// Runs "Create QuickBooks invoice" executions; `None` answers the action route 500.
    pub action_sink: Option<Arc<dyn ActionJobSink>>,
    /// The admin API and connect pages (`crate::admin::router`), served beside the webhooks;
    /// `None` serves the webhooks only.
    pub admin: Option<Router>,
    /// Header read timeout, connection cap and shutdown grace.
    pub connection_limits: ConnectionLimits,
}

/// HubSpot deliveries and workflow-action calls carry one of these (docs/hubspot.md §5.5).
const HUBSPOT_SIGNATURE_HEADERS: &[&str] = &[HEADER_V3, HEADER_LEGACY];
/// Intuit's webhook signature header (docs/quickbooks.md §8).
const QUICKBOOKS_SIGNATURE_HEADERS: &[&str] = &["intuit-signature"];

#[derive(Clone)]
struct AppState {
    store: Arc<dyn Store>,
    queue: Arc<dyn JobQueue>,
    clock: Arc<dyn Clock>,
    hubspot: Option<WebhookVerifier>,
    hubspot_app_id: Option<String>,
    quickbooks: Option<SecretString>,
    public_base_url: String,
    wake: Arc<Notify>,
    ready: Arc<AtomicBool>,
    action_sink: Option<Arc<dyn ActionJobSink>>,
}

/// The running server. `GET /healthz` answers 503 until [`WebhookServer::set_ready`].
pub struct WebhookServer {
    addr: SocketAddr,
    ready: Arc<AtomicBool>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl WebhookServer {
    /// Serves on `listener` until [`WebhookServer::shutdown`].
    pub fn start(listener: TcpListener, options: WebhookServerOptions) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let ready = Arc::new(AtomicBool::new(false));
        let state = AppState {
            store: options.store,
            queue: options.queue,
            clock: options.clock,
            hubspot: options.hubspot_client_secret.map(|secret| {
                WebhookVerifier::new(secret).allowing_legacy(options.hubspot_legacy_signatures)
            }),
            hubspot_app_id: options.hubspot_app_id,
            quickbooks: options.quickbooks_verifier_token,
            public_base_url: options.public_base_url.trim_end_matches('/').to_owned(),
            wake: options.wake,
            ready: ready.clone(),
            action_sink: options.action_sink,
        };
        let limits = options.connection_limits;
        let vendor = |route, headers| vendor_route(route, headers, limits);
        let router = Router::new()
            .route(
                HUBSPOT_WEBHOOK_PATH,
                vendor(post(hubspot), HUBSPOT_SIGNATURE_HEADERS),
            )
            .route(
                QUICKBOOKS_WEBHOOK_PATH,
                vendor(post(quickbooks), QUICKBOOKS_SIGNATURE_HEADERS),
            )
            .route(HEALTH_PATH, get(health))
            .route(
                CREATE_INVOICE_ACTION_PATH,
                vendor(post(create_invoice_action), HUBSPOT_SIGNATURE_HEADERS),
            )
            .with_state(state);
        let router = match options.admin {
            Some(admin) => router.merge(admin),
            None => router,
        }
        .layer(RequestBodyTimeoutLayer::new(limits.body_idle_timeout))
        .layer(middleware::from_fn(client_address));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        Ok(WebhookServer {
            addr,
            ready,
            stop: Some(stop),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `GET /healthz` answers 200 from now on.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

/// A vendor's route within the limits: the signature header checked before the body is read
/// (401 without one), the body refused over the intake's limit (413, checked on
/// `Content-Length` before reading, and while reading), the whole request bounded in time.
fn vendor_route(
    route: MethodRouter<AppState>,
    signature_headers: &'static [&'static str],
    limits: ConnectionLimits,
) -> MethodRouter<AppState> {
    let route: MethodRouter<AppState> = route.layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let route: MethodRouter<AppState> = route.layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let route: MethodRouter<AppState> =
        route.layer(middleware::from_fn(move |request: Request, next: Next| {
            require_signature(signature_headers, request, next)
        }));
    route.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.vendor_request_timeout,
    ))
}

/// 401 before reading the body of a request that carries none of `names` (an unsigned upload
/// is never buffered).
async fn require_signature(
    names: &'static [&'static str],
    request: Request,
    next: Next,
) -> Response {
    if names
        .iter()
        .any(|name| request.headers().contains_key(*name))
    {
        return next.run(request).await;
    }
    error(
        401,
        &format!("invalid signature: no {} header", names.join(" or ")),
    )
}

/// Puts the peer's IP address in the request as [`ClientAddress`] (failed sign-ins are counted
/// per client). Without connection info (a router called directly) the request goes on
/// without one.
async fn client_address(mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let address = ClientAddress(peer.ip().to_string());
        request.extensions_mut().insert(address);
    }
    next.run(request).await
}

async fn health(State(state): State<AppState>) -> Response {
    if state.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, axum::Json(json!({"status": "ok"}))).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "starting"})),
        )
            .into_response()
    }
}

/// The request's headers as `(name, value)` pairs (values that are not text are left out).
fn header_pairs(headers: &HeaderMap) -> Vec<(&str, &str)> {
    headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect()
}

async fn hubspot(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(verifier) = &state.hubspot else {
        return error(
            500,
            "no HubSpot client secret configured to verify deliveries",
        );
    };
    let url = format!(
        "{}{}",
        state.public_base_url,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("")
    );
    let pairs = header_pairs(&headers);
    let request = InboundRequest {
        method: method.as_str(),
        url: &url,
        headers: &pairs,
        body: &body,
    };
    // Without an app id (see `HubspotEndpoint::app_id`) our echoes become jobs that plan to
    // nothing (docs/architecture.md §4); they only cost a read.
    let result = hubspot_delivery(
        verifier,
        state.hubspot_app_id.as_deref(),
        state.store.as_ref(),
        &request,
        state.clock.now(),
    )
    .await;
    answer(&state, "hubspot", result).await
}

async fn quickbooks(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = &state.quickbooks else {
        return error(
            500,
            "no QuickBooks verifier token configured to verify deliveries",
        );
    };
    let url = format!("{}{}", state.public_base_url, uri.path());
    let pairs = header_pairs(&headers);
    let request = InboundRequest {
        method: method.as_str(),
        url: &url,
        headers: &pairs,
        body: &body,
    };
    let result =
        quickbooks_delivery(token, state.store.as_ref(), &request, state.clock.now()).await;
    answer(&state, "quickbooks", result).await
}

/// Verifies (v3 once; v2 where allowed), hands the execution to the action sink and answers `BLOCK`.
async fn create_invoice_action(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (Some(verifier), Some(sink)) = (&state.hubspot, &state.action_sink) else {
        return error(500, "the workflow action is not configured in this stack");
    };
    let url = format!(
        "{}{}",
        state.public_base_url,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("")
    );
    let pairs = header_pairs(&headers);
    let request = InboundRequest {
        method: method.as_str(),
        url: &url,
        headers: &pairs,
        body: &body,
    };
    match accept_action_request(verifier, &request, state.clock.now(), sink.as_ref()).await {
        Ok(block) => {
            state.wake.notify_one();
            (StatusCode::OK, axum::Json(block)).into_response()
        }
        Err(e) => error(e.status(), &e.to_string()),
    }
}

/// The shared webhook answer (`intake::answer`) as an axum response; wakes the worker when the
/// delivery queued jobs.
async fn answer(
    state: &AppState,
    vendor: &str,
    result: Result<IntakeOutcome, IntakeError>,
) -> Response {
    let reply = intake::answer(state.queue.as_ref(), vendor, result).await;
    if reply.queued > 0 {
        state.wake.notify_one();
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(reply.body)).into_response()
}

fn error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(json!({ "error": message }))).into_response()
}

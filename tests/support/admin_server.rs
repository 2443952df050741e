//! The admin API served in-process for tests: an `AdminContext` on memory adapters and both
//! sandboxes, axum on a free loopback port, and a signed-in client (cookie + CSRF token).
//!
//! ```ignore
//! let server = AdminServer::start().await;            // with the active connection "local"
//! let admin = server.signed_in().await;
//! let list: serde_json::Value = admin.get("/api/connections").await.json().await?;
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use hqsync::adapters::memory::{MemoryJobQueue, MemoryStore, MemoryTokenVault};
use hqsync::admin::sign_in::ClientAddress;
use hqsync::admin::{AdminAuth, AdminContext, CSRF_HEADER, SESSION_COOKIE};
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::jobs::{FixedGateways, Invoicing, SyncContext};
use hqsync::local::{LOCAL_CONNECTION_ID, LocalSandboxAccounts, VendorEndpoints, local_connection};
use hqsync::model::{ConnectionId, ConnectionSettings};
use hqsync::ports::{Clock, ConnectionRecord, Connections};
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use reqwest::{Method, RequestBuilder};
use secrecy::SecretString;
use serde_json::Value;

use crate::hubspot::start_hubspot_sandbox;
use crate::quickbooks::start_quickbooks_sandbox;

/// The admin password of every harness server.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// The wall clock plus an offset tests move forward (session expiry, login windows) without
/// stopping time for the queue, leases and the sandboxes.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset: Mutex<Duration>,
}

impl ShiftedClock {
    /// Moves this clock `by` ahead of the wall clock (cumulative).
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by;
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What to start.
pub struct AdminServerOptions {
    /// Store the sandboxes' connection (`local`, active) before serving; off for the connect
    /// flow, which creates its own (`hqsync dev --no-connection`).
    pub with_connection: bool,
    /// Settings of that connection.
    pub settings: ConnectionSettings,
    pub hubspot: HubspotSandboxConfig,
    pub quickbooks: QuickbooksSandboxConfig,
}

impl Default for AdminServerOptions {
    fn default() -> Self {
        AdminServerOptions {
            with_connection: true,
            settings: ConnectionSettings::default(),
            hubspot: HubspotSandboxConfig {
                search_index_delay: std::time::Duration::ZERO,
                ..HubspotSandboxConfig::default()
            },
            quickbooks: QuickbooksSandboxConfig::default(),
        }
    }
}

/// The admin API on a loopback port, with everything behind it reachable by the test.
pub struct AdminServer {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub ctx: AdminContext,
    /// The store behind both `ctx.sync.store` and `ctx.admin_store`.
    pub store: Arc<MemoryStore>,
    pub queue: Arc<MemoryJobQueue>,
    /// The vault behind `ctx.vault`.
    pub vault: Arc<MemoryTokenVault>,
    pub clock: Arc<ShiftedClock>,
    pub hubspot: HubspotSandbox,
    pub quickbooks: QuickbooksSandbox,
    pub endpoints: VendorEndpoints,
    /// The stored connection, when started `with_connection`.
    pub connection: Option<ConnectionRecord>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for AdminServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Puts the peer address in the request as [`ClientAddress`], as the runtimes do.
async fn client_address(request: Request, next: Next) -> Response {
    let mut request = request;
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    if let Some(peer) = peer {
        request.extensions_mut().insert(ClientAddress(peer));
    }
    next.run(request).await
}

impl AdminServer {
    /// Both default sandboxes and the active connection `local` between them.
    pub async fn start() -> Self {
        Self::start_with(AdminServerOptions::default()).await
    }

    pub async fn start_with(options: AdminServerOptions) -> Self {
        let hubspot = start_hubspot_sandbox(options.hubspot).await;
        let quickbooks = start_quickbooks_sandbox(options.quickbooks).await;
        let hs = hubspot.config().clone();
        let qb = quickbooks.config().clone();
        let endpoints = VendorEndpoints::local(LocalSandboxAccounts {
            hubspot_base_url: hubspot.base_url(),
            portal_id: hs.portal_id.to_string(),
            hubspot_token: SecretString::from(hs.dev_token.clone()),
            hubspot_client_secret: SecretString::from(hs.client_secret.clone()),
            quickbooks_base_url: quickbooks.base_url(),
            realm_id: qb.realm_id.clone(),
            quickbooks_token: SecretString::from(qb.dev_token.clone()),
            quickbooks_verifier_token: SecretString::from(qb.verifier_token.clone()),
        })
        .expect("sandbox endpoints")
        .with_hubspot_app_id(hs.app_id.to_string());
        let mut app = endpoints.app_credentials();
        app.hubspot_client_id = Some(hs.client_id.clone());
        app.quickbooks_client_id = Some(qb.client_id.clone());
        app.quickbooks_client_secret = Some(SecretString::from(qb.client_secret.clone()));

        let clock = Arc::new(ShiftedClock::default());
        let store = Arc::new(MemoryStore::new());
        let queue = Arc::new(MemoryJobQueue::new(clock.clone()));
        let pair = endpoints
            .gateways(&options.settings, clock.clone())
            .expect("sandbox gateways");
        let invoicing = Arc::new(Invoicing::new(
            InvoiceMirror::new(
                Arc::new(endpoints.hubspot_client().expect("HubSpot client")),
                Arc::new(endpoints.quickbooks_client().expect("QuickBooks client")),
                InvoiceSyncSettings::from_settings(&options.settings),
            ),
            clock.clone(),
        ));
        let connection = if options.with_connection {
            let record = local_connection(
                ConnectionId::new(LOCAL_CONNECTION_ID).expect("connection id"),
                &endpoints,
                options.settings.clone(),
            );
            store
                .put_connection(&record)
                .await
                .expect("store connection");
            Some(record)
        } else {
            None
        };

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the admin API");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let vault = Arc::new(MemoryTokenVault::new(app));
        let ctx = AdminContext {
            sync: SyncContext {
                store: store.clone(),
                queue: queue.clone(),
                clock: clock.clone(),
                gateways: Arc::new(FixedGateways::new(pair).with_invoicing(invoicing)),
            },
            vault: vault.clone(),
            admin_store: store.clone(),
            dead_letters: queue.clone(),
            auth: Arc::new(AdminAuth::new(
                SecretString::from(ADMIN_PASSWORD.to_owned()),
                AdminAuth::random_signing_key(),
            )),
            public_base_url: base_url.clone(),
            vendor_urls: endpoints.vendor_urls(),
        };
        let app = hqsync::admin::router(ctx.clone())
            .layer(axum::middleware::from_fn(client_address))
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("admin API server");
        });
        AdminServer {
            base_url,
            ctx,
            store,
            queue,
            vault,
            clock,
            hubspot,
            quickbooks,
            endpoints,
            connection,
            server,
        }
    }

    /// `{base_url}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The id of the connection started `with_connection`.
    pub fn connection_id(&self) -> &ConnectionId {
        self.connection
            .as_ref()
            .expect("started with a connection")
            .id()
    }

    /// A client that does not follow redirects (tests look at each 302) and keeps no cookies
    /// (each request says which session it carries).
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client")
    }

    /// Signs in with [`ADMIN_PASSWORD`]; panics unless it answers 200 with a session cookie
    /// and a CSRF token.
    pub async fn signed_in(&self) -> SignedIn {
        sign_in_at(&self.base_url).await
    }
}

/// Signs in at the admin API on `base_url` with [`ADMIN_PASSWORD`]; panics unless it answers
/// 200 with a session cookie and a CSRF token.
pub async fn sign_in_at(base_url: &str) -> SignedIn {
    let client = AdminServer::client();
    let response = client
        .post(format!("{base_url}/api/session"))
        .json(&serde_json::json!({"password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("POST /api/session");
    assert_eq!(response.status(), 200, "sign-in failed");
    let cookie = session_cookie(&response).expect("a session cookie in the sign-in answer");
    let body: Value = response.json().await.expect("sign-in JSON");
    let csrf_token = body["csrf_token"]
        .as_str()
        .expect("csrf_token in the sign-in answer")
        .to_owned();
    SignedIn {
        client,
        base_url: base_url.to_owned(),
        cookie,
        csrf_token,
    }
}

/// `hqsync_session=VALUE` of a response's `Set-Cookie`, ready for a `Cookie` header.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned)
}

/// An admin session: requests carry its cookie and, for every method, its CSRF token.
pub struct SignedIn {
    pub client: reqwest::Client,
    pub base_url: String,
    /// `hqsync_session=...`, the value of a `Cookie` header.
    pub cookie: String,
    pub csrf_token: String,
}

impl SignedIn {
    /// A request with the session cookie and the CSRF header.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base_url))
            .header(reqwest::header::COOKIE, &self.cookie)
            .header(CSRF_HEADER, &self.csrf_token)
    }

    /// A request with the session cookie only (to check a write is refused without CSRF).
    pub fn without_csrf(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base_url))
            .header(reqwest::header::COOKIE, &self.cookie)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("admin GET")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("admin POST")
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.request(Method::POST, path)
            .send()
            .await
            .expect("admin POST")
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.request(Method::PUT, path)
            .json(body)
            .send()
            .await
            .expect("admin PUT")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.request(Method::DELETE, path)
            .send()
            .await
            .expect("admin DELETE")
    }
}

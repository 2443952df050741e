//! `hqsync dev`'s runtime in-process (`hqsync::local::LocalRuntime`) on ephemeral ports: no
//! connection at start, the admin API behind sign-in beside the webhooks, many connections.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hqsync::adapters::sqlite::SqliteError;
use hqsync::admin::{AdminAuth, CSRF_HEADER, SESSION_COOKIE};
use hqsync::hubspot::app_scopes;
use hqsync::local::webhook_server::{HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::local::{
    LocalRuntime, LocalSandboxAccounts, PipelineOptions, StateLocation, VendorApps,
    VendorEndpoints, local_connection,
};
use hqsync::model::{ConnectionId, ConnectionSettings, ObjectKind, Side};
use hqsync::ports::{ConnectionStatus, SideTokens, SystemClock};
use hqsync::quickbooks::OAuthClient;
use hqsync::quickbooks::environment::ACCOUNTING_SCOPE;
use hqsync::tokens::vendor_urls::quickbooks_token_url_at;
use hqsync_sandbox::Seed;
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use hqsync_tests::hubspot::start_hubspot_sandbox;
use hqsync_tests::oauth::{QBO_REDIRECT, consent, hubspot_tokens_through_consent, param};
use hqsync_tests::quickbooks::start_quickbooks_sandbox;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
/// A bound on waits for the poller (never a timing assertion).
const BOUND: Duration = Duration::from_secs(30);
/// A generous bound on an initial sync run beside the webhooks and the poller (runs take 3 s).
const RUN_BOUND: Duration = Duration::from_secs(150);

/// Both sandboxes and a runtime with no connection, serving the admin API on an ephemeral
/// port, state in a fresh SQLite directory.
struct Dev {
    hubspot: HubspotSandbox,
    quickbooks: QuickbooksSandbox,
    runtime: LocalRuntime,
    base: String,
    http: reqwest::Client,
    dir: std::path::PathBuf,
}

impl Dev {
    async fn start() -> Dev {
        Self::start_with(Seed::Empty).await
    }

    /// [`Dev::start`] with both sandboxes holding `seed`.
    async fn start_with(seed: Seed) -> Dev {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hubspot = start_hubspot_sandbox(HubspotSandboxConfig {
            search_index_delay: Duration::ZERO,
            webhook_url: Some(format!("{base}{HUBSPOT_WEBHOOK_PATH}")),
            seed,
            ..HubspotSandboxConfig::default()
        })
        .await;
        let quickbooks = start_quickbooks_sandbox(QuickbooksSandboxConfig {
            webhook_url: Some(format!("{base}{QUICKBOOKS_WEBHOOK_PATH}")),
            seed,
            ..QuickbooksSandboxConfig::default()
        })
        .await;
        let dir = std::env::temp_dir().join(format!("hqsync-dev-runtime-{}", uuid::Uuid::new_v4()));
        let endpoints = endpoints(&hubspot, &quickbooks);
        let vendors = VendorApps::of(&endpoints).with_oauth_clients(
            hubspot.config().client_id.clone(),
            quickbooks.config().client_id.clone(),
            SecretString::from(quickbooks.config().client_secret.clone()),
        );
        let mut runtime = LocalRuntime::open(
            vendors,
            &StateLocation::Sqlite { dir: dir.clone() },
            Arc::new(SystemClock),
        )
        .expect("open the runtime");
        let auth = Arc::new(AdminAuth::new(
            SecretString::from(PASSWORD.to_owned()),
            AdminAuth::random_signing_key(),
        ));
        runtime
            .serve(listener, base.clone(), Some(auth))
            .expect("serve");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Dev {
            hubspot,
            quickbooks,
            runtime,
            base,
            http,
            dir,
        }
    }

    fn endpoints(&self) -> VendorEndpoints {
        endpoints(&self.hubspot, &self.quickbooks)
    }

    /// `GET /api/connections` with `cookie`: the JSON array.
    async fn connections(&self, cookie: &str) -> Vec<Value> {
        let response = self
            .http
            .get(format!("{}/api/connections", self.base))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// `{base}/api/{path}`.
    fn api(&self, path: &str) -> String {
        format!("{}/api/{path}", self.base)
    }

    /// Starts the initial sync of `connection` through the admin API and follows its progress
    /// until it is no longer running; the last progress.
    async fn initial_sync(&self, cookie: &str, csrf: &str, connection: &str) -> Value {
        let path = self.api(&format!("connections/{connection}/initial-sync"));
        let started = self
            .http
            .post(&path)
            .header(COOKIE, cookie)
            .header(CSRF_HEADER, csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), StatusCode::ACCEPTED);
        let run: Value = started.json().await.unwrap();
        let run_id = run["run_id"].as_str().expect("run_id").to_owned();
        let begun = Instant::now();
        loop {
            let progress: Value = self
                .http
                .get(&path)
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(progress["run_id"], run_id.as_str(), "{progress}");
            if progress["state"] != "running" {
                return progress;
            }
            assert!(begun.elapsed() < RUN_BOUND, "still running: {progress}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in: the session cookie (`name=value`) and the CSRF token.
    async fn sign_in(&self) -> (String, String) {
        let response = self
            .http
            .post(format!("{}/api/session", self.base))
            .json(&json!({"password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let set_cookie = response
            .headers()
            .get(SET_COOKIE)
            .expect("a session cookie")
            .to_str()
            .unwrap()
            .to_owned();
        for attribute in ["HttpOnly", "SameSite=Strict", "Secure"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        assert!(
            cookie.starts_with(&format!("{SESSION_COOKIE}=")),
            "{cookie}"
        );
        let body: Value = response.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().expect("csrf_token").to_owned();
        (cookie, csrf)
    }

    async fn shutdown(self) {
        self.runtime.shutdown().await;
        self.hubspot.shutdown().await;
        self.quickbooks.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn endpoints(hubspot: &HubspotSandbox, quickbooks: &QuickbooksSandbox) -> VendorEndpoints {
    VendorEndpoints::local(LocalSandboxAccounts {
        hubspot_base_url: hubspot.base_url(),
        portal_id: hubspot.config().portal_id.to_string(),
        hubspot_token: SecretString::from(hubspot.config().dev_token.clone()),
        hubspot_client_secret: SecretString::from(hubspot.config().client_secret.clone()),
        quickbooks_base_url: quickbooks.base_url(),
        realm_id: quickbooks.config().realm_id.clone(),
        quickbooks_token: SecretString::from(quickbooks.config().dev_token.clone()),
        quickbooks_verifier_token: SecretString::from(quickbooks.config().verifier_token.clone()),
    })
    .expect("sandbox endpoints")
}

#[tokio::test]
async fn without_a_connection_the_admin_api_answers_only_after_sign_in() {
    let dev = Dev::start().await;
    let api = |path: &str| format!("{}/api/{path}", dev.base);
    assert!(
        dev.runtime
            .ctx
            .store
            .list_connections()
            .await
            .unwrap()
            .is_empty(),
        "no connection yet"
    );

    for path in ["connections", "audit", "no-such-route"] {
        let response = dev.http.get(api(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let wrong = dev
        .http
        .post(api("session"))
        .json(&json!({"password": "guess"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(SET_COOKIE).is_none());

    let (cookie, csrf) = dev.sign_in().await;
    let list = dev
        .http
        .get(api("connections"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(
        list.json::<Value>().await.unwrap(),
        json!([]),
        "no connection yet"
    );
    let known = dev
        .http
        .get(api("no-such-route"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        known.status(),
        StatusCode::NOT_FOUND,
        "signed in: unknown is 404"
    );
    let without_csrf = dev
        .http
        .post(api("no-such-route"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(without_csrf.status(), StatusCode::FORBIDDEN);
    let with_csrf = dev
        .http
        .post(api("no-such-route"))
        .header(COOKIE, &cookie)
        .header(CSRF_HEADER, &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with_csrf.status(), StatusCode::NOT_FOUND);

    // The server told the sign-in who called: the audit entry names the peer address.
    let audit = dev.runtime.state.admin_store.recent_audit(5).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].action, "session.sign_in");
    assert!(audit[0].detail.contains("127.0.0.1"), "{}", audit[0].detail);

    // The console's sign-in form is served at the root, beside the API.
    let console = dev.http.get(format!("{}/", dev.base)).send().await.unwrap();
    assert_eq!(console.status(), StatusCode::OK);
    assert!(
        console.text().await.unwrap().contains("<form"),
        "a sign-in form"
    );

    // The webhook endpoints are served on the same address.
    let webhook = dev
        .http
        .post(format!("{}{HUBSPOT_WEBHOOK_PATH}", dev.base))
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(
        webhook.status(),
        StatusCode::UNAUTHORIZED,
        "unsigned delivery"
    );
    dev.shutdown().await;
}

#[tokio::test]
async fn failed_sign_ins_are_counted_per_peer_address_and_slowed_down() {
    let dev = Dev::start().await;
    for _ in 0..5 {
        let response = dev
            .http
            .post(format!("{}/api/session", dev.base))
            .json(&json!({"password": "guess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let now = chrono::Utc::now();
    let window = chrono::Duration::minutes(15);
    let store = &dev.runtime.state.admin_store;
    assert_eq!(
        store
            .failed_logins("client:127.0.0.1", now, window)
            .await
            .unwrap(),
        5
    );
    let blocked = dev
        .http
        .post(format!("{}/api/session", dev.base))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    dev.shutdown().await;
}

/// Waits until `connection` has a QBO contact cursor (its first poll sets the watermarks).
async fn polled(dev: &Dev, connection: &ConnectionId) -> bool {
    let started = Instant::now();
    while started.elapsed() < BOUND {
        let cursor = dev
            .runtime
            .ctx
            .store
            .get_cursor(connection, Side::Quickbooks, ObjectKind::Contact)
            .await
            .unwrap();
        if cursor.is_some() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn the_poller_polls_every_active_connection_and_skips_the_others() {
    let mut dev = Dev::start().await;
    let endpoints = dev.endpoints();
    let id = |s: &str| ConnectionId::new(s).unwrap();
    for name in ["first", "second", "paused"] {
        dev.runtime
            .add_configured_connection(id(name), &endpoints, ConnectionSettings::default())
            .await
            .unwrap();
    }
    let mut paused = dev
        .runtime
        .ctx
        .store
        .get_connection(&id("paused"))
        .await
        .unwrap()
        .unwrap();
    paused.status = ConnectionStatus::Paused;
    dev.runtime.ctx.store.put_connection(&paused).await.unwrap();

    dev.runtime.start_pipeline(PipelineOptions {
        idle_wait: Duration::from_millis(50),
        poll_interval: Some(Duration::from_millis(50)),
        ..PipelineOptions::default()
    });
    assert!(polled(&dev, &id("first")).await, "first was never polled");
    assert!(polled(&dev, &id("second")).await, "second was never polled");
    // Two more passes over both, so the paused one had its chance to be (wrongly) polled.
    let stats = dev.runtime.pipeline().unwrap().stats();
    let after = stats.polls.load(Ordering::Relaxed);
    let started = Instant::now();
    while stats.polls.load(Ordering::Relaxed) < after + 4 && started.elapsed() < BOUND {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stats.polls.load(Ordering::Relaxed) >= after + 4);
    for side in Side::BOTH {
        assert!(
            dev.runtime
                .ctx
                .store
                .get_cursor(&id("paused"), side, ObjectKind::Contact)
                .await
                .unwrap()
                .is_none(),
            "a paused connection is not polled"
        );
    }
    assert!(
        stats.connection_errors().is_empty(),
        "{:?}",
        stats.connection_errors()
    );

    // Connections configured in the runtime are the admin API's too.
    let (cookie, _) = dev.sign_in().await;
    let listed = dev.connections(&cookie).await;
    let summary: Vec<(String, String, String, String)> = listed
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (
                text("id"),
                text("portal_id"),
                text("realm_id"),
                text("status"),
            )
        })
        .collect();
    let portal = endpoints.hubspot.portal_id.clone();
    let realm = endpoints.quickbooks.realm_id.clone();
    let row = |id: &str, status: &str| {
        (
            id.to_owned(),
            portal.clone(),
            realm.clone(),
            status.to_owned(),
        )
    };
    assert_eq!(
        summary,
        [
            row("first", "active"),
            row("paused", "paused"),
            row("second", "active")
        ]
    );
    dev.shutdown().await;
}

#[tokio::test]
async fn one_broken_connection_shows_as_its_error_and_the_working_one_is_still_polled() {
    let mut dev = Dev::start().await;
    let endpoints = dev.endpoints();
    let id = |s: &str| ConnectionId::new(s).unwrap();
    for name in ["broken", "tokenless", "working"] {
        dev.runtime
            .add_configured_connection(id(name), &endpoints, ConnectionSettings::default())
            .await
            .unwrap();
    }
    // "broken": its stored record is no longer JSON. "tokenless": readable and active, but the
    // vault has no tokens for it, so its gateways cannot be built.
    let db = dev.runtime.state.db.clone().expect("SQLite state");
    db.run(|conn| {
        conn.execute_batch("UPDATE connections SET body = '{\"truncated' WHERE id = 'broken'")
            .map_err(SqliteError::from)
    })
    .await
    .unwrap();
    dev.runtime
        .state
        .vault
        .delete_tokens(&id("tokenless"))
        .await
        .unwrap();

    dev.runtime.start_pipeline(PipelineOptions {
        idle_wait: Duration::from_millis(50),
        poll_interval: Some(Duration::from_millis(50)),
        ..PipelineOptions::default()
    });
    assert!(
        polled(&dev, &id("working")).await,
        "the working one was never polled"
    );
    let stats = dev.runtime.pipeline().unwrap().stats();
    let started = Instant::now();
    while stats.connection_errors().len() < 2 && started.elapsed() < BOUND {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let errors = stats.connection_errors();
    assert_eq!(
        errors.keys().map(|k| k.to_string()).collect::<Vec<_>>(),
        ["broken", "tokenless"],
        "{errors:?}"
    );
    assert!(
        errors[&id("tokenless")].contains("poll failed"),
        "{errors:?}"
    );
    for side in Side::BOTH {
        assert!(
            dev.runtime
                .ctx
                .store
                .get_cursor(&id("tokenless"), side, ObjectKind::Contact)
                .await
                .unwrap()
                .is_none(),
            "a connection without tokens is not polled"
        );
    }

    // The admin API lists all three; the unreadable one with its error and what is known of it.
    let (cookie, _) = dev.sign_in().await;
    let listed = dev.connections(&cookie).await;
    let by_id = |name: &str| {
        listed
            .iter()
            .find(|c| c["id"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {listed:?}"))
            .clone()
    };
    let broken = by_id("broken");
    assert_eq!(broken["status"], "error", "{broken}");
    assert!(broken["error"].is_string(), "{broken}");
    assert_eq!(broken["portal_id"], endpoints.hubspot.portal_id.as_str());
    assert_eq!(broken["realm_id"], endpoints.quickbooks.realm_id.as_str());
    assert_eq!(by_id("working")["status"], "active", "{listed:?}");
    // Without tokens it cannot sync until it is connected again, and says so.
    assert_eq!(
        by_id("tokenless")["status"],
        "reconnect-required",
        "{listed:?}"
    );

    // Deleted, the broken one's error goes with it; the tokenless one is no longer polled (its
    // reconnect-required status is its reason), so no poll error is left.
    dev.runtime
        .ctx
        .store
        .delete_connection(&id("broken"))
        .await
        .unwrap();
    let started = Instant::now();
    while stats.connection_errors().contains_key(&id("broken")) && started.elapsed() < BOUND {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let errors = stats.connection_errors();
    assert!(errors.is_empty(), "{errors:?}");
    dev.shutdown().await;
}

#[tokio::test]
async fn an_oauth_connections_expired_tokens_are_refreshed_with_the_sandboxes_apps() {
    let mut dev = Dev::start().await;
    let endpoints = dev.endpoints();
    let scopes = app_scopes();
    let hubspot =
        hubspot_tokens_through_consent(&dev.hubspot, &scopes.required, &scopes.optional).await;
    let qbo_oauth = OAuthClient::with_token_url(
        quickbooks_token_url_at(&Url::parse(&dev.quickbooks.base_url()).unwrap()),
        dev.quickbooks.config().client_id.clone(),
        SecretString::from(dev.quickbooks.config().client_secret.clone()),
    );
    let query = consent(qbo_oauth.authorize_url(QBO_REDIRECT, &[ACCOUNTING_SCOPE], "q-dev")).await;
    let code = SecretString::from(param(&query, "code").expect("a code").to_owned());
    let quickbooks = qbo_oauth.exchange_code(&code, QBO_REDIRECT).await.unwrap();

    // Stored the way the connect flow leaves a connection, with both access tokens already due.
    let id = ConnectionId::new("oauth").unwrap();
    let record = local_connection(id.clone(), &endpoints, ConnectionSettings::default());
    dev.runtime.ctx.store.put_connection(&record).await.unwrap();
    let due = chrono::Utc::now() - chrono::Duration::minutes(1);
    let vault = dev.runtime.state.vault.clone();
    let issued = [
        (Side::Hubspot, hubspot.access_token, hubspot.refresh_token),
        (
            Side::Quickbooks,
            quickbooks.access_token,
            quickbooks.refresh_token,
        ),
    ];
    for (side, access_token, refresh_token) in &issued {
        vault
            .store_tokens(
                &id,
                *side,
                SideTokens {
                    access_token: access_token.clone(),
                    refresh_token: refresh_token.clone(),
                    access_expires_at: due,
                    refresh_expires_at: None,
                },
            )
            .await
            .unwrap();
    }

    dev.runtime.start_pipeline(PipelineOptions {
        idle_wait: Duration::from_millis(50),
        poll_interval: Some(Duration::from_millis(50)),
        ..PipelineOptions::default()
    });
    assert!(
        polled(&dev, &id).await,
        "the OAuth connection was never polled"
    );
    for (side, access_token, _) in &issued {
        let now = vault
            .tokens(&id, *side)
            .await
            .unwrap()
            .expect("tokens kept");
        assert!(
            now.access_expires_at > chrono::Utc::now(),
            "{side} refreshed"
        );
        assert_ne!(
            now.access_token.expose_secret(),
            access_token.expose_secret(),
            "{side}: a new access token from the sandbox's token endpoint"
        );
    }
    let stored = dev
        .runtime
        .ctx
        .store
        .get_connection(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, ConnectionStatus::Active);
    let errors = dev.runtime.pipeline().unwrap().stats().connection_errors();
    assert!(errors.is_empty(), "{errors:?}");
    dev.shutdown().await;
}

#[tokio::test]
async fn a_connected_connection_waits_until_its_initial_sync_is_started_through_the_api() {
    let mut dev = Dev::start_with(Seed::Demo).await;
    let endpoints = dev.endpoints();
    let id = ConnectionId::new("fresh").unwrap();
    // As the connect flow leaves it: both sides authorized, not syncing yet.
    let mut record = dev
        .runtime
        .add_configured_connection(id.clone(), &endpoints, ConnectionSettings::default())
        .await
        .unwrap();
    record.status = ConnectionStatus::Connected;
    dev.runtime.ctx.store.put_connection(&record).await.unwrap();
    // Polls a second apart: the poller re-signals records changed within its overlap on every
    // pass, on the live lane (before the worker gave the bulk lane its turn after a partial
    // live batch, 50 ms passes kept the run's bulk jobs waiting for up to two minutes).
    dev.runtime.start_pipeline(PipelineOptions {
        idle_wait: Duration::from_millis(20),
        poll_interval: Some(Duration::from_secs(1)),
        ..PipelineOptions::default()
    });

    let (cookie, csrf) = dev.sign_in().await;
    assert_eq!(dev.connections(&cookie).await[0]["status"], "connected");
    // The poller passes it by while it is only connected (two passes and more).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let cursor = dev
        .runtime
        .ctx
        .store
        .get_cursor(&id, Side::Quickbooks, ObjectKind::Contact)
        .await
        .unwrap();
    assert!(cursor.is_none(), "a connected connection is not polled yet");

    // The runtime's own worker runs the fanned-out run on the bulk lane.
    let done = dev.initial_sync(&cookie, &csrf, "fresh").await;
    assert_eq!(done["state"], "done", "{done}");
    let contacts = done["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "contact")
        .cloned()
        .unwrap_or_else(|| panic!("contacts in {done}"));
    assert!(contacts["done"].as_u64().unwrap() > 0, "{done}");
    assert_eq!(contacts["failed"], 0, "{done}");
    let links = dev
        .runtime
        .ctx
        .store
        .list_links(&id, ObjectKind::Contact)
        .await
        .unwrap();
    assert!(!links.is_empty(), "the demo contacts are linked");
    assert_eq!(dev.connections(&cookie).await[0]["status"], "active");
    assert!(polled(&dev, &id).await, "active after the start, so polled");
    dev.shutdown().await;
}
/// Cookies our own server set during a flow (`name` -> `value`), sent back to our origin only.
#[derive(Default)]
struct OurCookies(std::collections::BTreeMap<String, String>);

impl OurCookies {
    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                self.0
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    /// Keeps a `name=value` pair (the session cookie from the sign-in).
    fn keep_pair(&mut self, pair: &str) {
        let (name, value) = pair.split_once('=').unwrap();
        self.0.insert(name.to_owned(), value.to_owned());
    }

    fn header(&self) -> String {
        (self.0.iter().map(|(n, v)| format!("{n}={v}")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[tokio::test]
async fn connecting_through_get_connect_ends_on_our_page_and_the_initial_sync_reaches_the_new_connection()
 {
    let mut dev = Dev::start_with(Seed::Demo).await;
    dev.runtime.start_pipeline(PipelineOptions {
        idle_wait: Duration::from_millis(20),
        // A second apart, as in the test above.
        poll_interval: Some(Duration::from_secs(1)),
        ..PipelineOptions::default()
    });
    let (session, csrf) = dev.sign_in().await;
    let ours = Url::parse(&dev.base).unwrap();
    let mut cookies = OurCookies::default();
    cookies.keep_pair(&session);

    // The first hop: our /connect answers 302 to the HubSpot sandbox's consent page.
    let mut url = Url::parse(&format!("{}/connect", dev.base)).unwrap();
    let mut hops = Vec::new();
    let last = loop {
        assert!(hops.len() < 12, "too many redirects: {hops:?}");
        let mut request = dev.http.get(url.clone());
        if url.origin() == ours.origin() {
            request = request.header(COOKIE, cookies.header());
        }
        let response = request.send().await.unwrap();
        hops.push(url.to_string());
        if url.origin() == ours.origin() {
            cookies.keep(&response);
        }
        if !response.status().is_redirection() {
            break response;
        }
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        url = url.join(&location).unwrap();
        if hops.len() == 1 {
            assert!(
                url.as_str()
                    .starts_with(&format!("{}/oauth/authorize?", dev.hubspot.base_url())),
                "GET /connect sends the admin to HubSpot's consent: {url}"
            );
        }
    };
    let status = last.status();
    let page = last.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{hops:?}\n{page}");
    assert_eq!(url.origin(), ours.origin(), "ends on our page: {hops:?}");
    assert!(
        hops.iter()
            .any(|h| h.starts_with(&format!("{}/connect/oauth2", dev.quickbooks.base_url()))),
        "went through Intuit's consent: {hops:?}"
    );

    let listed = dev.connections(&session).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let connection = &listed[0];
    let id = connection["id"].as_str().expect("an id").to_owned();
    // Our page of the new connection.
    assert_eq!(url.path(), format!("/connections/{id}"), "{hops:?}");
    assert!(page.contains(&format!("connection {id}")), "{page}");
    assert_eq!(
        connection["portal_id"],
        dev.hubspot.config().portal_id.to_string().as_str()
    );
    assert_eq!(
        connection["realm_id"],
        dev.quickbooks.config().realm_id.as_str()
    );
    assert_eq!(connection["status"], "connected", "{connection}");

    // Connected, not syncing: the initial sync started through the API reaches it, through
    // the tokens the flow stored, then the poller does.
    let done = dev.initial_sync(&session, &csrf, &id).await;
    assert_eq!(done["state"], "done", "{done}");
    let connection_id = ConnectionId::new(&id).unwrap();
    let links = dev
        .runtime
        .ctx
        .store
        .list_links(&connection_id, ObjectKind::Contact)
        .await
        .unwrap();
    assert!(!links.is_empty(), "the demo contacts are linked: {done}");
    assert_eq!(dev.connections(&session).await[0]["status"], "active");
    assert!(
        polled(&dev, &connection_id).await,
        "the new connection is polled"
    );
    let errors = dev.runtime.pipeline().unwrap().stats().connection_errors();
    assert!(errors.is_empty(), "{errors:?}");
    dev.shutdown().await;
}

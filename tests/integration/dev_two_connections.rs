//! `hqsync dev`'s runtime with two connections, each between its own HubSpot portal and QBO
//! company (two sandbox pairs): the second one's QBO refresh token is revoked, it turns
//! reconnect-required and `hqsync status` says why, while `local` keeps syncing an edit.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hqsync::local::webhook_server::{HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::local::{
    LOCAL_CONNECTION_ID, LocalRuntime, LocalSandboxAccounts, PipelineOptions, StateLocation,
    VendorApps, VendorEndpoints,
};
use hqsync::model::{ConnectionId, ConnectionSettings, ObjectKind, Side};
use hqsync::ports::{ConnectionStatus, SystemClock};
use hqsync_cli::admin::status::{RECONNECT_REQUIRED, StatusArgs};
use hqsync_cli::admin::{ApiArgs, ConnectionArg};
use hqsync_cli::chaos::tenants::{ConnectionRoutes, connection_gateways};
use hqsync_sandbox::Seed;
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QboLimits, QuickbooksSandbox, QuickbooksSandboxConfig};
use hqsync_tests::hubspot::start_hubspot_sandbox;
use hqsync_tests::quickbooks::start_quickbooks_sandbox;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// A bound on waits for the worker and poller (never a timing assertion).
const BOUND: Duration = Duration::from_secs(60);
const SECOND: &str = "second";

/// One sandbox pair posting its webhooks to `base`; `index` 1 gets its own portal and realm
/// under the same app (client secret, verifier token), as a second customer's accounts.
async fn sandboxes(base: &str, index: u64) -> (HubspotSandbox, QuickbooksSandbox) {
    let hs = HubspotSandboxConfig::default();
    let qb = QuickbooksSandboxConfig::default();
    let hubspot = start_hubspot_sandbox(HubspotSandboxConfig {
        portal_id: hs.portal_id + index,
        search_index_delay: Duration::ZERO,
        webhook_url: Some(format!("{base}{HUBSPOT_WEBHOOK_PATH}")),
        seed: Seed::Empty,
        ..hs
    })
    .await;
    let quickbooks = start_quickbooks_sandbox(QuickbooksSandboxConfig {
        realm_id: format!("{}{index}", qb.realm_id),
        // Isolation is the point here, not QBO's rate limits (their own tests cover those):
        // a burst past 10 requests a second would make a call wait out QBO's 60 s throttle.
        limits: QboLimits {
            per_second: 0,
            per_minute: 0,
            ..QboLimits::default()
        },
        webhook_url: Some(format!("{base}{QUICKBOOKS_WEBHOOK_PATH}")),
        seed: Seed::Empty,
        ..qb
    })
    .await;
    (hubspot, quickbooks)
}

fn accounts(
    hubspot: &HubspotSandbox,
    quickbooks: &QuickbooksSandbox,
    dev: bool,
) -> LocalSandboxAccounts {
    let (hs, qb) = (hubspot.config(), quickbooks.config());
    let token = |t: &str| SecretString::from(if dev { t } else { "" }.to_owned());
    LocalSandboxAccounts {
        hubspot_base_url: hubspot.base_url(),
        portal_id: hs.portal_id.to_string(),
        hubspot_token: token(&hs.dev_token),
        hubspot_client_secret: SecretString::from(hs.client_secret.clone()),
        quickbooks_base_url: quickbooks.base_url(),
        realm_id: qb.realm_id.clone(),
        quickbooks_token: token(&qb.dev_token),
        quickbooks_verifier_token: SecretString::from(qb.verifier_token.clone()),
    }
}

/// The second connection's endpoints with OAuth tokens the engine refreshes: HubSpot's app
/// refresh token and a QBO refresh token from a person's consent.
async fn oauth_endpoints(
    http: &reqwest::Client,
    hubspot: &HubspotSandbox,
    quickbooks: &QuickbooksSandbox,
) -> VendorEndpoints {
    let consent: Value = http
        .post(format!("{}/_sandbox/oauth/connect", quickbooks.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (hs, qb) = (hubspot.config(), quickbooks.config());
    VendorEndpoints::local(accounts(hubspot, quickbooks, false))
        .unwrap()
        .with_hubspot_refresh(
            SecretString::from(hs.refresh_token.clone()),
            hs.client_id.clone(),
        )
        .with_quickbooks_refresh(
            SecretString::from(consent["refresh_token"].as_str().unwrap().to_owned()),
            qb.client_id.clone(),
            SecretString::from(qb.client_secret.clone()),
        )
}

/// A person creates a contact in `hubspot` (its dev token); its id.
async fn person_creates_contact(
    http: &reqwest::Client,
    hubspot: &HubspotSandbox,
    email: &str,
) -> String {
    let body: Value = http
        .post(format!("{}/crm/v3/objects/contacts", hubspot.base_url()))
        .bearer_auth(&hubspot.config().dev_token)
        .json(&json!({"properties": {"email": email, "firstname": "Ines", "lastname": "Two"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["id"].as_str().expect("created").to_owned()
}

/// Waits until `connection` links HubSpot contact `id`; the QBO id.
async fn linked(runtime: &LocalRuntime, connection: &ConnectionId, id: &str) -> Option<String> {
    let started = Instant::now();
    while started.elapsed() < BOUND {
        let links = runtime
            .ctx
            .store
            .list_links(connection, ObjectKind::Contact)
            .await
            .unwrap();
        if let Some(link) = links.iter().find(|l| l.hubspot_id == id) {
            return Some(link.qbo_id.clone());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Every text value of the QBO customers of a sandbox, read as a person (dev token).
async fn qbo_customer_texts(
    hubspot: &HubspotSandbox,
    quickbooks: &QuickbooksSandbox,
) -> Vec<String> {
    let person = VendorEndpoints::local(accounts(hubspot, quickbooks, true))
        .unwrap()
        .gateways(&ConnectionSettings::default(), Arc::new(SystemClock))
        .unwrap();
    let mut texts = Vec::new();
    let mut cursor = None;
    loop {
        let page = person
            .quickbooks
            .list_page(ObjectKind::Contact, cursor)
            .await
            .unwrap();
        for record in page.records {
            texts.extend(
                record
                    .values
                    .values()
                    .filter_map(|v| v.as_str().map(str::to_owned)),
            );
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    texts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_two_connections_a_revoked_one_turns_reconnect_required_while_local_syncs() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (hubspot_a, quickbooks_a) = sandboxes(&base, 0).await;
    let (hubspot_b, quickbooks_b) = sandboxes(&base, 1).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let dir = std::env::temp_dir().join(format!("hqsync-dev-two-{}", uuid::Uuid::new_v4()));

    // As `hqsync dev` opens it: the sandboxes' apps, SQLite state, the `local` connection.
    let local_endpoints =
        VendorEndpoints::local(accounts(&hubspot_a, &quickbooks_a, true)).unwrap();
    let vendors = VendorApps::of(&local_endpoints).with_oauth_clients(
        hubspot_a.config().client_id.clone(),
        quickbooks_a.config().client_id.clone(),
        SecretString::from(quickbooks_a.config().client_secret.clone()),
    );
    let clock = Arc::new(SystemClock);
    let mut runtime = LocalRuntime::open(
        vendors,
        &StateLocation::Sqlite { dir: dir.clone() },
        clock.clone(),
    )
    .unwrap();
    let local = ConnectionId::new(LOCAL_CONNECTION_ID).unwrap();
    let second = ConnectionId::new(SECOND).unwrap();
    runtime
        .add_configured_connection(
            local.clone(),
            &local_endpoints,
            ConnectionSettings::default(),
        )
        .await
        .unwrap();
    // The second connection, between the second pair, with tokens the engine refreshes. The
    // sandboxes hold one account each, so its clients point at its own pair.
    let second_endpoints = oauth_endpoints(&http, &hubspot_b, &quickbooks_b).await;
    runtime
        .add_configured_connection(
            second.clone(),
            &second_endpoints,
            ConnectionSettings::default(),
        )
        .await
        .unwrap();
    let own = connection_gateways(&runtime.state, &second_endpoints, clock.clone());
    runtime.ctx.gateways = Arc::new(ConnectionRoutes {
        default: runtime.ctx.gateways.clone(),
        routes: BTreeMap::from([(second.clone(), own)]),
    });
    runtime
        .serve(listener, base.clone(), None)
        .unwrap()
        .set_ready();
    for connection in [&local, &second] {
        runtime
            .initial_sync(connection, &Default::default(), &|_| {})
            .await
            .unwrap();
    }
    runtime.start_pipeline(PipelineOptions {
        idle_wait: Duration::from_millis(20),
        // A second apart, as in dev_runtime.rs.
        poll_interval: Some(Duration::from_secs(1)),
        ..PipelineOptions::default()
    });

    // Both sync before the fault.
    for (connection, hubspot, email) in [
        (&local, &hubspot_a, "before.local@example.com"),
        (&second, &hubspot_b, "before.second@example.com"),
    ] {
        let id = person_creates_contact(&http, hubspot, email).await;
        assert!(
            linked(&runtime, connection, &id).await.is_some(),
            "{connection} synced its contact before the fault"
        );
    }

    // The person disconnects the app from the second QBO company: Intuit revokes the
    // engine's current (rotated) refresh token and its access token.
    let tokens = runtime
        .state
        .vault
        .tokens(&second, Side::Quickbooks)
        .await
        .unwrap()
        .expect("the second connection's QBO tokens");
    let qb_b = quickbooks_b.config();
    let revoked = http
        .post(format!(
            "{}/v2/oauth2/tokens/revoke",
            quickbooks_b.base_url()
        ))
        .basic_auth(&qb_b.client_id, Some(&qb_b.client_secret))
        .json(&json!({"token": tokens.refresh_token.expose_secret()}))
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    // Its next poll finds out: 401, then invalid_grant on the refresh.
    let started = Instant::now();
    let status = |runtime: &LocalRuntime, id: ConnectionId| {
        let store = runtime.ctx.store.clone();
        async move { store.get_connection(&id).await.unwrap().unwrap().status }
    };
    while status(&runtime, second.clone()).await != ConnectionStatus::ReconnectRequired {
        assert!(
            started.elapsed() < BOUND,
            "the second connection never paused"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The other one keeps syncing an edit; the paused one's new edit waits.
    let after_local = person_creates_contact(&http, &hubspot_a, "after.local@example.com").await;
    let after_second = person_creates_contact(&http, &hubspot_b, "after.second@example.com").await;
    assert!(
        linked(&runtime, &local, &after_local).await.is_some(),
        "local synced its edit after the other connection's fault"
    );
    assert_eq!(
        status(&runtime, local.clone()).await,
        ConnectionStatus::Active
    );
    let emails_a = qbo_customer_texts(&hubspot_a, &quickbooks_a).await;
    let emails_b = qbo_customer_texts(&hubspot_b, &quickbooks_b).await;
    assert!(
        emails_a.contains(&"after.local@example.com".to_owned()),
        "{emails_a:?}"
    );
    // Each connection wrote only into its own company.
    assert!(
        !emails_a.iter().any(|e| e.contains(".second@")),
        "{emails_a:?}"
    );
    assert!(
        !emails_b.iter().any(|e| e.contains(".local@")),
        "{emails_b:?}"
    );
    assert!(
        emails_b.contains(&"before.second@example.com".to_owned()),
        "{emails_b:?}"
    );
    assert!(
        !emails_b.contains(&"after.second@example.com".to_owned()),
        "the paused connection synced nothing: {emails_b:?}"
    );
    let second_links = runtime
        .ctx
        .store
        .list_links(&second, ObjectKind::Contact)
        .await
        .unwrap();
    assert!(!second_links.iter().any(|l| l.hubspot_id == after_second));

    // `hqsync status --state DIR` names the paused connection with why; not the other one.
    let mut out = Vec::new();
    hqsync_cli::admin::status::run(
        StatusArgs {
            state: Some(dir.clone()),
            api: ApiArgs {
                api: None,
                admin_password: None,
            },
            connection: ConnectionArg { connection: None },
        },
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let section = |id: &str| {
        let start = text
            .find(&format!("connection {id} "))
            .unwrap_or_else(|| panic!("{id} in {text}"));
        let rest = &text[start + 1..];
        let end = rest.find("\nconnection ").map_or(rest.len(), |e| e + 1);
        rest[..end].to_owned()
    };
    let paused = section(SECOND);
    assert!(paused.contains("ReconnectRequired"), "{paused}");
    assert!(paused.contains(RECONNECT_REQUIRED), "{paused}");
    let healthy = section(LOCAL_CONNECTION_ID);
    assert!(healthy.contains("Active"), "{healthy}");
    assert!(!healthy.contains(RECONNECT_REQUIRED), "{healthy}");

    runtime.shutdown().await;
    for (hubspot, quickbooks) in [(hubspot_a, quickbooks_a), (hubspot_b, quickbooks_b)] {
        hubspot.shutdown().await;
        quickbooks.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

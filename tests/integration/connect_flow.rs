//! The OAuth connect flow through both sandboxes on the admin harness: the happy path (as a
//! browser and as the CLI), every refusal page, reconnect after `invalid_grant`, disconnect and
//! delete — and that nothing is left half-written and no secret reaches a page.

use std::sync::Arc;

use chrono::Duration;
use hqsync::model::{ConnectionId, Link, ObjectKind, Side};
use hqsync::observability::Metrics;
use hqsync::ports::{AuditLog, Clock, ConnectionStatus, Cursor, Store, TokenVault};
use hqsync::tokens::{RefreshError, TokenRefresher, VendorOAuth};
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions, SignedIn};
use hqsync_tests::connect_browser::{ConnectBrowser, CookiePolicy, Landing};
use reqwest::{StatusCode, Url};
use secrecy::ExposeSecret;
use serde_json::Value;

async fn server() -> AdminServer {
    AdminServer::start_with(AdminServerOptions {
        with_connection: false,
        ..AdminServerOptions::default()
    })
    .await
}

/// Every token the vault holds, so a test can assert none of them is on a page.
async fn stored_secrets(server: &AdminServer) -> Vec<String> {
    let mut secrets = Vec::new();
    for (connection, side) in server.vault.stored() {
        let tokens = server
            .vault
            .tokens(&connection, side)
            .await
            .unwrap()
            .unwrap();
        secrets.push(tokens.access_token.expose_secret().to_owned());
        secrets.push(tokens.refresh_token.expose_secret().to_owned());
    }
    secrets
}

fn assert_no_secret(page: &Landing, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !page.body.contains(secret.as_str()),
            "a token on the page: {}",
            page.body
        );
    }
    assert!(!page.body.contains("client_secret"), "{}", page.body);
}

/// The connections `GET /api/connections` lists.
async fn listed(server: &AdminServer) -> Vec<Value> {
    let admin = server.signed_in().await;
    let list: Value = admin.get("/api/connections").await.json().await.unwrap();
    list.as_array().unwrap().clone()
}

/// Where a GET of `url` (with `cookie`, if any) redirects to; panics unless it redirects.
async fn redirect_of(url: &str, cookie: Option<&str>) -> Url {
    let mut request = AdminServer::client().get(url);
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_redirection(),
        "{url}: {}",
        response.status()
    );
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// `GET /connect` in `admin`'s session: the HubSpot consent URL with a fresh state.
async fn consent_url(server: &AdminServer, admin: &SignedIn) -> Url {
    redirect_of(&server.url("/connect"), Some(&admin.cookie)).await
}

/// The HubSpot callback URL (code and state) a fresh flow of `admin` comes back with.
async fn hubspot_callback_url(server: &AdminServer, admin: &SignedIn) -> Url {
    let consent = consent_url(server, admin).await;
    redirect_of(consent.as_str(), None).await
}

/// A link as a completed sync leaves it.
fn synced_link(id: &ConnectionId, now: chrono::DateTime<chrono::Utc>) -> Link {
    Link {
        connection: id.clone(),
        kind: ObjectKind::Contact,
        hubspot_id: "101".into(),
        qbo_id: "58".into(),
        baseline: Default::default(),
        hubspot_version: "1".into(),
        qbo_version: "0".into(),
        updated_at: now,
        revision: 0,
    }
}

/// Runs the whole flow in a new session and returns the new connection's id.
async fn connect(server: &AdminServer) -> ConnectionId {
    let admin = server.signed_in().await;
    let mut browser = ConnectBrowser::new(server, Some(&admin), CookiePolicy::Browser);
    let landing = browser.open("/connect").await;
    assert_eq!(landing.status, StatusCode::OK, "{}", landing.body);
    let list = listed(server).await;
    let id = list.last().unwrap()["id"].as_str().unwrap().to_owned();
    id.parse().unwrap()
}

#[tokio::test]
async fn connecting_goes_through_both_consents_and_ends_on_our_page_with_a_connected_connection() {
    for policy in [CookiePolicy::Browser, CookiePolicy::EveryRequest] {
        let server = server().await;
        let admin = server.signed_in().await;
        let mut browser = ConnectBrowser::new(&server, Some(&admin), policy);

        let landing = browser.open("/connect").await;
        // GET /connect -> HubSpot consent -> our callback -> Intuit consent -> our callback.
        let paths: Vec<&str> = landing.hops.iter().map(Url::path).collect();
        assert_eq!(
            paths,
            [
                "/connect",
                "/oauth/authorize",
                "/oauth/hubspot/callback",
                "/connect/oauth2",
                "/oauth/quickbooks/callback",
                *paths.last().unwrap(),
            ],
            "{policy:?}"
        );
        assert_eq!(
            landing.hops[1].origin(),
            Url::parse(&server.hubspot.base_url()).unwrap().origin()
        );
        assert_eq!(
            landing.hops[3].origin(),
            Url::parse(&server.quickbooks.base_url()).unwrap().origin()
        );
        let scopes = landing.hops[1]
            .query_pairs()
            .find(|(k, _)| k == "scope")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        for scope in &hqsync::hubspot::app_scopes().required {
            assert!(
                scope.is_empty() || scopes.split(' ').any(|s| s == scope),
                "{scopes}"
            );
        }
        assert_eq!(
            landing.status,
            StatusCode::OK,
            "{policy:?}: {}",
            landing.body
        );
        assert!(
            paths.last().unwrap().starts_with("/connections/c-"),
            "{paths:?}"
        );
        assert!(landing.body.contains("not syncing yet"), "{}", landing.body);
        let portal = server.hubspot.config().portal_id.to_string();
        let realm = server.quickbooks.config().realm_id.clone();
        assert!(
            landing.body.contains(&portal) && landing.body.contains(&realm),
            "{}",
            landing.body
        );

        let list = listed(&server).await;
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["portal_id"], portal.as_str());
        assert_eq!(list[0]["realm_id"], realm.as_str());
        assert_eq!(list[0]["status"], "connected");
        assert_eq!(list[0]["environment"], "local");
        let id: ConnectionId = list[0]["id"].as_str().unwrap().parse().unwrap();
        assert!(id.as_str().starts_with("c-"), "{id}");
        let mut stored = server.vault.stored();
        stored.sort();
        assert_eq!(
            stored,
            [(id.clone(), Side::Hubspot), (id.clone(), Side::Quickbooks)]
        );
        assert_no_secret(&landing, &stored_secrets(&server).await);

        let page = browser.open(&format!("/connections/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("not syncing yet"), "{}", page.body);
        let csp = AdminServer::client()
            .get(server.url(&format!("/connections/{id}")))
            .header(reqwest::header::COOKIE, &admin.cookie)
            .send()
            .await
            .unwrap();
        assert!(
            csp.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        let audit = server.store.recent_audit(10).await.unwrap();
        assert!(
            audit.iter().any(|e| e.action == "connection.create"),
            "{audit:?}"
        );
    }
}

#[tokio::test]
async fn without_a_session_connect_asks_to_sign_in_and_writes_nothing() {
    let server = server().await;
    let mut browser = ConnectBrowser::new(&server, None, CookiePolicy::Browser);
    let landing = browser.open("/connect").await;
    assert_eq!(landing.status, StatusCode::UNAUTHORIZED);
    assert!(landing.body.contains("Sign in"), "{}", landing.body);
    assert_eq!(landing.hops.len(), 1, "no redirect to a vendor");
}

#[tokio::test]
async fn a_declined_consent_on_either_side_says_so_and_leaves_nothing() {
    for side in [Side::Hubspot, Side::Quickbooks] {
        let server = server().await;
        match side {
            Side::Hubspot => server.hubspot.deny_next_consent(),
            Side::Quickbooks => server.quickbooks.deny_next_consent(),
        }
        let admin = server.signed_in().await;
        let mut browser = ConnectBrowser::new(&server, Some(&admin), CookiePolicy::Browser);
        let landing = browser.open("/connect").await;
        assert_eq!(landing.status, StatusCode::BAD_REQUEST, "{side}");
        assert!(
            landing.body.contains("You declined access"),
            "{}",
            landing.body
        );
        assert!(
            landing.body.contains("Nothing was saved"),
            "{}",
            landing.body
        );
        assert!(listed(&server).await.is_empty());
        assert!(
            server.vault.stored().is_empty(),
            "{side}: tokens left behind"
        );
    }
}

#[tokio::test]
async fn forged_expired_and_reused_states_are_refused_with_what_to_do() {
    let server = server().await;
    let admin = server.signed_in().await;
    let mut browser = ConnectBrowser::new(&server, Some(&admin), CookiePolicy::EveryRequest);

    let forged = browser
        .open("/oauth/hubspot/callback?code=made-up&state=f00d")
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(forged.body.contains("not one we issued"), "{}", forged.body);
    let missing = browser
        .open("/oauth/quickbooks/callback?code=x&realmId=1")
        .await;
    assert!(
        missing.body.contains("not one we issued"),
        "{}",
        missing.body
    );

    // Reused: replaying the HubSpot callback of a completed flow.
    let done = browser.open("/connect").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let callback = done.hop("/oauth/hubspot/callback").unwrap().clone();
    let reused = browser.arrive_from_vendor(&callback).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert!(reused.body.contains("already used"), "{}", reused.body);
    assert_eq!(listed(&server).await.len(), 1, "the replay created nothing");

    // Expired: the admin consents more than ten minutes after starting.
    let consent = consent_url(&server, &admin).await;
    server.clock.advance(Duration::minutes(11));
    let late = browser.arrive_from_vendor(&consent).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.body.contains("took too long"), "{}", late.body);
    assert_eq!(listed(&server).await.len(), 1);
    assert_eq!(
        server.vault.stored().len(),
        2,
        "only the first connection's tokens"
    );
}

#[tokio::test]
async fn an_expired_intuit_step_removes_the_hubspot_tokens_it_held() {
    let server = server().await;
    let admin = server.signed_in().await;
    let callback = hubspot_callback_url(&server, &admin).await;
    let intuit = redirect_of(callback.as_str(), Some(&admin.cookie)).await;
    assert_eq!(
        server.vault.stored().len(),
        1,
        "the HubSpot tokens wait for Intuit"
    );
    let qbo_callback = redirect_of(intuit.as_str(), None).await;
    server.clock.advance(Duration::minutes(11));
    let late = AdminServer::client()
        .get(qbo_callback.as_str())
        .header(reqwest::header::COOKIE, &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    assert!(
        server.vault.stored().is_empty(),
        "HubSpot tokens left behind"
    );
    assert!(listed(&server).await.is_empty());
}

#[tokio::test]
async fn a_state_of_another_session_is_refused_and_its_own_session_can_still_finish() {
    let server = server().await;
    let first = server.signed_in().await;
    let second = server.signed_in().await;
    let callback = hubspot_callback_url(&server, &first).await;

    let mut other = ConnectBrowser::new(&server, Some(&second), CookiePolicy::EveryRequest);
    let refused = other.arrive_from_vendor(&callback).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("another session"), "{}", refused.body);
    let mut nobody = ConnectBrowser::new(&server, None, CookiePolicy::Browser);
    let anonymous = nobody.arrive_from_vendor(&callback).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );

    let mut own = ConnectBrowser::new(&server, Some(&first), CookiePolicy::EveryRequest);
    let finished = own.arrive_from_vendor(&callback).await;
    assert_eq!(finished.status, StatusCode::OK, "{}", finished.body);
    assert_eq!(listed(&server).await.len(), 1);
}

#[tokio::test]
async fn a_reused_code_and_a_failing_token_endpoint_give_their_pages_and_leave_nothing() {
    let server = server().await;
    let admin = server.signed_in().await;
    let mut browser = ConnectBrowser::new(&server, Some(&admin), CookiePolicy::EveryRequest);

    // The code of a completed flow, presented again with a fresh state of ours.
    let done = browser.open("/connect").await;
    let used_code = done
        .hop("/oauth/hubspot/callback")
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let consent = consent_url(&server, &admin).await;
    let state = consent
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let reused = browser
        .open(&format!(
            "/oauth/hubspot/callback?code={used_code}&state={state}"
        ))
        .await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST, "{}", reused.body);
    assert!(
        reused.body.contains("refused the authorization code"),
        "{}",
        reused.body
    );
    assert!(!reused.body.contains(&used_code), "the code is not echoed");
    assert_eq!(listed(&server).await.len(), 1);
    assert_eq!(server.vault.stored().len(), 2);

    for side in [Side::Hubspot, Side::Quickbooks] {
        match side {
            Side::Hubspot => server.hubspot.fail_next_token_request(),
            Side::Quickbooks => server.quickbooks.fail_next_token_request(),
        }
        let failed = browser.open("/connect").await;
        assert_eq!(
            failed.status,
            StatusCode::BAD_GATEWAY,
            "{side}: {}",
            failed.body
        );
        assert!(failed.body.contains("did not complete"), "{}", failed.body);
        assert_eq!(listed(&server).await.len(), 1, "{side}");
        assert_eq!(server.vault.stored().len(), 2, "{side}: tokens left behind");
    }
}

#[tokio::test]
async fn reconnecting_after_invalid_grant_keeps_links_and_resumes_syncing() {
    let server = server().await;
    let id = connect(&server).await;
    let store: Arc<dyn Store> = server.store.clone();
    // It had synced: a cursor and a link.
    let link = synced_link(&id, server.clock.now());
    store.create_link(&link).await.unwrap();
    store
        .put_cursor(
            &id,
            Side::Hubspot,
            ObjectKind::Contact,
            &Cursor {
                watermark: server.clock.now(),
                last_full_sweep: None,
                queued: Vec::new(),
            },
        )
        .await
        .unwrap();
    let mut record = store.get_connection(&id).await.unwrap().unwrap();
    record.status = ConnectionStatus::Active;
    store.put_connection(&record).await.unwrap();

    // HubSpot stops honouring the refresh token (the app was uninstalled or revoked).
    let old = server
        .vault
        .tokens(&id, Side::Hubspot)
        .await
        .unwrap()
        .unwrap();
    hqsync_tests::oauth::hubspot_oauth_client(&server.hubspot)
        .revoke_refresh_token(
            &hqsync_tests::oauth::hubspot_app(&server.hubspot),
            &old.refresh_token,
        )
        .await
        .unwrap();
    let mut expired = old.clone();
    expired.access_expires_at = server.clock.now() - Duration::hours(1);
    server
        .vault
        .store_tokens(&id, Side::Hubspot, expired)
        .await
        .unwrap();
    let refresher = TokenRefresher::new(
        server.vault.clone(),
        store.clone(),
        Arc::new(VendorOAuth::new(
            server.endpoints.vendor_urls(),
            server.clock.clone(),
        )),
        server.clock.clone(),
        Metrics::new(),
    );
    let refused = refresher.tokens(&id, Side::Hubspot).await;
    assert!(
        matches!(refused, Err(RefreshError::ReconnectRequired { .. })),
        "{refused:?}"
    );
    let listed_now = listed(&server).await;
    assert_eq!(listed_now[0]["status"], "reconnect-required");

    let admin = server.signed_in().await;
    let mut browser = ConnectBrowser::new(&server, Some(&admin), CookiePolicy::Browser);
    let landing = browser
        .open(&format!("/connect?connection={id}&side=hubspot"))
        .await;
    assert_eq!(landing.status, StatusCode::OK, "{}", landing.body);
    assert!(landing.body.contains("Status: syncing"), "{}", landing.body);
    let after = store.get_connection(&id).await.unwrap().unwrap();
    assert_eq!(after.status, ConnectionStatus::Active);
    assert_eq!(
        store
            .list_links(&id, ObjectKind::Contact)
            .await
            .unwrap()
            .len(),
        1
    );
    let fresh = server
        .vault
        .tokens(&id, Side::Hubspot)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        fresh.refresh_token.expose_secret(),
        old.refresh_token.expose_secret()
    );
    assert_eq!(listed(&server).await.len(), 1, "no second connection");
}

#[tokio::test]
async fn disconnect_revokes_both_sides_at_the_vendors_and_keeps_links_and_delete_forgets_them() {
    let server = server().await;
    let id = connect(&server).await;
    let store: Arc<dyn Store> = server.store.clone();
    let link = synced_link(&id, server.clock.now());
    store.create_link(&link).await.unwrap();
    let hubspot = server
        .vault
        .tokens(&id, Side::Hubspot)
        .await
        .unwrap()
        .unwrap();

    let admin = server.signed_in().await;
    let response = admin
        .post(&format!("/api/connections/{id}/disconnect"))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "disconnected", "{body}");
    assert_eq!(body["hubspot"], "revoked", "{body}");
    assert_eq!(body["quickbooks"], "revoked", "{body}");
    assert!(server.vault.stored().is_empty());
    assert_eq!(
        store
            .list_links(&id, ObjectKind::Contact)
            .await
            .unwrap()
            .len(),
        1
    );
    // The vendor no longer honours the refresh token.
    let refresh = hqsync_tests::oauth::hubspot_oauth_client(&server.hubspot)
        .refresh_tokens(
            &hqsync_tests::oauth::hubspot_app(&server.hubspot),
            &hubspot.refresh_token,
        )
        .await;
    assert!(refresh.is_err(), "a revoked refresh token still works");

    // Reconnecting one side keeps it disconnected until the other side is back too.
    let mut browser = ConnectBrowser::new(&server, Some(&admin), CookiePolicy::Browser);
    let one = browser
        .open(&format!("/connect?connection={id}&side=hubspot"))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(listed(&server).await[0]["status"], "disconnected");
    let both = browser
        .open(&format!("/connect?connection={id}&side=quickbooks"))
        .await;
    assert_eq!(both.status, StatusCode::OK, "{}", both.body);
    assert_eq!(
        listed(&server).await[0]["status"],
        "connected",
        "never synced"
    );

    let deleted = admin.delete(&format!("/api/connections/{id}")).await;
    assert_eq!(deleted.status(), 200);
    let body: Value = deleted.json().await.unwrap();
    assert_eq!(body["deleted"], true, "{body}");
    assert!(
        body["kept"].as_str().unwrap().contains("stays in HubSpot"),
        "{body}"
    );
    assert!(listed(&server).await.is_empty());
    assert!(
        store
            .list_links(&id, ObjectKind::Contact)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(server.vault.stored().is_empty());
    let gone = admin.get(&format!("/api/connections/{id}")).await;
    assert_eq!(gone.status(), 404);
    let audit = server.store.recent_audit(10).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "connection.disconnect",
        "connection.reconnect",
        "connection.delete",
    ] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}

#[tokio::test]
async fn intuits_disconnect_landing_changes_nothing_and_shows_reconnect_links_to_an_admin() {
    let server = server().await;
    let id = connect(&server).await;
    let realm = server.quickbooks.config().realm_id.clone();
    let mut anonymous = ConnectBrowser::new(&server, None, CookiePolicy::Browser);
    let page = anonymous
        .open(&format!("/oauth/quickbooks/disconnected?realmId={realm}"))
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        page.body.contains("disconnected in QuickBooks"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(id.as_str()),
        "an anonymous page names no connection"
    );
    assert_eq!(listed(&server).await[0]["status"], "connected");
    assert_eq!(server.vault.stored().len(), 2);

    let admin = server.signed_in().await;
    let mut browser = ConnectBrowser::new(&server, Some(&admin), CookiePolicy::EveryRequest);
    let page = browser
        .open(&format!("/oauth/quickbooks/disconnected?realmId={realm}"))
        .await;
    assert!(
        page.body
            .contains(&format!("/connect?connection={id}&amp;side=quickbooks")),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn hqsync_connect_runs_the_flow_against_the_server_and_names_the_new_connection() {
    let server = server().await;
    let args = hqsync_cli::admin::connect::ConnectArgs {
        api: hqsync_cli::admin::ApiArgs::new(
            &server.base_url,
            Some(hqsync_tests::admin_server::ADMIN_PASSWORD),
        ),
        environment: None,
        connection: None,
        side: None,
    };
    let mut out = Vec::new();
    let result = hqsync_cli::admin::connect::run(args, &mut out).await;
    let text = String::from_utf8(out).unwrap();
    result.unwrap_or_else(|e| panic!("hqsync connect failed: {e:#}\n{text}"));
    let list = listed(&server).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let id = list[0]["id"].as_str().unwrap();
    assert!(text.contains("Connected:"), "{text}");
    assert!(
        text.contains(&format!("hqsync preview --connection {id}")),
        "{text}"
    );

    // A refusal comes back as the CLI's error, with the page's words.
    server.hubspot.deny_next_consent();
    let args = hqsync_cli::admin::connect::ConnectArgs {
        api: hqsync_cli::admin::ApiArgs::new(
            &server.base_url,
            Some(hqsync_tests::admin_server::ADMIN_PASSWORD),
        ),
        environment: None,
        connection: None,
        side: None,
    };
    let error = hqsync_cli::admin::connect::run(args, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("You declined access to HubSpot"),
        "{error:#}"
    );
}

#[tokio::test]
async fn every_connect_page_answers_401_without_a_session_and_consumes_nothing() {
    let server = server().await;
    let admin = server.signed_in().await;
    let callback = hubspot_callback_url(&server, &admin).await;
    let query = callback.query().unwrap();
    for path in [
        "/connect".to_owned(),
        "/connect?connection=local&side=hubspot".to_owned(),
        "/connections/local".to_owned(),
        format!("/oauth/hubspot/callback?{query}"),
        format!("/oauth/quickbooks/callback?{query}&realmId=1"),
        "/oauth/quickbooks/disconnected?realmId=1".to_owned(),
    ] {
        let response = AdminServer::client()
            .get(server.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path}");
    }
    // The state the anonymous request carried is still the admin's to use.
    let mut own = ConnectBrowser::new(&server, Some(&admin), CookiePolicy::EveryRequest);
    let finished = own.arrive_from_vendor(&callback).await;
    assert_eq!(finished.status, StatusCode::OK, "{}", finished.body);
}

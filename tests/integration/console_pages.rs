//! The web console on the admin harness: every page refused without a session (401) and every
//! form without its CSRF field (403), the connections page, disconnect, delete with its
//! confirmation, sign-out, the stylesheet, and vendor values rendered as text.

use hqsync::console::{CONSOLE_FORMS, CONSOLE_PAGES, layout::CONTENT_SECURITY_POLICY};
use hqsync::model::ConnectionId;
use hqsync::ports::{ConnectionStatus, Connections};
use hqsync_tests::admin_server::{ADMIN_PASSWORD, AdminServer, SignedIn, session_cookie};
use reqwest::Method;
use secrecy::ExposeSecret;

fn filled(path: &str, server: &AdminServer) -> String {
    path.replace("{id}", server.connection_id().as_str())
}

async fn page(signed: &SignedIn, path: &str) -> (u16, String) {
    let response = signed
        .without_csrf(Method::GET, path)
        .send()
        .await
        .expect("console GET");
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-security-policy"],
        CONTENT_SECURITY_POLICY,
        "{path}"
    );
    (status, response.text().await.unwrap())
}

/// A form post carrying the session cookie and `fields` (no CSRF header: forms carry a field).
async fn form(signed: &SignedIn, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    signed
        .without_csrf(Method::POST, path)
        .form(fields)
        .send()
        .await
        .expect("console form POST")
}

#[tokio::test]
async fn console_pages_refuse_without_a_session_and_forms_without_the_csrf_field() {
    let server = AdminServer::start().await;
    let client = AdminServer::client();
    assert!(!CONSOLE_PAGES.is_empty() && !CONSOLE_FORMS.is_empty());
    for path in CONSOLE_PAGES {
        let response = client
            .get(server.url(&filled(path, &server)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "GET {path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("name=\"password\""),
            "the sign-in form: {html}"
        );
    }
    let signed = server.signed_in().await;
    for path in CONSOLE_FORMS {
        let path = filled(path, &server);
        let anonymous = client
            .post(server.url(&path))
            .form(&[("csrf_token", signed.csrf_token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "POST {path} without a session");
        let missing = form(&signed, &path, &[]).await;
        assert_eq!(missing.status(), 403, "POST {path} without csrf_token");
        assert!(
            missing.text().await.unwrap().contains("CSRF token"),
            "{path}"
        );
        let wrong = form(&signed, &path, &[("csrf_token", "00ff")]).await;
        assert_eq!(wrong.status(), 403, "POST {path} with a wrong csrf_token");
    }
    // Nothing changed: the connection is still there and active.
    let record = server
        .store
        .get_connection(server.connection_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, ConnectionStatus::Active);
}

#[tokio::test]
async fn console_sign_in_form_leads_to_the_connections_page_and_sign_out_ends_it() {
    let server = AdminServer::start().await;
    let client = AdminServer::client();
    let signed_in = client
        .post(server.url("/"))
        .form(&[("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/");
    let cookie = session_cookie(&signed_in).expect("a session cookie");
    let signed = SignedIn {
        client: client.clone(),
        base_url: server.base_url.clone(),
        cookie,
        csrf_token: server.signed_in().await.csrf_token,
    };
    // The CSRF token is the session's: take it from the page's own sign-out form.
    let (status, html) = page(&signed, "/").await;
    assert_eq!(status, 200, "{html}");
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a csrf_token field")
        .to_owned();
    let id = server.connection_id().as_str();
    for needle in [
        "<h1>Connections</h1>".to_owned(),
        format!("id=\"connection-{id}\""),
        format!("href=\"/connections/{id}\""),
        format!("id=\"disconnect-{id}\""),
        format!("href=\"/connections/{id}/delete\""),
        format!("href=\"/connect?connection={id}&amp;side=quickbooks\""),
        "data-status=\"active\"".to_owned(),
        "id=\"connect-local\"".to_owned(),
        "/assets/console-2.css".to_owned(),
    ] {
        assert!(html.contains(&needle), "{needle} in {html}");
    }
    assert!(!html.contains(ADMIN_PASSWORD), "no secret on the page");

    let out = form(&signed, "/sign-out", &[("csrf_token", &token)]).await;
    assert_eq!(out.status(), 303);
    let cleared = out.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

#[tokio::test]
async fn console_disconnect_and_delete_go_through_the_api_handlers() {
    let server = AdminServer::start().await;
    let signed = server.signed_in().await;
    let id = server.connection_id().as_str().to_owned();

    let disconnected = form(
        &signed,
        &format!("/connections/{id}/disconnect"),
        &[("csrf_token", &signed.csrf_token)],
    )
    .await;
    assert_eq!(disconnected.status(), 303);
    assert_eq!(disconnected.headers()["location"], "/?notice=disconnected");
    let record = server
        .store
        .get_connection(server.connection_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, ConnectionStatus::Disconnected);
    let (_, html) = page(&signed, "/?notice=disconnected").await;
    assert!(html.contains("id=\"notice\""), "{html}");
    assert!(html.contains("data-status=\"disconnected\""), "{html}");
    // A notice code not in the list shows nothing from the URL.
    let (_, html) = page(&signed, "/?notice=%3Cscript%3E").await;
    assert!(
        !html.contains("id=\"notice\"") && !html.contains("<script"),
        "{html}"
    );

    let (status, html) = page(&signed, &format!("/connections/{id}/delete")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Delete a connection</h1>"), "{html}");
    assert!(
        html.contains("stays in both systems"),
        "what is kept: {html}"
    );
    assert!(html.contains("id=\"confirm-delete\""), "{html}");
    let deleted = form(
        &signed,
        &format!("/connections/{id}/delete"),
        &[("csrf_token", &signed.csrf_token)],
    )
    .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(deleted.headers()["location"], "/?notice=deleted");
    assert!(
        server
            .store
            .get_connection(server.connection_id())
            .await
            .unwrap()
            .is_none()
    );
    let (status, html) = page(&signed, &format!("/connections/{id}/delete")).await;
    assert_eq!(status, 404, "{html}");
    assert!(html.contains("id=\"problem\""), "{html}");
}

#[tokio::test]
async fn console_renders_vendor_values_as_text() {
    let server = AdminServer::start().await;
    let mut record = server.connection.clone().unwrap();
    record.connection.id = ConnectionId::new("probe").unwrap();
    record.connection.hubspot_portal_id = "<img src=x onerror=alert(1)>".into();
    record.environment = "\"><script>alert(2)</script>".into();
    server.store.put_connection(&record).await.unwrap();
    let signed = server.signed_in().await;
    for path in ["/", "/connections/probe/delete", "/connections/probe"] {
        let (status, html) = page(&signed, path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(
            !html.contains("<img") && !html.contains("<script"),
            "{path}: {html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path}: {html}"
        );
    }
}

#[tokio::test]
async fn console_stylesheet_is_served_with_a_long_cache() {
    let server = AdminServer::start().await;
    let response = AdminServer::client()
        .get(server.url(hqsync::console::assets::STYLESHEET_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert!(response.text().await.unwrap().contains("focus-visible"));
}

#[tokio::test]
async fn console_object_page_switches_a_kind_and_saves_direction_through_validation() {
    let server = AdminServer::start().await;
    let signed = server.signed_in().await;
    let id = server.connection_id().as_str().to_owned();
    let base = format!("/connections/{id}/objects/contact");
    let (status, html) = page(&signed, &base).await;
    assert_eq!(status, 200, "{html}");
    for needle in [
        "<h1>local: contacts</h1>",
        "id=\"disable\"",
        "id=\"direction\"",
        "<label for=\"direction\">",
        "data-state=\"enabled\"",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    let token = signed.csrf_token.clone();
    let disabled = form(
        &signed,
        &format!("{base}/disable"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(disabled.status(), 303);
    assert_eq!(
        disabled.headers()["location"],
        format!("{base}?notice=disabled").as_str()
    );
    let (_, html) = page(&signed, &format!("{base}?notice=disabled")).await;
    assert!(
        html.contains("data-state=\"disabled\"") && html.contains("id=\"notice\""),
        "{html}"
    );

    let saved = form(
        &signed,
        &base,
        &[
            ("csrf_token", &token),
            ("direction", "to_quickbooks"),
            ("conflict", "hubspot_wins"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    let settings = server
        .store
        .get_connection(server.connection_id())
        .await
        .unwrap()
        .unwrap()
        .connection
        .settings;
    assert_eq!(
        settings.contact.direction,
        hqsync::model::Direction::ToQuickbooks
    );
    // A value the settings refuse: 400 naming why, nothing stored.
    let refused = form(
        &signed,
        &base,
        &[
            ("csrf_token", &token),
            ("direction", "sideways"),
            ("conflict", "hubspot_wins"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 400);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("id=\"problem\"") && html.contains("sideways"),
        "{html}"
    );

    let (status, html) = page(
        &signed,
        &format!("/connections/{id}/objects/product/delete"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("stay in both systems"), "{html}");
    let deleted = form(
        &signed,
        &format!("/connections/{id}/objects/product/delete"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(deleted.status(), 303);
    let settings = server
        .store
        .get_connection(server.connection_id())
        .await
        .unwrap()
        .unwrap()
        .connection
        .settings;
    assert_eq!(
        settings.state(hqsync::model::ObjectKind::Product),
        hqsync::model::SyncState::Deleted
    );
}

#[tokio::test]
async fn console_health_page_shows_a_failing_record_as_text_and_retries_it() {
    use hqsync::model::{ObjectKind, Side};
    use hqsync::ports::{FailureDetail, StatusLog, SyncOutcome, SyncStatus};
    let server = AdminServer::start().await;
    let status = SyncStatus {
        kind: ObjectKind::Contact,
        side: Side::Hubspot,
        id: "501".into(),
        counterpart_id: None,
        outcome: SyncOutcome::Failed(FailureDetail {
            code: Some("6240".into()),
            message: "Duplicate Name Exists Error <img src=x onerror=alert(1)>".into(),
            suggested_fix: Some("Rename one of the two records".into()),
        }),
        attempts: 5,
        next_retry_at: None,
        needs_attention: true,
        updated_at: chrono::Utc::now(),
    };
    server
        .store
        .put_status(server.connection_id(), &status)
        .await
        .unwrap();
    let signed = server.signed_in().await;
    let id = server.connection_id().as_str().to_owned();
    let (code, html) = page(&signed, &format!("/connections/{id}/health")).await;
    assert_eq!(code, 200, "{html}");
    for needle in [
        "<h1>local: sync health</h1>",
        "Duplicate Name Exists Error &lt;img src=x onerror=alert(1)&gt;",
        "Rename one of the two records",
        "id=\"retry-0\"",
        "<td data-count=\"needs_attention\">1</td>",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    assert!(!html.contains("<img"), "{html}");
    let retried = form(
        &signed,
        &format!("/connections/{id}/records/contact/hubspot/501/resync"),
        &[("csrf_token", &signed.csrf_token)],
    )
    .await;
    assert_eq!(retried.status(), 303);
    let stored = server
        .store
        .get_status(
            server.connection_id(),
            ObjectKind::Contact,
            Side::Hubspot,
            "501",
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.needs_attention, "the resync handler cleared it");
}

#[tokio::test]
async fn console_sign_in_link_signs_in_once_within_ten_minutes() {
    let server = AdminServer::start().await;
    let client = AdminServer::client();
    let link = |token: &str| server.url(&format!("/sign-in?token={token}"));
    let token = server
        .ctx
        .auth
        .sign_in_links
        .issue(server.ctx.sync.clock.now());
    let token = token.expose_secret();

    let first = client.get(link(token)).send().await.unwrap();
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/");
    let cookie = session_cookie(&first).expect("the link sets the session cookie");
    let home = client
        .get(server.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("<h1>Connections</h1>"));

    let again = client.get(link(token)).send().await.unwrap();
    assert_eq!(again.status(), 401);
    assert!(session_cookie(&again).is_none());
    assert!(again.text().await.unwrap().contains("already used"));

    let later = server
        .ctx
        .auth
        .sign_in_links
        .issue(server.ctx.sync.clock.now());
    server.clock.advance(chrono::Duration::minutes(11));
    let expired = client
        .get(link(later.expose_secret()))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    assert!(expired.text().await.unwrap().contains("expired"));

    let bare = client.get(server.url("/sign-in")).send().await.unwrap();
    assert_eq!(bare.status(), 401);
}

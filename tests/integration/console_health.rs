//! Sync health on the admin harness: the record search by e-mail and SKU, the kind and outcome
//! filters, the links to both web apps (sandbox and production hosts), a derived fix, Retry,
//! and a contact named like markup rendered as text.

use hqsync::model::{CanonicalValue, ConnectionId, Link, ObjectKind, Side};
use hqsync::ports::{Connections, FailureDetail, Links, StatusLog, SyncOutcome, SyncStatus};
use hqsync_tests::admin_server::{AdminServer, SignedIn};
use reqwest::Method;

const PROBE: &str = "<img src=x onerror=alert(1)>";
const ESCAPED_PROBE: &str = "&lt;img src=x onerror=alert(1)&gt;";

async fn page(signed: &SignedIn, path: &str) -> (u16, String) {
    let response = signed
        .without_csrf(Method::GET, path)
        .send()
        .await
        .expect("console GET");
    (response.status().as_u16(), response.text().await.unwrap())
}

fn status(kind: ObjectKind, id: &str, counterpart: &str, outcome: SyncOutcome) -> SyncStatus {
    SyncStatus {
        kind,
        side: Side::Hubspot,
        id: id.into(),
        counterpart_id: Some(counterpart.into()),
        needs_attention: matches!(outcome, SyncOutcome::Failed(_)),
        attempts: u32::from(matches!(outcome, SyncOutcome::Failed(_))) * 8,
        outcome,
        next_retry_at: None,
        updated_at: chrono::Utc::now(),
    }
}

fn link(
    connection: &ConnectionId,
    kind: ObjectKind,
    (hubspot, qbo): (&str, &str),
    values: &[(&str, CanonicalValue)],
) -> Link {
    Link {
        connection: connection.clone(),
        kind,
        hubspot_id: hubspot.into(),
        qbo_id: qbo.into(),
        baseline: values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        hubspot_version: "1".into(),
        qbo_version: "0".into(),
        updated_at: chrono::Utc::now(),
        revision: 0,
    }
}

/// Ada (in sync), the probe contact (6240, no fix of its own), and a widget (excluded), each
/// linked with its e-mail, SKU or name in the baseline.
async fn seed(server: &AdminServer, connection: &ConnectionId) {
    let text = |s: &str| CanonicalValue::Text(s.into());
    let email = |s: &str| CanonicalValue::Email(s.into());
    let records = [
        (
            link(
                connection,
                ObjectKind::Contact,
                ("101", "58"),
                &[
                    ("email", email("ada@analytical.example")),
                    ("display_name", text("Ada Lovelace")),
                ],
            ),
            SyncOutcome::Synced {
                note: None,
                warnings: Vec::new(),
            },
        ),
        (
            link(
                connection,
                ObjectKind::Contact,
                ("102", "59"),
                &[
                    ("email", email("probe@example.com")),
                    ("display_name", text(PROBE)),
                ],
            ),
            SyncOutcome::Failed(FailureDetail {
                code: Some("6240".into()),
                message: "Duplicate Name Exists Error".into(),
                suggested_fix: None,
            }),
        ),
        (
            link(
                connection,
                ObjectKind::Product,
                ("201", "7"),
                &[("sku", text("WIDGET-9")), ("name", text("Widget"))],
            ),
            SyncOutcome::Excluded {
                filter: "product entry filter: name starts with \"Test\"".into(),
            },
        ),
    ];
    for (link, outcome) in records {
        server.store.create_link(&link).await.unwrap();
        let status = status(link.kind, &link.hubspot_id, &link.qbo_id, outcome);
        server.store.put_status(connection, &status).await.unwrap();
    }
}

/// Another connection of the same store, for the link hosts.
async fn connection_in(server: &AdminServer, id: &str, environment: &str) -> ConnectionId {
    let mut record = server.connection.clone().unwrap();
    record.connection.id = ConnectionId::new(id).unwrap();
    record.connection.hubspot_portal_id = "777".into();
    record.connection.qbo_realm_id = format!("realm-{id}");
    record.environment = environment.into();
    server.store.put_connection(&record).await.unwrap();
    record.connection.id
}

fn rows(html: &str) -> Vec<String> {
    html.split("<tr id=\"record-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn console_health_search_finds_records_by_email_and_by_sku() {
    let server = AdminServer::start().await;
    let id = server.connection_id().clone();
    seed(&server, &id).await;
    let signed = server.signed_in().await;

    let (code, all) = page(&signed, &format!("/connections/{id}/health")).await;
    assert_eq!(code, 200, "{all}");
    assert_eq!(rows(&all).len(), 3, "{all}");
    for needle in [
        "id=\"health-search\"",
        "name=\"q\"",
        "id=\"health-kind\"",
        "id=\"health-outcome\"",
        "id=\"health-submit\"",
        "<label for=\"health-search\">",
    ] {
        assert!(all.contains(needle), "{needle} in {all}");
    }

    let (_, by_email) = page(
        &signed,
        &format!("/connections/{id}/health?q=ADA%40analytical"),
    )
    .await;
    assert_eq!(rows(&by_email), ["contact-hubspot-101"], "{by_email}");
    assert!(by_email.contains("ada@analytical.example"), "{by_email}");
    assert!(
        by_email.contains("value=\"ADA@analytical\""),
        "the search stays filled in"
    );

    let (_, by_sku) = page(&signed, &format!("/connections/{id}/health?q=widget-9")).await;
    assert_eq!(rows(&by_sku), ["product-hubspot-201"], "{by_sku}");

    let (_, by_name) = page(&signed, &format!("/connections/{id}/health?q=lovelace")).await;
    assert_eq!(rows(&by_name), ["contact-hubspot-101"], "{by_name}");
}

#[tokio::test]
async fn console_health_kind_and_outcome_filters_narrow_the_list() {
    let server = AdminServer::start().await;
    let id = server.connection_id().clone();
    seed(&server, &id).await;
    let signed = server.signed_in().await;
    let base = format!("/connections/{id}/health");

    let (_, products) = page(&signed, &format!("{base}?kind=product")).await;
    assert_eq!(rows(&products), ["product-hubspot-201"], "{products}");
    assert!(
        products.contains("<option value=\"product\" selected>"),
        "{products}"
    );

    let (_, failed) = page(&signed, &format!("{base}?outcome=failed")).await;
    assert_eq!(rows(&failed), ["contact-hubspot-102"], "{failed}");
    let (_, attention) = page(
        &signed,
        &format!("{base}?outcome=needs_attention&kind=contact"),
    )
    .await;
    assert_eq!(rows(&attention), ["contact-hubspot-102"], "{attention}");
    let (_, excluded_contacts) =
        page(&signed, &format!("{base}?outcome=excluded&kind=contact")).await;
    assert!(rows(&excluded_contacts).is_empty(), "{excluded_contacts}");
    assert!(excluded_contacts.contains("id=\"no-records\""));

    let (code, refused) = page(&signed, &format!("{base}?outcome=sideways")).await;
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused.contains("id=\"problem\"") && refused.contains("outcome"),
        "{refused}"
    );
}

#[tokio::test]
async fn console_health_shows_the_vendors_message_a_derived_fix_and_retries() {
    let server = AdminServer::start().await;
    let id = server.connection_id().clone();
    seed(&server, &id).await;
    let signed = server.signed_in().await;
    let (code, html) = page(&signed, &format!("/connections/{id}/health")).await;
    assert_eq!(code, 200);
    // The status has no fix of its own: the one derived for QBO's 6240 shows, in both lists.
    assert!(html.contains("Duplicate Name Exists Error"), "{html}");
    assert_eq!(
        html.matches("Rename one of the two QuickBooks records")
            .count(),
        2,
        "{html}"
    );
    assert!(html.contains("id=\"retry-contact-hubspot-102\""), "{html}");
    assert!(
        !html.contains("id=\"retry-contact-hubspot-101\""),
        "in sync: no Retry"
    );

    let retried = signed
        .without_csrf(
            Method::POST,
            &format!("/connections/{id}/records/contact/hubspot/102/resync"),
        )
        .form(&[("csrf_token", signed.csrf_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 303);
    let stored = server
        .store
        .get_status(&id, ObjectKind::Contact, Side::Hubspot, "102")
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.needs_attention);
}

#[tokio::test]
async fn console_health_renders_a_contact_named_like_markup_as_text() {
    let server = AdminServer::start().await;
    let id = server.connection_id().clone();
    seed(&server, &id).await;
    let signed = server.signed_in().await;
    for path in [
        format!("/connections/{id}/health"),
        format!("/connections/{id}/health?q=probe"),
    ] {
        let (code, html) = page(&signed, &path).await;
        assert_eq!(code, 200);
        assert!(html.contains(ESCAPED_PROBE), "{path}: {html}");
        assert!(!html.contains("<img"), "{path}: {html}");
    }
}

#[tokio::test]
async fn console_health_links_use_each_connections_hosts_in_a_new_tab() {
    let server = AdminServer::start().await;
    let signed = server.signed_in().await;
    let production = connection_in(&server, "prod", "production").await;
    let sandbox = connection_in(&server, "sbx", "sandbox").await;
    for connection in [&production, &sandbox] {
        seed(&server, connection).await;
    }

    let (_, html) = page(&signed, "/connections/prod/health?kind=contact").await;
    let hubspot = "href=\"https://app.hubspot.com/contacts/777/record/0-1/101\"";
    let qbo = "href=\"https://app.qbo.intuit.com/app/customerdetail?nameId=58\"";
    for needle in [
        "id=\"open-hubspot-contact-hubspot-101\"",
        "id=\"open-qbo-contact-hubspot-101\"",
        hubspot,
        qbo,
        "target=\"_blank\" rel=\"noopener noreferrer\"",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    assert!(!html.contains("sandbox.qbo.intuit.com"), "{html}");

    let (_, html) = page(&signed, "/connections/sbx/health?kind=contact").await;
    assert!(
        html.contains("href=\"https://app.sandbox.qbo.intuit.com/app/customerdetail?nameId=58\""),
        "{html}"
    );
    assert!(!html.contains(qbo), "{html}");

    // The built-in sandboxes have no web app: no links rather than broken ones.
    let local = server.connection_id().clone();
    seed(&server, &local).await;
    let (_, html) = page(&signed, &format!("/connections/{local}/health")).await;
    assert!(!html.contains("id=\"open-hubspot-"), "{html}");
}

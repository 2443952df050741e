//! The console's initial-sync page on the admin harness and both sandboxes: the preview's
//! counts equal the JSON preview's, vendor names in its examples render escaped, Start runs the
//! API's start (a second start while running is refused with 409), and the progress reloads
//! until the worker has finished the run.

use std::time::Duration;

use hqsync::engine::jobs::{SyncContext, run_queue_once};
use hqsync::model::ObjectKind;
use hqsync::ports::{CreateRequest, Lane};
use hqsync_sandbox::Seed;
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions};
use serde_json::{Value, json};

use super::console_mapping::{element, form, page};

const PROBE: &str = "<img src=x onerror=alert(1)>";

/// Runs both lanes until nothing is pending.
async fn drain(ctx: &SyncContext) {
    for _ in 0..400 {
        let mut received = 0;
        for lane in [Lane::Bulk, Lane::Live] {
            received += run_queue_once(ctx, lane, 10).await.expect("queue").received;
        }
        if received == 0 {
            let pending = ctx.queue.pending(Lane::Bulk).await.unwrap()
                + ctx.queue.pending(Lane::Live).await.unwrap();
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("the queues never drained");
}

/// The `data-count` cells of `tr#{row}` as `(name, value)` pairs.
fn counts(html: &str, row: &str) -> Vec<(String, u64)> {
    element(html, row)
        .split("data-count=\"")
        .skip(1)
        .map(|cell| {
            let (name, rest) = cell.split_once('"').unwrap();
            let value = rest[1..rest.find('<').unwrap()].parse().unwrap();
            (name.to_owned(), value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_initial_sync_preview_counts_equal_the_json_preview_and_names_are_escaped() {
    let server = AdminServer::start().await;
    let pair = server
        .ctx
        .sync
        .gateways
        .gateways(server.connection.as_ref().unwrap())
        .await
        .expect("gateways");
    let contact = |email: &str| CreateRequest {
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        values: serde_json::from_value(
            json!({"email": email, "firstname": PROBE, "lastname": "Probe"}),
        )
        .unwrap(),
    };
    pair.hubspot
        .create(
            ObjectKind::Contact,
            vec![contact("probe1@example.com"), contact("probe2@example.com")],
        )
        .await
        .expect("two HubSpot contacts with the same name");
    let path = "/connections/local/initial-sync";
    let anonymous = AdminServer::client()
        .get(server.url(path))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let signed = server.signed_in().await;
    let (status, html) = page(&signed, path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<h1>local: initial sync</h1>"), "{html}");
    assert!(html.contains("id=\"initial-sync-start\""), "{html}");
    assert!(
        !html.contains("http-equiv=\"refresh\""),
        "no run: no reload"
    );
    let preview: Value = signed
        .post("/api/connections/local/preview")
        .await
        .json()
        .await
        .unwrap();
    let contacts = preview["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "contact")
        .expect("contacts in the preview");
    let shown: std::collections::BTreeMap<String, u64> =
        counts(&html, "preview-contact").into_iter().collect();
    let n = |field: &str| contacts[field].as_u64().unwrap();
    for (cell, expected) in [
        ("hubspot_records", n("hubspot_records")),
        ("qbo_records", n("qbo_records")),
        ("already_linked", n("already_linked")),
        ("new_links", n("new_links")),
        (
            "creates_qbo",
            contacts["creates"]["quickbooks"].as_u64().unwrap_or(0),
        ),
        (
            "creates_hubspot",
            contacts["creates"]["hubspot"].as_u64().unwrap_or(0),
        ),
        ("collisions", n("collisions")),
        ("ambiguous", n("ambiguous")),
        ("excluded", n("excluded")),
        ("creates_avoided", n("creates_avoided")),
        ("failed", n("failed")),
    ] {
        assert_eq!(shown[cell], expected, "{cell}: {shown:?} vs {contacts}");
    }
    assert!(shown["creates_qbo"] >= 2, "{shown:?}");
    assert!(
        shown["collisions"] >= 1,
        "the second probe collides: {shown:?}"
    );
    let collisions = element(&html, "examples-contact-collisions");
    assert!(
        collisions.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the name, escaped: {collisions}"
    );
    assert!(!html.contains(PROBE), "never raw: {html}");

    let refused = form(&signed, path, &[]).await;
    assert_eq!(refused.status(), 403, "Start without csrf_token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_initial_sync_start_shows_progress_refuses_a_second_start_and_reaches_done() {
    let mut options = AdminServerOptions::default();
    options.hubspot.seed = Seed::Demo;
    options.quickbooks.seed = Seed::Demo;
    let server = AdminServer::start_with(options).await;
    let signed = server.signed_in().await;
    let path = "/connections/local/initial-sync";

    let started = form(&signed, path, &[("csrf_token", &signed.csrf_token)]).await;
    assert_eq!(started.status(), 303, "{}", started.text().await.unwrap());
    assert_eq!(
        started.headers()["location"],
        format!("{path}?notice=started")
    );

    let (status, html) = page(&signed, &format!("{path}?notice=started")).await;
    assert_eq!(status, 200, "{html}");
    let head = &html[..html.find("</head>").unwrap()];
    assert!(
        head.contains("<meta http-equiv=\"refresh\" content=\"2\">"),
        "reloads while running: {head}"
    );
    assert!(
        element(&html, "initial-sync-state").contains("data-state=\"running\""),
        "{html}"
    );
    assert!(html.contains("id=\"initial-sync-progress\""), "{html}");
    assert!(html.contains("id=\"notice\""), "{html}");
    assert!(
        !html.contains("id=\"initial-sync-start\""),
        "no Start while running: {html}"
    );

    let again = form(&signed, path, &[("csrf_token", &signed.csrf_token)]).await;
    assert_eq!(again.status(), 409, "one run at a time");
    let html = again.text().await.unwrap();
    assert!(
        element(&html, "problem").contains("already running"),
        "{html}"
    );

    drain(&server.ctx.sync).await;
    let progress: Value = signed
        .get("/api/connections/local/initial-sync")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["state"], "done", "{progress}");
    let (status, html) = page(&signed, path).await;
    assert_eq!(status, 200);
    assert!(!html.contains("http-equiv=\"refresh\""), "done: no reload");
    assert!(
        element(&html, "initial-sync-state").contains("data-state=\"done\""),
        "{html}"
    );
    let bar = element(&html, "initial-sync-progress");
    let attr = |name: &str| -> u64 {
        let at = bar.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        bar[at..at + bar[at..].find('"').unwrap()].parse().unwrap()
    };
    let queued: u64 = progress["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["queued"].as_u64().unwrap())
        .sum();
    assert!(queued > 0, "{progress}");
    assert_eq!(attr("max"), queued, "{bar}");
    assert_eq!(attr("value"), queued, "all finished: {bar}");
    for kind in progress["kinds"].as_array().unwrap() {
        let row: std::collections::BTreeMap<String, u64> = counts(
            &html,
            &format!("progress-{}", kind["kind"].as_str().unwrap()),
        )
        .into_iter()
        .collect();
        assert_eq!(row["done"], kind["done"].as_u64().unwrap(), "{kind}");
        assert_eq!(row["queued"], kind["queued"].as_u64().unwrap(), "{kind}");
    }
    assert!(
        element(&html, "initial-sync-totals").contains("href=\"/connections/local/health\""),
        "{html}"
    );
    assert!(
        html.contains("id=\"initial-sync-start\""),
        "a later run can start"
    );
}

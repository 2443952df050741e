//! The activity page on the admin harness: a real conflict made through both sandboxes (the
//! same field edited in HubSpot and in QuickBooks, then synced by the worker) shows with both
//! values and the rule that decided, beside the recent syncs and the admin audit log; a
//! contact named like markup renders as text.

use std::sync::Arc;
use std::time::Duration;

use hqsync::engine::jobs::{SyncContext, run_queue_once};
use hqsync::engine::sync::initial_sync::{InitialSyncOptions, initial_sync};
use hqsync::model::{ConflictWinner, ConnectionSettings, NativeValues, ObjectKind, Side};
use hqsync::ports::{Job, JobReason, Lane, Links, RecordGateway, SystemClock, UpdateRequest};
use hqsync_sandbox::Seed;
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions, SignedIn};
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

/// Runs the live lane until nothing is pending.
async fn drain(ctx: &SyncContext) {
    for _ in 0..200 {
        let received = run_queue_once(ctx, Lane::Live, 10)
            .await
            .expect("queue")
            .received;
        if received == 0 && ctx.queue.pending(Lane::Live).await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the live lane never drained");
}

/// Edits record `id` on `side` as a person would (through a client of its own).
async fn edit(gateway: &dyn RecordGateway, id: &str, values: &[(&str, &str)]) {
    let current = gateway
        .read(ObjectKind::Contact, &[id.to_owned()])
        .await
        .expect("read")
        .pop()
        .expect("the record to edit");
    let values: NativeValues = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned())))
        .collect();
    gateway
        .update(
            ObjectKind::Contact,
            vec![UpdateRequest {
                id: id.to_owned(),
                expected_version: current.version,
                values,
            }],
        )
        .await
        .expect("update call")
        .pop()
        .expect("one result")
        .expect("edit accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_activity_shows_a_real_conflict_with_both_values_and_the_rule() {
    let mut settings = ConnectionSettings::default();
    settings.contact.conflict.default = ConflictWinner::HubspotWins;
    let mut options = AdminServerOptions {
        settings: settings.clone(),
        ..AdminServerOptions::default()
    };
    options.hubspot.seed = Seed::Demo;
    options.quickbooks.seed = Seed::Demo;
    let server = AdminServer::start_with(options).await;
    let id = server.connection_id().clone();
    initial_sync(
        &server.ctx.sync.sync_ports(),
        &id,
        &InitialSyncOptions::default(),
        &|_| {},
    )
    .await
    .expect("initial sync");
    drain(&server.ctx.sync).await;
    let links = server
        .store
        .list_links(&id, ObjectKind::Contact)
        .await
        .unwrap();
    let link = links.first().expect("the demo data links contacts");

    // The same field changed on both sides since the baseline: HubSpot wins by the settings.
    let person = server
        .endpoints
        .gateways(&settings, Arc::new(SystemClock))
        .expect("a person's clients");
    edit(
        person.side(Side::Hubspot),
        &link.hubspot_id,
        &[("company", PROBE)],
    )
    .await;
    edit(
        person.side(Side::Quickbooks),
        &link.qbo_id,
        &[("CompanyName", "Analytical Engines Ltd")],
    )
    .await;
    let job = Job::new(
        id.clone(),
        ObjectKind::Contact,
        Side::Hubspot,
        link.hubspot_id.clone(),
        JobReason::Webhook,
        server.ctx.sync.clock.now(),
    );
    server
        .ctx
        .sync
        .queue
        .enqueue(Lane::Live, vec![job], None)
        .await
        .unwrap();
    drain(&server.ctx.sync).await;

    let admin = server.signed_in().await;
    // An audited admin write, to see in the audit log.
    let resync = admin
        .post(&format!(
            "/api/connections/{id}/records/contact/hubspot/{}/resync",
            link.hubspot_id
        ))
        .await;
    assert_eq!(resync.status(), 202);

    let (code, html) = page(&admin, &format!("/connections/{id}/activity")).await;
    assert_eq!(code, 200, "{html}");
    let conflicts = html
        .split("id=\"activity-conflicts\"")
        .nth(1)
        .expect("the conflicts table")
        .split("</table>")
        .next()
        .unwrap();
    for needle in [
        "data-field=\"company\"",
        ESCAPED_PROBE,
        "Analytical Engines Ltd",
        "data-winner=\"hubspot\"",
        "HubSpot wins",
        &link.hubspot_id,
    ] {
        assert!(conflicts.contains(needle), "{needle} in {conflicts}");
    }
    assert!(!html.contains("<img"), "{html}");
    for needle in [
        "id=\"activity-syncs\"",
        "HubSpot → QuickBooks",
        "id=\"activity-audit\"",
        "data-action=\"record.resync\"",
        "<td>admin</td>",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    // Both sides now hold HubSpot's value.
    let qbo = person
        .side(Side::Quickbooks)
        .read(ObjectKind::Contact, std::slice::from_ref(&link.qbo_id))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(qbo.values["CompanyName"], serde_json::json!(PROBE));
}

#[tokio::test]
async fn console_activity_is_empty_but_whole_before_anything_synced() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let id = server.connection_id().clone();
    let (code, html) = page(&admin, &format!("/connections/{id}/activity")).await;
    assert_eq!(code, 200, "{html}");
    for needle in [
        "<h1>local: activity</h1>",
        "id=\"no-conflicts\"",
        "id=\"no-syncs\"",
        // Signing in is audited, for every connection.
        "id=\"activity-audit\"",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    let (code, _) = page(&admin, "/connections/nope/activity").await;
    assert_eq!(code, 404);
}

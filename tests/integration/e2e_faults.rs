//! End-to-end sync under faults: a 429 storm on HubSpot (sandbox fault injection) and webhooks
//! that never arrive (drop rate 100%), where the poller must catch up.

use std::time::Duration;

use hqsync::model::{ObjectKind, Side};
use hqsync_sandbox::Seed;

use crate::e2e_stack::{E2eOptions, E2eStack, eventually, text, values};

const CONTACT: ObjectKind = ObjectKind::Contact;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_sync_through_a_hubspot_429_storm() {
    let e2e = E2eStack::start(
        E2eOptions {
            seed: Seed::Demo,
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    let links = e2e.links(CONTACT).await;
    let http = reqwest::Client::new();
    // A third of HubSpot's answers are 429 from now on (the edits below included: the user's
    // client retries them too).
    let faults = http
        .put(format!("{}/_sandbox/faults", e2e.hubspot.base_url()))
        .json(&serde_json::json!({"errorRates": {"429": 0.3}}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());
    for (n, link) in links.iter().take(3).enumerate() {
        e2e.edit(
            CONTACT,
            Side::Quickbooks,
            &link.qbo_id,
            values(&[("CompanyName", &format!("Storm Co {n}"))]),
        )
        .await;
    }
    for (n, link) in links.iter().take(3).enumerate() {
        let want = format!("Storm Co {n}");
        eventually("QBO edits reach HubSpot through the 429s", || async {
            let h = e2e.read(CONTACT, Side::Hubspot, &link.hubspot_id).await?;
            (text(&h, "company") == want).then_some(())
        })
        .await;
    }
    let stats: serde_json::Value = http
        .get(format!("{}/_sandbox/stats", e2e.hubspot.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let injected = stats["faultsInjected"]["429"].as_u64().unwrap_or(0);
    assert!(injected > 0, "the storm injected 429s: {stats}");
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_webhook_dropped_the_poller_catches_up_both_ways() {
    let e2e = E2eStack::start(
        E2eOptions {
            seed: Seed::Demo,
            poll_interval: Some(Duration::from_secs(1)),
            ..E2eOptions::default()
        },
        |_, qb| qb.webhook_drop_rate = 1.0,
    )
    .await;
    let mut delivery = e2e.hubspot.webhooks().config();
    delivery.drop_rate = 1.0;
    e2e.hubspot.webhooks().set_config(delivery);
    // Events of the initial sync's writes already queued may still go out; count from here.
    e2e.hubspot
        .webhooks()
        .wait_idle(Duration::from_secs(10))
        .await;
    let before = e2e.hubspot.webhooks().counters();

    let links = e2e.links(CONTACT).await;
    let (a, b) = (&links[0], &links[1]);
    e2e.edit(
        CONTACT,
        Side::Quickbooks,
        &a.qbo_id,
        values(&[("CompanyName", "Polled from QBO")]),
    )
    .await;
    e2e.edit(
        CONTACT,
        Side::Hubspot,
        &b.hubspot_id,
        values(&[("company", "Polled from HubSpot")]),
    )
    .await;
    eventually("the QBO edit reaches HubSpot by polling", || async {
        let h = e2e.read(CONTACT, Side::Hubspot, &a.hubspot_id).await?;
        (text(&h, "company") == "Polled from QBO").then_some(())
    })
    .await;
    eventually("the HubSpot edit reaches QBO by polling", || async {
        let q = e2e.read(CONTACT, Side::Quickbooks, &b.qbo_id).await?;
        (text(&q, "CompanyName") == "Polled from HubSpot").then_some(())
    })
    .await;
    let after = e2e.hubspot.webhooks().counters();
    assert_eq!(
        after.delivered_events, before.delivered_events,
        "no HubSpot webhook was delivered"
    );
    assert!(
        after.dropped > before.dropped,
        "the edit's events were dropped"
    );
    let stats = e2e.stack.pipeline().unwrap().stats();
    assert!(
        stats.poll_jobs.load(std::sync::atomic::Ordering::Relaxed) >= 2,
        "the poller found the edits"
    );
    e2e.shutdown().await;
}

//! Benchmark: a person's edit while a backlog drains. 10,000 bulk jobs and one signed HubSpot
//! delivery of 5,000 events are queued, then people edit linked contacts during the drain; the
//! local pipeline (its real worker loop) runs on memory adapters with wall-clock time. Prints
//! the live edit latency p50/p95, the bulk drain time and their ratio, for the lanes as built
//! and for the old behaviour (every webhook delivery on the live lane). Numbers, never pass/fail.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use hqsync::adapters::memory::{MemoryGateway, MemoryJobQueue, MemoryReplayGuard, MemoryStore};
use hqsync::engine::jobs::{FixedGateways, SyncContext, process_jobs};
use hqsync::engine::sync::GatewayPair;
use hqsync::hubspot::webhook::WebhookVerifier;
use hqsync::hubspot::webhook::signature::sign_v3;
use hqsync::intake::hubspot::hubspot_delivery;
use hqsync::intake::{InboundRequest, IntakeOutcome, answer};
use hqsync::local::{Pipeline, PipelineOptions, PollScope};
use hqsync::model::{Connection, ConnectionId, ConnectionSettings, ObjectKind, Side};
use hqsync::ports::{
    Clock, ConnectionRecord, ConnectionStatus, Connections, Job, JobReason, Lane, Links, Origin,
    SystemClock, lane_for,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::Notify;

/// At full size; `HQSYNC_BENCH_DIVISOR=n` divides both (quick runs on a busy machine).
const FULL_BULK_JOBS: usize = 10_000;
const FULL_DELIVERY_EVENTS: usize = 5_000;
const PEOPLE: usize = 20;
const EDIT_EVERY: Duration = Duration::from_millis(100);
const PORTAL: &str = "111";
const URL: &str = "https://hooks.example.com/webhooks/hubspot";
const SECRET: &str = "bench-client-secret";
const CONTACT: ObjectKind = ObjectKind::Contact;

fn divisor() -> usize {
    std::env::var("HQSYNC_BENCH_DIVISOR")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|d| *d > 0)
        .unwrap_or(1)
}

fn bulk_jobs() -> usize {
    FULL_BULK_JOBS / divisor()
}

fn delivery_events() -> usize {
    FULL_DELIVERY_EVENTS / divisor()
}

/// Where webhook deliveries go.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lanes {
    /// `ports::lane_for`: a 5,000-event delivery is bulk work, a one-event delivery live.
    AsBuilt,
    /// Every delivery on the live lane, in arrival order (before `lane_for`).
    EveryDeliveryLive,
}

struct Bench {
    ctx: SyncContext,
    hubspot: Arc<MemoryGateway>,
    qbo: Arc<MemoryGateway>,
    store: Arc<MemoryStore>,
    connection: ConnectionId,
}

async fn setup() -> Bench {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(MemoryStore::new());
    let connection = ConnectionId::new("bench").unwrap();
    store
        .put_connection(&ConnectionRecord {
            connection: Connection {
                id: connection.clone(),
                hubspot_portal_id: PORTAL.into(),
                qbo_realm_id: "222".into(),
                settings: ConnectionSettings::default(),
            },
            environment: "local".into(),
            status: ConnectionStatus::Active,
        })
        .await
        .unwrap();
    let hubspot = Arc::new(MemoryGateway::hubspot(clock.clone()));
    let qbo = Arc::new(MemoryGateway::quickbooks(clock.clone()));
    let ctx = SyncContext {
        store: store.clone(),
        queue: Arc::new(MemoryJobQueue::new(clock.clone())),
        clock,
        gateways: Arc::new(FixedGateways::new(GatewayPair::new(
            hubspot.clone(),
            qbo.clone(),
        ))),
    };
    Bench {
        ctx,
        hubspot,
        qbo,
        store,
        connection,
    }
}

/// A HubSpot contact with a name of its own (QBO display names are unique).
fn contact(gateway: &MemoryGateway, email: String) -> String {
    let name = email.split('@').next().unwrap_or_default().to_owned();
    let values = [
        ("email".to_owned(), json!(email)),
        ("firstname".to_owned(), json!("Bench")),
        ("lastname".to_owned(), json!(name)),
    ];
    gateway.insert(CONTACT, values.into_iter().collect()).id
}

/// One signed HubSpot delivery of `events`, through the intake every runtime uses.
async fn deliver(b: &Bench, events: &[Value]) -> IntakeOutcome {
    let body = serde_json::to_vec(events).unwrap();
    let secret = SecretString::from(SECRET);
    let timestamp = Utc::now().timestamp_millis().to_string();
    let signature = sign_v3(&secret, "POST", URL, &body, &timestamp);
    let headers = [
        ("Content-Type", "application/json"),
        ("X-HubSpot-Signature-v3", signature.as_str()),
        ("X-HubSpot-Request-Timestamp", timestamp.as_str()),
    ];
    let request = InboundRequest {
        method: "POST",
        url: URL,
        headers: &headers,
        body: &body,
    };
    let verifier =
        WebhookVerifier::new(secret).with_replay_guard(Arc::new(MemoryReplayGuard::default()));
    hubspot_delivery(&verifier, None, b.store.as_ref(), &request, Utc::now())
        .await
        .expect("a signed delivery is accepted")
}

/// Queues a delivery's jobs the way `lanes` says; returns how many the queue took.
async fn queue_delivery(b: &Bench, outcome: IntakeOutcome, lanes: Lanes) -> usize {
    match lanes {
        Lanes::AsBuilt => {
            answer(b.ctx.queue.as_ref(), "hubspot", Ok(outcome))
                .await
                .queued
        }
        Lanes::EveryDeliveryLive => b
            .ctx
            .queue
            .enqueue(Lane::Live, outcome.jobs, None)
            .await
            .unwrap(),
    }
}

/// A property change event, with only the fields the intake reads: 5,000 of them must fit the
/// 1 MB delivery limit (`intake::MAX_BODY_BYTES`).
fn event(n: usize, id: &str, property: &str) -> Value {
    json!({"eventId": n, "portalId": PORTAL.parse::<u64>().unwrap(), "objectId": id.parse::<u64>().unwrap(),
        "objectTypeId": "0-1", "subscriptionType": "object.propertyChange", "propertyName": property,
        "occurredAt": Utc::now().timestamp_millis()})
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn run(lanes: Lanes) {
    let b = setup().await;
    // The people's contacts, linked before the clock starts.
    let people: Vec<String> = (0..PEOPLE)
        .map(|n| contact(&b.hubspot, format!("person{n}@example.com")))
        .collect();
    let now = Utc::now();
    let jobs = |ids: &[String], reason| {
        ids.iter()
            .map(|id| {
                Job::new(
                    b.connection.clone(),
                    CONTACT,
                    Side::Hubspot,
                    id,
                    reason,
                    now,
                )
            })
            .collect::<Vec<_>>()
    };
    process_jobs(&b.ctx, jobs(&people, JobReason::Webhook)).await;
    let links = b.store.list_links(&b.connection, CONTACT).await.unwrap();
    let qbo_of = |hs: &str| {
        links
            .iter()
            .find(|l| l.hubspot_id == hs)
            .map(|l| l.qbo_id.clone())
            .expect("linked")
    };

    // 10,000 bulk jobs (a backfill) and one delivery of 5,000 events (two per record).
    let backfill: Vec<String> = (0..bulk_jobs())
        .map(|n| contact(&b.hubspot, format!("bulk{n}@example.com")))
        .collect();
    let queued_bulk = b
        .ctx
        .queue
        .enqueue(
            lane_for(Origin::Bulk),
            jobs(&backfill, JobReason::Backfill),
            None,
        )
        .await
        .unwrap();
    let imported: Vec<String> = (0..delivery_events() / 2)
        .map(|n| contact(&b.hubspot, format!("import{n}@example.com")))
        .collect();
    let events: Vec<Value> = imported
        .iter()
        .enumerate()
        .flat_map(|(n, id)| {
            [
                event(2 * n, id, "firstname"),
                event(2 * n + 1, id, "lastname"),
            ]
        })
        .collect();
    let outcome = deliver(&b, &events).await;
    let delivery_jobs = outcome.jobs.len();
    let queued_delivery = queue_delivery(&b, outcome, lanes).await;
    let total = queued_bulk + queued_delivery;

    let wake = Arc::new(Notify::new());
    let started = Instant::now();
    let pipeline = Pipeline::start(
        b.ctx.clone(),
        PollScope::Connection(b.connection.clone()),
        PipelineOptions {
            poll_interval: None,
            idle_wait: Duration::from_millis(5),
            ..PipelineOptions::default()
        },
        wake.clone(),
    );

    // People edit during the drain, one every EDIT_EVERY; each edit is a one-event delivery.
    let mut waiting: Vec<(String, String, Instant)> = Vec::new();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut next_edit = Instant::now();
    let mut edits = 0;
    let mut drained = None;
    let give_up = started + Duration::from_secs(600);
    while (drained.is_none() || !waiting.is_empty()) && Instant::now() < give_up {
        if edits < PEOPLE && drained.is_none() && Instant::now() >= next_edit {
            let hs = &people[edits];
            let company = format!("Edited {edits}");
            b.hubspot.edit(
                CONTACT,
                hs,
                [("company".to_owned(), json!(company))]
                    .into_iter()
                    .collect(),
            );
            let outcome = deliver(&b, &[event(1_000_000 + edits, hs, "company")]).await;
            queue_delivery(&b, outcome, lanes).await;
            wake.notify_one();
            waiting.push((qbo_of(hs), company, Instant::now()));
            edits += 1;
            next_edit += EDIT_EVERY;
        }
        waiting.retain(|(qbo_id, company, at)| {
            let synced = b
                .qbo
                .get(CONTACT, qbo_id)
                .is_some_and(|r| r.value("CompanyName") == Some(&json!(company)));
            if synced {
                latencies.push(at.elapsed());
            }
            !synced
        });
        // Cheap checks first: listing the fake's records copies them all.
        if drained.is_none()
            && b.ctx.queue.pending(Lane::Bulk).await.unwrap() == 0
            && b.ctx.queue.pending(Lane::Live).await.unwrap() == 0
            && b.qbo.records(CONTACT).len() >= PEOPLE + bulk_jobs() + imported.len()
        {
            drained = Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    pipeline.shutdown().await;
    latencies.sort();
    let (p50, p95) = (percentile(&latencies, 50.0), percentile(&latencies, 95.0));
    println!(
        "\n{lanes:?}: {queued_bulk} bulk jobs + a delivery of {} events -> {delivery_jobs} jobs ({queued_delivery} queued); {total} in all",
        events.len()
    );
    println!(
        "  live edit latency (wall clock, memory adapters, {} edits every {} ms during the drain): p50 {:.3} s, p95 {:.3} s",
        latencies.len(),
        EDIT_EVERY.as_millis(),
        p50.as_secs_f64(),
        p95.as_secs_f64()
    );
    match drained {
        Some(drain) => println!(
            "  bulk drain {:.2} s; p95 / drain = {:.4}",
            drain.as_secs_f64(),
            p95.as_secs_f64() / drain.as_secs_f64().max(f64::EPSILON)
        ),
        None => println!(
            "  the backlog did not drain within {} s (no ratio)",
            (give_up - started).as_secs()
        ),
    }
}

#[tokio::main]
async fn main() {
    println!(
        "Live edits while {} bulk jobs and a {}-event delivery drain (local pipeline, batches of 10, debug build)",
        bulk_jobs(),
        delivery_events()
    );
    run(Lanes::AsBuilt).await;
    run(Lanes::EveryDeliveryLive).await;
}

//! Benchmark: the engine's initial sync of 5,000 HubSpot contacts / 5,000 QBO customers (half
//! overlapping by email) and 1,000 products / 1,000 items (half overlapping by name) against the
//! sandboxes with their real rate limits, then 100 steady-state edits synced by webhook.
//! Prints API calls per side per record, wall time, CPU time spent in our own code, the reads
//! spent settling the initial sync's echoes per record and the metered QBO reads per synced change.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hqsync::engine::sync::initial_sync::{InitialSyncOptions, InitialSyncReport, SyncProgress};
use hqsync::hubspot::{CreateInput, HubspotBudgets, HubspotClient, ItemOutcome, ObjectType};
use hqsync::local::webhook_server::{HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::local::{
    LOCAL_CONNECTION_ID, LocalSandboxAccounts, LocalStack, PipelineOptions, StateLocation,
    VendorEndpoints,
};
use hqsync::model::{ConnectionId, ConnectionSettings, ObjectKind, Side};
use hqsync::ports::{Lane, SystemClock, UpdateRequest};
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use secrecy::SecretString;
use serde_json::{Value, json};

/// Records per side at full size; `HQSYNC_BENCH_DIVISOR=n` divides them (quick runs).
const FULL_CONTACTS: usize = 5_000;
const FULL_PRODUCTS: usize = 1_000;
const STEADY_EDITS_PER_SIDE: usize = 50;

fn contacts() -> usize {
    FULL_CONTACTS / divisor()
}

fn products() -> usize {
    FULL_PRODUCTS / divisor()
}

fn divisor() -> usize {
    std::env::var("HQSYNC_BENCH_DIVISOR")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|d| *d > 0)
        .unwrap_or(1)
}

/// What the sandbox thread hands back: where the sandboxes are and how to reach them.
struct SandboxInfo {
    accounts: LocalSandboxAccounts,
    /// The HubSpot app id the sandbox stamps on our writes (`sourceId`), so the intake drops
    /// their webhook echoes as on AWS (docs/hubspot.md §5.3).
    hubspot_app_id: String,
    /// Linux thread id of the sandboxes' runtime thread (all their work runs on it).
    tid: String,
}

/// Clock ticks per second of `/proc` CPU times. UNVERIFIED for this machine: 100 is the
/// Linux USER_HZ on every mainstream architecture; numbers scale with it if not.
const TICKS_PER_SECOND: f64 = 100.0;

/// utime + stime of a `/proc/.../stat` line, in seconds. Hand-written (a few lines) rather
/// than a crate: fields 14 and 15 after the `(comm)` field.
fn cpu_seconds(stat_path: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_path).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state), so utime (14) and stime (15) are at 11 and 12.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<f64>().ok())
        .sum();
    ticks / TICKS_PER_SECOND
}

/// CPU seconds of this process outside the sandbox thread: our own code (engine, clients,
/// HTTP, webhook server, SQLite/memory adapters).
fn our_cpu(sandbox_tid: &str) -> f64 {
    cpu_seconds("/proc/self/stat") - cpu_seconds(&format!("/proc/self/task/{sandbox_tid}/stat"))
}

/// Starts both sandboxes on their own single-threaded runtime in a dedicated thread, so their
/// CPU time can be told apart from ours. Returns when they serve.
fn start_sandboxes(webhook_base: String) -> (SandboxInfo, std::sync::mpsc::Sender<()>) {
    let (info_tx, info_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("sandbox runtime");
        runtime.block_on(async move {
            let hubspot = HubspotSandbox::start(
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
                HubspotSandboxConfig {
                    webhook_url: Some(format!("{webhook_base}{HUBSPOT_WEBHOOK_PATH}")),
                    ..HubspotSandboxConfig::default()
                },
            )
            .await
            .unwrap();
            let quickbooks = QuickbooksSandbox::start(
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
                QuickbooksSandboxConfig {
                    webhook_url: Some(format!("{webhook_base}{QUICKBOOKS_WEBHOOK_PATH}")),
                    ..QuickbooksSandboxConfig::default()
                },
            )
            .await
            .unwrap();
            let tid = std::fs::read_link("/proc/thread-self")
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            let hs = hubspot.config();
            let qb = quickbooks.config();
            info_tx
                .send(SandboxInfo {
                    accounts: LocalSandboxAccounts {
                        hubspot_base_url: hubspot.base_url(),
                        portal_id: hs.portal_id.to_string(),
                        hubspot_token: SecretString::from(hs.dev_token.clone()),
                        hubspot_client_secret: SecretString::from(hs.client_secret.clone()),
                        quickbooks_base_url: quickbooks.base_url(),
                        realm_id: qb.realm_id.clone(),
                        quickbooks_token: SecretString::from(qb.dev_token.clone()),
                        quickbooks_verifier_token: SecretString::from(qb.verifier_token.clone()),
                    },
                    hubspot_app_id: hs.app_id.to_string(),
                    tid,
                })
                .unwrap();
            // Serve until told to stop (polling the std channel without blocking the runtime).
            while stop_rx.try_recv().is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            hubspot.shutdown().await;
            quickbooks.shutdown().await;
        });
    });
    (info_rx.recv().expect("sandboxes started"), stop_tx)
}

/// `/_sandbox/stats` of one sandbox: total requests and per-route counts.
async fn stats(http: &reqwest::Client, base: &str) -> Value {
    http.get(format!("{base}/_sandbox/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn clear_stats(http: &reqwest::Client, base: &str) {
    http.delete(format!("{base}/_sandbox/stats"))
        .send()
        .await
        .unwrap();
}

/// Requests per route ("METHOD path" -> count) and the total.
fn calls(stats: &Value) -> (u64, BTreeMap<String, u64>) {
    let mut routes = BTreeMap::new();
    for r in stats["routes"].as_array().into_iter().flatten() {
        routes.insert(
            format!(
                "{} {}",
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or("")
            ),
            r["count"].as_u64().unwrap_or(0),
        );
    }
    (stats["total"].as_u64().unwrap_or(0), routes)
}

/// Sets `field` to `value` on HubSpot contacts `ids` as a person would (the sandbox's actor
/// header makes the write `changeSource` CRM_UI).
async fn edit_as_person(
    http: &reqwest::Client,
    info: &SandboxInfo,
    ids: &[String],
    field: &str,
    value: &str,
) {
    use secrecy::ExposeSecret;
    let inputs: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "properties": {field: value}}))
        .collect();
    http.post(format!(
        "{}/crm/objects/2026-03/contacts/batch/update",
        info.accounts.hubspot_base_url
    ))
    .bearer_auth(info.accounts.hubspot_token.expose_secret())
    .header(hqsync_sandbox::hubspot::ACTOR_HEADER, "user:7")
    .json(&json!({ "inputs": inputs }))
    .send()
    .await
    .unwrap()
    .error_for_status()
    .expect("a person's HubSpot edits");
}

/// Read requests in a sandbox's stats: QBO's metered ones (reads, queries, CDC: creates and
/// updates are not metered, docs/quickbooks.md §9), HubSpot's record reads and searches.
fn reads(stats: &Value, side: Side) -> u64 {
    let (_, routes) = calls(stats);
    routes
        .iter()
        .filter(|(route, _)| {
            let (method, path) = route.split_once(' ').unwrap_or(("", route));
            match side {
                Side::Quickbooks => {
                    method == "GET" || path.ends_with("/query") || path.ends_with("/cdc")
                }
                Side::Hubspot => {
                    method == "GET" || path.ends_with("/batch/read") || path.ends_with("/search")
                }
            }
        })
        .map(|(_, count)| count)
        .sum()
}

/// Waits until neither sandbox has webhooks queued or in flight.
async fn webhooks_idle(http: &reqwest::Client, bases: &[&str]) {
    loop {
        let mut busy = false;
        for base in bases {
            let s = stats(http, base).await;
            let w = &s["webhooks"];
            busy |= w["queued"].as_u64().unwrap_or(0) + w["inFlight"].as_u64().unwrap_or(0) > 0;
        }
        if !busy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn seed(info: &SandboxInfo, http: &reqwest::Client) {
    // QBO: the sandbox's bulk seeding ("Bulk Customer 000001" <bulk000001@example.com>, and
    // "Bulk Item 000001"...), without webhooks.
    let a = &info.accounts;
    http.post(format!(
        "{}/_sandbox/quickbooks/bulk",
        a.quickbooks_base_url
    ))
    .json(&json!({"customers": contacts(), "items": products(), "spreadSeconds": 3600}))
    .send()
    .await
    .unwrap()
    .error_for_status()
    .unwrap();
    // HubSpot: half the contacts share a QBO customer's email, half the products an item's name.
    let client = HubspotClient::builder(a.hubspot_token.clone())
        .base_url(a.hubspot_base_url.clone())
        .budgets(HubspotBudgets::per_account())
        .build()
        .unwrap();
    let contacts: Vec<CreateInput> = (1..=contacts())
        .map(|n| {
            let (email, last) = if n <= contacts() / 2 {
                (
                    format!("bulk{n:06}@example.com"),
                    format!("Customer {n:06}"),
                )
            } else {
                (format!("hs{n:06}@example.org"), format!("Contact {n:06}"))
            };
            input(&[
                ("email", email),
                ("firstname", "Hub".into()),
                ("lastname", last),
            ])
        })
        .collect();
    let products: Vec<CreateInput> = (1..=products())
        .map(|n| {
            let name = if n <= products() / 2 {
                format!("Bulk Item {n:06}")
            } else {
                format!("HubSpot Product {n:06}")
            };
            input(&[
                ("name", name),
                ("hs_sku", format!("HS-{n:06}")),
                ("price", "25.00".into()),
            ])
        })
        .collect();
    let created = client
        .batch_create(ObjectType::Contacts, contacts, None)
        .await;
    assert!(
        created
            .items
            .iter()
            .all(|i| matches!(i.outcome, ItemOutcome::Written(_))),
        "seed contacts"
    );
    let created = client
        .batch_create(ObjectType::Products, products, None)
        .await;
    assert!(
        created
            .items
            .iter()
            .all(|i| matches!(i.outcome, ItemOutcome::Written(_))),
        "seed products"
    );
}

fn input(pairs: &[(&str, String)]) -> CreateInput {
    CreateInput {
        properties: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        associations: Vec::new(),
        object_write_trace_id: None,
    }
}

/// Waits until the queue is empty and no webhook (our writes' echoes) is pending, twice in a
/// row a second apart.
async fn settle(stack: &LocalStack, http: &reqwest::Client, bases: &[&str]) {
    let mut quiet = 0;
    while quiet < 2 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        webhooks_idle(http, bases).await;
        let pending = stack.ctx.queue.pending(Lane::Live).await.unwrap()
            + stack.ctx.queue.pending(Lane::Bulk).await.unwrap();
        quiet = if pending == 0 { quiet + 1 } else { 0 };
    }
}

fn print_calls(title: &str, hubspot: &Value, quickbooks: &Value, per: f64, unit: &str) {
    println!("\n{title}");
    for (side, s) in [("HubSpot", hubspot), ("QBO", quickbooks)] {
        let (total, routes) = calls(s);
        println!(
            "  {side:<8} {total:>6} calls = {:>7.4} per {unit}",
            total as f64 / per
        );
        for (route, count) in routes {
            println!("    {count:>6}  {route}");
        }
    }
}

/// Prints listing totals and every tenth of the planning, with the time since `started`.
fn progress(started: Instant, p: SyncProgress) {
    let at = started.elapsed().as_secs_f64();
    match p {
        SyncProgress::Listing { .. } => {}
        SyncProgress::Syncing { kind, done, total } => {
            let step = (total / 10).max(1);
            if done % step < 100 || done == total {
                eprintln!("  [{at:>7.1} s] {kind}: {done}/{total} records synced");
            }
        }
    }
}

fn print_report(report: &InitialSyncReport) {
    for k in &report.kinds {
        println!(
            "  {:?}: HubSpot {} QBO {} new links {} creates {:?} updates {:?} collisions {} failed {} deferred {}",
            k.kind,
            k.hubspot_records,
            k.qbo_records,
            k.new_links,
            k.creates,
            k.updates,
            k.collisions,
            k.failed,
            k.deferred
        );
    }
}

#[tokio::main]
async fn main() {
    let http = reqwest::Client::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let webhook_base = format!("http://{}", listener.local_addr().unwrap());
    let (info, stop) = start_sandboxes(webhook_base.clone());
    let (hs_base, qb_base) = (
        info.accounts.hubspot_base_url.clone(),
        info.accounts.quickbooks_base_url.clone(),
    );
    let seeding = Instant::now();
    seed(&info, &http).await;
    println!(
        "seeded {n} contacts + {n} customers, {m} products + {m} items in {:.1} s (not measured)",
        seeding.elapsed().as_secs_f64(),
        n = contacts(),
        m = products()
    );

    let endpoints = VendorEndpoints::local(info.accounts.clone())
        .unwrap()
        .with_hubspot_app_id(info.hubspot_app_id.clone());
    let mut stack = LocalStack::open(
        ConnectionId::new(LOCAL_CONNECTION_ID).unwrap(),
        endpoints.clone(),
        ConnectionSettings::default(),
        &StateLocation::Memory,
    )
    .await
    .unwrap();
    stack.serve_webhooks(listener, webhook_base).unwrap();
    webhooks_idle(&http, &[&hs_base, &qb_base]).await;
    clear_stats(&http, &hs_base).await;
    clear_stats(&http, &qb_base).await;

    // --- initial sync ---
    let cpu_before = our_cpu(&info.tid);
    let started = Instant::now();
    let report = stack
        .initial_sync(&InitialSyncOptions::default(), &|p| progress(started, p))
        .await
        .unwrap();
    let wall = started.elapsed();
    let cpu = our_cpu(&info.tid) - cpu_before;
    let hs_stats = stats(&http, &hs_base).await;
    let qb_stats = stats(&http, &qb_base).await;
    let records = (2 * contacts() + 2 * products()) as f64;
    println!("\nInitial sync of {records} records (both sides) with real rate limits");
    print_report(&report);
    println!("  wall time       {:>8.1} s", wall.as_secs_f64());
    println!(
        "  our CPU time    {:>8.2} s = {:.3} ms per record (process minus the sandbox thread)",
        cpu,
        cpu * 1000.0 / records
    );
    print_calls(
        "API calls of the initial sync",
        &hs_stats,
        &qb_stats,
        records,
        "record (all records of both sides)",
    );

    // --- the initial sync's own writes come back as webhooks: settle them first ---
    clear_stats(&http, &hs_base).await;
    clear_stats(&http, &qb_base).await;
    stack.start_pipeline(PipelineOptions {
        poll_interval: None,
        ..PipelineOptions::default()
    });
    let pipeline = stack.pipeline().unwrap();
    let started = Instant::now();
    settle(&stack, &http, &[&hs_base, &qb_base]).await;
    let echo_jobs = pipeline.stats().jobs_done.load(Ordering::Relaxed);
    let (hs_echo, qb_echo) = (stats(&http, &hs_base).await, stats(&http, &qb_base).await);
    print_calls(
        &format!(
            "Echoes of the initial sync's writes: {echo_jobs} webhook jobs settled in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
        &hs_echo,
        &qb_echo,
        records,
        "record",
    );
    let (qb_reads, hs_reads) = (
        reads(&qb_echo, Side::Quickbooks),
        reads(&hs_echo, Side::Hubspot),
    );
    println!(
        "  reads settling echoes: QBO {qb_reads} = {:.4} per record, HubSpot {hs_reads} = {:.4} per record (aim: at most 0.1 each)",
        qb_reads as f64 / records,
        hs_reads as f64 / records
    );

    // --- steady state: edits on linked pairs, synced by webhooks ---
    pipeline.pause();
    webhooks_idle(&http, &[&hs_base, &qb_base]).await;
    let mut links = stack
        .ctx
        .store
        .list_links(stack.connection_id(), ObjectKind::Contact)
        .await
        .unwrap();
    links.sort_by(|a, b| a.qbo_id.cmp(&b.qbo_id));
    let user = endpoints
        .gateways(
            &stack.connection.connection.settings,
            std::sync::Arc::new(SystemClock),
        )
        .unwrap();
    let edited = &links[..2 * STEADY_EDITS_PER_SIDE];
    for (n, chunk) in edited.chunks(STEADY_EDITS_PER_SIDE).enumerate() {
        let side = if n == 0 {
            Side::Quickbooks
        } else {
            Side::Hubspot
        };
        let (field, value) = match side {
            Side::Quickbooks => ("CompanyName", "Edited in QBO"),
            Side::Hubspot => ("company", "Edited in HubSpot"),
        };
        let ids: Vec<String> = chunk.iter().map(|l| l.id(side).to_owned()).collect();
        if side == Side::Hubspot {
            // As a person in HubSpot's UI (changeSource CRM_UI), not our app: the intake drops
            // our app's own writes as echoes.
            edit_as_person(&http, &info, &ids, field, value).await;
            continue;
        }
        let current = user
            .side(side)
            .read(ObjectKind::Contact, &ids)
            .await
            .unwrap();
        let requests = current
            .into_iter()
            .map(|r| UpdateRequest {
                id: r.id,
                expected_version: r.version,
                values: [(field.to_owned(), json!(value))].into_iter().collect(),
            })
            .collect();
        let results = user
            .side(side)
            .update(ObjectKind::Contact, requests)
            .await
            .unwrap();
        assert!(results.iter().all(Result::is_ok), "user edits");
    }
    webhooks_idle(&http, &[&hs_base, &qb_base]).await;
    clear_stats(&http, &hs_base).await;
    clear_stats(&http, &qb_base).await;
    let cpu_before = our_cpu(&info.tid);
    let started = Instant::now();
    pipeline.resume();
    let jobs_before = pipeline.stats().jobs_done.load(Ordering::Relaxed);
    settle(&stack, &http, &[&hs_base, &qb_base]).await;
    let wall = started.elapsed();
    let cpu = our_cpu(&info.tid) - cpu_before;
    let hs_stats = stats(&http, &hs_base).await;
    let qb_stats = stats(&http, &qb_base).await;
    let changes = (2 * STEADY_EDITS_PER_SIDE) as f64;
    let s = pipeline.stats();
    println!(
        "\nSteady state: {changes} edits ({STEADY_EDITS_PER_SIDE} per side) synced by webhook; {} jobs done, {} retried, {} paused",
        s.jobs_done.load(Ordering::Relaxed) - jobs_before,
        s.jobs_retried.load(Ordering::Relaxed),
        hqsync::quickbooks::throttle::total_pauses()
    );
    let metered = reads(&qb_stats, Side::Quickbooks);
    println!(
        "  metered QBO reads per synced change: {metered} / {changes} = {:.4} (aim: at most 0.1)",
        metered as f64 / changes
    );
    println!(
        "  wall time (incl. 1-2 s settling checks) {:.1} s; our CPU {:.3} ms per change",
        wall.as_secs_f64(),
        cpu * 1000.0 / changes
    );
    print_calls(
        "API calls per synced change (webhook echoes of our own writes included)",
        &hs_stats,
        &qb_stats,
        changes,
        "change",
    );

    // Check the edits converged (after the counts, so these reads are not counted).
    for (n, chunk) in edited.chunks(STEADY_EDITS_PER_SIDE).enumerate() {
        let (side, field, value) = if n == 0 {
            (Side::Hubspot, "company", "Edited in QBO")
        } else {
            (Side::Quickbooks, "CompanyName", "Edited in HubSpot")
        };
        let ids: Vec<String> = chunk.iter().map(|l| l.id(side).to_owned()).collect();
        let records = user
            .side(side)
            .read(ObjectKind::Contact, &ids)
            .await
            .unwrap();
        let synced = records
            .iter()
            .filter(|r| r.value(field) == Some(&json!(value)))
            .count();
        println!("  {synced}/{} edits visible on {side}", ids.len());
    }
    stack.shutdown().await;
    let _ = stop.send(());
}

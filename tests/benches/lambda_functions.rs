//! Benchmark of the Lambda handlers on the AWS code paths (moto) and the sandboxes: for each
//! function, init time (what a cold start adds before the first event), per-invocation wall
//! and CPU time for a 10-message batch (the poller: one poll of one connection), and the peak
//! RSS (the Lambda memory setting to fit).
//!
//! Run: `infra/scripts/with-moto.sh cargo bench -p hqsync-tests --bench lambda_functions`.
//! Each handler runs in a child process of its own (this binary, re-executed), so its RSS and
//! CPU are not mixed with the sandboxes', which stay in the parent. Prints numbers; asserts none.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use hqsync::adapters::dynamodb::local_sdk_config;
use hqsync::hubspot::webhook::signature::{HEADER_TIMESTAMP, HEADER_V3, sign_v3};
use hqsync::model::ObjectKind;
use hqsync::ports::{Connections, CreateRequest, Lane, TokenVault};
use hqsync::quickbooks::webhook::signature::{SIGNATURE_HEADER, sign};
use hqsync_aws::{AwsStack, StackConfig};
use hqsync_tests::aws_stack::{
    HUBSPOT_PATH, QUICKBOOKS_PATH, receive_lambda_event, settle_batch, start_aws_test_stack,
};
use serde_json::{Value, json};

const MOTO_ENDPOINT_VAR: &str = "HQSYNC_MOTO_ENDPOINT";
/// Set in a child process: which function it runs.
const CHILD_VAR: &str = "HQSYNC_BENCH_FUNCTION";
const PORTAL_VAR: &str = "HQSYNC_BENCH_PORTAL";
const REALM_VAR: &str = "HQSYNC_BENCH_REALM";
/// Invocations measured per function (the first one is the cold one).
const ROUNDS: usize = 6;
/// Messages (SQS records or webhook events) per invocation.
const BATCH: usize = 10;
const FUNCTIONS: [&str; 4] = ["worker", "hubspot-webhook", "quickbooks-webhook", "poller"];

fn main() {
    if let Ok(function) = std::env::var(CHILD_VAR) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let report = runtime.block_on(child(&function));
        println!("{report}");
        return;
    }
    let Some(endpoint) = std::env::var(MOTO_ENDPOINT_VAR)
        .ok()
        .filter(|v| !v.is_empty())
    else {
        println!(
            "lambda_functions: skipped ({MOTO_ENDPOINT_VAR} not set; run through infra/scripts/with-moto.sh)"
        );
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(parent(endpoint));
}

/// CPU time of this process so far: the sum over its live threads of the scheduler's
/// nanosecond counter (`/proc/self/task/*/schedstat`, first field).
fn process_cpu() -> Duration {
    let mut total = 0u64;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat"))
                && let Some(ns) = stat
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
            {
                total += ns;
            }
        }
    }
    Duration::from_nanos(total)
}

/// Peak resident set size of this process in MiB (`VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `function`'s handler ROUNDS times on batches of BATCH messages; returns a JSON report.
async fn child(function: &str) -> Value {
    let endpoint = std::env::var(MOTO_ENDPOINT_VAR).expect("endpoint");
    let (wall0, cpu0) = (Instant::now(), process_cpu());
    let sdk = local_sdk_config(&endpoint).await;
    let config = StackConfig::from_env().expect("stack config from the environment");
    let stack = AwsStack::new(&sdk, config.clone());
    let init_wall = wall0.elapsed();
    let init_cpu = process_cpu() - cpu0;
    let mut invocations = Vec::new();
    match function {
        "worker" => {
            let state = hqsync_worker::WorkerState::new(stack);
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            for _ in 0..ROUNDS {
                let mut event = receive_lambda_event(&sqs, &config.live_queue_url).await;
                for _ in 0..20 {
                    if event.records.len() >= BATCH {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let more = receive_lambda_event(&sqs, &config.live_queue_url).await;
                    event.records.extend(more.records);
                }
                event.records.truncate(BATCH);
                let messages = event.records.len();
                let (wall, cpu) = (Instant::now(), process_cpu());
                let (response, _) = hqsync_worker::run_batch(&state, &event).await;
                // The EMF flush is part of every invocation; render it without printing.
                let docs = state.stack.metrics.take_documents(chrono::Utc::now());
                let rendered: usize = docs.iter().map(|d| d.to_json().to_string().len()).sum();
                let (wall, cpu) = (wall.elapsed(), process_cpu() - cpu);
                std::hint::black_box(rendered);
                settle_batch(&sqs, &config.live_queue_url, &event, &response).await;
                invocations
                    .push(json!({"messages": messages, "wall_ms": ms(wall), "cpu_ms": ms(cpu)}));
            }
        }
        "hubspot-webhook" => {
            let app = stack.vault.app_credentials().await.expect("app secret");
            let secret = app.hubspot_client_secret.expect("client secret");
            let portal = std::env::var(PORTAL_VAR).expect("portal");
            let url = format!(
                "{}{HUBSPOT_PATH}",
                config.public_base_url.clone().unwrap_or_default()
            );
            let state = hqsync_hubspot_webhook::HubspotWebhookState { stack };
            for round in 0..ROUNDS {
                let events: Vec<Value> = (0..BATCH)
                    .map(|i| {
                        json!({"eventId": round * 100 + i, "subscriptionId": 1, "portalId": portal.parse::<u64>().unwrap_or(0),
                            "appId": 1, "occurredAt": chrono::Utc::now().timestamp_millis(),
                            "subscriptionType": "contact.propertyChange", "attemptNumber": 0,
                            "objectId": 900_000 + round * 100 + i, "propertyName": "firstname",
                            "propertyValue": "x", "changeSource": "CRM_UI"})
                    })
                    .collect();
                let body = serde_json::to_vec(&events).unwrap();
                let timestamp = chrono::Utc::now().timestamp_millis().to_string();
                let signature = sign_v3(&secret, "POST", &url, &body, &timestamp);
                let request = lambda_http::http::Request::builder()
                    .method("POST")
                    .uri(&url)
                    .header(HEADER_V3, signature)
                    .header(HEADER_TIMESTAMP, timestamp)
                    .header("content-type", "application/json")
                    .body(lambda_http::Body::Binary(body))
                    .unwrap();
                let (wall, cpu) = (Instant::now(), process_cpu());
                let response = hqsync_hubspot_webhook::handle(&state, request).await;
                let (wall, cpu) = (wall.elapsed(), process_cpu() - cpu);
                assert_eq!(
                    response.status().as_u16(),
                    200,
                    "benchmark delivery refused"
                );
                invocations
                    .push(json!({"messages": BATCH, "wall_ms": ms(wall), "cpu_ms": ms(cpu)}));
            }
        }
        "quickbooks-webhook" => {
            let app = stack.vault.app_credentials().await.expect("app secret");
            let verifier = app.quickbooks_webhook_verifier.expect("verifier token");
            let realm = std::env::var(REALM_VAR).expect("realm");
            let state = hqsync_quickbooks_webhook::QuickbooksWebhookState { stack };
            for round in 0..ROUNDS {
                let events: Vec<Value> = (0..BATCH)
                    .map(|i| {
                        json!({"specversion": "1.0", "id": format!("bench-{round}-{i}"),
                            "source": "intuit.bench", "type": "qbo.customer.updated.v1",
                            "datacontenttype": "application/json",
                            "time": chrono::Utc::now().to_rfc3339(),
                            "intuitentityid": (5000 + round * 100 + i).to_string(),
                            "intuitaccountid": realm, "data": {}})
                    })
                    .collect();
                let body = serde_json::to_vec(&events).unwrap();
                let request = lambda_http::http::Request::builder()
                    .method("POST")
                    .uri(format!("https://bench{QUICKBOOKS_PATH}"))
                    .header(SIGNATURE_HEADER, sign(&verifier, &body))
                    .header("content-type", "application/cloudevents-batch+json")
                    .body(lambda_http::Body::Binary(body))
                    .unwrap();
                let (wall, cpu) = (Instant::now(), process_cpu());
                let response = hqsync_quickbooks_webhook::handle(&state, request).await;
                let (wall, cpu) = (wall.elapsed(), process_cpu() - cpu);
                assert_eq!(
                    response.status().as_u16(),
                    200,
                    "benchmark delivery refused"
                );
                invocations
                    .push(json!({"messages": BATCH, "wall_ms": ms(wall), "cpu_ms": ms(cpu)}));
            }
        }
        "poller" => {
            // One connection, both kinds and sides; "messages" = jobs the poll queued.
            let state = hqsync_poller::PollerState::new(stack);
            for _ in 0..ROUNDS {
                let (wall, cpu) = (Instant::now(), process_cpu());
                let summary = hqsync_poller::handle(&state, json!({"mode": "poll"}))
                    .await
                    .expect("poll");
                let (wall, cpu) = (wall.elapsed(), process_cpu() - cpu);
                invocations.push(
                    json!({"messages": summary.jobs, "wall_ms": ms(wall), "cpu_ms": ms(cpu)}),
                );
            }
        }
        other => panic!("unknown function {other}"),
    }
    json!({"function": function, "init_wall_ms": ms(init_wall), "init_cpu_ms": ms(init_cpu),
        "invocations": invocations, "peak_rss_mib": peak_rss_mib()})
}

async fn parent(endpoint: String) {
    let local = start_aws_test_stack(&endpoint).await;
    let record = local
        .stack
        .store
        .get_connection(&local.connection)
        .await
        .unwrap()
        .unwrap();
    let pair = local
        .stack
        .sync_context()
        .gateways
        .gateways(&record)
        .await
        .expect("gateways");
    pair.hubspot
        .ensure_schema(&[ObjectKind::Contact])
        .await
        .expect("HubSpot properties");

    // Work for the worker: ROUNDS x BATCH new HubSpot contacts, whose webhooks become jobs.
    for round in 0..ROUNDS {
        let requests = (0..BATCH)
            .map(|i| CreateRequest {
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                values: [
                    ("email", json!(format!("bench{round}x{i}@example.com"))),
                    ("firstname", json!(format!("Bench{round}"))),
                    ("lastname", json!(format!("Contact{i}"))),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            })
            .collect();
        pair.hubspot
            .create(ObjectKind::Contact, requests)
            .await
            .expect("create contacts");
    }
    let ready = local
        .wait_for_jobs(Lane::Live, ROUNDS * BATCH, Duration::from_secs(60))
        .await;
    if !ready {
        println!(
            "lambda_functions: the sandbox webhooks did not queue {} jobs in time",
            ROUNDS * BATCH
        );
    }

    let mut vars: HashMap<String, String> = local.env.clone();
    vars.insert(MOTO_ENDPOINT_VAR.into(), endpoint.clone());
    vars.insert(
        PORTAL_VAR.into(),
        local.hubspot.config().portal_id.to_string(),
    );
    vars.insert(REALM_VAR.into(), local.quickbooks.config().realm_id.clone());
    let exe = std::env::current_exe().expect("this benchmark's path");
    let mut reports = Vec::new();
    for function in FUNCTIONS {
        let vars = vars.clone();
        let exe = exe.clone();
        let output = tokio::task::spawn_blocking(move || {
            Command::new(exe)
                .env_clear()
                .envs(std::env::vars().filter(|(k, _)| k == "PATH" || k == "HOME"))
                .envs(vars)
                .env(CHILD_VAR, function)
                .output()
        })
        .await
        .expect("join")
        .expect("run the child");
        let stdout = String::from_utf8_lossy(&output.stdout);
        match stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            Some(report) if output.status.success() => reports.push(report),
            _ => println!(
                "lambda_functions: {function} child failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }
    print_reports(&reports);
    local.shutdown().await;
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank]
}

fn print_reports(reports: &[Value]) {
    println!(
        "\nLambda handlers against moto + sandboxes ({ROUNDS} invocations of {BATCH} messages each; first = cold)"
    );
    println!(
        "{:<20} {:>9} {:>9} {:>11} {:>11} {:>11} {:>11} {:>9}",
        "function",
        "init ms",
        "init cpu",
        "first wall",
        "first cpu",
        "warm wall",
        "warm cpu",
        "peak MiB"
    );
    for report in reports {
        let invocations = report["invocations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let field = |inv: &Value, name: &str| inv[name].as_f64().unwrap_or(0.0);
        let (first_wall, first_cpu) = invocations
            .first()
            .map_or((0.0, 0.0), |f| (field(f, "wall_ms"), field(f, "cpu_ms")));
        let mut warm_wall: Vec<f64> = invocations
            .iter()
            .skip(1)
            .map(|i| field(i, "wall_ms"))
            .collect();
        let mut warm_cpu: Vec<f64> = invocations
            .iter()
            .skip(1)
            .map(|i| field(i, "cpu_ms"))
            .collect();
        warm_wall.sort_by(f64::total_cmp);
        warm_cpu.sort_by(f64::total_cmp);
        println!(
            "{:<20} {:>9.1} {:>9.1} {:>11.1} {:>11.1} {:>11.1} {:>11.1} {:>9.1}",
            report["function"].as_str().unwrap_or("?"),
            report["init_wall_ms"].as_f64().unwrap_or(0.0),
            report["init_cpu_ms"].as_f64().unwrap_or(0.0),
            first_wall,
            first_cpu,
            percentile(&warm_wall, 0.5),
            percentile(&warm_cpu, 0.5),
            report["peak_rss_mib"].as_f64().unwrap_or(0.0),
        );
        let messages: Vec<u64> = invocations
            .iter()
            .map(|i| i["messages"].as_u64().unwrap_or(0))
            .collect();
        println!("{:<20} messages per invocation: {messages:?}", "");
    }
    println!(
        "warm = median of the invocations after the first; cpu = process CPU time (all threads)."
    );
}

//! Benchmark: `QboClient` reading 10,000 customers from the QBO sandbox by CDC, by query pages
//! and by `Id IN` batches (requests made, records/s). Prints numbers; no pass/fail.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::Utc;
use hqsync::quickbooks::limits::CompanyLimits;
use hqsync::quickbooks::{
    BatchItem, CompanyBudgets, Customer, QboClient, QboEnvironment, Query, RealmId,
};
use hqsync_sandbox::quickbooks::{QboLimits, QuickbooksSandboxConfig};
use hqsync_tests::quickbooks::{QuickbooksSandbox, start_quickbooks_sandbox};
use secrecy::SecretString;
use serde_json::json;

const RECORDS: usize = 10_000;

fn client(sandbox: &QuickbooksSandbox, budgets: CompanyBudgets) -> QboClient {
    QboClient::new(
        &QboEnvironment::Custom(reqwest::Url::parse(&sandbox.base_url()).unwrap()),
        RealmId::new(sandbox.config().realm_id.clone()).unwrap(),
        SecretString::from(sandbox.config().dev_token.clone()),
    )
    .unwrap()
    .with_budgets(budgets)
}

fn report(what: &str, records: usize, requests: u64, took: Duration) {
    println!(
        "{what:<48} {records:>6} records {requests:>4} requests {:>9.1} ms {:>9.0} records/s",
        took.as_secs_f64() * 1000.0,
        records as f64 / took.as_secs_f64()
    );
}

fn distinct(ids: impl IntoIterator<Item = String>) -> usize {
    ids.into_iter().collect::<HashSet<_>>().len()
}

#[tokio::main]
async fn main() {
    let sandbox = start_quickbooks_sandbox(QuickbooksSandboxConfig {
        limits: QboLimits {
            per_minute: 0,
            per_second: 0,
            batch_per_minute: 0,
            core_plus_reads: 0,
        },
        ..QuickbooksSandboxConfig::default()
    })
    .await;
    let since = (Utc::now() - chrono::Duration::hours(1)).fixed_offset();

    // Seed with batches of 30, limits off on both ends (setup, not measured).
    let seeder = client(&sandbox, CompanyBudgets::unlimited());
    let started = Instant::now();
    let items: Vec<BatchItem> = (0..RECORDS)
        .map(|i| {
            BatchItem::create(&Customer {
                display_name: Some(format!("Bench Customer {i:05}")),
                primary_email_addr: Some(hqsync::quickbooks::entities::EmailAddress::new(format!(
                    "bench{i}@example.com"
                ))),
                ..Customer::default()
            })
            .unwrap()
        })
        .collect();
    let created = seeder.batch(&items).await.unwrap();
    let ids: Vec<String> = created
        .into_iter()
        .map(|r| r.unwrap().entity::<Customer>().unwrap().id.unwrap())
        .collect();
    report(
        "seed: batch create (limits off)",
        ids.len(),
        seeder.requests_sent(),
        started.elapsed(),
    );

    for (label, limits_on) in [
        ("sandbox limits off, client budgets off", false),
        ("real limits (500/min, 10/s) on both ends", true),
    ] {
        println!("\n{label}:");
        let limits = if limits_on {
            QboLimits::default()
        } else {
            QboLimits {
                per_minute: 0,
                per_second: 0,
                batch_per_minute: 0,
                core_plus_reads: 0,
            }
        };
        reqwest::Client::new()
            .put(format!("{}/_sandbox/quickbooks", sandbox.base_url()))
            .json(&json!({ "limits": limits }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let budgets = || {
            if limits_on {
                CompanyBudgets::new(CompanyLimits::REAL)
            } else {
                CompanyBudgets::unlimited()
            }
        };

        let c = client(&sandbox, budgets());
        let t = Instant::now();
        let changes = c.changes_since(&["Customer"], since).await.unwrap();
        let n = distinct(
            changes.objects["Customer"]
                .iter()
                .map(|o| o["Id"].as_str().unwrap().to_string()),
        );
        report(
            &format!(
                "CDC (saturated: {} CDC requests + query pages)",
                changes.cdc_requests
            ),
            n,
            c.requests_sent(),
            t.elapsed(),
        );

        let c = client(&sandbox, budgets());
        let t = Instant::now();
        let all: Vec<Customer> = c
            .query_all(Query::select("Customer").include_inactive())
            .await
            .unwrap();
        report(
            "query pages (MAXRESULTS 1000, ORDERBY Id)",
            distinct(all.into_iter().filter_map(|c| c.id)),
            c.requests_sent(),
            t.elapsed(),
        );

        let c = client(&sandbox, budgets());
        let t = Instant::now();
        let read: Vec<Customer> = c.read_many(&ids).await.unwrap();
        report(
            "Id IN batches (500 ids per query)",
            distinct(read.into_iter().filter_map(|c| c.id)),
            c.requests_sent(),
            t.elapsed(),
        );
    }
    sandbox.shutdown().await;
}

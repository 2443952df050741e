//! The shared vendor rate buckets in DynamoDB (moto): containers drawing on one bucket together
//! stay within the vendor's window, racing takers never spend the same tokens, a missing table
//! fails open, and the DynamoDB calls the bucket adds per vendor call, printed and kept low.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hqsync::adapters::dynamodb::{DynamoTokenBuckets, ensure_table};
use hqsync::http::shared_budget::{TOKEN_HOLD, bucket_within};
use hqsync::http::{SharedAllowance, Window};
use hqsync::ports::TokenBuckets;

use super::aws_moto::{moto, unique};

/// HubSpot's general window (docs/hubspot.md §9.1): 110 requests per rolling 10 s.
const HUBSPOT: Window = Window::new(110, Duration::from_secs(10));

/// Four containers on one bucket, each making a request every `every` (or as fast as the
/// bucket allows when `None`) for `run_for`: (vendor calls, DynamoDB calls, seconds taken).
async fn load(
    moto: &super::aws_moto::Moto,
    window: Window,
    every: Option<Duration>,
    run_for: Duration,
) -> (u64, u64, f64) {
    let table = unique("hqsync-buckets");
    ensure_table(&moto.dynamodb, &table).await.unwrap();
    let containers: Vec<(Arc<DynamoTokenBuckets>, SharedAllowance)> = (0..4)
        .map(|_| {
            let buckets = Arc::new(DynamoTokenBuckets::new(moto.dynamodb.clone(), &table));
            let allowance = SharedAllowance::new(buckets.clone(), "account#4242", window);
            (buckets, allowance)
        })
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = containers
        .iter()
        .enumerate()
        .map(|(i, (_, allowance))| {
            let allowance = allowance.clone();
            tokio::spawn(async move {
                // Containers start apart, as Lambda starts them.
                tokio::time::sleep(Duration::from_millis(100 * i as u64)).await;
                let mut taken = 0u64;
                while started.elapsed() < run_for {
                    allowance.take_one().await;
                    taken += 1;
                    if let Some(every) = every {
                        tokio::time::sleep(every).await;
                    }
                }
                taken
            })
        })
        .collect();
    let mut vendor_calls = 0u64;
    for task in tasks {
        vendor_calls += task.await.unwrap();
    }
    let dynamodb_calls: u64 = containers.iter().map(|(b, _)| b.calls()).sum();
    (
        vendor_calls,
        dynamodb_calls,
        started.elapsed().as_secs_f64(),
    )
}

#[tokio::test]
async fn dynamodb_buckets_cost_a_fraction_of_a_call_per_vendor_call_at_a_steady_pace() {
    let Some(moto) =
        moto("dynamodb_buckets_cost_a_fraction_of_a_call_per_vendor_call_at_a_steady_pace").await
    else {
        return;
    };
    // QBO's 500 per minute; each container calls four times a second (16 a second in all,
    // within the burst of 100 plus the refill over 8 s).
    let qbo = Window::new(500, Duration::from_secs(60));
    let (vendor, dynamodb, secs) = load(
        &moto,
        qbo,
        Some(Duration::from_millis(250)),
        Duration::from_secs(8),
    )
    .await;
    let per_call = dynamodb as f64 / vendor as f64;
    println!(
        "shared bucket, steady: {vendor} vendor calls from 4 containers in {secs:.1} s, \
         {dynamodb} DynamoDB calls = {per_call:.3} per vendor call"
    );
    assert!(vendor >= 80, "every container kept its pace: {vendor}");
    // One take (a read and a write) per ten requests is 0.2; the start and the last partly
    // used batch add a little.
    assert!(
        per_call <= 0.3,
        "the bucket costs {per_call:.3} DynamoDB calls per vendor call"
    );
}

#[tokio::test]
async fn dynamodb_buckets_keep_saturating_containers_together_within_the_window() {
    let Some(moto) =
        moto("dynamodb_buckets_keep_saturating_containers_together_within_the_window").await
    else {
        return;
    };
    let (vendor, dynamodb, secs) = load(&moto, HUBSPOT, None, Duration::from_secs(3)).await;
    let spec = bucket_within(HUBSPOT);
    // Requests in the run are at most the burst plus the refill over it and the hold.
    let bound = spec.capacity + spec.refill_per_sec * (secs + TOKEN_HOLD.as_secs_f64());
    let per_call = dynamodb as f64 / vendor as f64;
    println!(
        "shared bucket, saturated: {vendor} vendor calls from 4 containers in {secs:.1} s \
         (bound {bound:.0}), {dynamodb} DynamoDB calls = {per_call:.3} per vendor call"
    );
    assert!(
        (vendor as f64) <= bound,
        "{vendor} requests exceed the shared bound {bound:.0}"
    );
    assert!(
        vendor >= spec.capacity as u64,
        "the burst is available: {vendor}"
    );
    assert!(
        per_call <= 1.0,
        "even saturated, at most one DynamoDB call per vendor call: {per_call:.3}"
    );
}

#[tokio::test]
async fn dynamodb_racing_takers_never_spend_the_same_tokens() {
    let Some(moto) = moto("dynamodb_racing_takers_never_spend_the_same_tokens").await else {
        return;
    };
    let table = unique("hqsync-buckets");
    ensure_table(&moto.dynamodb, &table).await.unwrap();
    let spec = hqsync::ports::BucketSpec {
        capacity: 30.0,
        refill_per_sec: 0.0,
    };
    let now = chrono::Utc::now();
    let takers: Vec<_> = (0..6)
        .map(|_| {
            let buckets = DynamoTokenBuckets::new(moto.dynamodb.clone(), &table);
            tokio::spawn(async move {
                let mut got = 0;
                for _ in 0..4 {
                    if let Ok(grant) = buckets.take_tokens("quickbooks#9", spec, 3, now).await {
                        got += grant.granted;
                    }
                }
                got
            })
        })
        .collect();
    let mut granted = 0;
    for taker in takers {
        granted += taker.await.unwrap();
    }
    assert!(
        granted <= 30,
        "{granted} tokens granted from a bucket of 30"
    );
    assert!(granted >= 24, "{granted}: most takes get through the races");
}

#[tokio::test]
async fn a_missing_bucket_table_fails_open() {
    let Some(moto) = moto("a_missing_bucket_table_fails_open").await else {
        return;
    };
    let buckets = Arc::new(DynamoTokenBuckets::new(
        moto.dynamodb.clone(),
        unique("no-such-table"),
    ));
    assert!(
        buckets
            .take_tokens("hubspot#1", bucket_within(HUBSPOT), 1, chrono::Utc::now())
            .await
            .is_err()
    );
    let allowance = SharedAllowance::new(buckets, "hubspot#1", HUBSPOT);
    for _ in 0..3 {
        tokio::time::timeout(Duration::from_secs(5), allowance.take_one())
            .await
            .expect("requests go on without the bucket");
    }
}

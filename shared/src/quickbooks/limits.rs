//! QBO limits in one place: per-company request budgets (500/min, 10/s, 10 in flight, batch
//! 40/min), page/batch/CDC caps, and the retry policy QBO calls run under (docs/quickbooks.md §9).

use std::time::Duration;

use std::sync::Arc;

use crate::http::{RateBudget, RetryPolicy, SharedAllowance, Window};
use crate::ports::TokenBuckets;

/// Requests per minute per realm (§9).
pub const REQUESTS_PER_MINUTE: u32 = 500;
/// Requests per second per realm and app (§9).
pub const REQUESTS_PER_SECOND: u32 = 10;
/// Requests in flight per realm and app (older "10 concurrent" policy, §9).
pub const MAX_IN_FLIGHT: usize = 10;
/// Batch requests per minute per realm and app (§8, §9).
pub const BATCH_REQUESTS_PER_MINUTE: u32 = 40;
/// Extra length of our batch window over Intuit's minute. Starts are recorded when we send;
/// QBO counts a batch when it takes it, and concurrent batches (up to 30 writes each) queue
/// there, so its count can trail ours by seconds: measured against the sandbox, a plain 60 s
/// window drew a 429 (engine_sync bench), which pauses every request of the company for
/// `THROTTLE_WAIT`. 5 s costs at most 8% of batch throughput. UNVERIFIED (§8, §9): when QBO
/// timestamps a batch request; one constant to tune.
pub const BATCH_WINDOW_MARGIN: Duration = Duration::from_secs(5);
/// Items per batch request (§8).
pub const MAX_BATCH_ITEMS: usize = 30;
/// Largest `MAXRESULTS` a query accepts; larger values are rejected with 4001 (§6).
pub const MAX_QUERY_RESULTS: u32 = 1000;
/// Objects one CDC response returns at most; a response this full is not trusted (§7).
/// UNVERIFIED (docs/quickbooks.md §15 item 6): per request or per entity; `changes_since`
/// splits the entity list first and then narrows the window, which is safe under both readings.
pub const CDC_MAX_OBJECTS: usize = 1000;
/// Object count from which a CDC response counts as saturated ("about 1000", §7): a little
/// under the cap, because being wrong only costs a few extra requests.
pub const CDC_SATURATED_AT: usize = 990;
/// How far back `changedSince` may reach (§7).
pub const CDC_LOOKBACK: Duration = Duration::from_secs(30 * 24 * 3600);
/// Wait after a 429 when the response does not say otherwise (§9: "wait 60 seconds").
/// UNVERIFIED (§9): whether QBO ever sends `Retry-After`; it is honoured when present.
pub const THROTTLE_WAIT: Duration = Duration::from_secs(60);
/// Longest `requestid` on ordinary operations (§1).
pub const MAX_REQUEST_ID_LEN: usize = 50;
/// Longest `requestid` on a batch request (§1).
pub const MAX_BATCH_REQUEST_ID_LEN: usize = 36;
/// Longest `bId` when a batch carries a `requestid` (§1, §8).
pub const MAX_BATCH_ID_LEN: usize = 10;
/// Ids per `Id IN (...)` read. The query endpoint is POSTed (no URL limit) and a page holds at
/// most `MAX_QUERY_RESULTS`; 500 keeps statements short while halving round trips vs 250.
pub const IDS_PER_IN_QUERY: usize = 500;
/// Server-side request timeout (§9); our HTTP timeout sits a little above it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(125);

/// The retry policy every QBO call runs under: three transient retries with jittered backoff,
/// two throttle waits (each pausing the whole company budget) before the 429 is returned.
pub const RETRY_POLICY: RetryPolicy = RetryPolicy {
    max_transient_retries: 3,
    max_throttle_waits: 2,
    min_backoff: Duration::from_millis(500),
    max_backoff: Duration::from_secs(8),
};

/// The numbers a company budget is built from; `REAL` are Intuit's, tests may scale them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompanyLimits {
    pub requests_per_minute: u32,
    pub requests_per_second: u32,
    pub max_in_flight: usize,
    pub batch_requests_per_minute: u32,
}

impl CompanyLimits {
    pub const REAL: CompanyLimits = CompanyLimits {
        requests_per_minute: REQUESTS_PER_MINUTE,
        requests_per_second: REQUESTS_PER_SECOND,
        max_in_flight: MAX_IN_FLIGHT,
        batch_requests_per_minute: BATCH_REQUESTS_PER_MINUTE,
    };
}

/// The budgets of one company (realm). Clones share state: give every client of the same realm
/// the same `CompanyBudgets`.
#[derive(Debug, Clone)]
pub struct CompanyBudgets {
    /// Every request (batch requests included, §8 "the 500/min limit includes batch requests").
    pub requests: RateBudget,
    /// Batch requests only, on top of `requests`.
    pub batch: RateBudget,
}

impl CompanyBudgets {
    pub fn new(limits: CompanyLimits) -> Self {
        let second = Duration::from_secs(1);
        let minute = Duration::from_secs(60);
        Self {
            requests: RateBudget::new(
                "quickbooks",
                &[
                    Window::new(limits.requests_per_minute, minute),
                    Window::new(limits.requests_per_second, second),
                ],
                Some(limits.max_in_flight),
            ),
            batch: RateBudget::new(
                "quickbooks-batch",
                &[Window::new(
                    limits.batch_requests_per_minute,
                    minute + BATCH_WINDOW_MARGIN,
                )],
                None,
            ),
        }
    }

    /// Budgets with Intuit's real numbers.
    pub fn real() -> Self {
        Self::new(CompanyLimits::REAL)
    }

    /// Intuit's numbers, with the per-minute limit shared by every container of the stack
    /// through `buckets` (one bucket per realm, docs/aws.md §11); the per-second, in-flight and
    /// batch limits stay per container.
    pub fn shared_across(buckets: Arc<dyn TokenBuckets>, realm_id: &str) -> Self {
        let local = Self::real();
        let minute = Window::new(REQUESTS_PER_MINUTE, Duration::from_secs(60));
        let allowance = SharedAllowance::new(buckets, format!("quickbooks#{realm_id}"), minute);
        Self {
            requests: local.requests.with_shared(allowance),
            batch: local.batch,
        }
    }

    /// Budgets that never wait (tests that measure something else).
    pub fn unlimited() -> Self {
        Self {
            requests: RateBudget::unlimited("quickbooks"),
            batch: RateBudget::unlimited("quickbooks-batch"),
        }
    }
}

impl Default for CompanyBudgets {
    fn default() -> Self {
        Self::real()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_second_never_holds_more_than_ten_requests() {
        let budgets = CompanyBudgets::real();
        let start = tokio::time::Instant::now();
        let mut times = Vec::new();
        for _ in 0..14 {
            drop(budgets.requests.acquire().await);
            times.push(start.elapsed());
        }
        for (i, t) in times.iter().enumerate() {
            let within = times[i..]
                .iter()
                .filter(|u| **u - *t < Duration::from_secs(1))
                .count();
            assert!(
                within <= REQUESTS_PER_SECOND as usize,
                "{within} requests within 1 s of #{i}"
            );
        }
        assert_eq!(times[9], Duration::ZERO, "ten go at once");
        assert_eq!(
            times[10],
            Duration::from_millis(1050),
            "the eleventh waits for the window and a jitter margin"
        );
    }

    #[tokio::test]
    async fn at_most_ten_requests_are_in_flight() {
        let budgets = CompanyBudgets::new(CompanyLimits {
            requests_per_second: 1000,
            requests_per_minute: 1000,
            ..CompanyLimits::REAL
        });
        let mut held = Vec::new();
        for _ in 0..MAX_IN_FLIGHT {
            held.push(budgets.requests.acquire().await);
        }
        let eleventh =
            tokio::time::timeout(Duration::from_millis(50), budgets.requests.acquire()).await;
        assert!(eleventh.is_err(), "an 11th concurrent request must wait");
        held.pop();
        let eleventh =
            tokio::time::timeout(Duration::from_millis(50), budgets.requests.acquire()).await;
        assert!(eleventh.is_ok());
    }
}

//! `SharedAllowance`: the part of a vendor budget every container of a stack shares (docs/aws.md
//! §11). A `RateBudget` with one takes a token from the account's shared bucket (`TokenBuckets`,
//! DynamoDB on AWS) before each request, in batches per container so the bucket costs a fraction
//! of a DynamoDB call per vendor call; if the bucket's store fails it logs and lets the request go.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::budget::Window;
use crate::ports::{BucketSpec, TokenBuckets};

/// Tokens a container takes from the shared bucket at once.
pub const TOKENS_PER_TAKE: u32 = 10;
/// How long a container may keep taken tokens before it must give them up unused: what makes
/// the bucket's bound hold for requests, not only for takes. Long enough that a container making
/// a request every half second still uses a whole batch (one take per ten requests); the price
/// is a lower sustained rate (`bucket_within`).
pub const TOKEN_HOLD: Duration = Duration::from_secs(5);
/// Longest a request waits on an empty bucket before trying it again.
const MAX_WAIT: Duration = Duration::from_secs(5);

/// The bucket that keeps every container together under `window`: requests in any rolling
/// `window.per` are at most the tokens taken in `per + TOKEN_HOLD`, which is at most
/// `capacity + refill x (per + TOKEN_HOLD)`. A fifth of the limit as burst, the rest as refill,
/// make that exactly `window.max_requests`: HubSpot's 110 per 10 s is a burst of 22 and 5.9 a
/// second; QBO's 500 per minute a burst of 100 and 6.2 a second.
pub fn bucket_within(window: Window) -> BucketSpec {
    let limit = f64::from(window.max_requests);
    let span = (window.per + TOKEN_HOLD).as_secs_f64();
    BucketSpec {
        capacity: limit / 5.0,
        refill_per_sec: limit * 4.0 / 5.0 / span,
    }
}

/// One account's shared allowance (e.g. `hubspot#<portal>`); clones share the reserve.
#[derive(Clone)]
pub struct SharedAllowance {
    buckets: Arc<dyn TokenBuckets>,
    key: String,
    spec: BucketSpec,
    batch: u32,
    reserve: Arc<Mutex<Reserve>>,
}

#[derive(Default)]
struct Reserve {
    tokens: u32,
    taken_at: Option<Instant>,
}

impl std::fmt::Debug for SharedAllowance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAllowance")
            .field("key", &self.key)
            .field("spec", &self.spec)
            .finish()
    }
}

impl SharedAllowance {
    /// The allowance of bucket `key` keeping every container under `window`.
    pub fn new(buckets: Arc<dyn TokenBuckets>, key: impl Into<String>, window: Window) -> Self {
        let spec = bucket_within(window);
        SharedAllowance {
            buckets,
            key: key.into(),
            spec,
            // Never more than half the burst at once, so several containers all get some.
            batch: TOKENS_PER_TAKE.min((spec.capacity / 2.0).floor().max(1.0) as u32),
            reserve: Arc::default(),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// Waits for one token: from this container's reserve, else a batch from the bucket. A
    /// failing bucket store never blocks the request (fail open, with a log line).
    pub async fn take_one(&self) {
        let mut reserve = self.reserve.lock().await;
        loop {
            let fresh = reserve.taken_at.is_some_and(|at| at.elapsed() < TOKEN_HOLD);
            if reserve.tokens > 0 && fresh {
                reserve.tokens -= 1;
                return;
            }
            match self
                .buckets
                .take_tokens(&self.key, self.spec, self.batch, chrono::Utc::now())
                .await
            {
                Ok(grant) if grant.granted > 0 => {
                    reserve.tokens = grant.granted;
                    reserve.taken_at = Some(Instant::now());
                }
                Ok(grant) => {
                    // Up to half again at random, so containers waiting on one bucket do not
                    // all come back at the same instant (each empty try is a read).
                    let base = grant.retry_in.clamp(Duration::from_millis(20), MAX_WAIT);
                    let jitter = base.mul_f64(rand::random::<f64>() / 2.0);
                    tokio::time::sleep(base + jitter).await;
                }
                Err(error) => {
                    tracing::warn!(bucket = %self.key, %error, "shared rate bucket unavailable; this request goes without it");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryTokenBuckets;
    use crate::ports::{Grant, StoreError};
    use async_trait::async_trait;
    use chrono::{DateTime, Utc};

    #[test]
    fn the_bucket_keeps_every_window_within_its_limit() {
        let spec = bucket_within(Window::new(110, Duration::from_secs(10)));
        let bound = spec.capacity + spec.refill_per_sec * (10.0 + TOKEN_HOLD.as_secs_f64());
        assert!((bound - 110.0).abs() < 1e-9, "{bound}");
        assert_eq!(spec.capacity, 22.0);
    }

    #[tokio::test]
    async fn containers_share_one_bucket_and_take_in_batches() {
        let buckets = Arc::new(MemoryTokenBuckets::new());
        let window = Window::new(100, Duration::from_secs(60));
        let one = SharedAllowance::new(buckets.clone(), "quickbooks#1", window);
        let two = SharedAllowance::new(buckets.clone(), "quickbooks#1", window);
        assert_eq!(one.batch, 10);
        // The burst is 20: two containers get 10 each at once, then wait for refill.
        for _ in 0..10 {
            one.take_one().await;
            two.take_one().await;
        }
        let third = tokio::time::timeout(Duration::from_millis(50), one.take_one()).await;
        assert!(third.is_err(), "the shared burst is spent");
    }

    struct Broken;

    #[async_trait]
    impl TokenBuckets for Broken {
        async fn take_tokens(
            &self,
            _: &str,
            _: BucketSpec,
            _: u32,
            _: DateTime<Utc>,
        ) -> Result<Grant, StoreError> {
            Err(StoreError::Backend("table unavailable".into()))
        }
    }

    #[tokio::test]
    async fn a_failing_bucket_store_lets_requests_through() {
        let allowance = SharedAllowance::new(
            Arc::new(Broken),
            "hubspot#1",
            Window::new(110, Duration::from_secs(10)),
        );
        for _ in 0..3 {
            tokio::time::timeout(Duration::from_millis(100), allowance.take_one())
                .await
                .expect("fails open");
        }
    }
}

//! The `TokenBuckets` port: token buckets shared by every container of a stack (one per HubSpot
//! portal and QBO realm), and the one refill-and-take rule every adapter applies to them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// A bucket's shape: it holds at most `capacity` tokens and gains `refill_per_sec` a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketSpec {
    pub capacity: f64,
    pub refill_per_sec: f64,
}

/// A bucket's stored state: its tokens as of `at_ms` (ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketState {
    pub tokens: f64,
    pub at_ms: i64,
}

/// What one take got: `granted` tokens (all that was asked for, or 0 when the bucket holds
/// fewer) and, when 0, how long until it holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub granted: u32,
    pub retry_in: Duration,
}

/// The one rule: refill `state` (a new bucket starts full) up to `now_ms`, then take `want`
/// tokens (at most the capacity) if the bucket holds them, else none: whole batches keep the
/// store calls per token low, where partial grants would spend two calls on a few tokens.
/// Returns the grant and the state to store.
pub fn take_from(
    state: Option<BucketState>,
    spec: BucketSpec,
    want: u32,
    now_ms: i64,
) -> (Grant, BucketState) {
    let tokens = match state {
        None => spec.capacity,
        Some(s) => {
            let elapsed = (now_ms - s.at_ms).max(0) as f64 / 1000.0;
            (s.tokens + elapsed * spec.refill_per_sec).min(spec.capacity)
        }
    };
    let want = want.min(spec.capacity.floor().max(1.0) as u32);
    let granted = if tokens >= f64::from(want) { want } else { 0 };
    let left = tokens - f64::from(granted);
    let retry_in = if granted > 0 || spec.refill_per_sec <= 0.0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(((f64::from(want) - left) / spec.refill_per_sec).max(0.0))
    };
    (
        Grant { granted, retry_in },
        BucketState {
            tokens: left,
            at_ms: now_ms,
        },
    )
}

/// Buckets by name, shared by every caller of the store (DynamoDB on AWS: every container).
#[async_trait]
pub trait TokenBuckets: Send + Sync {
    /// Takes up to `want` tokens from bucket `key` (created full on first use), by
    /// [`take_from`], atomically against other takers.
    async fn take_tokens(
        &self,
        key: &str,
        spec: BucketSpec,
        want: u32,
        now: DateTime<Utc>,
    ) -> Result<Grant, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: BucketSpec = BucketSpec {
        capacity: 20.0,
        refill_per_sec: 8.0,
    };

    #[test]
    fn a_new_bucket_is_full_and_a_take_never_exceeds_what_it_holds() {
        let (grant, state) = take_from(None, SPEC, 10, 0);
        assert_eq!(grant.granted, 10);
        assert_eq!(state.tokens, 10.0);
        let (grant, state) = take_from(Some(state), SPEC, 10, 0);
        assert_eq!(grant.granted, 10);
        let (grant, state) = take_from(Some(state), SPEC, 10, 0);
        assert_eq!(grant.granted, 0, "empty");
        assert_eq!(
            grant.retry_in,
            Duration::from_millis(1250),
            "10 tokens at 8/s"
        );
        // Half a second later: 4 tokens, not the 10 asked for; 1.25 s after emptying: 10.
        let (grant, state) = take_from(Some(state), SPEC, 10, 500);
        assert_eq!(grant.granted, 0);
        assert_eq!(grant.retry_in, Duration::from_millis(750));
        let (grant, state) = take_from(Some(state), SPEC, 10, 1250);
        assert_eq!(grant.granted, 10);
        assert!(state.tokens.abs() < 1e-9);
    }

    #[test]
    fn refill_stops_at_capacity() {
        let empty = BucketState {
            tokens: 0.0,
            at_ms: 0,
        };
        let (grant, _) = take_from(Some(empty), SPEC, 100, 3_600_000);
        assert_eq!(grant.granted, 20, "at most the capacity");
    }

    #[test]
    fn takers_together_never_get_more_than_capacity_plus_refill() {
        // Three takers asking 10 at a time for 10 s: at most 20 + 8 x 10 = 100 granted.
        let mut state = None;
        let mut granted = 0;
        for step in 0..=100 {
            let now = step * 100;
            for _ in 0..3 {
                let (grant, next) = take_from(state, SPEC, 10, now);
                granted += grant.granted;
                state = Some(next);
            }
        }
        assert!(granted <= 100, "{granted}");
        assert!(granted >= 90, "{granted}: the bucket is not starved either");
    }
}

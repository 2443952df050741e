//! The retry loop every vendor call runs in: throttling waits as told (and pauses the whole
//! budget), transient faults back off with jitter (`backon`), permanent errors return at once.

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use super::budget::RateBudget;
use super::deadline;

/// How a failed attempt should be treated; each client's error type decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Retrying cannot help (validation, not found, auth): return the error.
    Permanent,
    /// A fault that may pass (5xx, timeouts, connection resets); `retry_after` when the
    /// vendor said how long to wait.
    Transient { retry_after: Option<Duration> },
    /// The vendor rate-limited us: wait `wait`, and make every request of the budget wait too.
    /// Never counted as a record failure.
    Throttled { wait: Duration },
}

/// Lets [`with_retry`] classify a client's error.
pub trait ClassifyRetry {
    fn retry_class(&self) -> RetryClass;
}

/// Limits of the retry loop. One policy per vendor lives next to that vendor's constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after transient faults (so at most this + 1 attempts for them).
    pub max_transient_retries: u32,
    /// Throttle waits before giving up and returning the throttled error to the caller.
    pub max_throttle_waits: u32,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// No retries at all (one attempt), for tests and for calls the caller retries itself.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_transient_retries: 0,
        max_throttle_waits: 0,
        min_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };
}

/// Runs `op` until it succeeds, fails permanently or exhausts `policy`. Before each attempt
/// it takes a permit from every budget in `budgets` and holds them for the attempt. Inside a
/// [`deadline::scope`] it never sleeps past the deadline: a wait that would returns the error.
/// `op` gets the attempt number (0-based), so a caller can log or vary it.
///
/// Callers must only pass operations that are safe to repeat: reads, updates carrying a
/// version, and creates that carry an idempotency key (QBO `requestid`, HubSpot upsert by a
/// unique property).
pub async fn with_retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    budgets: &[&RateBudget],
    op: F,
) -> Result<T, E>
where
    E: ClassifyRetry,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let pause_all = |wait: Duration| {
        for budget in budgets {
            budget.pause_for(wait);
        }
    };
    with_retry_pausing(policy, budgets, &pause_all, op).await
}

/// [`with_retry`] where a throttled attempt calls `pause(wait)` instead of pausing every budget
/// in `budgets`: the caller pauses what the throttle applies to (QBO: the batch endpoint or the
/// whole company, `quickbooks::throttle`), logs and counts it.
pub async fn with_retry_pausing<T, E, F, Fut>(
    policy: &RetryPolicy,
    budgets: &[&RateBudget],
    pause: &(dyn Fn(Duration) + Sync),
    mut op: F,
) -> Result<T, E>
where
    E: ClassifyRetry,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut backoff = ExponentialBuilder::default()
        .with_min_delay(policy.min_backoff)
        .with_max_delay(policy.max_backoff)
        .with_max_times(policy.max_transient_retries as usize)
        .with_jitter()
        .build();
    let mut throttle_waits = 0u32;
    let mut attempt = 0u32;
    loop {
        let mut permits = Vec::with_capacity(budgets.len());
        for budget in budgets {
            permits.push(budget.acquire().await);
        }
        let result = op(attempt).await;
        drop(permits);
        attempt += 1;
        let err = match result {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        match err.retry_class() {
            RetryClass::Permanent => return Err(err),
            RetryClass::Throttled { wait } => {
                if throttle_waits >= policy.max_throttle_waits || deadline::would_pass(wait) {
                    return Err(err);
                }
                throttle_waits += 1;
                pause(wait);
                tokio::time::sleep(wait).await;
            }
            RetryClass::Transient { retry_after } => match backoff.next() {
                None => return Err(err),
                Some(delay) => {
                    let wait = retry_after.unwrap_or(delay).max(delay);
                    if deadline::would_pass(wait) {
                        return Err(err);
                    }
                    tokio::time::sleep(wait).await;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug, PartialEq)]
    struct Fault(RetryClass);
    impl ClassifyRetry for Fault {
        fn retry_class(&self) -> RetryClass {
            self.0
        }
    }

    const FAST: RetryPolicy = RetryPolicy {
        max_transient_retries: 3,
        max_throttle_waits: 2,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    };

    async fn run(errors: Vec<RetryClass>) -> (Result<&'static str, Fault>, u32) {
        let calls = AtomicU32::new(0);
        let budget = RateBudget::unlimited("t");
        let result = with_retry(&FAST, &[&budget], |attempt| {
            calls.fetch_add(1, Ordering::SeqCst);
            let next = errors.get(attempt as usize).copied();
            async move {
                match next {
                    Some(class) => Err(Fault(class)),
                    None => Ok("ok"),
                }
            }
        })
        .await;
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        let (result, calls) = run(vec![RetryClass::Permanent]).await;
        assert_eq!(result, Err(Fault(RetryClass::Permanent)));
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn transient_errors_retry_until_success() {
        let t = RetryClass::Transient { retry_after: None };
        let (result, calls) = run(vec![t, t]).await;
        assert_eq!(result, Ok("ok"));
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn transient_retries_are_bounded() {
        let t = RetryClass::Transient { retry_after: None };
        let (result, calls) = run(vec![t; 10]).await;
        assert_eq!(result, Err(Fault(t)));
        assert_eq!(calls, 4, "one attempt plus three retries");
    }

    #[tokio::test]
    async fn no_wait_reaches_past_the_deadline() {
        let th = RetryClass::Throttled {
            wait: Duration::from_secs(60),
        };
        let at = tokio::time::Instant::now() + Duration::from_secs(5);
        let started = std::time::Instant::now();
        let (result, calls) = deadline::scope(Some(at), run(vec![th, th])).await;
        assert_eq!(result, Err(Fault(th)), "handed back, not waited out");
        assert_eq!(calls, 1);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn throttling_waits_as_told_and_has_its_own_bound() {
        let th = RetryClass::Throttled {
            wait: Duration::from_millis(20),
        };
        let start = std::time::Instant::now();
        let (result, calls) = run(vec![th, th]).await;
        assert_eq!(result, Ok("ok"));
        assert_eq!(calls, 3);
        assert!(start.elapsed() >= Duration::from_millis(40));
        let (result, calls) = run(vec![th; 5]).await;
        assert_eq!(result, Err(Fault(th)));
        assert_eq!(calls, 3);
    }
}

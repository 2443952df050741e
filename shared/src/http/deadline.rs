//! The invocation's deadline as vendor calls see it: a Lambda handler runs its work inside
//! [`scope`], and every vendor request is then capped to the time left (reqwest's per-request
//! timeout) while the retry loop never waits past it; outside a scope nothing changes.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with `deadline` as the time vendor calls must end by (no limit when `None`).
pub async fn scope<F: Future>(deadline: Option<Instant>, work: F) -> F::Output {
    match deadline {
        Some(at) => DEADLINE.scope(at, work).await,
        None => work.await,
    }
}

/// Time left before the current scope's deadline; `None` outside any scope.
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|at| at.saturating_duration_since(Instant::now()))
        .ok()
}

/// A request's timeout: `default`, or less when the deadline is nearer.
pub fn request_timeout(default: Duration) -> Duration {
    remaining().map_or(default, |left| left.min(default))
}

/// Whether waiting `wait` would reach past the deadline (the caller should hand the work back
/// rather than sleep through the end of the invocation).
pub fn would_pass(wait: Duration) -> bool {
    remaining().is_some_and(|left| wait >= left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_are_capped_inside_a_scope_only() {
        let default = Duration::from_secs(30);
        assert_eq!(request_timeout(default), default);
        assert!(!would_pass(Duration::from_secs(3600)));
        let at = Instant::now() + Duration::from_secs(5);
        scope(Some(at), async {
            let capped = request_timeout(default);
            assert!(capped <= Duration::from_secs(5) && capped > Duration::from_secs(4));
            assert!(would_pass(Duration::from_secs(10)));
            assert!(!would_pass(Duration::from_secs(1)));
        })
        .await;
        scope(None, async { assert_eq!(remaining(), None) }).await;
    }
}

//! `RateBudget`: the requests one account may still make, as one or more rolling windows
//! (GCRA via `governor`), an optional cap on requests in flight, and a shared pause after a 429.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// One limit: at most `max_requests` in any `per` (e.g. HubSpot: 110 per 10 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub max_requests: u32,
    pub per: Duration,
}

impl Window {
    pub const fn new(max_requests: u32, per: Duration) -> Self {
        Self { max_requests, per }
    }

    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.max_requests.max(1)).expect("max(1) is non-zero");
        let period = (self.per / burst.get()).max(Duration::from_nanos(1));
        Quota::with_period(period)
            .expect("period is non-zero")
            .allow_burst(burst)
    }
}

/// A per-account budget; cheap to clone (all clones share the same state).
#[derive(Clone)]
pub struct RateBudget {
    inner: Arc<Inner>,
}

struct Inner {
    name: &'static str,
    windows: Vec<DefaultDirectRateLimiter>,
    in_flight: Option<Arc<Semaphore>>,
    paused_until: Mutex<Option<Instant>>,
}

/// Held while a request is in flight; dropping it frees the in-flight slot.
#[derive(Debug)]
pub struct BudgetPermit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl std::fmt::Debug for RateBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateBudget")
            .field("name", &self.inner.name)
            .field("windows", &self.inner.windows.len())
            .finish()
    }
}

impl RateBudget {
    /// A budget that admits a request only when every window has room and, if
    /// `max_in_flight` is set, fewer than that many requests are outstanding.
    pub fn new(name: &'static str, windows: &[Window], max_in_flight: Option<usize>) -> Self {
        Self {
            inner: Arc::new(Inner {
                name,
                windows: windows
                    .iter()
                    .map(|w| RateLimiter::direct(w.quota()))
                    .collect(),
                in_flight: max_in_flight.map(|n| Arc::new(Semaphore::new(n.max(1)))),
                paused_until: Mutex::new(None),
            }),
        }
    }

    /// A budget that never waits (for tests that measure something else).
    pub fn unlimited(name: &'static str) -> Self {
        Self::new(name, &[], None)
    }

    pub fn name(&self) -> &'static str {
        self.inner.name
    }

    /// Waits until a request may start: any pause has passed, every window has room and an
    /// in-flight slot is free.
    pub async fn acquire(&self) -> BudgetPermit {
        loop {
            let paused = *self.inner.paused_until.lock().expect("pause lock");
            match paused {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => break,
            }
        }
        let slot = match &self.inner.in_flight {
            Some(sem) => Some(
                sem.clone()
                    .acquire_owned()
                    .await
                    .expect("budget semaphore is never closed"),
            ),
            None => None,
        };
        for window in &self.inner.windows {
            window.until_ready().await;
        }
        BudgetPermit { _slot: slot }
    }

    /// Makes every caller of this budget wait `wait` from now (after a 429), unless a longer
    /// pause is already in force.
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.inner.paused_until.lock().expect("pause lock");
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_window_admits_its_burst_then_makes_callers_wait() {
        let budget = RateBudget::new("t", &[Window::new(5, Duration::from_millis(200))], None);
        let start = std::time::Instant::now();
        for _ in 0..5 {
            budget.acquire().await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "burst of 5 should not wait"
        );
        budget.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_millis(30),
            "the sixth request must wait for the window to refill"
        );
    }

    #[tokio::test]
    async fn in_flight_cap_blocks_until_a_permit_is_dropped() {
        let budget = RateBudget::new("t", &[], Some(1));
        let first = budget.acquire().await;
        let waiting = tokio::time::timeout(Duration::from_millis(50), budget.acquire()).await;
        assert!(
            waiting.is_err(),
            "second request must wait while the first is in flight"
        );
        drop(first);
        let second = tokio::time::timeout(Duration::from_millis(50), budget.acquire()).await;
        assert!(second.is_ok());
    }

    #[tokio::test]
    async fn a_pause_delays_every_caller_and_never_shortens() {
        let budget = RateBudget::unlimited("t");
        budget.pause_for(Duration::from_millis(80));
        budget.pause_for(Duration::from_millis(10));
        let start = std::time::Instant::now();
        budget.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(70));
    }
}

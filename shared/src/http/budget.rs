//! `RateBudget`: the requests one account may still make, as exact rolling windows ("at most N
//! in ANY interval of length T", as both vendors count), a cap on requests in flight, and a
//! shared pause after a 429.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::shared_budget::SharedAllowance;

/// One limit: at most `max_requests` in any rolling `per` (e.g. HubSpot: 110 per 10 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub max_requests: u32,
    pub per: Duration,
}

impl Window {
    pub const fn new(max_requests: u32, per: Duration) -> Self {
        Self { max_requests, per }
    }

    /// The interval we space our own requests over: the vendor's `per` plus a margin for
    /// network jitter, because the vendor counts arrivals, not our start times (two requests
    /// started exactly `per` apart can arrive a few ms closer). 5% of `per`, at most 250 ms.
    fn spacing(self) -> Duration {
        self.per + (self.per / 20).min(Duration::from_millis(250))
    }
}

/// A per-account budget; cheap to clone (all clones share the same state).
///
/// Hand-written rather than `governor`: governor's GCRA admits a full burst plus the refills
/// that arrive during the same interval, i.e. up to ~2N requests in one rolling window, while
/// HubSpot ("110 per 10 seconds, rolling") and QBO (500/min, 10/s) reject the excess. A log
/// of the last N start times per window gives the exact guarantee at N timestamps of memory.
#[derive(Clone)]
pub struct RateBudget {
    inner: Arc<Inner>,
}

struct Inner {
    name: &'static str,
    windows: Vec<Window>,
    in_flight: Option<Arc<Semaphore>>,
    /// Across containers (the stack's shared bucket), when set.
    shared: Option<SharedAllowance>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Per window, the start times of the requests still inside it, oldest first.
    started: Vec<VecDeque<Instant>>,
    paused_until: Option<Instant>,
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
            .field("windows", &self.inner.windows)
            .finish()
    }
}

impl RateBudget {
    /// A budget that admits a request only when every window has room and, if
    /// `max_in_flight` is set, fewer than that many requests are outstanding.
    pub fn new(name: &'static str, windows: &[Window], max_in_flight: Option<usize>) -> Self {
        let windows: Vec<Window> = windows
            .iter()
            .map(|w| Window::new(w.max_requests.max(1), w.per))
            .collect();
        Self {
            inner: Arc::new(Inner {
                name,
                state: Mutex::new(State {
                    started: vec![VecDeque::new(); windows.len()],
                    paused_until: None,
                }),
                windows,
                in_flight: max_in_flight.map(|n| Arc::new(Semaphore::new(n.max(1)))),
                shared: None,
            }),
        }
    }

    /// This budget, with every request also taking a token from `shared` (the account's bucket
    /// every container of the stack draws on). Call before cloning: clones made earlier keep
    /// their own state.
    pub fn with_shared(self, shared: SharedAllowance) -> Self {
        let inner = &self.inner;
        Self {
            inner: Arc::new(Inner {
                name: inner.name,
                windows: inner.windows.clone(),
                in_flight: inner.in_flight.clone(),
                shared: Some(shared),
                state: Mutex::new(State {
                    started: vec![VecDeque::new(); inner.windows.len()],
                    paused_until: None,
                }),
            }),
        }
    }

    /// The first (main) window, which the shared allowance is sized to.
    pub fn main_window(&self) -> Option<Window> {
        self.inner.windows.first().copied()
    }

    /// The shared allowance, if any.
    pub fn shared(&self) -> Option<&SharedAllowance> {
        self.inner.shared.as_ref()
    }

    /// A budget that never waits (for tests that measure something else).
    pub fn unlimited(name: &'static str) -> Self {
        Self::new(name, &[], None)
    }

    pub fn name(&self) -> &'static str {
        self.inner.name
    }

    /// Waits until a request may start: a shared token (when shared) is taken, any pause has
    /// passed, an in-flight slot is free and every window has room; then records the start in
    /// every window at once.
    pub async fn acquire(&self) -> BudgetPermit {
        if let Some(shared) = &self.inner.shared {
            shared.take_one().await;
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
        loop {
            let wait_until = self.try_start(Instant::now());
            match wait_until {
                None => return BudgetPermit { _slot: slot },
                Some(until) => tokio::time::sleep_until(until).await,
            }
        }
    }

    /// Records a start at `now` if every window has room and no pause is in force; otherwise
    /// returns the earliest instant worth trying again.
    fn try_start(&self, now: Instant) -> Option<Instant> {
        let mut state = self.inner.state.lock().expect("budget lock");
        let mut until = state.paused_until.filter(|p| *p > now);
        for (window, started) in self.inner.windows.iter().zip(state.started.iter_mut()) {
            while started
                .front()
                .is_some_and(|t| now.duration_since(*t) >= window.spacing())
            {
                started.pop_front();
            }
            if started.len() >= window.max_requests as usize {
                let free_at = started[0] + window.spacing();
                until = Some(until.map_or(free_at, |u| u.max(free_at)));
            }
        }
        if until.is_none() {
            for started in state.started.iter_mut() {
                started.push_back(now);
            }
        }
        until
    }

    /// When the oldest request still inside `window_index`'s window as of `now` leaves it:
    /// after a rolling-window 429, the earliest moment the vendor's count can have dropped.
    pub fn window_frees_at(&self, window_index: usize, now: Instant) -> Option<Instant> {
        let state = self.inner.state.lock().expect("budget lock");
        let window = self.inner.windows.get(window_index)?;
        let oldest = state
            .started
            .get(window_index)?
            .iter()
            .find(|t| now.duration_since(**t) < window.per)?;
        Some(*oldest + window.per)
    }

    /// Makes every caller of this budget wait `wait` from now (after a 429), unless a longer
    /// pause is already in force.
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut state = self.inner.state.lock().expect("budget lock");
        if state.paused_until.is_none_or(|p| p < until) {
            state.paused_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Start times of `n` acquisitions on a paused tokio clock, relative to the first.
    async fn start_times(budget: &RateBudget, n: usize) -> Vec<Duration> {
        let origin = Instant::now();
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            budget.acquire().await;
            times.push(Instant::now() - origin);
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn no_rolling_window_ever_holds_more_than_its_limit() {
        let per = Duration::from_secs(10);
        let budget = RateBudget::new("t", &[Window::new(5, per)], None);
        let times = start_times(&budget, 23).await;
        for (i, t) in times.iter().enumerate() {
            let inside = times[i..].iter().filter(|u| **u - *t < per).count();
            assert!(
                inside <= 5,
                "{inside} requests within 10 s starting at {t:?}"
            );
        }
        assert_eq!(times[4], Duration::ZERO, "the first five go at once");
        assert_eq!(
            times[5],
            per + Duration::from_millis(250),
            "the sixth waits for the first to leave the window, plus the jitter margin"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_window_is_respected_at_once() {
        let budget = RateBudget::new(
            "t",
            &[
                Window::new(3, Duration::from_secs(1)),
                Window::new(5, Duration::from_secs(60)),
            ],
            None,
        );
        let times = start_times(&budget, 6).await;
        assert_eq!(
            times[3],
            Duration::from_millis(1050),
            "per-second window + 5%"
        );
        assert_eq!(
            times[5],
            Duration::from_millis(60_250),
            "per-minute window + 250 ms"
        );
        let now = Instant::now();
        let later = now + Duration::from_secs(2);
        assert_eq!(
            budget.window_frees_at(0, later),
            None,
            "nothing within that second"
        );
        assert!(budget.window_frees_at(1, now).is_some());
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

    #[tokio::test(start_paused = true)]
    async fn a_pause_delays_every_caller_and_never_shortens() {
        let budget = RateBudget::unlimited("t");
        budget.pause_for(Duration::from_millis(80));
        budget.pause_for(Duration::from_millis(10));
        let times = start_times(&budget, 1).await;
        assert_eq!(times[0], Duration::from_millis(80));
    }
}

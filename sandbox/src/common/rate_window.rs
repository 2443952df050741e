//! A rolling-window request counter on the sandbox clock: answers "allowed (n remaining)" or
//! "limited (retry in t)", for vendor rate limits such as HubSpot's 110 per 10 s.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::clock::SandboxClock;

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Counted; `remaining` more fit in the current window.
    Allowed { remaining: u32 },
    /// Over the limit (not counted); the oldest hit leaves the window after `retry_after`
    /// of sandbox time.
    Limited { retry_after: Duration },
}

/// A rolling window of `limit` hits per `window` of sandbox time. Hand-written (rather than
/// `governor`) because it must run on the scaled, offsettable [`SandboxClock`] and report the
/// vendor's "remaining" header value. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct RateWindow {
    limit: u32,
    window: Duration,
    clock: SandboxClock,
    hits: Arc<Mutex<VecDeque<i64>>>,
}

impl RateWindow {
    /// `limit` hits per `window`; a limit of 0 means "unlimited".
    pub fn new(limit: u32, window: Duration, clock: SandboxClock) -> Self {
        Self {
            limit,
            window,
            clock,
            hits: Arc::new(Mutex::new(VecDeque::new())),
        }
    }

    /// The configured limit per window.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The window length.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Counts a hit if it fits.
    pub fn check(&self) -> RateDecision {
        if self.limit == 0 {
            return RateDecision::Allowed {
                remaining: u32::MAX,
            };
        }
        let now = self.clock.now_ms();
        let window_ms = self.window.as_millis() as i64;
        let mut hits = self.hits.lock().expect("rate window lock");
        while hits.front().is_some_and(|t| now - *t >= window_ms) {
            hits.pop_front();
        }
        if hits.len() as u32 >= self.limit {
            let oldest = *hits.front().expect("non-empty when over limit");
            let wait = (oldest + window_ms - now).max(1) as u64;
            return RateDecision::Limited {
                retry_after: Duration::from_millis(wait),
            };
        }
        hits.push_back(now);
        RateDecision::Allowed {
            remaining: self.limit - hits.len() as u32,
        }
    }

    /// Forgets all hits.
    pub fn clear(&self) {
        self.hits.lock().expect("rate window lock").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_then_frees_after_the_window() {
        let clock = SandboxClock::default();
        let w = RateWindow::new(2, Duration::from_secs(10), clock.clone());
        assert_eq!(w.check(), RateDecision::Allowed { remaining: 1 });
        assert_eq!(w.check(), RateDecision::Allowed { remaining: 0 });
        assert!(
            matches!(w.check(), RateDecision::Limited { retry_after } if retry_after <= Duration::from_secs(10))
        );
        clock.advance_ms(10_001);
        assert_eq!(w.check(), RateDecision::Allowed { remaining: 1 });
    }

    #[test]
    fn zero_limit_is_unlimited() {
        let w = RateWindow::new(0, Duration::from_secs(1), SandboxClock::default());
        for _ in 0..1000 {
            assert!(matches!(w.check(), RateDecision::Allowed { .. }));
        }
    }
}

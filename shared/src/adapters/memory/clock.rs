//! A clock tests move by hand, so leases, delays, retries and watermarks can be checked without
//! sleeping.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ports::Clock;

/// Starts at a fixed instant and only moves when told.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// 2026-01-01T00:00:00Z, a fixed start for tests.
    pub fn fixed() -> Self {
        Self::new(
            DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .map_or_else(|_| DateTime::<Utc>::UNIX_EPOCH, |t| t.with_timezone(&Utc)),
        )
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.lock() = now;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned clock still holds a valid instant.
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_only_when_told() {
        let clock = ManualClock::fixed();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!((clock.now() - start).num_seconds(), 90);
    }
}

//! The sandbox clock: wall time that runs `time_scale` times faster than real time, plus a
//! settable offset, so "one minute" limits and retry schedules can pass in a second in tests.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// What the clock is set to; the body of `GET`/`PUT /_sandbox/clock` (camelCase JSON).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockSettings {
    /// Sandbox milliseconds per real millisecond (1.0 = real time, 60.0 = a minute per second).
    pub time_scale: f64,
    /// Milliseconds added on top of the scaled time (jump into the future with a positive value).
    pub offset_ms: i64,
}

impl Default for ClockSettings {
    fn default() -> Self {
        Self {
            time_scale: 1.0,
            offset_ms: 0,
        }
    }
}

#[derive(Debug)]
struct ClockState {
    settings: ClockSettings,
    /// Real instant and sandbox time (ms, without offset) when the scale last changed.
    anchor_real: Instant,
    anchor_sandbox_ms: i64,
}

/// A cheap-to-clone handle on one sandbox's clock. Every timestamp the sandbox writes
/// (`createdAt`, rate windows, token expiry, webhook `occurredAt`) comes from [`SandboxClock::now_ms`].
///
/// `now = wall time at start + real elapsed * time_scale + offset_ms`. Changing the scale
/// re-anchors, so time never jumps when only the scale changes.
#[derive(Debug, Clone)]
pub struct SandboxClock {
    state: Arc<RwLock<ClockState>>,
}

impl Default for SandboxClock {
    fn default() -> Self {
        Self::new(ClockSettings::default())
    }
}

impl SandboxClock {
    /// A clock starting at the current wall time with the given scale and offset.
    /// A non-positive or non-finite scale is treated as 1.0.
    pub fn new(settings: ClockSettings) -> Self {
        let settings = ClockSettings {
            time_scale: sane_scale(settings.time_scale),
            ..settings
        };
        Self {
            state: Arc::new(RwLock::new(ClockState {
                settings,
                anchor_real: Instant::now(),
                anchor_sandbox_ms: Utc::now().timestamp_millis(),
            })),
        }
    }

    /// A real-time clock (scale 1.0) with the given scale; shorthand for tests.
    pub fn with_scale(time_scale: f64) -> Self {
        Self::new(ClockSettings {
            time_scale,
            offset_ms: 0,
        })
    }

    /// Sandbox time in epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        let st = self.state.read().expect("clock lock");
        let real = st.anchor_real.elapsed().as_secs_f64() * 1000.0;
        st.anchor_sandbox_ms + (real * st.settings.time_scale) as i64 + st.settings.offset_ms
    }

    /// Sandbox time as a UTC timestamp.
    pub fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.now_ms())
            .single()
            .unwrap_or_else(Utc::now)
    }

    /// The current scale and offset.
    pub fn settings(&self) -> ClockSettings {
        self.state.read().expect("clock lock").settings
    }

    /// Changes the scale (re-anchoring so time does not jump) and the offset.
    pub fn set(&self, settings: ClockSettings) {
        let mut st = self.state.write().expect("clock lock");
        let real = st.anchor_real.elapsed().as_secs_f64() * 1000.0;
        st.anchor_sandbox_ms += (real * st.settings.time_scale) as i64;
        st.anchor_real = Instant::now();
        st.settings = ClockSettings {
            time_scale: sane_scale(settings.time_scale),
            offset_ms: settings.offset_ms,
        };
    }

    /// Moves sandbox time forward (or back, with a negative value) by `ms` at once.
    pub fn advance_ms(&self, ms: i64) {
        self.state.write().expect("clock lock").settings.offset_ms += ms;
    }

    /// How long `sandbox` duration lasts in real time at the current scale.
    pub fn real_duration(&self, sandbox: Duration) -> Duration {
        sandbox.div_f64(self.settings().time_scale)
    }

    /// Sleeps for `sandbox` duration of sandbox time (real `sandbox / time_scale`).
    /// Offset jumps made during the sleep do not shorten it.
    pub async fn sleep(&self, sandbox: Duration) {
        tokio::time::sleep(self.real_duration(sandbox)).await;
    }

    /// Sleeps until sandbox time reaches `deadline_ms` (returns at once if it has passed).
    /// Re-checks at least every 50 ms of real time so offset jumps and scale changes count.
    pub async fn sleep_until_ms(&self, deadline_ms: i64) {
        loop {
            let left = deadline_ms - self.now_ms();
            if left <= 0 {
                return;
            }
            let real = self.real_duration(Duration::from_millis(left as u64));
            tokio::time::sleep(real.min(Duration::from_millis(50))).await;
        }
    }
}

fn sane_scale(scale: f64) -> f64 {
    if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_time_forward() {
        let clock = SandboxClock::default();
        let before = clock.now_ms();
        clock.advance_ms(3_600_000);
        assert!(clock.now_ms() - before >= 3_600_000);
    }

    #[test]
    fn scale_compresses_sleeps_and_bad_scale_falls_back() {
        let clock = SandboxClock::with_scale(60.0);
        assert_eq!(
            clock.real_duration(Duration::from_secs(60)),
            Duration::from_secs(1)
        );
        clock.set(ClockSettings {
            time_scale: 0.0,
            offset_ms: 5,
        });
        assert_eq!(clock.settings().time_scale, 1.0);
        assert_eq!(clock.settings().offset_ms, 5);
    }

    #[test]
    fn changing_scale_does_not_jump_time() {
        let clock = SandboxClock::with_scale(1000.0);
        let before = clock.now_ms();
        clock.set(ClockSettings {
            time_scale: 1.0,
            offset_ms: 0,
        });
        let after = clock.now_ms();
        assert!(
            after >= before && after - before < 5_000,
            "{before} {after}"
        );
    }
}

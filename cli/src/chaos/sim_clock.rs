//! The simulated clock: the engine's `Clock` port and both sandboxes' clocks (frozen through
//! `/_sandbox/clock`) moved together, so no step of a chaos run waits on wall time.

use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use hqsync::ports::Clock;
use serde_json::{Value, json};

/// Where every chaos run starts (a fixed instant, so timestamps repeat per seed).
pub const START: &str = "2026-03-02T09:00:00Z";

/// A sandbox's time scale during a run: small enough that real time never moves it by a
/// millisecond (`SandboxClock::now_ms` truncates), so only [`SimClock::advance`] does.
pub const FROZEN_SCALE: f64 = 1e-9;

/// Simulated now, shared by the engine and (through their control API) both sandboxes.
pub struct SimClock {
    now: Mutex<DateTime<Utc>>,
    http: reqwest::Client,
    /// Base URLs of the sandboxes whose clocks follow this one.
    sandboxes: Vec<String>,
}

impl SimClock {
    /// Sets every sandbox in `sandboxes` (started with [`FROZEN_SCALE`]) to [`START`].
    pub async fn start(sandboxes: Vec<String>) -> anyhow::Result<Self> {
        let start = DateTime::parse_from_rfc3339(START)?.with_timezone(&Utc);
        let clock = SimClock {
            now: Mutex::new(start),
            http: reqwest::Client::builder().no_proxy().build()?,
            sandboxes,
        };
        for base in &clock.sandboxes {
            let url = format!("{base}/_sandbox/clock");
            let now: Value = clock.http.get(&url).send().await?.json().await?;
            let now_ms = now["nowMs"].as_i64().context("sandbox clock nowMs")?;
            clock
                .put(base, json!({"timeScale": FROZEN_SCALE, "advanceMs": start.timestamp_millis() - now_ms}))
                .await?;
        }
        Ok(clock)
    }

    async fn put(&self, base: &str, body: Value) -> anyhow::Result<()> {
        let answer = self
            .http
            .put(format!("{base}/_sandbox/clock"))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            answer.status().is_success(),
            "sandbox clock at {base}: {}",
            answer.status()
        );
        Ok(())
    }

    /// Moves the engine's and every sandbox's time forward by `by`.
    pub async fn advance(&self, by: Duration) -> anyhow::Result<()> {
        {
            let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
            *now += chrono::Duration::from_std(by)?;
        }
        for base in &self.sandboxes {
            self.put(base, json!({"advanceMs": by.as_millis() as i64}))
                .await?;
        }
        Ok(())
    }

    /// Simulated epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

//! The poller Lambda's logic, callable without Lambda: for every active connection, either
//! poll what changed since the watermarks (`{"mode":"poll"}`, every 5 minutes, each connection
//! under its poll lease) or queue its daily sweep job on the bulk lane (`{"mode":"sweep"}`; the
//! workers run them), stopping before the invocation's deadline, and report it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hqsync::engine::jobs::SyncContext;
use hqsync::engine::jobs::schedule::{PollError, poll_connection};
use hqsync::engine::jobs::sweep_job::queue_sweeps;
use hqsync::ports::{ConnectionStatus, Connections};
use hqsync_aws::AwsStack;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a scheduled invocation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Poll,
    Sweep,
}

/// A malformed scheduler input.
#[derive(Debug, thiserror::Error)]
#[error("poller input must be {{\"mode\":\"poll\"}} or {{\"mode\":\"sweep\"}}: {0}")]
pub struct InputError(String);

impl Mode {
    /// The schedule's `Input` JSON (`{"mode": ...}`); an EventBridge envelope without one (a
    /// schedule that sets no `Input`) means a poll.
    pub fn from_event(event: &Value) -> Result<Mode, InputError> {
        match event.get("mode") {
            Some(mode) => {
                serde_json::from_value(mode.clone()).map_err(|e| InputError(e.to_string()))
            }
            None if event.get("detail-type").is_some() => Ok(Mode::Poll),
            None => Err(InputError(format!("no \"mode\" in {event}"))),
        }
    }
}

/// What one invocation did (returned as the invocation's result and logged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub mode: Option<Mode>,
    pub connections: usize,
    /// Connections skipped because they are paused or need reconnecting, because another poll
    /// of them holds the lease, or because the invocation ran out of time.
    pub skipped: usize,
    /// Stored connections that could not be read (`id: error`); the others were still polled.
    pub broken: Vec<String>,
    /// Poll: jobs enqueued. Sweep: sweep jobs queued (one per active connection).
    pub jobs: usize,
    /// Connections (or kinds and sides of them) that could not be handled this time.
    pub failures: Vec<String>,
}

/// Built once per cold start.
pub struct PollerState {
    pub stack: AwsStack,
    ctx: SyncContext,
}

impl PollerState {
    pub fn new(stack: AwsStack) -> Self {
        let ctx = stack.sync_context();
        PollerState { stack, ctx }
    }
}

/// A failure that should fail the invocation (and raise the functions' error alarm).
#[derive(Debug, thiserror::Error)]
pub enum PollerError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("could not list connections: {0}")]
    Store(#[from] hqsync::ports::StoreError),
    #[error("could not queue the sweep jobs: {0}")]
    Queue(#[from] hqsync::ports::QueueError),
    #[error("{failed} of {total} connections failed; first: {first}")]
    Connections {
        failed: usize,
        total: usize,
        first: String,
    },
}

/// Time kept back from the invocation's deadline: no connection's poll starts within it (one
/// poll of one connection takes seconds; the next scheduled poll takes over the rest).
pub const DEADLINE_RESERVE: Duration = Duration::from_secs(30);

/// Time kept back for the run's summary and metrics: no vendor request runs into it.
pub const CALLS_RESERVE: Duration = Duration::from_secs(3);

/// When to stop starting polls, given the invocation's deadline (ms since the epoch).
pub fn stop_at(deadline_ms: u64) -> Instant {
    Instant::now() + time_left(deadline_ms).saturating_sub(DEADLINE_RESERVE)
}

fn time_left(deadline_ms: u64) -> Duration {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// Runs one Lambda invocation with deadline `deadline_ms`: no poll starts within
/// [`DEADLINE_RESERVE`] of it and no vendor call runs into the last [`CALLS_RESERVE`].
pub async fn handle_invocation(
    state: &PollerState,
    event: Value,
    deadline_ms: u64,
) -> Result<RunSummary, PollerError> {
    let calls_end =
        tokio::time::Instant::now() + time_left(deadline_ms).saturating_sub(CALLS_RESERVE);
    let run = Box::pin(handle_until(state, event, Some(stop_at(deadline_ms))));
    hqsync::http::deadline::scope(Some(calls_end), run).await
}

/// Runs one scheduled invocation without a deadline (tests, the local cloud).
pub async fn handle(state: &PollerState, event: Value) -> Result<RunSummary, PollerError> {
    handle_until(state, event, None).await
}

/// Runs one scheduled invocation, starting no connection's poll after `stop_at`.
pub async fn handle_until(
    state: &PollerState,
    event: Value,
    stop_at: Option<Instant>,
) -> Result<RunSummary, PollerError> {
    let result = run(state, &event, stop_at).await;
    state.stack.flush_metrics();
    result
}

/// One invocation's work without flushing its metrics (tests read them from the stack).
pub async fn run(
    state: &PollerState,
    event: &Value,
    stop_at: Option<Instant>,
) -> Result<RunSummary, PollerError> {
    let mode = Mode::from_event(event)?;
    let mut summary = RunSummary {
        mode: Some(mode),
        ..RunSummary::default()
    };
    let listing = state.stack.store.list_connections().await?;
    // One unreadable record is that connection's problem, reported, never everyone's: the
    // others are polled, and `GET /api/connections` shows it with its error.
    for broken in &listing.broken {
        tracing::error!(connection = %broken.id, error = %broken.error, "connection cannot be read; skipped");
        summary
            .broken
            .push(format!("{}: {}", broken.id, broken.error));
    }
    if !listing.broken.is_empty() {
        state.stack.metrics.broken_connections(listing.broken.len());
    }
    // The reconnect-required state as a gauge on every run, so its alarm stays up for as long
    // as a connection stays paused (docs/aws.md §10).
    let waiting = listing
        .records
        .iter()
        .filter(|r| r.status == ConnectionStatus::ReconnectRequired)
        .count();
    state.stack.metrics.reconnect_required_connections(waiting);
    let mut failed_connections = Vec::new();
    let mut to_sweep = Vec::new();
    for record in listing.records {
        let id = record.id().clone();
        if record.status != ConnectionStatus::Active {
            tracing::info!(connection = %id, status = ?record.status, "connection not active; skipped");
            summary.skipped += 1;
            continue;
        }
        if stop_at.is_some_and(|t| Instant::now() >= t) {
            tracing::warn!(connection = %id, "out of time; the next poll takes this connection");
            summary.skipped += 1;
            continue;
        }
        summary.connections += 1;
        match mode {
            Mode::Poll => match poll_connection(&state.ctx, &id).await {
                Ok(report) => {
                    summary.jobs += report.jobs;
                    for (side, kind, error) in &report.failures {
                        tracing::warn!(connection = %id, %side, %kind, %error, "poll failed; the watermark stays");
                        summary
                            .failures
                            .push(format!("{id} {side} {kind}: {error}"));
                    }
                    tracing::info!(connection = %id, jobs = report.jobs, echoes = report.skipped_echoes, "polled");
                }
                // Vendor trouble for one connection (tokens, outage) is that connection's
                // problem; our own storage failing is everyone's.
                Err(PollError::Gateways(error)) => {
                    tracing::warn!(connection = %id, %error, "poll skipped");
                    summary.failures.push(format!("{id}: {error}"));
                }
                Err(PollError::Busy(_)) => {
                    tracing::info!(connection = %id, "another poll of this connection is running; skipped");
                    summary.connections -= 1;
                    summary.skipped += 1;
                }
                Err(error) => {
                    tracing::error!(connection = %id, %error, "poll failed");
                    failed_connections.push(format!("{id}: {error}"));
                }
            },
            Mode::Sweep => to_sweep.push(id),
        }
    }
    if !to_sweep.is_empty() {
        summary.jobs += queue_sweeps(&state.ctx, &to_sweep).await?;
    }
    tracing::info!(
        mode = ?mode,
        connections = summary.connections,
        skipped = summary.skipped,
        broken = summary.broken.len(),
        jobs = summary.jobs,
        failures = summary.failures.len() + failed_connections.len(),
        "poller run finished"
    );
    if let Some(first) = failed_connections.first() {
        return Err(PollerError::Connections {
            failed: failed_connections.len(),
            total: summary.connections,
            first: first.clone(),
        });
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn polls_stop_starting_the_reserve_before_the_deadline() {
        let in_secs = |secs: u64| {
            (SystemTime::now() + Duration::from_secs(secs))
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        };
        let before = Instant::now();
        let left = stop_at(in_secs(300)).duration_since(before);
        assert!(
            left > Duration::from_secs(269) && left < Duration::from_millis(270_100),
            "{left:?}"
        );
        assert!(stop_at(in_secs(10)) <= Instant::now(), "inside the reserve");
        assert!(stop_at(0) <= Instant::now(), "past");
    }

    #[test]
    fn schedule_inputs_choose_the_mode_and_bad_ones_are_refused() {
        assert_eq!(
            Mode::from_event(&json!({"mode": "poll"})).unwrap(),
            Mode::Poll
        );
        assert_eq!(
            Mode::from_event(&json!({"mode": "sweep"})).unwrap(),
            Mode::Sweep
        );
        let envelope =
            json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
        assert_eq!(Mode::from_event(&envelope).unwrap(), Mode::Poll);
        assert!(Mode::from_event(&json!({"mode": "backfill"})).is_err());
        assert!(Mode::from_event(&json!({})).is_err());
    }
}

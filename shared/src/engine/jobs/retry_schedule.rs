//! The engine's one retry policy for records and jobs: backoff of failed records, when a record
//! needs attention, and how long to wait after throttling, transient faults and held claims.

use std::time::Duration;

/// Failed attempts after which a record stops retrying and "needs attention".
pub const MAX_RECORD_ATTEMPTS: u32 = 5;

/// Delay before retrying a failed record: 1 min, 4 min, 16 min, 64 min, capped at 6 h.
pub fn record_backoff(attempts: u32) -> Duration {
    let exponent = attempts.saturating_sub(1).min(10);
    let seconds = 60u64.saturating_mul(4u64.saturating_pow(exponent));
    Duration::from_secs(seconds.min(6 * 3600))
}

/// Whether a record that has failed `attempts` times gets another automatic try.
pub fn retries_left(attempts: u32) -> bool {
    attempts < MAX_RECORD_ATTEMPTS
}

/// Wait before a job whose vendor call failed transiently (5xx, timeout) is tried again.
pub const TRANSIENT_RETRY: Duration = Duration::from_secs(30);

/// Wait when a store write failed (the link store itself was unavailable).
pub const STORE_RETRY: Duration = Duration::from_secs(15);

/// Wait when another record holds the natural key this one needs (it is being created).
pub const CLAIM_HELD_RETRY: Duration = Duration::from_secs(20);

/// Wait when the connection's tokens were refused (a refresh or a reconnect may fix it).
pub const UNAUTHORIZED_RETRY: Duration = Duration::from_secs(300);

/// Wait for jobs of a paused connection.
pub const PAUSED_RETRY: Duration = Duration::from_secs(900);

/// How long the queue should hold a job whose vendor call failed as a whole: throttling for
/// the vendor's wait, transient faults and refused tokens for their fixed waits; `None` when
/// the failure belongs to the records instead (`GatewayError::Other`).
pub fn gateway_wait(error: &crate::ports::GatewayError) -> Option<Duration> {
    use crate::ports::GatewayError;
    match error {
        GatewayError::Throttled { wait } => Some(*wait),
        GatewayError::Transient { .. } => Some(TRANSIENT_RETRY),
        GatewayError::Unauthorized { .. } => Some(UNAUTHORIZED_RETRY),
        GatewayError::Other { .. } => None,
    }
}

/// How long a natural-key claim protects a create in flight.
pub const CLAIM_TTL: Duration = Duration::from_secs(600);

/// Re-read and re-plan rounds per job batch (stale versions, failed link conditions, renamed
/// creates) before the job is handed back to the queue.
pub const MAX_PLAN_ROUNDS: u32 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped_and_attempts_run_out() {
        assert_eq!(record_backoff(1), Duration::from_secs(60));
        assert_eq!(record_backoff(2), Duration::from_secs(240));
        assert!(record_backoff(3) > record_backoff(2));
        assert_eq!(record_backoff(40), Duration::from_secs(6 * 3600));
        assert!(retries_left(MAX_RECORD_ATTEMPTS - 1));
        assert!(!retries_left(MAX_RECORD_ATTEMPTS));
    }
}

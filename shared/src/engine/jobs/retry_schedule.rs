//! The engine's one retry policy for records and jobs: backoff of failed records, when a record
//! needs attention, paused connections, and (from `sync::waits`) the waits of vendor failures.

use std::time::Duration;

pub use crate::engine::sync::waits::{
    CLAIM_HELD_RETRY, CLAIM_TTL, MAX_PLAN_ROUNDS, STORE_RETRY, TRANSIENT_RETRY, UNAUTHORIZED_RETRY,
    gateway_wait,
};

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

/// Wait for jobs of a paused connection.
pub const PAUSED_RETRY: Duration = Duration::from_secs(900);

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

//! How long the two-way sync asks the queue to wait: throttling, transient faults, refused
//! tokens, an unavailable store, a natural key held by another create; and its re-plan rounds.

use std::time::Duration;

/// Wait before a job whose vendor call failed transiently (5xx, timeout) is tried again.
pub const TRANSIENT_RETRY: Duration = Duration::from_secs(30);

/// Wait when a store write failed (the link store itself was unavailable).
pub const STORE_RETRY: Duration = Duration::from_secs(15);

/// Wait when another record holds the natural key this one needs (it is being created).
pub const CLAIM_HELD_RETRY: Duration = Duration::from_secs(20);

/// Wait when the connection's tokens were refused (a refresh or a reconnect may fix it).
pub const UNAUTHORIZED_RETRY: Duration = Duration::from_secs(300);

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

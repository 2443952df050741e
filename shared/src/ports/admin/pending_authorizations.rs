//! The `PendingAuthorizations` capability: OAuth authorizations in progress, keyed by a hash of
//! their `state`, each taken at most once (single-use even when two callbacks race).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::StoreError;

/// One authorization sent to a vendor and not yet come back. The `state` itself is never
/// stored, only its SHA-256 (hex); `flow` is the connect flow's own JSON (which step, which
/// connection, which environment) and holds no token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub state_hash: String,
    /// The SHA-256 (hex) of the admin session that started it: a callback in another session
    /// is refused.
    pub session_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub flow: serde_json::Value,
}

#[async_trait]
pub trait PendingAuthorizations: Send + Sync {
    async fn put_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError>;

    /// Removes and returns the authorization with `state_hash`, expired or not (the caller
    /// tells the user which); `None` when there is none or it was already taken. Of two
    /// concurrent calls at most one gets it.
    async fn take_pending(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingAuthorization>, StoreError>;
}

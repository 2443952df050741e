//! The `AuditLog` capability: every admin change (who, what, when), newest first, kept for a
//! bounded time or count by each adapter.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::ConnectionId;
use crate::ports::StoreError;

/// One admin change. `detail` is a human sentence with ids only (never tokens or passwords).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Who: `admin` (the password session) or `vendor:hubspot` / `vendor:quickbooks` for
    /// changes a vendor notification caused.
    pub actor: String,
    /// What, as a stable verb: `settings.update`, `object.disable`, `connection.connect`, ...
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionId>,
    pub detail: String,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// The newest `limit` entries (of every connection), newest first.
    async fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
}

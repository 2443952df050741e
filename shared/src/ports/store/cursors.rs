//! The `Cursors` capability: the poll watermark and last full sweep per connection, side and
//! kind, which the poller and the initial sync advance.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{ConnectionId, ObjectKind, Side};

/// A poll watermark per connection, side and kind (docs/architecture.md §10 `CURSOR#{side}#{kind}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Changes at or after this instant have not all been turned into jobs yet.
    pub watermark: DateTime<Utc>,
    /// When the last full enumeration (initial sync / sweep) finished.
    pub last_full_sweep: Option<DateTime<Utc>>,
    /// The versions polls already queued that the next poll's overlap window still returns
    /// (mirrored kinds only: they have no link holding the last version seen), so a poll over
    /// the same window does not queue them again (engine/jobs/poll_versions.rs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queued: Vec<QueuedVersion>,
}

impl Cursor {
    /// A cursor at `watermark` with nothing else known.
    pub fn at(watermark: DateTime<Utc>) -> Self {
        Cursor {
            watermark,
            last_full_sweep: None,
            queued: Vec::new(),
        }
    }
}

/// One record version a poll queued: QBO `Id` (or a form's job id) and `SyncToken`, and when
/// it changed (`MetaData.LastUpdatedTime`), which decides when it leaves the overlap window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedVersion {
    pub id: String,
    pub version: String,
    pub changed_at: DateTime<Utc>,
}

/// Poll cursors, overwritten as a whole.
#[async_trait]
pub trait Cursors: Send + Sync {
    async fn get_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
    ) -> Result<Option<Cursor>, StoreError>;

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
        cursor: &Cursor,
    ) -> Result<(), StoreError>;
}

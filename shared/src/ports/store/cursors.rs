//! The `Cursors` capability: the poll watermark and last full sweep per connection, side and
//! kind, which the poller and the initial sync advance.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{ConnectionId, ObjectKind, Side};

/// A poll watermark per connection, side and kind (docs/architecture.md §10 `CURSOR#{side}#{kind}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Changes at or after this instant have not all been turned into jobs yet.
    pub watermark: DateTime<Utc>,
    /// When the last full enumeration (initial sync / sweep) finished.
    pub last_full_sweep: Option<DateTime<Utc>>,
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

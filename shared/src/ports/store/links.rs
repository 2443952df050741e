//! The `Links` capability: links and their baselines, written conditionally (invariants 1 and 3)
//! and read by either side's id.

use async_trait::async_trait;

use super::StoreError;
use crate::model::{ConnectionId, Link, ObjectKind, Side};

/// Links between a HubSpot and a QBO record of one kind.
///
/// Revisions: `create_link` stores revision 1; `update_link`/`relink` succeed only when the
/// stored revision equals the given link's `revision` and store `revision + 1`; each returns the
/// link as stored.
#[async_trait]
pub trait Links: Send + Sync {
    async fn get_link(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<Link>, StoreError>;

    /// Batch lookup; ids without a link are absent from the answer.
    async fn get_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Link>, StoreError>;

    async fn list_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<Link>, StoreError>;

    /// Writes both sides of a new link, conditional on neither record being linked.
    async fn create_link(&self, link: &Link) -> Result<Link, StoreError>;

    /// Replaces baseline/versions, conditional on `link.revision` being the stored one.
    async fn update_link(&self, link: &Link) -> Result<Link, StoreError>;

    /// Atomically replaces `old` (conditional on its revision) by a link joining other records
    /// (a merge on either side), conditional on the new ids not being linked elsewhere.
    async fn relink(&self, old: &Link, new: &Link) -> Result<Link, StoreError>;

    /// Removes both sides, conditional on `link.revision` being the stored one.
    async fn delete_link(&self, link: &Link) -> Result<(), StoreError>;
}

//! A link: the pair of records (one per side) that are the same thing, plus the canonical values
//! both sides agreed on after the last successful sync (the baseline of the three-way merge).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::canonical::CanonicalValues;
use super::ids::{ConnectionId, ObjectKind, Side};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub connection: ConnectionId,
    pub kind: ObjectKind,
    pub hubspot_id: String,
    pub qbo_id: String,
    /// Canonical values both sides held after the last successful sync, by canonical field
    /// name; plus the planner's own state keys starting with `@` (each side's active flag, see
    /// `engine::sync::plan::active_state`), which never clash with field names.
    pub baseline: CanonicalValues,
    /// Versions of each side's record as of the baseline (HubSpot `updatedAt`, QBO `SyncToken`).
    pub hubspot_version: String,
    pub qbo_version: String,
    pub updated_at: DateTime<Utc>,
    /// Incremented on every store; link writes are conditional on the revision read (0 = new).
    pub revision: u64,
}

impl Link {
    /// The linked record's id on `side`.
    pub fn id(&self, side: Side) -> &str {
        match side {
            Side::Hubspot => &self.hubspot_id,
            Side::Quickbooks => &self.qbo_id,
        }
    }

    /// The version of the linked record on `side` as of the baseline.
    pub fn version(&self, side: Side) -> &str {
        match side {
            Side::Hubspot => &self.hubspot_version,
            Side::Quickbooks => &self.qbo_version,
        }
    }
}

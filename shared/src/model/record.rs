//! A record as read from one side: its identity, version, activity and its vendor fields
//! flattened by path (`NativeValues`). Gateways translate vendor JSON <-> this shape.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::ids::{ObjectKind, Side};

/// A record's vendor fields, flattened by path. HubSpot: property name -> string value
/// (`"email"` -> `"ada@example.com"`); QBO: dotted path -> JSON value
/// (`"PrimaryEmailAddr.Address"` -> `"ada@example.com"`, `"UnitPrice"` -> `150`).
/// A missing key or a JSON `null` both mean "no value".
pub type NativeValues = BTreeMap<String, serde_json::Value>;

/// One record on one side, as the worker read it just now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub side: Side,
    pub kind: ObjectKind,
    /// Vendor id (HubSpot object id, QBO `Id`).
    pub id: String,
    /// QBO `SyncToken` or HubSpot `updatedAt`; passed back as the expected version on update.
    pub version: String,
    /// Last modification time on that side (HubSpot `updatedAt`, QBO `MetaData.LastUpdatedTime`).
    pub modified_at: DateTime<Utc>,
    /// False when archived (HubSpot) or `Active=false` (QBO).
    pub active: bool,
    pub values: NativeValues,
}

impl Record {
    /// The native value at `path`, treating JSON `null` as absent.
    pub fn value(&self, path: &str) -> Option<&serde_json::Value> {
        self.values.get(path).filter(|v| !v.is_null())
    }
}

//! Per-record sync outcomes: the last status of each record (what `hqsync status` shows and
//! what "needs attention" means) and the entries of the bounded sync log history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{ObjectKind, Side};

/// A conflict the planner settled, with both values as the user would read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictNote {
    /// Canonical field name, e.g. "email".
    pub field: String,
    pub hubspot_value: Option<String>,
    pub quickbooks_value: Option<String>,
    /// The side whose value was kept.
    pub winner: Side,
    /// Why that side won (e.g. "newest wins", "HubSpot wins for phone").
    pub rule: String,
}

/// Why a record failed to sync, in the vendor's words plus what the user can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDetail {
    /// Vendor error code (QBO fault code like "6240", HubSpot category), if any.
    pub code: Option<String>,
    pub message: String,
    pub suggested_fix: Option<String>,
}

impl FailureDetail {
    /// What the user can do: the flow's own suggestion, else one derived from the vendor's code
    /// (QBO fault codes, docs/quickbooks.md §10.2; HubSpot categories, docs/hubspot.md). The one
    /// place a missing fix is derived, for `hqsync status`, the admin API and the console.
    pub fn fix(&self) -> Option<String> {
        if let Some(fix) = &self.suggested_fix {
            return Some(fix.clone());
        }
        let fix = match self.code.as_deref()? {
            "6240" => {
                "Rename one of the two QuickBooks records (DisplayName or Name must be unique across customers, vendors and employees), then Retry"
            }
            "610" => {
                "The referenced QuickBooks record is deleted or inactive: make it active again or relink it, then Retry"
            }
            "2010" | "2020" | "2050" | "2210" | "6000" | "VALIDATION_ERROR" => {
                "Correct the field the message names in the source record, then Retry"
            }
            "2500" => {
                "A referenced record (customer, item or account) does not exist in QuickBooks: sync or create it first, then Retry"
            }
            "6210" => {
                "The QuickBooks accounting period is closed: reopen it or change the record's date, then Retry"
            }
            "6190" => "The QuickBooks subscription has ended: renew it, then Retry",
            "3100" | "3200" | "INVALID_AUTHENTICATION" | "MISSING_SCOPES" => {
                "Reconnect the side that refused HQSync's token from the connection's page"
            }
            "OBJECT_NOT_FOUND" => {
                "The HubSpot record was deleted or merged: Retry relinks it or drops the job"
            }
            "CONFLICT" => {
                "HubSpot already holds a record with this unique value: merge the two, then Retry"
            }
            _ => return None,
        };
        Some(fix.to_owned())
    }
}

/// A mapped field that was not written because the receiving side cannot take its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldWarning {
    /// Canonical field name, e.g. "firstname".
    pub field: String,
    /// The side that could not take the value (or whose value could not be read).
    pub side: Side,
    /// Why, with the vendor's limit ("300 characters is more than QBO allows here (100)");
    /// never the value itself.
    pub message: String,
    /// What to do, when the flow that warned knows better than "edit the field".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The result of the last attempt to sync one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SyncOutcome {
    /// Both sides agree (possibly after writes). `note` tells about anything worth knowing,
    /// e.g. a DisplayName suffix added after a collision.
    Synced {
        #[serde(default)]
        note: Option<String>,
        /// Fields the other side could not take, left as they were there: synced, with a
        /// warning `hqsync status` and the admin API list (docs/architecture.md §5 invariant 6).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<FieldWarning>,
    },
    /// Not synced because an entry filter or the settings exclude it.
    Excluded { filter: String },
    /// Synced after settling conflicts; the notes carry both values.
    Conflict { conflicts: Vec<ConflictNote> },
    /// The attempt failed; retried with backoff until `SyncStatus::needs_attention`.
    Failed(FailureDetail),
}

impl SyncOutcome {
    /// A short stable label for counts and tables: synced, excluded, conflict, failed.
    pub fn label(&self) -> &'static str {
        match self {
            SyncOutcome::Synced { .. } => "synced",
            SyncOutcome::Excluded { .. } => "excluded",
            SyncOutcome::Conflict { .. } => "conflict",
            SyncOutcome::Failed(_) => "failed",
        }
    }
}

/// The last known sync state of one record (docs/architecture.md §10 `STATUS#{side}#{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub kind: ObjectKind,
    pub side: Side,
    pub id: String,
    /// The linked record on the other side, when there is one.
    pub counterpart_id: Option<String>,
    pub outcome: SyncOutcome,
    /// Consecutive failed attempts (0 after a success).
    pub attempts: u32,
    /// When the next automatic retry is due, for failures that will be retried.
    pub next_retry_at: Option<DateTime<Utc>>,
    /// Failed too often: no more automatic retries until the record changes again.
    pub needs_attention: bool,
    pub updated_at: DateTime<Utc>,
}

/// One line of the sync log history (docs/architecture.md §10 `CONN#{c}#LOG#{day}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncLogEntry {
    pub at: DateTime<Utc>,
    pub kind: ObjectKind,
    pub side: Side,
    pub id: String,
    pub counterpart_id: Option<String>,
    pub outcome: SyncOutcome,
    /// What was done, e.g. "created QBO customer 58", "updated HubSpot: phone".
    pub action: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(code: Option<&str>, fix: Option<&str>) -> FailureDetail {
        FailureDetail {
            code: code.map(str::to_owned),
            message: "refused".into(),
            suggested_fix: fix.map(str::to_owned),
        }
    }

    #[test]
    fn a_failures_own_fix_wins_and_a_missing_one_is_derived_from_the_vendors_code() {
        assert_eq!(
            detail(Some("6240"), Some("Rename Ada")).fix().as_deref(),
            Some("Rename Ada")
        );
        assert!(
            detail(Some("6240"), None)
                .fix()
                .is_some_and(|fix| fix.contains("Rename one of the two QuickBooks records"))
        );
        assert!(
            detail(Some("MISSING_SCOPES"), None)
                .fix()
                .is_some_and(|fix| fix.contains("Reconnect"))
        );
        assert_eq!(detail(Some("9999"), None).fix(), None);
        assert_eq!(detail(None, None).fix(), None);
    }
}

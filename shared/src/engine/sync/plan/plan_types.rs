//! What the planner takes and gives: its input (settings, mappings, link, both records) and the
//! plan (vendor writes, the link change, the new baseline, conflicts, problems, outcome).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::mapping::{FieldProblem, MappingSet, MatchKey, UniqueName};
use crate::model::{
    CanonicalValue, CanonicalValues, ConflictWinner, ConnectionSettings, Direction, Link,
    NativeValues, PropertyCondition, Record, Side,
};
use crate::ports::FieldTimes;

/// Everything one record's plan depends on. The caller has read both sides just now.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub settings: &'a ConnectionSettings,
    /// The kind's effective mapping (its kind is the plan's kind).
    pub mappings: &'a MappingSet,
    /// The stored link of these records, if any.
    pub link: Option<&'a Link>,
    /// The HubSpot record: the linked one, the job's one, or the match found; `None` when there
    /// is none (not linked and not found, or the linked record no longer exists).
    pub hubspot: Option<&'a Record>,
    pub quickbooks: Option<&'a Record>,
    /// Something bills the record now (a workflow action), so the kind's "create in QBO only
    /// when billed" policy allows creating it.
    pub billed: bool,
    /// When fields of the two records got their current values, where the vendor says
    /// (HubSpot property history); "newest edit wins" prefers these to the record times.
    pub field_times: &'a PairFieldTimes,
    /// The QBO customer a create in QBO is a sub-customer of (`Job: true`, `ParentRef`): a
    /// contact's company's customer under `contacts = "sub_customers"` (docs/admin.md §6).
    pub parent: Option<&'a str>,
}

/// Per side, native key -> when that field got its current value. Empty by default: then
/// only the records' modification times are known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairFieldTimes {
    pub hubspot: FieldTimes,
    pub quickbooks: FieldTimes,
}

impl PairFieldTimes {
    pub fn side(&self, side: Side) -> &FieldTimes {
        match side {
            Side::Hubspot => &self.hubspot,
            Side::Quickbooks => &self.quickbooks,
        }
    }
}

/// The planner's answer for one record (pair).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Vendor writes, at most one per side; apply them, then the link change.
    pub actions: Vec<Action>,
    pub link: LinkChange,
    /// The link's baseline to store once every action succeeded.
    pub baseline: CanonicalValues,
    /// Fields changed on both sides to different values, and how each was settled.
    pub conflicts: Vec<Conflict>,
    /// Fields left alone because a value could not be read or written; report them.
    pub problems: Vec<FieldProblem>,
    pub outcome: Outcome,
}

impl Plan {
    /// True when applying the plan writes nothing to either vendor.
    pub fn writes_nothing(&self) -> bool {
        self.actions.is_empty()
    }
}

/// One vendor write.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create a record on `side` for `source_id` (the record on the other side).
    Create {
        side: Side,
        source_id: String,
        values: NativeValues,
        /// Natural keys of the new record, strongest first: claim before creating.
        match_keys: Vec<MatchKey>,
        /// For QBO creates: the unique name (DisplayName / Name, already in `values` as
        /// `candidate(0)`) to vary after each 6240 duplicate-name answer.
        unique_name: Option<UniqueName>,
    },
    /// Sparse update of the changed native fields only (`null` = clear the field).
    Update {
        side: Side,
        id: String,
        expected_version: String,
        values: NativeValues,
    },
    /// HubSpot: archive; QBO: `Active=false` (QBO never deletes customers or items).
    Deactivate {
        side: Side,
        id: String,
        expected_version: String,
    },
}

impl Action {
    pub fn side(&self) -> Side {
        match self {
            Action::Create { side, .. }
            | Action::Update { side, .. }
            | Action::Deactivate { side, .. } => *side,
        }
    }
}

/// What to do with the link after the actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkChange {
    /// Nothing to store.
    Keep,
    /// Store the new baseline and the versions the writes returned on the existing link
    /// (conditional on its revision).
    Update,
    /// Create a link (conditional on neither record being linked). A `None` id is the record
    /// this plan's `Create` action produces.
    Create {
        hubspot_id: Option<String>,
        qbo_id: Option<String>,
    },
}

/// A field changed on both sides to different values, settled by the conflict policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub field: String,
    pub hubspot: Option<CanonicalValue>,
    pub quickbooks: Option<CanonicalValue>,
    /// The side whose value was kept.
    pub winner: Side,
    /// The policy that decided it (the field's override or the default).
    pub rule: ConflictWinner,
}

/// Why a record does not enter the sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// An entry filter of `side` is not met.
    Filter {
        side: Side,
        condition: PropertyCondition,
    },
    /// The kind's direction does not allow creating on `side`.
    Direction { direction: Direction, side: Side },
    /// The kind creates QBO records only when billed, and nothing bills this one yet.
    NotBilled,
}

/// The result of planning one record, for the sync log.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Nothing differs: no writes (an echo of our own write ends here).
    InSync,
    /// Values were copied (and conflicts, if any, settled).
    Synced,
    /// A record is created on `side`.
    Created {
        side: Side,
    },
    /// Two existing records are linked for the first time.
    Linked,
    /// A deactivation on one side is propagated to the other, per the deletion policy.
    Deactivated {
        side: Side,
    },
    /// A reactivation on HubSpot is propagated to QBO (`Active=true`).
    Reactivated {
        side: Side,
    },
    /// A side is inactive or gone: fields are not synced, nothing to propagate.
    Inactive {
        side: Side,
    },
    Excluded(Exclusion),
    /// Sync is not enabled for the kind.
    SyncOff,
    /// The record cannot be created on the other side; `reason` says why.
    Unsyncable {
        side: Side,
        reason: String,
    },
    /// No record on either side.
    NothingToSync,
}

/// The input does not describe one record pair (a caller bug); nothing was planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the {given:?} record was passed as the {expected:?} one")]
    WrongSide { expected: Side, given: Side },
    #[error("record {id} is a {given}, the mapping is for {expected}")]
    WrongKind {
        id: String,
        expected: crate::model::ObjectKind,
        given: crate::model::ObjectKind,
    },
    #[error("the {side:?} record {record_id} is not the linked one ({linked_id})")]
    NotTheLinkedRecord {
        side: Side,
        record_id: String,
        linked_id: String,
    },
}

/// Per side: the record's canonical values and when it was last modified.
#[derive(Debug, Clone, Default)]
pub(super) struct SideValues {
    pub values: CanonicalValues,
    /// The record's native values, for writing a value in its source's own form (phones).
    pub natives: crate::model::NativeValues,
    pub unreadable: std::collections::BTreeSet<String>,
    pub modified_at: Option<DateTime<Utc>>,
    /// Native key -> when that field got its current value, where known.
    pub field_modified_at: FieldTimes,
}

impl SideValues {
    /// When the field at native key `key` got its value: its own time where the vendor keeps
    /// one, else the record's modification time.
    pub fn modified_at_of(&self, key: &str) -> Option<DateTime<Utc>> {
        self.field_modified_at
            .get(key)
            .copied()
            .or(self.modified_at)
    }
}

//! The unit of work inside a batch: one record pair, the job subjects it answers, hints carried
//! between re-plan rounds, and what happened to it in the end.

use std::time::Duration;

use crate::engine::sync::plan::{Conflict, Outcome};
use crate::mapping::FieldProblem;
use crate::model::Side;
use crate::ports::{FailureDetail, RecordRef};

/// One record pair being synced.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unit {
    /// The records jobs asked about that this unit answers; the first is the primary one.
    pub anchors: Vec<RecordRef>,
    /// An unlinked record of the other side to pair the primary anchor with (found by a
    /// duplicate answer or a claim left by an earlier create).
    pub counterpart: Option<RecordRef>,
    /// Which unique-name candidate a create uses (0 = the base name).
    pub name_attempt: u32,
    /// Things worth telling the user (renames, ambiguous matches).
    pub notes: Vec<String>,
    /// A vendor reported the primary anchor merged into this record of its side (a QBO
    /// merge's hint, docs/architecture.md §13); prepare checks it before following it.
    pub merged_into: Option<RecordRef>,
    /// The HubSpot record of this pair has a pending QBO create (engine/sync/pending_creates.rs)
    /// that the link write clears.
    pub clears_pending: bool,
}

impl Unit {
    pub fn new(anchor: RecordRef) -> Self {
        Unit {
            anchors: vec![anchor],
            counterpart: None,
            name_attempt: 0,
            notes: Vec::new(),
            merged_into: None,
            clears_pending: false,
        }
    }

    pub fn primary(&self) -> &RecordRef {
        &self.anchors[0]
    }

    pub fn absorb(&mut self, other: Unit) {
        for anchor in other.anchors {
            if !self.anchors.contains(&anchor) {
                self.anchors.push(anchor);
            }
        }
        self.notes.extend(other.notes);
        self.clears_pending |= other.clears_pending;
        if self.merged_into.is_none() {
            self.merged_into = other.merged_into;
        }
    }
}

/// How a unit ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UnitResult {
    /// The plan was applied (or needed no writes).
    Planned {
        outcome: Outcome,
        conflicts: Vec<Conflict>,
        problems: Vec<FieldProblem>,
    },
    /// A vendor refused a write, or the pair cannot be synced; `retry` says whether trying
    /// again later may help.
    Failed { detail: FailureDetail, retry: bool },
}

/// A finished unit with the ids of the pair and what was done.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnitReport {
    pub unit: Unit,
    pub hubspot_id: Option<String>,
    pub qbo_id: Option<String>,
    pub result: UnitResult,
    /// Human-readable writes made, e.g. "created QBO Customer 58".
    pub actions: Vec<String>,
}

impl UnitReport {
    pub fn id(&self, side: Side) -> Option<&str> {
        match side {
            Side::Hubspot => self.hubspot_id.as_deref(),
            Side::Quickbooks => self.qbo_id.as_deref(),
        }
    }
}

/// Where a unit stands after a round.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    Finished(UnitReport),
    /// Read again and plan again (stale version, failed link condition, rename, new pairing).
    Replan(Unit),
    /// Give the job back to the queue: nothing about the record failed.
    Retry {
        unit: Unit,
        delay: Duration,
        reason: String,
    },
}

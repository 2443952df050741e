//! The final state the checker judges, side-independent: every record of the synced kinds on
//! both sides with its mapped fields as canonical text, the stored links, and the failures.

use std::collections::BTreeMap;

use hqsync::model::{ObjectKind, Side};

/// One vendor record as the checker sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordView {
    pub kind: ObjectKind,
    pub side: Side,
    pub id: String,
    /// False when archived (HubSpot) or inactive (QBO).
    pub active: bool,
    /// The normalised first match key (email, SKU), if the record has one.
    pub key: Option<String>,
    /// Every mapped field with a value, canonical (an unset QBO amount reads as its 0, as the
    /// engine's field merge compares it: `FieldMapping::same_value`).
    pub fields: BTreeMap<String, String>,
}

/// One stored link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    pub kind: ObjectKind,
    pub hubspot_id: String,
    pub qbo_id: String,
}

/// A record the engine gave up on or keeps failing: a dead letter or a failing status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureView {
    pub kind: ObjectKind,
    pub side: Side,
    pub id: String,
    /// The vendor's or engine's reason; empty = unaccounted.
    pub reason: String,
}

/// Everything the checker needs from the end of a run (one connection).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub records: Vec<RecordView>,
    pub links: Vec<LinkView>,
    pub failures: Vec<FailureView>,
    /// Whether a HubSpot archive makes the linked QBO record inactive, per kind (the
    /// connection's deletion policy; the reverse is off by default and not checked).
    pub archive_deactivates: BTreeMap<ObjectKind, bool>,
    /// Both accounts started empty, so every record no person created was made by the sync.
    pub started_empty: bool,
}

impl Snapshot {
    pub fn record(&self, kind: ObjectKind, side: Side, id: &str) -> Option<&RecordView> {
        self.records
            .iter()
            .find(|r| r.kind == kind && r.side == side && r.id == id)
    }

    /// The link holding `id` on `side`, if any (the first when there are several).
    pub fn link_of(&self, kind: ObjectKind, side: Side, id: &str) -> Option<&LinkView> {
        self.links.iter().find(|l| {
            l.kind == kind
                && match side {
                    Side::Hubspot => l.hubspot_id == id,
                    Side::Quickbooks => l.qbo_id == id,
                }
        })
    }

    /// Stable lines of the whole state, for the history digest.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .records
            .iter()
            .map(|r| {
                let fields: Vec<String> =
                    r.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "record {} {} {} active={} {}",
                    r.kind,
                    r.side,
                    r.id,
                    r.active,
                    fields.join(",")
                )
            })
            .chain(
                self.links
                    .iter()
                    .map(|l| format!("link {} {} {}", l.kind, l.hubspot_id, l.qbo_id)),
            )
            .chain(
                self.failures
                    .iter()
                    .map(|f| format!("failure {} {} {} {}", f.kind, f.side, f.id, f.reason)),
            )
            .collect();
        lines.sort();
        lines
    }
}

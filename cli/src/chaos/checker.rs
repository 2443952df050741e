//! The history checker (docs/chaos.md §4): from the final state and the person edits it counts
//! duplicates, lost updates, unconverged pairs and unaccounted failures, with detail lines.

use std::collections::BTreeMap;

use hqsync::model::{ObjectKind, Side};

use super::history::{EditOp, PersonEdit};
use super::snapshot::{LinkView, RecordView, Snapshot};

/// Detail lines printed per violation kind at most (the counts are always complete).
pub const DETAILS_PER_KIND: usize = 5;

/// What the checker found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    pub duplicates: usize,
    pub lost_updates: usize,
    pub unconverged: usize,
    /// Failures (dead letters, failing statuses) without a reason.
    pub unaccounted: usize,
    /// Failures with a reason (listed, not violations).
    pub accounted: usize,
    pub details: Vec<String>,
}

impl Verdict {
    /// True when every invariant held.
    pub fn holds(&self) -> bool {
        self.duplicates == 0
            && self.lost_updates == 0
            && self.unconverged == 0
            && self.unaccounted == 0
    }
}

/// Checks `snapshot` against the person `edits` (in the order they happened).
pub fn check<'a>(snapshot: &Snapshot, edits: impl IntoIterator<Item = &'a PersonEdit>) -> Verdict {
    let edits: Vec<&PersonEdit> = edits.into_iter().collect();
    let mut verdict = Verdict::default();
    let mut details = Details::default();
    duplicates(snapshot, &mut verdict, &mut details);
    if snapshot.started_empty {
        orphaned_pairs(snapshot, &edits, &mut verdict, &mut details);
    }
    convergence(snapshot, &mut verdict, &mut details);
    lost_updates(snapshot, edits.iter().copied(), &mut verdict, &mut details);
    failures(snapshot, &mut verdict, &mut details);
    verdict.details = details.lines;
    verdict
}

/// Detail lines, at most [`DETAILS_PER_KIND`] per violation kind.
#[derive(Default)]
struct Details {
    per_kind: BTreeMap<&'static str, usize>,
    lines: Vec<String>,
}

impl Details {
    fn add(&mut self, kind: &'static str, line: String) {
        let n = self.per_kind.entry(kind).or_default();
        *n += 1;
        if *n <= DETAILS_PER_KIND {
            self.lines.push(format!("{kind}: {line}"));
        }
    }
}

/// (b) No two links per record, and no two records per natural key on a side among the
/// active or linked ones.
fn duplicates(snapshot: &Snapshot, verdict: &mut Verdict, details: &mut Details) {
    for side in Side::BOTH {
        let mut per_record: BTreeMap<(ObjectKind, &str), Vec<&LinkView>> = BTreeMap::new();
        for link in &snapshot.links {
            per_record
                .entry((link.kind, link_id(link, side)))
                .or_default()
                .push(link);
        }
        for ((kind, id), links) in per_record.into_iter().filter(|(_, l)| l.len() > 1) {
            verdict.duplicates += links.len() - 1;
            let others: Vec<&str> = links.iter().map(|l| link_id(l, side.other())).collect();
            details.add(
                "duplicate",
                format!(
                    "{kind} {side} {id} is linked {} times (to {others:?})",
                    links.len()
                ),
            );
        }
    }
    let mut per_key: BTreeMap<(ObjectKind, Side, &str), Vec<&RecordView>> = BTreeMap::new();
    for record in &snapshot.records {
        let counted = record.active
            || snapshot
                .link_of(record.kind, record.side, &record.id)
                .is_some();
        if let (true, Some(key)) = (counted, &record.key) {
            per_key
                .entry((record.kind, record.side, key.as_str()))
                .or_default()
                .push(record);
        }
    }
    for ((kind, side, key), records) in per_key.into_iter().filter(|(_, r)| r.len() > 1) {
        verdict.duplicates += records.len() - 1;
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        details.add(
            "duplicate",
            format!(
                "{kind} {side}: {} records with key {key:?}: {ids:?}",
                records.len()
            ),
        );
    }
}

/// (b) From empty accounts every pair holds the record a person made and its copy: a pair of
/// two copies means the sync made a second copy of some person's record (its first copy's
/// key was edited away, say) and linked the copies, leaving the original out.
fn orphaned_pairs(
    snapshot: &Snapshot,
    edits: &[&PersonEdit],
    verdict: &mut Verdict,
    details: &mut Details,
) {
    let made = |kind: ObjectKind, side: Side, id: &str| {
        edits
            .iter()
            .any(|e| e.op == EditOp::Create && e.kind == kind && e.side == side && e.id == id)
    };
    for link in &snapshot.links {
        if !made(link.kind, Side::Hubspot, &link.hubspot_id)
            && !made(link.kind, Side::Quickbooks, &link.qbo_id)
        {
            verdict.duplicates += 1;
            details.add(
                "duplicate",
                format!(
                    "{} {} <-> {}: both records were made by the sync, a copy linked to a copy",
                    link.kind, link.hubspot_id, link.qbo_id
                ),
            );
        }
    }
}

fn link_id(link: &LinkView, side: Side) -> &str {
    match side {
        Side::Hubspot => &link.hubspot_id,
        Side::Quickbooks => &link.qbo_id,
    }
}

/// (a) Every linked pair agrees on every mapped field (when both are active) and on the
/// deletion policy's active rule; every active record is linked or has an accounted failure.
fn convergence(snapshot: &Snapshot, verdict: &mut Verdict, details: &mut Details) {
    for link in &snapshot.links {
        let hs = snapshot.record(link.kind, Side::Hubspot, &link.hubspot_id);
        let qb = snapshot.record(link.kind, Side::Quickbooks, &link.qbo_id);
        let (Some(hs), Some(qb)) = (hs, qb) else {
            verdict.unconverged += 1;
            details.add(
                "unconverged",
                format!(
                    "{} link {} <-> {}: a linked record is missing",
                    link.kind, link.hubspot_id, link.qbo_id
                ),
            );
            continue;
        };
        let archive_rule = snapshot
            .archive_deactivates
            .get(&link.kind)
            .copied()
            .unwrap_or(false);
        if !hs.active {
            if archive_rule && qb.active {
                verdict.unconverged += 1;
                details.add(
                    "unconverged",
                    format!(
                        "{} hubspot {} is archived but QBO {} is still active",
                        link.kind, hs.id, qb.id
                    ),
                );
            }
            continue;
        }
        if !qb.active {
            continue;
        }
        let differing: Vec<String> = hs
            .fields
            .keys()
            .chain(qb.fields.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|f| hs.fields.get(*f) != qb.fields.get(*f))
            .map(|f| {
                format!(
                    "{f}: hubspot {:?} qbo {:?}",
                    hs.fields.get(f).map(String::as_str).unwrap_or("∅"),
                    qb.fields.get(f).map(String::as_str).unwrap_or("∅")
                )
            })
            .collect();
        if !differing.is_empty() {
            verdict.unconverged += 1;
            details.add(
                "unconverged",
                format!(
                    "{} {} <-> {}: {}",
                    link.kind,
                    hs.id,
                    qb.id,
                    differing.join("; ")
                ),
            );
        }
    }
    for record in snapshot.records.iter().filter(|r| r.active) {
        let linked = snapshot
            .link_of(record.kind, record.side, &record.id)
            .is_some();
        let failed = snapshot
            .failures
            .iter()
            .any(|f| f.kind == record.kind && f.side == record.side && f.id == record.id);
        if !linked && !failed {
            verdict.unconverged += 1;
            details.add(
                "unconverged",
                format!(
                    "{} {} {} is active, unlinked and has no failure",
                    record.kind, record.side, record.id
                ),
            );
        }
    }
}

/// Which records' edits compete: a linked pair, or a lone record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Pair(ObjectKind, String, String),
    Lone(ObjectKind, Side, String),
}

/// (c) The last person edit of each field of a pair is what the pair holds, unless the policy
/// (newest record wins, docs/architecture.md §4) let the other side's earlier edit win because
/// that side's record was edited again after it.
fn lost_updates<'a>(
    snapshot: &Snapshot,
    edits: impl IntoIterator<Item = &'a PersonEdit>,
    verdict: &mut Verdict,
    details: &mut Details,
) {
    let mut groups: BTreeMap<Group, Vec<&PersonEdit>> = BTreeMap::new();
    for edit in edits {
        let group = match snapshot.link_of(edit.kind, edit.side, &edit.id) {
            Some(l) => Group::Pair(l.kind, l.hubspot_id.clone(), l.qbo_id.clone()),
            None => Group::Lone(edit.kind, edit.side, edit.id.clone()),
        };
        groups.entry(group).or_default().push(edit);
    }
    for (group, edits) in groups {
        let records: Vec<Option<&RecordView>> = match &group {
            Group::Pair(kind, hs, qb) => vec![
                snapshot.record(*kind, Side::Hubspot, hs),
                snapshot.record(*kind, Side::Quickbooks, qb),
            ],
            Group::Lone(kind, side, id) => vec![snapshot.record(*kind, *side, id)],
        };
        // A deactivation moots the fields; a missing record is convergence's business.
        if edits.iter().any(|e| e.op == EditOp::Deactivate)
            || records.iter().any(|r| r.is_none_or(|r| !r.active))
        {
            continue;
        }
        let fields: std::collections::BTreeSet<&String> =
            edits.iter().flat_map(|e| e.fields.keys()).collect();
        for field in fields {
            let touching: Vec<&&PersonEdit> = edits
                .iter()
                .filter(|e| e.fields.contains_key(field))
                .collect();
            let Some(last) = touching.last() else {
                continue;
            };
            let Some(record) = records.iter().flatten().find(|r| r.side == last.side) else {
                continue;
            };
            let held = record.fields.get(field);
            let wanted = last.fields.get(field).cloned().flatten();
            if held == wanted.as_ref() {
                continue;
            }
            let other = last.side.other();
            let newer_other_wins =
                touching
                    .iter()
                    .rev()
                    .find(|e| e.side == other)
                    .is_some_and(|m| {
                        m.fields.get(field).cloned().flatten().as_ref() == held
                            && edits
                                .iter()
                                .any(|e| e.side == other && e.at_ms > last.at_ms)
                    });
            if !newer_other_wins {
                verdict.lost_updates += 1;
                details.add(
                    "lost_update",
                    format!(
                        "{} {} {} {field}: last edit {:?} at {} ms, the record holds {:?}",
                        last.kind,
                        last.side,
                        last.id,
                        wanted.as_deref().unwrap_or("∅"),
                        last.at_ms,
                        held.map(String::as_str).unwrap_or("∅")
                    ),
                );
            }
        }
    }
}

/// (d) Every failure carries a reason.
fn failures(snapshot: &Snapshot, verdict: &mut Verdict, details: &mut Details) {
    for failure in &snapshot.failures {
        if failure.reason.trim().is_empty() {
            verdict.unaccounted += 1;
            details.add(
                "unaccounted_failure",
                format!(
                    "{} {} {} failed without a reason",
                    failure.kind, failure.side, failure.id
                ),
            );
        } else {
            verdict.accounted += 1;
            details.add(
                "failure",
                format!(
                    "{} {} {}: {}",
                    failure.kind, failure.side, failure.id, failure.reason
                ),
            );
        }
    }
}

#[cfg(test)]
#[path = "checker_tests.rs"]
mod tests;

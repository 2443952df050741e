//! The per-field three-way merge of docs/architecture.md §4: each mapped field's value on both sides against
//! the baseline; one-sided changes are copied, two-sided ones settled by the conflict policy.

use std::collections::BTreeMap;

use super::plan_types::{Conflict, SideValues};
use crate::mapping::{FieldMapping, FieldProblem, MappingSet};
use crate::model::{
    CanonicalValue, CanonicalValues, ConflictPolicy, ConflictWinner, Direction, NativeValues, Side,
    TransformKind,
};

/// The merge of all mapped fields of a record pair.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct FieldMerge {
    /// The merged value of every field (absent = no value): the new baseline's fields.
    pub merged: CanonicalValues,
    /// Native values to write, per side (only fields whose value there must change).
    pub hubspot_writes: NativeValues,
    pub qbo_writes: NativeValues,
    pub conflicts: Vec<Conflict>,
    pub problems: Vec<FieldProblem>,
}

impl FieldMerge {
    pub fn writes(&self, side: Side) -> &NativeValues {
        match side {
            Side::Hubspot => &self.hubspot_writes,
            Side::Quickbooks => &self.qbo_writes,
        }
    }
}

/// Merges every row of `mappings`. `baseline` is empty for a first link or a create (then
/// a value on one side only is copied, so an empty value never overwrites a non-empty one).
pub(super) fn merge_fields(
    mappings: &MappingSet,
    policy: &ConflictPolicy,
    baseline: &CanonicalValues,
    hubspot: &SideValues,
    qbo: &SideValues,
) -> FieldMerge {
    let mut out = FieldMerge::default();
    for row in mappings.rows() {
        let field = row.field.as_str();
        let base = baseline.get(field);
        if hubspot.unreadable.contains(field) || qbo.unreadable.contains(field) {
            keep(&mut out.merged, field, base); // reported by the caller already
            continue;
        }
        let hs = hubspot.values.get(field);
        let qb = qbo.values.get(field);
        let decision = decide(
            row,
            policy.winner_for(field),
            hs,
            qb,
            base,
            hubspot,
            qbo,
            field,
        );
        let merged = decision.merged.cloned();

        // Convert the writes first: a value one side cannot take leaves the field alone.
        let mut natives = BTreeMap::new();
        let mut failed = None;
        for (side, current) in [(Side::Hubspot, hs), (Side::Quickbooks, qb)] {
            if decision.write_to(side) && !row.same_value(current, merged.as_ref()) {
                let source = decision.source.and_then(|source| {
                    source_form(row, source, side, hubspot, qbo, merged.as_ref())
                });
                match row.write(side, source.as_ref().or(merged.as_ref())) {
                    Ok(native) => {
                        natives.insert(side, native);
                    }
                    Err(error) => {
                        failed = Some(FieldProblem {
                            field: field.to_owned(),
                            side,
                            error,
                        });
                        break;
                    }
                }
            }
        }
        if let Some(problem) = failed {
            out.problems.push(problem);
            keep(&mut out.merged, field, base);
            continue;
        }
        for (side, native) in natives {
            let key = row.native_key(side).to_owned();
            match side {
                Side::Hubspot => out.hubspot_writes.insert(key, native),
                Side::Quickbooks => out.qbo_writes.insert(key, native),
            };
        }
        if let Some(conflict) = decision.conflict {
            out.conflicts.push(conflict);
        }
        keep(&mut out.merged, field, merged.as_ref());
    }
    out
}

/// A phone is compared in E.164 but written as its source shows it ("+1 415 555 0142" stays
/// so, not "+14155550142"): the source's own text, when it reads as the merged value. Its echo
/// reads back to the same canonical value, so the comparison stays canonical and nothing loops
/// (docs/architecture.md §5 invariant 5).
fn source_form(
    row: &FieldMapping,
    source: Side,
    target: Side,
    hubspot: &SideValues,
    qbo: &SideValues,
    merged: Option<&CanonicalValue>,
) -> Option<CanonicalValue> {
    if row.transform.kind() != TransformKind::Phone || source == target {
        return None;
    }
    let natives = match source {
        Side::Hubspot => &hubspot.natives,
        Side::Quickbooks => &qbo.natives,
    };
    let shown = natives.get(row.native_key(source))?.as_str()?.trim();
    let read = CanonicalValue::phone(shown)?;
    (Some(&read) == merged).then(|| CanonicalValue::Phone(shown.to_owned()))
}

fn keep(merged: &mut CanonicalValues, field: &str, value: Option<&CanonicalValue>) {
    if let Some(value) = value {
        merged.insert(field.to_owned(), value.clone());
    }
}

struct Decision<'v> {
    merged: Option<&'v CanonicalValue>,
    /// The side whose value `merged` is, when it is one side's.
    source: Option<Side>,
    write_hubspot: bool,
    write_qbo: bool,
    conflict: Option<Conflict>,
}

impl Decision<'_> {
    fn write_to(&self, side: Side) -> bool {
        match side {
            Side::Hubspot => self.write_hubspot,
            Side::Quickbooks => self.write_qbo,
        }
    }
}

#[allow(clippy::too_many_arguments)] // one decision needs all of these; a struct would only rename them
fn decide<'v>(
    row: &FieldMapping,
    rule: ConflictWinner,
    hs: Option<&'v CanonicalValue>,
    qb: Option<&'v CanonicalValue>,
    base: Option<&'v CanonicalValue>,
    hubspot: &SideValues,
    qbo: &SideValues,
    field: &str,
) -> Decision<'v> {
    // Values compare as the row says (QBO's 0 for an unset amount is "no value").
    let same = |a, b| row.same_value(a, b);
    let source_only = |source: Option<&'v CanonicalValue>, target: Side| {
        // One-way row: the source's value is the truth; it is written when it changed since
        // the baseline, so edits made on the target side survive until the source changes.
        let changed = !same(source, base);
        Decision {
            merged: source,
            source: Some(target.other()),
            write_hubspot: changed && target == Side::Hubspot,
            write_qbo: changed && target == Side::Quickbooks,
            conflict: None,
        }
    };
    // A derived value (the company's primary contact's e-mail, docs/admin.md §6) that is
    // absent says nothing: QBO's own value stands rather than being cleared.
    if row.derived && hs.is_none() {
        return Decision {
            merged: qb,
            source: None,
            write_hubspot: false,
            write_qbo: false,
            conflict: None,
        };
    }
    match row.direction {
        Direction::ToQuickbooks => source_only(hs, Side::Quickbooks),
        Direction::ToHubspot => source_only(qb, Side::Hubspot),
        Direction::TwoWay => {
            let both = |merged, source| Decision {
                merged,
                source: Some(source),
                write_hubspot: true,
                write_qbo: true,
                conflict: None,
            };
            // Agreeing sides keep HubSpot's form: where QBO shows an unset amount as 0 and
            // HubSpot has nothing, nothing is what both mean (QBO cannot say "unset").
            if same(hs, qb) || same(qb, base) {
                both(hs, Side::Hubspot)
            } else if same(hs, base) {
                both(qb, Side::Quickbooks)
            } else {
                let winner = match rule {
                    ConflictWinner::HubspotWins => Side::Hubspot,
                    ConflictWinner::QuickbooksWins => Side::Quickbooks,
                    // Ties go to HubSpot, so the result never depends on argument order.
                    // Each side's time for this field: the field's own where the vendor
                    // keeps one (a write to another property does not make it newer).
                    ConflictWinner::NewestWins
                        if qbo.modified_at_of(row.native_key(Side::Quickbooks))
                            > hubspot.modified_at_of(row.native_key(Side::Hubspot)) =>
                    {
                        Side::Quickbooks
                    }
                    ConflictWinner::NewestWins => Side::Hubspot,
                };
                let merged = if winner == Side::Hubspot { hs } else { qb };
                Decision {
                    conflict: Some(Conflict {
                        field: field.to_owned(),
                        hubspot: hs.cloned(),
                        quickbooks: qb.cloned(),
                        winner,
                        rule,
                    }),
                    ..both(merged, winner)
                }
            }
        }
    }
}

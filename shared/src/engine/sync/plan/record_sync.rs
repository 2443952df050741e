//! `plan_record_sync`: one record pair's plan. Linked pairs are merged against the baseline;
//! unlinked matched pairs are linked (first-link merge); a lone record is created on the other side.

use super::active_state::{ActiveChange, is_state_key, merge_active, store_active};
use super::field_merge::{FieldMerge, merge_fields};
use super::plan_types::{
    Action, Exclusion, LinkChange, Outcome, Plan, PlanError, PlanInput, SideValues,
};
use super::settings_stamp::store_stamp;
use crate::mapping::{FieldProblem, unique_name_for_create};
use crate::model::kinds::HubspotCreate;
use crate::model::{CanonicalValues, Link, QboCreatePolicy, Record, Side, SyncState, descriptor};

/// Plans one record pair (docs/architecture.md §4). Pure: the same input always gives the same plan.
pub fn plan_record_sync(input: &PlanInput<'_>) -> Result<Plan, PlanError> {
    check_input(input)?;
    let object = input.settings.object(input.mappings.kind());
    if object.state != SyncState::Enabled {
        return Ok(nothing(Outcome::SyncOff, input.link));
    }
    match (input.link, input.hubspot, input.quickbooks) {
        (Some(link), hubspot, qbo) => Ok(plan_linked(input, link, hubspot, qbo)),
        (None, Some(hubspot), Some(qbo)) => Ok(plan_first_link(input, hubspot, qbo)),
        (None, Some(source), None) | (None, None, Some(source)) => Ok(plan_create(input, source)),
        (None, None, None) => Ok(nothing(Outcome::NothingToSync, None)),
    }
}

fn check_input(input: &PlanInput<'_>) -> Result<(), PlanError> {
    let kind = input.mappings.kind();
    for (expected, record) in [
        (Side::Hubspot, input.hubspot),
        (Side::Quickbooks, input.quickbooks),
    ] {
        let Some(record) = record else { continue };
        if record.side != expected {
            return Err(PlanError::WrongSide {
                expected,
                given: record.side,
            });
        }
        if record.kind != kind {
            return Err(PlanError::WrongKind {
                id: record.id.clone(),
                expected: kind,
                given: record.kind,
            });
        }
        if let Some(link) = input.link
            && link.id(expected) != record.id
        {
            return Err(PlanError::NotTheLinkedRecord {
                side: expected,
                record_id: record.id.clone(),
                linked_id: link.id(expected).to_owned(),
            });
        }
    }
    Ok(())
}

fn nothing(outcome: Outcome, link: Option<&Link>) -> Plan {
    Plan {
        actions: Vec::new(),
        link: LinkChange::Keep,
        baseline: link.map(|l| l.baseline.clone()).unwrap_or_default(),
        conflicts: Vec::new(),
        problems: Vec::new(),
        outcome,
    }
}

/// A record's canonical values; unreadable fields are reported in `problems`.
fn read_side(
    input: &PlanInput<'_>,
    record: Option<&Record>,
    problems: &mut Vec<FieldProblem>,
) -> SideValues {
    let mappings = input.mappings;
    let Some(record) = record else {
        return SideValues::default();
    };
    let read = mappings.to_canonical(record.side, &record.values);
    let unreadable = read.problems.iter().map(|p| p.field.clone()).collect();
    problems.extend(read.problems);
    SideValues {
        values: read.values,
        natives: record.values.clone(),
        unreadable,
        modified_at: Some(record.modified_at),
        field_modified_at: input.field_times.side(record.side).clone(),
    }
}

fn update_action(record: &Record, values: &crate::model::NativeValues) -> Option<Action> {
    (!values.is_empty()).then(|| Action::Update {
        side: record.side,
        id: record.id.clone(),
        expected_version: record.version.clone(),
        values: values.clone(),
    })
}

fn merge_pair(
    input: &PlanInput<'_>,
    baseline: &CanonicalValues,
    hubspot: Option<&Record>,
    qbo: Option<&Record>,
) -> (FieldMerge, Vec<FieldProblem>) {
    let mut problems = Vec::new();
    let hs = read_side(input, hubspot, &mut problems);
    let qb = read_side(input, qbo, &mut problems);
    let conflict = &input.settings.object(input.mappings.kind()).conflict;
    let mut merge = merge_fields(input.mappings, conflict, baseline, &hs, &qb);
    problems.append(&mut merge.problems);
    (merge, problems)
}

fn plan_linked(
    input: &PlanInput<'_>,
    link: &Link,
    hubspot: Option<&Record>,
    qbo: Option<&Record>,
) -> Plan {
    let object = input.settings.object(input.mappings.kind());
    let hs_active = hubspot.is_some_and(|r| r.active);
    let qb_active = qbo.is_some_and(|r| r.active);
    let active = merge_active(
        &link.baseline,
        &object.deletion,
        object.direction,
        hubspot.map(|r| r.active),
        qbo.map(|r| r.active),
    );

    let mut plan = nothing(Outcome::InSync, Some(link));
    match active.change {
        ActiveChange::Deactivate(side) => {
            let record = if side == Side::Hubspot { hubspot } else { qbo };
            let record = record.expect("only an active (so present) record is deactivated");
            plan.actions.push(Action::Deactivate {
                side,
                id: record.id.clone(),
                expected_version: record.version.clone(),
            });
            plan.outcome = Outcome::Deactivated { side };
        }
        ActiveChange::Reactivate(side) => {
            let record = qbo.filter(|_| side == Side::Quickbooks);
            let record = record.expect("only a present QBO record is reactivated");
            let values = [("Active".to_owned(), serde_json::Value::Bool(true))].into();
            plan.actions.extend(update_action(record, &values));
            plan.outcome = Outcome::Reactivated { side };
        }
        ActiveChange::None if !(hs_active && qb_active) => {
            let side = if hs_active {
                Side::Quickbooks
            } else {
                Side::Hubspot
            };
            plan.outcome = Outcome::Inactive { side };
        }
        ActiveChange::None => {
            let (merge, problems) = merge_pair(input, &link.baseline, hubspot, qbo);
            let (hubspot, qbo) = (hubspot.expect("active"), qbo.expect("active"));
            plan.actions
                .extend(update_action(hubspot, &merge.hubspot_writes));
            plan.actions.extend(update_action(qbo, &merge.qbo_writes));
            plan.baseline = merge.merged;
            plan.conflicts = merge.conflicts;
            plan.problems = problems;
            if !plan.actions.is_empty() || !plan.conflicts.is_empty() {
                plan.outcome = Outcome::Synced;
            }
        }
    }
    let fields_merged = active.change == ActiveChange::None && hs_active && qb_active;
    if !fields_merged {
        // Fields are not merged while a side is inactive: keep their baseline as it was.
        plan.baseline = link.baseline.clone();
    } else {
        // Keep state keys of the old baseline that the merge does not know about.
        for (key, value) in &link.baseline {
            if is_state_key(key) {
                plan.baseline.insert(key.clone(), value.clone());
            }
        }
    }
    store_active(&mut plan.baseline, active.hubspot, active.qbo);
    store_stamp(&mut plan.baseline, input.settings, input.mappings.kind());
    if !plan.actions.is_empty() || plan.baseline != link.baseline {
        plan.link = LinkChange::Update;
    }
    plan
}

fn plan_first_link(input: &PlanInput<'_>, hubspot: &Record, qbo: &Record) -> Plan {
    let object = input.settings.object(input.mappings.kind());
    for record in [hubspot, qbo] {
        if let Some(condition) = object
            .entry_filters
            .first_failing(record.side, &record.values)
        {
            return nothing(
                Outcome::Excluded(Exclusion::Filter {
                    side: record.side,
                    condition: condition.clone(),
                }),
                None,
            );
        }
    }
    let link = LinkChange::Create {
        hubspot_id: Some(hubspot.id.clone()),
        qbo_id: Some(qbo.id.clone()),
    };
    let (merge, problems) = merge_pair(input, &CanonicalValues::new(), Some(hubspot), Some(qbo));
    let mut plan = Plan {
        actions: Vec::new(),
        link,
        baseline: CanonicalValues::new(),
        conflicts: Vec::new(),
        problems,
        outcome: Outcome::Linked,
    };
    if hubspot.active && qbo.active {
        plan.actions
            .extend(update_action(hubspot, &merge.hubspot_writes));
        plan.actions.extend(update_action(qbo, &merge.qbo_writes));
        plan.baseline = merge.merged;
        plan.conflicts = merge.conflicts;
    } else {
        // Nothing is written to an inactive record: the baseline holds only what both sides
        // already agree on, so a later reactivation merges the rest as conflicts.
        let hs = input
            .mappings
            .to_canonical(Side::Hubspot, &hubspot.values)
            .values;
        let qb = input
            .mappings
            .to_canonical(Side::Quickbooks, &qbo.values)
            .values;
        plan.baseline = hs
            .into_iter()
            .filter(|(k, v)| {
                let row = input.mappings.row(k);
                row.is_some_and(|row| row.same_value(Some(v), qb.get(k)))
            })
            .collect();
    }
    store_active(&mut plan.baseline, hubspot.active, qbo.active);
    store_stamp(&mut plan.baseline, input.settings, input.mappings.kind());
    plan
}

fn plan_create(input: &PlanInput<'_>, source: &Record) -> Plan {
    let kind = input.mappings.kind();
    let object = input.settings.object(kind);
    let target = source.side.other();
    if !source.active {
        return nothing(Outcome::Inactive { side: source.side }, None);
    }
    if !object.direction.writes_to(target) {
        return nothing(
            Outcome::Excluded(Exclusion::Direction {
                direction: object.direction,
                side: target,
            }),
            None,
        );
    }
    if let Some(condition) = object
        .entry_filters
        .first_failing(source.side, &source.values)
    {
        return nothing(
            Outcome::Excluded(Exclusion::Filter {
                side: source.side,
                condition: condition.clone(),
            }),
            None,
        );
    }
    if target == Side::Quickbooks
        && object.qbo_create == QboCreatePolicy::WhenBilled
        && !input.billed
    {
        return nothing(Outcome::Excluded(Exclusion::NotBilled), None);
    }
    let (hubspot, qbo) = match source.side {
        Side::Hubspot => (Some(source), None),
        Side::Quickbooks => (None, Some(source)),
    };
    let (merge, problems) = merge_pair(input, &CanonicalValues::new(), hubspot, qbo);
    let mut values = merge.writes(target).clone();
    let match_keys = input.mappings.match_keys(&merge.merged);
    let unsyncable = |reason: &str| {
        let mut plan = nothing(
            Outcome::Unsyncable {
                side: target,
                reason: reason.to_owned(),
            },
            None,
        );
        plan.problems = problems.clone();
        plan
    };
    let mut unique_name = None;
    let facts = descriptor(kind);
    match target {
        Side::Quickbooks => {
            let Some(name) = unique_name_for_create(kind, &merge.merged, object.name_suffix) else {
                return unsyncable(facts.qbo.create_refusal);
            };
            let mut name = name;
            if let Some(serde_json::Value::String(mapped)) = values.get(&name.field) {
                name.base = mapped.clone(); // a custom row maps this field: its value comes first
            }
            values.insert(
                name.field.clone(),
                serde_json::Value::String(name.candidate(0)),
            );
            if let Some(create_defaults) = facts.qbo.create_defaults {
                create_defaults(input.settings, &mut values);
            }
            if let Some(parent) = input.parent {
                // A sub-customer: `Job` with its parent's `ParentRef`
                // (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer).
                values.insert("Job".into(), serde_json::Value::Bool(true));
                values.insert("ParentRef.value".into(), parent.into());
            }
            unique_name = Some(name);
        }
        Side::Hubspot => match facts.hubspot.create {
            HubspotCreate::Allowed => {}
            HubspotCreate::NeedsOneOf {
                properties,
                refusal,
            } => {
                if !properties.iter().any(|f| values.contains_key(*f)) {
                    return unsyncable(refusal);
                }
            }
            HubspotCreate::Never { refusal } => return unsyncable(refusal),
        },
    }
    let mut baseline = merge.merged;
    store_active(&mut baseline, true, true);
    store_stamp(&mut baseline, input.settings, input.mappings.kind());
    Plan {
        actions: vec![Action::Create {
            side: target,
            source_id: source.id.clone(),
            values,
            match_keys,
            unique_name,
        }],
        link: match target {
            Side::Hubspot => LinkChange::Create {
                hubspot_id: None,
                qbo_id: Some(source.id.clone()),
            },
            Side::Quickbooks => LinkChange::Create {
                hubspot_id: Some(source.id.clone()),
                qbo_id: None,
            },
        },
        baseline,
        conflicts: merge.conflicts,
        problems,
        outcome: Outcome::Created { side: target },
    }
}

//! The two-way outcomes in the user's words: exclusions (entry filters, directions), fields
//! not synced, and conflict notes, as shown by the sync status, the log and the preview.

use crate::mapping::FieldProblem;
use crate::model::{ConflictWinner, PropertyCondition};
use crate::ports::{ConflictNote, FieldWarning};

use super::plan::{Conflict, Exclusion};

pub(crate) fn describe_exclusion(exclusion: &Exclusion) -> String {
    match exclusion {
        Exclusion::Filter { side, condition } => {
            format!("{side} entry filter: {}", describe_condition(condition))
        }
        Exclusion::Direction { direction, side } => {
            format!("direction {direction:?} does not create records on {side}")
        }
        Exclusion::NotBilled => {
            "created in QuickBooks only when a workflow action bills it (qbo_create = when_billed)"
                .to_owned()
        }
    }
}

fn describe_condition(condition: &PropertyCondition) -> String {
    let op = serde_json::to_value(condition.op)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut out = format!("{} {op}", condition.property);
    if let Some(value) = &condition.value {
        out.push_str(&format!(" {value:?}"));
    }
    if !condition.values.is_empty() {
        out.push_str(&format!(" {:?}", condition.values));
    }
    out
}

/// A field one side could not take (or whose value could not be read), as the record's
/// warning: the field, the side and the reason with the vendor's limit.
pub(crate) fn field_warning(problem: &FieldProblem) -> FieldWarning {
    FieldWarning {
        field: problem.field.clone(),
        side: problem.side,
        message: format!("not synced: {}", problem.error),
        fix: None,
    }
}

pub(crate) fn conflict_note(conflict: &Conflict) -> ConflictNote {
    ConflictNote {
        field: conflict.field.clone(),
        hubspot_value: conflict.hubspot.as_ref().map(|v| v.as_text()),
        quickbooks_value: conflict.quickbooks.as_ref().map(|v| v.as_text()),
        winner: conflict.winner,
        rule: match conflict.rule {
            ConflictWinner::NewestWins => "newest wins".into(),
            ConflictWinner::HubspotWins => "HubSpot wins".into(),
            ConflictWinner::QuickbooksWins => "QuickBooks wins".into(),
        },
    }
}

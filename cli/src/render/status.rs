//! `hqsync status` tables: per kind, counts of records by outcome, and the records that need
//! attention with the vendor's code and message and the suggested fix.

use std::collections::BTreeMap;

use comfy_table::Table;
use hqsync::model::ObjectKind;
use hqsync::ports::{SyncOutcome, SyncStatus};

use super::{side_name, table};

/// Outcomes in the order shown.
const LABELS: [&str; 4] = ["synced", "conflict", "excluded", "failed"];

/// One row per kind: counts by outcome, and how many need attention.
pub fn counts_table(by_kind: &[(ObjectKind, Vec<SyncStatus>)]) -> Table {
    let mut header = vec!["kind", "records"];
    header.extend(LABELS);
    header.push("needs attention");
    let mut t = table(&header);
    for (kind, statuses) in by_kind {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for status in statuses {
            *counts.entry(status.outcome.label()).or_default() += 1;
        }
        let mut row = vec![kind.as_str().to_owned(), statuses.len().to_string()];
        row.extend(
            LABELS
                .iter()
                .map(|l| counts.get(l).copied().unwrap_or(0).to_string()),
        );
        row.push(
            statuses
                .iter()
                .filter(|s| s.needs_attention)
                .count()
                .to_string(),
        );
        t.add_row(row);
    }
    t
}

/// The records that need attention (or failed and wait for a retry), `None` if there are none.
pub fn attention_table(by_kind: &[(ObjectKind, Vec<SyncStatus>)]) -> Option<Table> {
    let mut t = table(&[
        "kind", "record", "attempts", "state", "code", "message", "fix",
    ]);
    let mut any = false;
    for (kind, statuses) in by_kind {
        for status in statuses {
            let SyncOutcome::Failed(detail) = &status.outcome else {
                continue;
            };
            any = true;
            let state = if status.needs_attention {
                "needs attention".to_owned()
            } else {
                status
                    .next_retry_at
                    .map(|at| format!("retry at {}", at.format("%H:%M:%S")))
                    .unwrap_or_else(|| "failed".into())
            };
            t.add_row(vec![
                kind.as_str().to_owned(),
                format!("{} {}", side_name(status.side), status.id),
                status.attempts.to_string(),
                state,
                detail.code.clone().unwrap_or_default(),
                detail.message.clone(),
                detail.suggested_fix.clone().unwrap_or_default(),
            ]);
        }
    }
    any.then_some(t)
}

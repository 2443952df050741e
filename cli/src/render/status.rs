//! `hqsync status` tables: per kind, counts of records by outcome, and the records that need
//! attention with the vendor's code and message and the suggested fix (from the one summary).

use comfy_table::Table;
use hqsync::engine::status_report::{OUTCOME_LABELS, StatusReport};

use super::{side_name, table};

/// One row per kind: counts by outcome, and how many need attention.
pub fn counts_table(report: &StatusReport) -> Table {
    let mut header = vec!["kind", "records"];
    header.extend(OUTCOME_LABELS);
    header.push("needs attention");
    let mut t = table(&header);
    for counts in &report.kinds {
        let mut row = vec![
            counts
                .kind
                .map(|k| k.as_str())
                .unwrap_or_default()
                .to_owned(),
            counts.records.to_string(),
        ];
        row.extend(OUTCOME_LABELS.iter().map(|l| counts.of(l).to_string()));
        row.push(counts.needs_attention.to_string());
        t.add_row(row);
    }
    t
}

/// The records that need attention (or failed and wait for a retry), `None` if there are none.
pub fn attention_table(report: &StatusReport) -> Option<Table> {
    let mut t = table(&[
        "kind", "record", "attempts", "state", "code", "message", "fix",
    ]);
    for record in &report.attention {
        t.add_row(vec![
            record.kind.as_str().to_owned(),
            format!("{} {}", side_name(record.side), record.id),
            record.attempts.to_string(),
            record.state.clone(),
            record.code.clone().unwrap_or_default(),
            record.message.clone(),
            record.fix.clone().unwrap_or_default(),
        ]);
    }
    (!report.attention.is_empty()).then_some(t)
}

//! The status summary of one connection (what `hqsync status` prints and the admin API's
//! `GET .../status` returns): per kind, counts by outcome, and the records needing attention.

use serde::Serialize;

use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{StatusLog, StoreError, SyncOutcome, SyncStatus};
use crate::quickbooks::ThrottlePauses;

/// The outcome labels counted, in the order shown.
pub const OUTCOME_LABELS: [&str; 4] = ["synced", "conflict", "excluded", "failed"];

/// One kind's records by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub kind: Option<ObjectKind>,
    pub records: usize,
    pub synced: usize,
    pub conflict: usize,
    pub excluded: usize,
    pub failed: usize,
    pub needs_attention: usize,
    /// Synced records with a field the other side could not take.
    pub warnings: usize,
}

impl KindCounts {
    /// The count of an outcome label (one of [`OUTCOME_LABELS`]).
    pub fn of(&self, label: &str) -> usize {
        match label {
            "synced" => self.synced,
            "conflict" => self.conflict,
            "excluded" => self.excluded,
            "failed" => self.failed,
            _ => 0,
        }
    }
}

/// A failed record (waiting for its retry, or needing attention), or a synced one with a
/// field warning (state "synced with warning", one row per field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttentionRecord {
    pub kind: ObjectKind,
    pub side: Side,
    pub id: String,
    pub attempts: u32,
    /// "needs attention", "retry at HH:MM:SS" or "failed".
    pub state: String,
    pub needs_attention: bool,
    pub next_retry_at: Option<chrono::DateTime<chrono::Utc>>,
    pub code: Option<String>,
    pub message: String,
    pub fix: Option<String>,
}

/// The summary of one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    pub connection: ConnectionId,
    /// Every kind, in [`ObjectKind::ALL`] order.
    pub kinds: Vec<KindCounts>,
    /// Failed records and field warnings, kind by kind.
    pub attention: Vec<AttentionRecord>,
    /// QBO 429 pauses of the connection's company seen by the process answering (the running
    /// stack's admin API: docs/architecture.md §14); `None` where no such process is asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling: Option<ThrottlePauses>,
}

impl StatusReport {
    /// The summary of statuses already read, kind by kind.
    pub fn of(connection: ConnectionId, by_kind: &[(ObjectKind, Vec<SyncStatus>)]) -> Self {
        let mut kinds = Vec::new();
        let mut attention = Vec::new();
        for (kind, statuses) in by_kind {
            let mut counts = KindCounts {
                kind: Some(*kind),
                records: statuses.len(),
                ..KindCounts::default()
            };
            for status in statuses {
                match status.outcome {
                    SyncOutcome::Synced { .. } => counts.synced += 1,
                    SyncOutcome::Conflict { .. } => counts.conflict += 1,
                    SyncOutcome::Excluded { .. } => counts.excluded += 1,
                    SyncOutcome::Failed(_) => counts.failed += 1,
                }
                counts.needs_attention += usize::from(status.needs_attention);
                if let Some(record) = attention_record(status) {
                    attention.push(record);
                }
                let warned = warning_records(status);
                counts.warnings += usize::from(!warned.is_empty());
                attention.extend(warned);
            }
            kinds.push(counts);
        }
        StatusReport {
            connection,
            kinds,
            attention,
            throttling: None,
        }
    }
}

/// The attention row of a failed status (`None` for any other outcome).
pub fn attention_record(status: &SyncStatus) -> Option<AttentionRecord> {
    let SyncOutcome::Failed(detail) = &status.outcome else {
        return None;
    };
    let state = if status.needs_attention {
        "needs attention".to_owned()
    } else {
        status
            .next_retry_at
            .map(|at| format!("retry at {}", at.format("%H:%M:%S")))
            .unwrap_or_else(|| "failed".into())
    };
    Some(AttentionRecord {
        kind: status.kind,
        side: status.side,
        id: status.id.clone(),
        attempts: status.attempts,
        state,
        needs_attention: status.needs_attention,
        next_retry_at: status.next_retry_at,
        code: detail.code.clone(),
        message: detail.message.clone(),
        fix: detail.fix(),
    })
}

/// The rows of a synced record's field warnings: the field and the side that could not take
/// its value, the reason with the vendor's limit, and what to do.
pub fn warning_records(status: &SyncStatus) -> Vec<AttentionRecord> {
    let SyncOutcome::Synced { warnings, .. } = &status.outcome else {
        return Vec::new();
    };
    warnings
        .iter()
        .map(|warning| AttentionRecord {
            kind: status.kind,
            side: status.side,
            id: status.id.clone(),
            attempts: status.attempts,
            state: WARNING_STATE.into(),
            needs_attention: false,
            next_retry_at: None,
            code: None,
            message: format!(
                "{} ({} side): {}",
                warning.field, warning.side, warning.message
            ),
            fix: Some(warning.fix.clone().unwrap_or_else(|| {
                format!(
                    "Edit {} so {} can take it (the other fields are synced)",
                    warning.field, warning.side
                )
            })),
        })
        .collect()
}

/// The attention state of a field warning.
pub const WARNING_STATE: &str = "synced with warning";

/// Reads every kind's statuses of `connection` and summarises them.
pub async fn status_report(
    store: &dyn StatusLog,
    connection: &ConnectionId,
) -> Result<StatusReport, StoreError> {
    let mut by_kind = Vec::new();
    for kind in ObjectKind::ALL {
        by_kind.push((kind, store.list_statuses(connection, kind).await?));
    }
    Ok(StatusReport::of(connection.clone(), &by_kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::FailureDetail;

    fn status(id: &str, outcome: SyncOutcome, needs_attention: bool) -> SyncStatus {
        SyncStatus {
            kind: ObjectKind::Contact,
            side: Side::Hubspot,
            id: id.into(),
            counterpart_id: None,
            outcome,
            attempts: 3,
            next_retry_at: None,
            needs_attention,
            updated_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn counts_by_outcome_and_lists_only_failures() {
        let failed = SyncOutcome::Failed(FailureDetail {
            code: Some("6240".into()),
            message: "Duplicate Name".into(),
            suggested_fix: Some("rename".into()),
        });
        let by_kind = vec![
            (
                ObjectKind::Contact,
                vec![
                    status(
                        "1",
                        SyncOutcome::Synced {
                            note: None,
                            warnings: Vec::new(),
                        },
                        false,
                    ),
                    status("2", failed.clone(), true),
                    status("3", failed, false),
                    status("4", SyncOutcome::Excluded { filter: "x".into() }, false),
                ],
            ),
            (ObjectKind::Product, vec![]),
        ];
        let report = StatusReport::of(ConnectionId::new("c").unwrap(), &by_kind);
        let contact = &report.kinds[0];
        assert_eq!(
            (
                contact.records,
                contact.synced,
                contact.failed,
                contact.excluded
            ),
            (4, 1, 2, 1)
        );
        assert_eq!(contact.needs_attention, 1);
        assert_eq!(report.kinds[1].records, 0);
        assert_eq!(report.attention.len(), 2);
        assert_eq!(report.attention[0].state, "needs attention");
        assert_eq!(report.attention[1].state, "failed");
        assert_eq!(report.attention[0].code.as_deref(), Some("6240"));
    }

    #[test]
    fn a_synced_record_with_a_field_warning_is_listed_with_the_field_and_limit() {
        let warned = SyncOutcome::Synced {
            note: None,
            warnings: vec![crate::ports::FieldWarning {
                field: "firstname".into(),
                side: Side::Quickbooks,
                message: "not synced: 300 characters is more than QBO allows here (100)".into(),
                fix: None,
            }],
        };
        let by_kind = vec![(ObjectKind::Contact, vec![status("1", warned, false)])];
        let report = StatusReport::of(ConnectionId::new("c").unwrap(), &by_kind);
        assert_eq!((report.kinds[0].synced, report.kinds[0].warnings), (1, 1));
        assert_eq!(report.attention.len(), 1);
        let row = &report.attention[0];
        assert_eq!(row.state, WARNING_STATE);
        assert!(row.message.contains("firstname"), "{}", row.message);
        assert!(row.message.contains("(100)"), "{}", row.message);
    }

    #[test]
    fn an_unclear_deal_warning_says_to_tag_the_invoice() {
        let warned = SyncOutcome::Synced {
            note: None,
            warnings: vec![crate::ports::FieldWarning {
                field: crate::engine::invoicing::deal::DEAL_WARNING_FIELD.into(),
                side: Side::Hubspot,
                message: "no single open deal of the contact has the invoice's amount".into(),
                fix: Some(crate::engine::invoicing::deal::deal_warning_fix()),
            }],
        };
        let mut invoice = status("41", warned, false);
        invoice.kind = ObjectKind::Invoice;
        let row = &warning_records(&invoice)[0];
        let fix = row.fix.as_deref().unwrap();
        assert!(fix.contains("HubSpot deal: <id>"), "{fix}");
        assert!(!fix.contains("Edit deal"), "{fix}");
    }
}

//! The overdue sweep's search: open mirrored HubSpot invoices past their QBO due date (the
//! queueing of one job per invoice is `engine::jobs::overdue`'s).

use chrono::NaiveDate;

use super::deal::InvoiceStage;
use super::invoices::properties::{QBO_DUE_DATE, QBO_INVOICE_ID, QBO_STATUS};
use super::invoices::{InvoiceMirror, InvoiceSyncError};
use crate::hubspot::search::{Filter, FilterGroup, SearchRequest};
use crate::hubspot::values::parse_date;

/// The stages that can still turn overdue.
const OPEN_STAGES: [InvoiceStage; 3] = [
    InvoiceStage::WaitingToBeSent,
    InvoiceStage::Sent,
    InvoiceStage::PartiallyPaid,
];

/// Whether a mirrored invoice with `due` (the `qbo_due_date` value) is past due on `today`.
pub fn past_due(due: Option<&str>, today: NaiveDate) -> bool {
    due.and_then(|d| parse_date(d).ok())
        .is_some_and(|d| d < today)
}

impl InvoiceMirror {
    /// The QBO ids of every open mirrored invoice past its due date on `today`. The due date is
    /// compared here rather than in the search, whose date-filter format is UNVERIFIED for
    /// custom date properties (docs/hubspot.md §2.4).
    pub async fn overdue_candidates(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<String>, InvoiceSyncError> {
        self.ensure_schema().await?;
        let request = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: vec![Filter::in_values(
                    QBO_STATUS,
                    OPEN_STAGES.iter().map(|s| s.value()),
                )],
            }],
            properties: vec![QBO_INVOICE_ID.into(), QBO_DUE_DATE.into()],
            ..SearchRequest::default()
        };
        let found = self.hubspot.search_invoices(&request).await?;
        Ok(found
            .results
            .iter()
            .filter(|invoice| past_due(invoice.get(QBO_DUE_DATE), today))
            .filter_map(|invoice| invoice.get(QBO_INVOICE_ID).map(str::to_owned))
            .collect())
    }

    /// Re-syncs the [`overdue_candidates`](Self::overdue_candidates) inline and returns their
    /// QBO ids: for callers holding only a mirror (tests, one-off repairs). The scheduled sweep
    /// queues them instead (`engine::jobs::overdue`).
    pub async fn sweep_overdue(&self, today: NaiveDate) -> Result<Vec<String>, InvoiceSyncError> {
        let candidates = self.overdue_candidates(today).await?;
        for qbo_id in &candidates {
            self.sync_invoice(qbo_id, today).await?;
        }
        Ok(candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_due_date_before_today_is_past_due() {
        let today = "2026-05-10".parse().unwrap();
        assert!(past_due(Some("2026-05-09"), today));
        assert!(!past_due(Some("2026-05-10"), today));
        assert!(!past_due(None, today));
        assert!(!past_due(Some("not a date"), today));
    }
}

//! The daily overdue sweep (issue 6): invoices still open in HubSpot whose QBO due date has
//! passed are re-synced, so "Overdue" reaches the invoice and the deal without a QBO event.

use chrono::NaiveDate;

use super::InvoiceMirror;
use super::error::InvoiceSyncError;
use super::properties::{QBO_DUE_DATE, QBO_INVOICE_ID, QBO_STATUS};
use crate::engine::deal::InvoiceStage;
use crate::hubspot::ObjectType;
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
    /// Re-syncs every open mirrored invoice past its due date; returns their QBO ids. The due
    /// date is compared here rather than in the search, whose date-filter format is UNVERIFIED
    /// for custom date properties (hubspot-api.md §2.4).
    pub async fn sweep_overdue(&self, today: NaiveDate) -> Result<Vec<String>, InvoiceSyncError> {
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
        let found = self
            .hubspot
            .search_all(ObjectType::Invoices, &request)
            .await?;
        let mut swept = Vec::new();
        for invoice in found.results {
            if !past_due(invoice.get(QBO_DUE_DATE), today) {
                continue;
            }
            let Some(qbo_id) = invoice.get(QBO_INVOICE_ID) else {
                continue;
            };
            self.sync_invoice(qbo_id, today).await?;
            swept.push(qbo_id.to_owned());
        }
        Ok(swept)
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

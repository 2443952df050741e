//! What HQSync shows of one QBO estimate: number, status (QBO's `TxnStatus`), total, expiry,
//! link, and the invoice it was converted to (its `LinkedTxn`, docs/quickbooks.md §17.7).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::quickbooks::entities::Invoice;

/// An estimate's `TxnStatus` (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/estimate:
/// Accepted, Closed, Pending, Rejected). Absent reads as Pending, QBO's default for a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstimateStatus {
    Pending,
    Accepted,
    Closed,
    Rejected,
}

impl EstimateStatus {
    pub const ALL: [EstimateStatus; 4] = [
        EstimateStatus::Pending,
        EstimateStatus::Accepted,
        EstimateStatus::Closed,
        EstimateStatus::Rejected,
    ];

    /// The status of a read estimate; an unknown value reads as Pending.
    pub fn of(estimate: &Invoice) -> Self {
        let status = estimate
            .extra
            .get("TxnStatus")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        EstimateStatus::ALL
            .into_iter()
            .find(|s| s.label().eq_ignore_ascii_case(status))
            .unwrap_or(EstimateStatus::Pending)
    }

    /// QBO's word, as people see it in QBO.
    pub fn label(self) -> &'static str {
        match self {
            EstimateStatus::Pending => "Pending",
            EstimateStatus::Accepted => "Accepted",
            EstimateStatus::Closed => "Closed",
            EstimateStatus::Rejected => "Rejected",
        }
    }

    /// The deal property's enumeration value.
    pub fn value(self) -> &'static str {
        match self {
            EstimateStatus::Pending => "pending",
            EstimateStatus::Accepted => "accepted",
            EstimateStatus::Closed => "closed",
            EstimateStatus::Rejected => "rejected",
        }
    }
}

/// The facts of one estimate version that its deal note and deal properties show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstimateFacts {
    pub id: String,
    /// DocNumber, else the Id.
    pub number: String,
    /// `SyncToken`: the version the note was last written for.
    pub version: String,
    pub status: EstimateStatus,
    pub total: Decimal,
    pub currency: String,
    pub expires: Option<NaiveDate>,
    /// The estimate's page in the QBO web app.
    pub url: String,
    /// The invoice it was converted to (number as people know it), if any.
    pub converted_to: Option<String>,
}

/// The QBO invoice ids an estimate's `LinkedTxn` names (the invoices it was converted to).
pub fn converted_invoices(estimate: &Invoice) -> Vec<String> {
    estimate
        .linked_txn
        .iter()
        .filter(|l| l.txn_type == "Invoice")
        .map(|l| l.txn_id.clone())
        .collect()
}

/// The QBO estimate id an invoice's `LinkedTxn` names, when it was converted from one.
pub fn source_estimate(invoice: &Invoice) -> Option<&str> {
    invoice
        .linked_txn
        .iter()
        .find(|l| l.txn_type == "Estimate")
        .map(|l| l.txn_id.as_str())
}

/// The estimate's page under the company's QBO web-app host; the same deep-link form as the
/// invoice's (`invoices::properties::QBO_INVOICE_PATH`; UNVERIFIED for estimates).
pub fn estimate_url(web_app_base: &str, id: &str) -> String {
    format!("{web_app_base}/app/estimate?txnId={id}")
}

/// `ExpirationDate` (an estimate has it instead of a due date).
pub fn expiration_date(estimate: &Invoice) -> Option<NaiveDate> {
    estimate
        .extra
        .get("ExpirationDate")
        .and_then(|v| v.as_str())
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entities::LinkedTxn;

    #[test]
    fn status_expiry_and_links_are_read_from_the_estimate_and_its_invoice() {
        let mut estimate: Invoice = serde_json::from_str(
            r#"{"Id":"41","TxnStatus":"Accepted","ExpirationDate":"2026-06-01","LinkedTxn":[{"TxnId":"77","TxnType":"Invoice"}]}"#,
        )
        .unwrap();
        assert_eq!(EstimateStatus::of(&estimate), EstimateStatus::Accepted);
        assert_eq!(expiration_date(&estimate), "2026-06-01".parse().ok());
        assert_eq!(converted_invoices(&estimate), ["77"]);
        estimate.extra.remove("TxnStatus");
        assert_eq!(EstimateStatus::of(&estimate), EstimateStatus::Pending);
        let invoice = Invoice {
            linked_txn: vec![LinkedTxn {
                txn_id: "41".into(),
                txn_type: "Estimate".into(),
                ..LinkedTxn::default()
            }],
            ..Invoice::default()
        };
        assert_eq!(source_estimate(&invoice), Some("41"));
        assert_eq!(source_estimate(&Invoice::default()), None);
        assert_eq!(
            estimate_url("https://app.qbo.intuit.com", "41"),
            "https://app.qbo.intuit.com/app/estimate?txnId=41"
        );
    }
}

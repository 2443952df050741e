//! The actions' output fields (docs/hubspot.md §6.3): `qbo_{document}_id`, `_number`, `_status`
//! and `_total`, named after the document kind so a workflow's later steps can use each.

use chrono::NaiveDate;

use crate::engine::invoicing::deal::invoice_stage;
use crate::hubspot::action_callbacks::OutputFields;
use crate::model::DocKind;
use crate::quickbooks::entities::Invoice;

/// The output field names of `kind`: id, number, status, total.
pub fn output_names(kind: DocKind) -> [String; 4] {
    ["id", "number", "status", "total"].map(|f| format!("qbo_{}_{f}", kind.as_str()))
}

/// The document's status in the workflow's words: an invoice's stage (as the deal shows it), an
/// estimate's `TxnStatus` (`pending`, `accepted`, `closed`, `rejected`), a sales receipt `paid`.
pub fn doc_status(kind: DocKind, doc: &Invoice, today: NaiveDate) -> String {
    match kind {
        DocKind::Invoice => invoice_stage(doc, today).value().to_owned(),
        DocKind::Estimate => doc
            .extra
            .get("TxnStatus")
            .and_then(|s| s.as_str())
            .unwrap_or("Pending")
            .to_ascii_lowercase(),
        DocKind::SalesReceipt => "paid".to_owned(),
    }
}

/// The outputs of a created (or found again) document.
pub fn outputs(kind: DocKind, doc: &Invoice, today: NaiveDate) -> OutputFields {
    let [id, number, status, total] = output_names(kind);
    let mut o = OutputFields::new();
    o.insert(id, doc.id.clone().unwrap_or_default());
    o.insert(number, doc.doc_number.clone().unwrap_or_default());
    o.insert(status, doc_status(kind, doc, today));
    o.insert(
        total,
        doc.total_amt.map(|t| t.to_string()).unwrap_or_default(),
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outputs_are_named_per_document_and_carry_the_total() {
        let estimate = Invoice {
            id: Some("41".into()),
            doc_number: Some("1001".into()),
            total_amt: Some("31.50".parse().unwrap()),
            extra: json!({"TxnStatus": "Accepted"})
                .as_object()
                .unwrap()
                .clone(),
            ..Invoice::default()
        };
        let today = "2026-05-01".parse().unwrap();
        let o = outputs(DocKind::Estimate, &estimate, today);
        assert_eq!(o["qbo_estimate_id"], "41");
        assert_eq!(o["qbo_estimate_number"], "1001");
        assert_eq!(o["qbo_estimate_status"], "accepted");
        assert_eq!(o["qbo_estimate_total"], "31.50");
        let o = outputs(DocKind::SalesReceipt, &estimate, today);
        assert_eq!(o["qbo_sales_receipt_status"], "paid");
        let o = outputs(DocKind::Invoice, &estimate, today);
        assert_eq!(o["qbo_invoice_status"], "waiting_to_be_sent");
    }
}

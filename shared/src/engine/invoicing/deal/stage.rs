//! The stage of a QBO invoice as sales sees it (Waiting to be sent, Sent, Partially paid, Paid,
//! Overdue, Voided), derived from EmailStatus, Balance, DueDate and the void state.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::quickbooks::entities::Invoice;

/// One stage; `value` is the enumeration value stored in HubSpot, `label` what users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStage {
    WaitingToBeSent,
    Sent,
    PartiallyPaid,
    Paid,
    Overdue,
    Voided,
}

impl InvoiceStage {
    pub const ALL: [InvoiceStage; 6] = [
        InvoiceStage::WaitingToBeSent,
        InvoiceStage::Sent,
        InvoiceStage::PartiallyPaid,
        InvoiceStage::Paid,
        InvoiceStage::Overdue,
        InvoiceStage::Voided,
    ];

    pub fn value(self) -> &'static str {
        match self {
            InvoiceStage::WaitingToBeSent => "waiting_to_be_sent",
            InvoiceStage::Sent => "sent",
            InvoiceStage::PartiallyPaid => "partially_paid",
            InvoiceStage::Paid => "paid",
            InvoiceStage::Overdue => "overdue",
            InvoiceStage::Voided => "voided",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InvoiceStage::WaitingToBeSent => "Waiting to be sent",
            InvoiceStage::Sent => "Sent",
            InvoiceStage::PartiallyPaid => "Partially paid",
            InvoiceStage::Paid => "Paid",
            InvoiceStage::Overdue => "Overdue",
            InvoiceStage::Voided => "Voided",
        }
    }
}

/// QBO has no void flag: a voided invoice comes back zeroed with "Voided" prepended to its
/// PrivateNote (docs/quickbooks.md §5.5; §7: "no `status:\"Voided\"` marker was seen").
/// UNVERIFIED (docs/quickbooks.md §7) that this is the only shape; one function to change.
pub fn is_voided(invoice: &Invoice) -> bool {
    let zero = invoice.total_amt.unwrap_or_default().is_zero();
    let noted = invoice
        .private_note
        .as_deref()
        .is_some_and(|n| n.starts_with("Voided"));
    zero && noted
}

/// The stage on `today`: voided wins, then paid in full, then overdue (an open balance past
/// its due date), then partially paid, then sent (EmailStatus `EmailSent`), else waiting.
pub fn invoice_stage(invoice: &Invoice, today: NaiveDate) -> InvoiceStage {
    if is_voided(invoice) {
        return InvoiceStage::Voided;
    }
    let total = invoice.total_amt.unwrap_or_default();
    let balance = invoice.balance.unwrap_or(total);
    if balance <= Decimal::ZERO {
        return InvoiceStage::Paid;
    }
    if invoice.due_date.is_some_and(|due| due < today) {
        return InvoiceStage::Overdue;
    }
    if balance < total {
        return InvoiceStage::PartiallyPaid;
    }
    if invoice.email_status.as_deref() == Some("EmailSent") {
        InvoiceStage::Sent
    } else {
        InvoiceStage::WaitingToBeSent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(total: &str, balance: &str, due: &str, email: &str) -> Invoice {
        Invoice {
            total_amt: Some(total.parse().unwrap()),
            balance: Some(balance.parse().unwrap()),
            due_date: Some(due.parse().unwrap()),
            email_status: Some(email.into()),
            ..Invoice::default()
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn stages_follow_email_balance_due_date_and_void() {
        let today = day("2026-05-10");
        let cases = [
            (
                invoice("100", "100", "2026-06-01", "NotSet"),
                InvoiceStage::WaitingToBeSent,
            ),
            (
                invoice("100", "100", "2026-06-01", "NeedToSend"),
                InvoiceStage::WaitingToBeSent,
            ),
            (
                invoice("100", "100", "2026-06-01", "EmailSent"),
                InvoiceStage::Sent,
            ),
            (
                invoice("100", "40", "2026-06-01", "EmailSent"),
                InvoiceStage::PartiallyPaid,
            ),
            (
                invoice("100", "0", "2026-01-01", "EmailSent"),
                InvoiceStage::Paid,
            ),
            (
                invoice("100", "40", "2026-05-09", "EmailSent"),
                InvoiceStage::Overdue,
            ),
            (
                invoice("100", "100", "2026-05-10", "NotSet"),
                InvoiceStage::WaitingToBeSent,
            ),
        ];
        for (inv, stage) in cases {
            assert_eq!(invoice_stage(&inv, today), stage, "{inv:?}");
        }
        let mut voided = invoice("0", "0", "2026-01-01", "EmailSent");
        voided.private_note = Some("Voided - HubSpot deal: 7".into());
        assert!(is_voided(&voided));
        assert_eq!(invoice_stage(&voided, today), InvoiceStage::Voided);
        // A zero invoice without the note is paid, not voided.
        voided.private_note = None;
        assert_eq!(invoice_stage(&voided, today), InvoiceStage::Paid);
    }

    #[test]
    fn values_and_labels_are_distinct() {
        let values: std::collections::BTreeSet<_> =
            InvoiceStage::ALL.iter().map(|s| s.value()).collect();
        assert_eq!(values.len(), 6);
        assert_eq!(InvoiceStage::PartiallyPaid.label(), "Partially paid");
    }
}

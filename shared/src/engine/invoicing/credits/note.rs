//! The deal-timeline note of a credit memo or refund receipt: what was credited or refunded,
//! on which invoice, the balance left; rewritten in place when the form is voided or deleted.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Which QBO form the note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditForm {
    CreditMemo,
    RefundReceipt,
}

impl CreditForm {
    /// How people call it.
    pub fn label(self) -> &'static str {
        match self {
            CreditForm::CreditMemo => "credit memo",
            CreditForm::RefundReceipt => "refund receipt",
        }
    }

    /// The letter its bookkeeping tokens start with (`tokens`).
    pub fn letter(self) -> char {
        match self {
            CreditForm::CreditMemo => 'c',
            CreditForm::RefundReceipt => 'f',
        }
    }
}

/// What happened to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditEvent {
    /// A credit memo's credit used on the invoice, or a refund made for it.
    Applied,
    /// Voided, deleted, or (a credit memo) no longer applied to the invoice.
    Removed { how: Removal },
}

/// How a form stopped counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Voided,
    Deleted,
    Unapplied,
    /// Unapplied because the payment that applied it was voided (or deleted).
    PaymentRemoved {
        deleted: bool,
    },
}

/// The facts a note shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditNote {
    pub form: CreditForm,
    pub event: CreditEvent,
    /// The form's number as people know it (DocNumber, else the Id).
    pub number: String,
    pub amount: Option<Decimal>,
    pub currency: String,
    pub date: Option<NaiveDate>,
    pub invoice_number: String,
    pub remaining_balance: Decimal,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The note body (`hs_note_body` is HTML, docs/hubspot.md §2.10).
pub fn credit_note_html(note: &CreditNote) -> String {
    // Always two decimals, as a person writes money ("30.00 USD").
    let money = |d: Decimal| {
        let mut cents = d.round_dp(2);
        cents.rescale(2);
        format!("{cents} {}", escape(&note.currency))
    };
    let amount = note.amount.map(money).unwrap_or_else(|| "—".into());
    let form = note.form.label();
    let number = escape(&note.number);
    let invoice = escape(&note.invoice_number);
    let headline = match (note.form, note.event) {
        (CreditForm::CreditMemo, CreditEvent::Applied) => {
            format!("QuickBooks credit memo {number} of {amount} applied to invoice {invoice}")
        }
        (CreditForm::RefundReceipt, CreditEvent::Applied) => {
            format!("QuickBooks refund of {amount} for invoice {invoice} (refund receipt {number})")
        }
        (_, CreditEvent::Removed { how }) => {
            let how = match how {
                Removal::Voided => "was voided",
                Removal::Deleted => "was deleted",
                Removal::Unapplied => "is no longer applied",
                Removal::PaymentRemoved { deleted: false } => {
                    "is no longer applied: the payment that applied it was voided"
                }
                Removal::PaymentRemoved { deleted: true } => {
                    "is no longer applied: the payment that applied it was deleted"
                }
            };
            format!("QuickBooks {form} {number} for invoice {invoice} {how}")
        }
    };
    let mut rows = vec![format!("<p><strong>{headline}</strong></p><ul>")];
    if note.event == CreditEvent::Applied {
        let what = match note.form {
            CreditForm::CreditMemo => "Credited",
            CreditForm::RefundReceipt => "Refunded",
        };
        rows.push(format!("<li>{what}: {amount}</li>"));
    }
    if let Some(d) = note.date {
        rows.push(format!("<li>Date: {d}</li>"));
    }
    rows.push(format!(
        "<li>Invoice: {invoice}</li><li>Remaining balance: {}</li></ul>",
        money(note.remaining_balance)
    ));
    rows.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(form: CreditForm, event: CreditEvent) -> CreditNote {
        CreditNote {
            form,
            event,
            number: "<CM-1>".into(),
            amount: Some("30".parse().unwrap()),
            currency: "USD".into(),
            date: Some("2026-05-03".parse().unwrap()),
            invoice_number: "1045".into(),
            remaining_balance: "70".parse().unwrap(),
        }
    }

    #[test]
    fn notes_say_what_was_credited_refunded_or_undone_escaped() {
        let applied = credit_note_html(&note(CreditForm::CreditMemo, CreditEvent::Applied));
        for part in [
            "credit memo &lt;CM-1&gt; of 30.00 USD applied to invoice 1045",
            "Credited: 30.00 USD",
            "Date: 2026-05-03",
            "Remaining balance: 70.00 USD",
        ] {
            assert!(applied.contains(part), "{part} in {applied}");
        }
        let refund = credit_note_html(&note(CreditForm::RefundReceipt, CreditEvent::Applied));
        assert!(
            refund.contains("refund of 30.00 USD for invoice 1045"),
            "{refund}"
        );
        assert!(refund.contains("Refunded: 30.00 USD"), "{refund}");
        let voided = credit_note_html(&note(
            CreditForm::CreditMemo,
            CreditEvent::Removed {
                how: Removal::Voided,
            },
        ));
        assert!(voided.contains("for invoice 1045 was voided"), "{voided}");
        let payment_voided = credit_note_html(&note(
            CreditForm::CreditMemo,
            CreditEvent::Removed {
                how: Removal::PaymentRemoved { deleted: false },
            },
        ));
        assert!(
            payment_voided.contains("the payment that applied it was voided"),
            "{payment_voided}"
        );
        assert!(!voided.contains("Credited"), "{voided}");
    }
}

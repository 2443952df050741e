//! The deal-timeline note of a QBO payment event: amount, currency, date, method,
//! reference number, the invoice it paid and the remaining balance; or that it was voided.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::hubspot::values::format_decimal;

/// What happened to the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentEvent {
    Received,
    /// Voided or deleted in QBO (`deleted` says which).
    Removed {
        deleted: bool,
    },
}

impl PaymentEvent {
    /// The token recorded on the invoice once the note exists (`p<id>` / `x<id>`).
    pub fn token(self, payment_id: &str) -> String {
        match self {
            PaymentEvent::Received => format!("p{payment_id}"),
            PaymentEvent::Removed { .. } => format!("x{payment_id}"),
        }
    }
}

/// The facts a note shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentNote {
    pub event: PaymentEvent,
    pub payment_id: String,
    pub amount: Option<Decimal>,
    pub currency: String,
    pub date: Option<NaiveDate>,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub invoice_number: String,
    pub remaining_balance: Decimal,
}

/// Minimal HTML escaping for values typed by people (names, reference numbers).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The note body (`hs_note_body` is HTML, docs/hubspot.md §2.10).
pub fn payment_note_html(note: &PaymentNote) -> String {
    let amount = note
        .amount
        .map(|a| {
            format!(
                "{} {}",
                format_decimal(a.round_dp(2)),
                escape(&note.currency)
            )
        })
        .unwrap_or_else(|| "—".into());
    let headline = match note.event {
        PaymentEvent::Received => format!(
            "QuickBooks payment of {amount} received for invoice {}",
            escape(&note.invoice_number)
        ),
        PaymentEvent::Removed { deleted } => format!(
            "QuickBooks payment {} for invoice {} was {}",
            escape(&note.payment_id),
            escape(&note.invoice_number),
            if deleted { "deleted" } else { "voided" }
        ),
    };
    let mut rows = vec![format!("<p><strong>{headline}</strong></p><ul>")];
    if note.event == PaymentEvent::Received {
        rows.push(format!("<li>Amount: {amount}</li>"));
    }
    if let Some(d) = note.date {
        rows.push(format!("<li>Date: {d}</li>"));
    }
    if let Some(m) = &note.method {
        rows.push(format!("<li>Method: {}</li>", escape(m)));
    }
    if let Some(r) = &note.reference {
        rows.push(format!("<li>Reference number: {}</li>", escape(r)));
    }
    rows.push(format!(
        "<li>Invoice paid: {}</li><li>Remaining balance: {} {}</li></ul>",
        escape(&note.invoice_number),
        format_decimal(note.remaining_balance.round_dp(2)),
        escape(&note.currency)
    ));
    rows.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(event: PaymentEvent) -> PaymentNote {
        PaymentNote {
            event,
            payment_id: "77".into(),
            amount: Some("40.00".parse().unwrap()),
            currency: "USD".into(),
            date: Some("2026-05-03".parse().unwrap()),
            method: Some("Check".into()),
            reference: Some("<1001>".into()),
            invoice_number: "1045".into(),
            remaining_balance: "60".parse().unwrap(),
        }
    }

    #[test]
    fn a_received_note_lists_every_fact_escaped() {
        let html = payment_note_html(&note(PaymentEvent::Received));
        for part in [
            "40.00 USD",
            "2026-05-03",
            "Method: Check",
            "Reference number: &lt;1001&gt;",
            "Invoice paid: 1045",
            "Remaining balance: 60 USD",
        ] {
            assert!(html.contains(part), "{part} in {html}");
        }
    }

    #[test]
    fn removed_notes_say_voided_or_deleted_and_tokens_differ() {
        let voided = payment_note_html(&note(PaymentEvent::Removed { deleted: false }));
        assert!(voided.contains("was voided"), "{voided}");
        let deleted = payment_note_html(&note(PaymentEvent::Removed { deleted: true }));
        assert!(deleted.contains("was deleted"));
        assert_eq!(PaymentEvent::Received.token("77"), "p77");
        assert_eq!(PaymentEvent::Removed { deleted: true }.token("77"), "x77");
    }
}

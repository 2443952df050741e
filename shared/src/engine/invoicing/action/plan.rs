//! The QBO invoice the action creates from a deal (pure): its lines from the deal's line items
//! (linked items), customer, due date, memo, deal tag, currency and DocNumber candidate.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use super::request::ActionInputs;
use crate::engine::invoicing::deal::deal_tag;
use crate::quickbooks::entities::invoice::MAX_DOC_NUMBER_LEN;
use crate::quickbooks::entities::{EmailAddress, Invoice, Line, Ref, SalesItemLineDetail};

/// One deal line item, with the QBO item of its product when linked.
#[derive(Debug, Clone, PartialEq)]
pub struct DealLine {
    pub name: String,
    pub quantity: Decimal,
    pub price: Decimal,
    pub qbo_item_id: Option<String>,
}

/// A failure a HubSpot user can act on; its text goes back as the action's failure message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionFailure {
    #[error("The deal {0} no longer exists.")]
    DealMissing(String),
    #[error("The deal has no line items; add products to the deal, then re-enroll it.")]
    NoLineItems,
    #[error("The deal has no associated contact; associate the customer's contact with the deal.")]
    NoContact,
    #[error("The deal's contact has no e-mail; add an e-mail address to the contact.")]
    ContactWithoutEmail,
    #[error("Line item \"{0}\" is not based on a product; use a product from the product library.")]
    LineWithoutProduct(String),
    #[error(
        "Product \"{0}\" is not in QuickBooks yet and creating products is turned off; sync the product first."
    )]
    ProductNotInQuickbooks(String),
    #[error(
        "Line item \"{0}\" has a negative quantity or price; QuickBooks invoices need positive lines."
    )]
    NegativeLine(String),
    #[error("QuickBooks refused the invoice: {0}")]
    Rejected(String),
}

/// `prefix` + deal id, then `-2`, `-3`... for retries after a duplicate number (6140),
/// cut to QBO's 21 characters from the left so the distinguishing end survives.
pub fn doc_number_candidate(prefix: &str, deal_id: &str, attempt: u32) -> String {
    let base = if attempt == 0 {
        format!("{prefix}{deal_id}")
    } else {
        format!("{prefix}{deal_id}-{}", attempt + 1)
    };
    let skip = base.chars().count().saturating_sub(MAX_DOC_NUMBER_LEN);
    base.chars().skip(skip).collect()
}

/// Everything the invoice plan needs besides the lines.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceContext<'a> {
    pub deal_id: &'a str,
    pub customer_id: &'a str,
    pub bill_email: Option<&'a str>,
    /// The deal currency, sent only when the company has multi-currency on (§13).
    pub currency: Option<&'a str>,
    pub inputs: &'a ActionInputs,
    pub today: NaiveDate,
    /// `None` lets QBO number it (custom transaction numbers off, §12).
    pub doc_number: Option<String>,
}

/// The invoice to create. Line `Amount` = round(qty × price, 2) (§4.4, 6070).
pub fn plan_qbo_invoice(
    lines: &[DealLine],
    ctx: &InvoiceContext<'_>,
) -> Result<Invoice, ActionFailure> {
    if lines.is_empty() {
        return Err(ActionFailure::NoLineItems);
    }
    let mut qbo_lines = Vec::with_capacity(lines.len());
    for line in lines {
        if line.quantity < Decimal::ZERO || line.price < Decimal::ZERO {
            return Err(ActionFailure::NegativeLine(line.name.clone()));
        }
        let item = line
            .qbo_item_id
            .clone()
            .ok_or_else(|| ActionFailure::ProductNotInQuickbooks(line.name.clone()))?;
        qbo_lines.push(Line {
            amount: Some((line.quantity * line.price).round_dp(2)),
            description: Some(line.name.clone()),
            detail_type: Some("SalesItemLineDetail".into()),
            sales_item_line_detail: Some(SalesItemLineDetail {
                item_ref: Some(Ref::to(item)),
                qty: Some(line.quantity),
                unit_price: Some(line.price),
                ..SalesItemLineDetail::default()
            }),
            ..Line::default()
        });
    }
    let due_date = ctx
        .inputs
        .due_in_days
        .and_then(|d| ctx.today.checked_add_days(Days::new(u64::from(d))));
    Ok(Invoice {
        customer_ref: Some(Ref::to(ctx.customer_id)),
        line: qbo_lines,
        txn_date: Some(ctx.today),
        due_date,
        doc_number: ctx.doc_number.clone(),
        customer_memo: ctx.inputs.memo.as_ref().map(|m| Ref::to(m.clone())),
        private_note: Some(deal_tag(ctx.deal_id)),
        bill_email: ctx.bill_email.map(EmailAddress::new),
        currency_ref: ctx.currency.map(Ref::to),
        ..Invoice::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, qty: &str, price: &str, item: Option<&str>) -> DealLine {
        DealLine {
            name: name.into(),
            quantity: qty.parse().unwrap(),
            price: price.parse().unwrap(),
            qbo_item_id: item.map(str::to_owned),
        }
    }

    fn ctx<'a>(inputs: &'a ActionInputs) -> InvoiceContext<'a> {
        InvoiceContext {
            deal_id: "555",
            customer_id: "7",
            bill_email: Some("ada@example.com"),
            currency: None,
            inputs,
            today: "2026-05-01".parse().unwrap(),
            doc_number: None,
        }
    }

    #[test]
    fn the_invoice_carries_lines_due_date_memo_and_the_deal_tag() {
        let inputs = ActionInputs {
            due_in_days: Some(30),
            memo: Some("Thanks!".into()),
            send_email: false,
        };
        let invoice = plan_qbo_invoice(
            &[
                line("Consulting", "3", "33.333", Some("5")),
                line("Widget", "1", "10", Some("9")),
            ],
            &ctx(&inputs),
        )
        .unwrap();
        assert_eq!(invoice.line.len(), 2);
        assert_eq!(invoice.line[0].amount, Some("100.00".parse().unwrap()));
        assert_eq!(invoice.due_date, Some("2026-05-31".parse().unwrap()));
        assert_eq!(invoice.private_note.as_deref(), Some("HubSpot deal: 555"));
        assert_eq!(invoice.customer_memo.unwrap().value, "Thanks!");
        assert_eq!(invoice.doc_number, None);
        assert_eq!(invoice.currency_ref, None);
    }

    #[test]
    fn unusable_lines_fail_with_a_message_for_the_user() {
        let inputs = ActionInputs::default();
        assert_eq!(
            plan_qbo_invoice(&[], &ctx(&inputs)),
            Err(ActionFailure::NoLineItems)
        );
        let err = plan_qbo_invoice(&[line("Gizmo", "1", "5", None)], &ctx(&inputs)).unwrap_err();
        assert!(err.to_string().contains("\"Gizmo\" is not in QuickBooks"));
        let err =
            plan_qbo_invoice(&[line("Refund", "-1", "5", Some("1"))], &ctx(&inputs)).unwrap_err();
        assert_eq!(err, ActionFailure::NegativeLine("Refund".into()));
        assert!(
            ActionFailure::ContactWithoutEmail
                .to_string()
                .contains("no e-mail")
        );
    }

    #[test]
    fn doc_numbers_retry_with_suffixes_within_21_characters() {
        assert_eq!(doc_number_candidate("HS-", "123", 0), "HS-123");
        assert_eq!(doc_number_candidate("HS-", "123", 1), "HS-123-2");
        let long = doc_number_candidate("HS-", "123456789012345678901", 2);
        assert_eq!(long.chars().count(), 21);
        assert!(long.ends_with("-3"));
    }
}

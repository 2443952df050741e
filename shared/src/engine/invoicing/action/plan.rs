//! The QBO sales document an action makes from a deal (pure, one plan for invoices, estimates and
//! sales receipts): lines with tax codes, discounts, customer, dates, terms, memo and the marks.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::request::ActionInputs;
use crate::engine::invoicing::deal::deal_tag;
use crate::model::DocKind;
use crate::quickbooks::entities::invoice::MAX_DOC_NUMBER_LEN;
use crate::quickbooks::entities::{EmailAddress, Invoice, Line, Ref, SalesItemLineDetail};

/// One deal line item, with the QBO item of its product when linked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DealLine {
    pub name: String,
    pub quantity: Decimal,
    pub price: Decimal,
    pub qbo_item_id: Option<String>,
    /// The line item's `hs_discount_percentage` (docs/hubspot.md §2.6).
    pub discount_percent: Option<Decimal>,
    /// The item's own tax code: its `SalesTaxCodeRef`, or on US companies `TAX`/`NON` from
    /// `Taxable` (docs/quickbooks.md §17.3).
    pub tax_code: Option<String>,
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
    #[error("Product \"{0}\" is not in QuickBooks: {1}")]
    ProductNotInQuickbooks(String, String),
    #[error("The deal's contact has no QuickBooks customer: {0}")]
    CustomerNotInQuickbooks(String),
    #[error("The deal's company has no QuickBooks customer: {0}")]
    CompanyNotInQuickbooks(String),
    #[error(
        "The deal has no associated company; associate the customer's company with the deal (QuickBooks customers are HubSpot companies on this connection)."
    )]
    NoCompany,
    #[error(
        "Neither the deal's contact nor its company's primary contact has an e-mail to bill; associate a contact with an e-mail with the deal or the company."
    )]
    CompanyWithoutEmail,
    #[error(
        "Line item \"{0}\" has a negative quantity or price; QuickBooks documents need positive lines."
    )]
    NegativeLine(String),
    #[error(
        "Line item \"{0}\" has no tax code, and this QuickBooks company needs one on every line: give the item a sales tax code in QuickBooks, set invoices.default_tax_code in the connection settings, or fill the action's tax code field."
    )]
    NoTaxCode(String),
    #[error("QuickBooks refused the {0}: {1}")]
    Rejected(DocKind, String),
    #[error(
        "The {0} this execution created in QuickBooks (Id {1}) was deleted there; re-enroll the deal to create a new one."
    )]
    CreatedThenDeleted(DocKind, String),
}

/// How the company taxes lines (docs/quickbooks.md §17.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaxModel {
    /// US: lines carry the pseudo codes `TAX`/`NON` (none = `NON`); the rates come from the
    /// transaction's code.
    Us,
    /// Elsewhere every sales line needs a real TaxCode: the item's, else this default.
    PerLine { default_code: Option<String> },
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

/// The PrivateNote mark of the execution that created a document: a retry whose record lost
/// the QBO id finds the document by it (docs/hubspot.md §6.2: the callbackId is the key).
pub fn execution_mark(callback_id: &str) -> String {
    format!("HubSpot workflow execution: {callback_id}")
}

/// Whether `doc` carries the mark of execution `callback_id` (the whole id, not a prefix).
pub fn has_execution_mark(doc: &Invoice, callback_id: &str) -> bool {
    let mark = execution_mark(callback_id);
    doc.private_note
        .as_deref()
        .is_some_and(|note| note.lines().any(|line| line.trim() == mark))
}

/// Everything the plan needs besides the lines.
#[derive(Debug, Clone, PartialEq)]
pub struct DocContext<'a> {
    pub kind: DocKind,
    pub deal_id: &'a str,
    pub callback_id: &'a str,
    pub customer_id: &'a str,
    pub bill_email: Option<&'a str>,
    /// The deal currency, sent only when the company has multi-currency on (§13).
    pub currency: Option<&'a str>,
    pub inputs: &'a ActionInputs,
    pub tax: &'a TaxModel,
    pub today: NaiveDate,
    /// `None` lets QBO number it (custom transaction numbers off, §12).
    pub doc_number: Option<String>,
}

/// The document to create. Line `Amount` = round(qty × price, 2) (§4.4, 6070); line item
/// discounts become one fixed `DiscountLineDetail`, the action's discount a percentage one
/// (§17.2); invoices get `DueDate`/`SalesTermRef`, estimates `ExpirationDate`.
pub fn plan_sales_doc(lines: &[DealLine], ctx: &DocContext<'_>) -> Result<Invoice, ActionFailure> {
    if lines.is_empty() {
        return Err(ActionFailure::NoLineItems);
    }
    let mut doc_lines = Vec::with_capacity(lines.len() + 2);
    let mut line_discounts = Decimal::ZERO;
    for line in lines {
        if line.quantity < Decimal::ZERO || line.price < Decimal::ZERO {
            return Err(ActionFailure::NegativeLine(line.name.clone()));
        }
        let item = line.qbo_item_id.clone().ok_or_else(|| {
            ActionFailure::ProductNotInQuickbooks(line.name.clone(), "not linked".into())
        })?;
        let amount = (line.quantity * line.price).round_dp(2);
        if let Some(percent) = line.discount_percent.filter(|p| *p > Decimal::ZERO) {
            line_discounts +=
                (amount * percent.min(Decimal::ONE_HUNDRED) / Decimal::ONE_HUNDRED).round_dp(2);
        }
        doc_lines.push(Line {
            amount: Some(amount),
            description: Some(line.name.clone()),
            detail_type: Some("SalesItemLineDetail".into()),
            sales_item_line_detail: Some(SalesItemLineDetail {
                item_ref: Some(Ref::to(item)),
                qty: Some(line.quantity),
                unit_price: Some(line.price),
                tax_code_ref: line_tax_code(line, ctx)?.map(Ref::to),
                ..SalesItemLineDetail::default()
            }),
            ..Line::default()
        });
    }
    if line_discounts > Decimal::ZERO {
        doc_lines.push(discount_line(
            "Line item discounts",
            json!({"PercentBased": false}),
            Some(line_discounts),
        ));
    }
    if let Some(percent) = ctx.inputs.discount_percent.filter(|p| *p > Decimal::ZERO) {
        doc_lines.push(discount_line(
            "Discount",
            json!({"PercentBased": true, "DiscountPercent": number(percent)}),
            None,
        ));
    }
    let due = ctx.inputs.due_date.or_else(|| {
        ctx.inputs
            .due_in_days
            .and_then(|d| ctx.today.checked_add_days(Days::new(u64::from(d))))
    });
    let mut doc = Invoice {
        customer_ref: Some(Ref::to(ctx.customer_id)),
        line: doc_lines,
        txn_date: Some(ctx.today),
        doc_number: ctx.doc_number.clone(),
        customer_memo: ctx.inputs.memo.as_ref().map(|m| Ref::to(m.clone())),
        private_note: Some(format!(
            "{}\n{}",
            deal_tag(ctx.deal_id),
            execution_mark(ctx.callback_id)
        )),
        bill_email: ctx.bill_email.map(EmailAddress::new),
        currency_ref: ctx.currency.map(Ref::to),
        ..Invoice::default()
    };
    match ctx.kind {
        DocKind::Invoice => {
            doc.due_date = due;
            doc.sales_term_ref = ctx.inputs.terms.clone().map(Ref::to);
        }
        DocKind::Estimate => {
            if let Some(date) = due {
                doc.extra
                    .insert("ExpirationDate".into(), Value::String(date.to_string()));
            }
        }
        DocKind::SalesReceipt => {}
    }
    if !matches!(ctx.tax, TaxModel::Us) {
        // Non-US lines carry their codes; the amounts are before tax (§17.4).
        doc.extra
            .insert("GlobalTaxCalculation".into(), "TaxExcluded".into());
    }
    Ok(doc)
}

/// A line's tax code: the action's override, the item's code, the connection default; on a
/// non-US company a line without any is refused before QBO answers 6000 (§17.3).
fn line_tax_code(line: &DealLine, ctx: &DocContext<'_>) -> Result<Option<String>, ActionFailure> {
    let chosen = ctx
        .inputs
        .tax_code
        .clone()
        .or_else(|| line.tax_code.clone());
    match ctx.tax {
        TaxModel::Us => Ok(chosen),
        TaxModel::PerLine { default_code } => chosen
            .or_else(|| default_code.clone())
            .map(Some)
            .ok_or_else(|| ActionFailure::NoTaxCode(line.name.clone())),
    }
}

/// A decimal as a JSON number, digits kept (QBO reads numbers, not strings).
fn number(value: Decimal) -> Value {
    #[derive(serde::Serialize)]
    struct Exact(#[serde(with = "rust_decimal::serde::arbitrary_precision")] Decimal);
    serde_json::to_value(Exact(value)).unwrap_or(Value::Null)
}

fn discount_line(description: &str, detail: Value, amount: Option<Decimal>) -> Line {
    let mut line = Line {
        amount,
        description: Some(description.into()),
        detail_type: Some("DiscountLineDetail".into()),
        ..Line::default()
    };
    line.extra.insert("DiscountLineDetail".into(), detail);
    line
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
            ..DealLine::default()
        }
    }

    fn ctx<'a>(kind: DocKind, inputs: &'a ActionInputs, tax: &'a TaxModel) -> DocContext<'a> {
        DocContext {
            kind,
            deal_id: "555",
            callback_id: "cb-9",
            customer_id: "7",
            bill_email: Some("ada@example.com"),
            currency: None,
            inputs,
            tax,
            today: "2026-05-01".parse().unwrap(),
            doc_number: None,
        }
    }

    #[test]
    fn the_invoice_carries_lines_due_date_terms_memo_and_both_marks() {
        let inputs = ActionInputs {
            due_in_days: Some(30),
            terms: Some("3".into()),
            memo: Some("Thanks!".into()),
            ..ActionInputs::default()
        };
        let invoice = plan_sales_doc(
            &[
                line("Consulting", "3", "33.333", Some("5")),
                line("Widget", "1", "10", Some("9")),
            ],
            &ctx(DocKind::Invoice, &inputs, &TaxModel::Us),
        )
        .unwrap();
        assert_eq!(invoice.line.len(), 2);
        assert_eq!(invoice.line[0].amount, Some("100.00".parse().unwrap()));
        assert_eq!(invoice.due_date, Some("2026-05-31".parse().unwrap()));
        assert_eq!(invoice.sales_term_ref.unwrap().value, "3");
        assert_eq!(
            invoice.private_note.as_deref(),
            Some("HubSpot deal: 555\nHubSpot workflow execution: cb-9")
        );
        assert_eq!(invoice.customer_memo.unwrap().value, "Thanks!");
        assert_eq!(invoice.doc_number, None);
        assert_eq!(invoice.currency_ref, None);
        assert!(!invoice.extra.contains_key("GlobalTaxCalculation"));
    }

    #[test]
    fn an_estimate_expires_and_a_sales_receipt_has_no_due_date() {
        let inputs = ActionInputs {
            due_date: Some("2026-06-15".parse().unwrap()),
            due_in_days: Some(3),
            terms: Some("3".into()),
            ..ActionInputs::default()
        };
        let lines = [line("Consulting", "1", "10", Some("5"))];
        let estimate =
            plan_sales_doc(&lines, &ctx(DocKind::Estimate, &inputs, &TaxModel::Us)).unwrap();
        assert_eq!(
            estimate.extra["ExpirationDate"], "2026-06-15",
            "the date wins over days"
        );
        assert_eq!((estimate.due_date, estimate.sales_term_ref), (None, None));
        let receipt =
            plan_sales_doc(&lines, &ctx(DocKind::SalesReceipt, &inputs, &TaxModel::Us)).unwrap();
        assert_eq!((receipt.due_date, receipt.sales_term_ref), (None, None));
        assert!(!receipt.extra.contains_key("ExpirationDate"));
    }

    #[test]
    fn line_discounts_and_the_action_discount_become_discount_lines() {
        let inputs = ActionInputs {
            discount_percent: Some("10".parse().unwrap()),
            ..ActionInputs::default()
        };
        let mut discounted = line("Consulting", "2", "50", Some("5"));
        discounted.discount_percent = Some("15".parse().unwrap());
        let doc = plan_sales_doc(
            &[discounted, line("Widget", "1", "10", Some("9"))],
            &ctx(DocKind::Invoice, &inputs, &TaxModel::Us),
        )
        .unwrap();
        let discounts: Vec<&Line> = doc
            .line
            .iter()
            .filter(|l| l.detail_type.as_deref() == Some("DiscountLineDetail"))
            .collect();
        assert_eq!(discounts.len(), 2);
        assert_eq!(discounts[0].amount, Some("15.00".parse().unwrap()));
        assert_eq!(
            discounts[0].extra["DiscountLineDetail"]["PercentBased"],
            false
        );
        assert_eq!(discounts[1].amount, None);
        assert_eq!(
            discounts[1].extra["DiscountLineDetail"]["DiscountPercent"],
            10
        );
    }

    #[test]
    fn tax_codes_come_from_the_override_the_item_or_the_default_and_non_us_needs_one() {
        let inputs = ActionInputs::default();
        let mut coded = line("Coded", "1", "10", Some("5"));
        coded.tax_code = Some("4".into());
        let plain = line("Plain", "1", "10", Some("9"));
        let code = |doc: &Invoice, i: usize| {
            doc.line[i]
                .sales_item_line_detail
                .as_ref()
                .and_then(|d| d.tax_code_ref.as_ref())
                .map(|r| r.value.clone())
        };
        let with_default = TaxModel::PerLine {
            default_code: Some("5".into()),
        };
        let doc = plan_sales_doc(
            &[coded.clone(), plain.clone()],
            &ctx(DocKind::Invoice, &inputs, &with_default),
        )
        .unwrap();
        assert_eq!(
            (code(&doc, 0), code(&doc, 1)),
            (Some("4".into()), Some("5".into()))
        );
        assert_eq!(doc.extra["GlobalTaxCalculation"], "TaxExcluded");
        let no_default = TaxModel::PerLine { default_code: None };
        assert_eq!(
            plan_sales_doc(
                &[coded.clone(), plain.clone()],
                &ctx(DocKind::Invoice, &inputs, &no_default)
            ),
            Err(ActionFailure::NoTaxCode("Plain".into()))
        );
        let forced = ActionInputs {
            tax_code: Some("6".into()),
            ..ActionInputs::default()
        };
        let doc = plan_sales_doc(
            &[coded, plain.clone()],
            &ctx(DocKind::Invoice, &forced, &no_default),
        )
        .unwrap();
        assert_eq!(
            (code(&doc, 0), code(&doc, 1)),
            (Some("6".into()), Some("6".into()))
        );
        let us = plan_sales_doc(&[plain], &ctx(DocKind::Invoice, &inputs, &TaxModel::Us)).unwrap();
        assert_eq!(code(&us, 0), None, "US lines without a code are NON");
    }

    #[test]
    fn the_execution_mark_is_found_whole() {
        let inputs = ActionInputs::default();
        let doc = plan_sales_doc(
            &[line("A", "1", "1", Some("1"))],
            &ctx(DocKind::Invoice, &inputs, &TaxModel::Us),
        )
        .unwrap();
        assert!(has_execution_mark(&doc, "cb-9"));
        assert!(!has_execution_mark(&doc, "cb-"));
        assert!(!has_execution_mark(&Invoice::default(), "cb-9"));
    }

    #[test]
    fn unusable_lines_fail_with_a_message_for_the_user() {
        let inputs = ActionInputs::default();
        let us = TaxModel::Us;
        let c = ctx(DocKind::Invoice, &inputs, &us);
        assert_eq!(plan_sales_doc(&[], &c), Err(ActionFailure::NoLineItems));
        let err = plan_sales_doc(&[line("Gizmo", "1", "5", None)], &c).unwrap_err();
        assert!(err.to_string().contains("\"Gizmo\" is not in QuickBooks"));
        let err = plan_sales_doc(&[line("Refund", "-1", "5", Some("1"))], &c).unwrap_err();
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

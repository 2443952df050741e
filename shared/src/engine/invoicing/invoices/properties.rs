//! The HubSpot invoice properties of a mirrored QBO invoice: the custom `qbo_*` definitions
//! (created by the engine, idempotent) and the values planned from one QBO invoice.

use chrono::{NaiveDate, TimeZone, Utc};

use super::amounts::InvoiceAmounts;
use crate::engine::invoicing::deal::properties::invoice_recipient;
use crate::engine::invoicing::deal::{InvoiceStage, invoice_stage};
use crate::hubspot::values::{format_date, format_decimal, format_epoch_ms};
use crate::hubspot::{PropertyDefinition, PropertyWrites};
use crate::quickbooks::entities::Invoice;

/// UNVERIFIED (docs/hubspot.md §4): default invoice group name seen in responses.
pub const INVOICE_GROUP: &str = "invoiceinformation";
pub const QBO_INVOICE_ID: &str = "qbo_invoice_id";
pub const QBO_DOC_NUMBER: &str = "qbo_doc_number";
/// QBO's amounts to the cent (`amounts::InvoiceAmounts`, docs/hubspot.md §2.8): HubSpot's own
/// `hs_amount_billed`/`hs_balance_due` are calculated from line items and payments and cannot
/// be written, so QBO's discount, shipping and tax live here.
pub const QBO_SUBTOTAL: &str = "qbo_subtotal";
pub const QBO_DISCOUNT: &str = "qbo_discount";
pub const QBO_SHIPPING: &str = "qbo_shipping";
pub const QBO_TAX: &str = "qbo_tax";
pub const QBO_TOTAL: &str = "qbo_total";
pub const QBO_BALANCE: &str = "qbo_balance";
pub const QBO_STATUS: &str = "qbo_status";
pub const QBO_DUE_DATE: &str = "qbo_due_date";
pub const QBO_INVOICE_URL: &str = "qbo_invoice_url";
/// Bill-to e-mail (kept up to date; `hs_external_recipient` is UNVERIFIED, §2.8).
pub const QBO_BILL_EMAIL: &str = "qbo_bill_email";
/// QBO `MetaData.LastUpdatedTime`: picks the deal's latest invoice.
pub const QBO_LAST_UPDATED: &str = "qbo_last_updated";
/// QBO `SyncToken`: the invoice's version (every QBO change moves it; `LastUpdatedTime` has
/// only second precision), so a repeat signal for a mirrored version writes nothing.
pub const QBO_SYNC_TOKEN: &str = "qbo_sync_token";
/// A digest of the planned line items: they are replaced only when it changes.
pub const QBO_LINES_SIGNATURE: &str = "qbo_lines_signature";
/// A digest of the QBO lines without their products (`lines::source_signature`): while it
/// holds, a re-mirror reads no products.
pub const QBO_LINES_SOURCE: &str = "qbo_lines_source";
/// The QBO estimate the invoice was converted from (its `LinkedTxn` of type Estimate,
/// docs/hubspot.md §2.13); written only for converted invoices.
pub const QBO_ESTIMATE_ID: &str = "qbo_estimate_id";
/// Tokens of payment notes already written for this invoice (`p<id>` received, `x<id>`
/// voided/deleted), so each note is added once.
pub const QBO_PAYMENT_NOTES: &str = "qbo_payment_notes";

/// The QBO web app's invoice page under a company's web-app host (production or sandbox,
/// `QboEnvironment::web_app_base`); the deep link Intuit's sample app uses (see
/// `console::record_links`).
pub const QBO_INVOICE_PATH: &str = "/app/invoice?txnId=";

/// Currency used when QBO omits `CurrencyRef` and the company's Preferences name no home
/// currency (docs/quickbooks.md §17.6: single-currency companies omit `CurrencyRef`).
pub const DEFAULT_CURRENCY: &str = "USD";

/// `hs_invoice_status` values (docs/hubspot.md §2.8: `draft`, `open`, `paid`, `voided`; there is
/// no partially-paid or overdue value, so those stay `open` and show in `qbo_status`).
pub const HS_STATUS: &str = "hs_invoice_status";
pub const HS_OPEN: &str = "open";
pub const HS_PAID: &str = "paid";
pub const HS_VOIDED: &str = "voided";

/// What the mirror knows about the QBO company, the same for all of its invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyFacts {
    /// `Preferences.CurrencyPrefs.HomeCurrency` (read once per mirror).
    pub home_currency: String,
    /// The company's QBO web-app host, e.g. `https://app.sandbox.qbo.intuit.com`.
    pub web_app_base: String,
}

impl Default for CompanyFacts {
    fn default() -> Self {
        CompanyFacts {
            home_currency: DEFAULT_CURRENCY.into(),
            web_app_base: crate::quickbooks::environment::PRODUCTION_WEB_APP.into(),
        }
    }
}

/// HubSpot's status for a QBO stage: paid in full → `paid`, voided → `voided`, anything open
/// (waiting, sent, partially paid, overdue) → `open` (docs/hubspot.md §2.8).
pub fn hubspot_status(stage: InvoiceStage) -> &'static str {
    match stage {
        InvoiceStage::Paid => HS_PAID,
        InvoiceStage::Voided => HS_VOIDED,
        _ => HS_OPEN,
    }
}

/// The custom invoice properties (the mirror's names plus our bookkeeping ones).
pub fn invoice_property_definitions() -> Vec<PropertyDefinition> {
    let text = |name: &str, label: &str| PropertyDefinition::text(name, label, INVOICE_GROUP);
    let number = |name: &str, label: &str| PropertyDefinition {
        kind: "number".into(),
        field_type: "number".into(),
        ..text(name, label)
    };
    vec![
        text(QBO_INVOICE_ID, "QuickBooks invoice ID").unique(),
        text(QBO_DOC_NUMBER, "QuickBooks invoice number"),
        number(QBO_SUBTOTAL, "QuickBooks subtotal"),
        number(QBO_DISCOUNT, "QuickBooks discount"),
        number(QBO_SHIPPING, "QuickBooks shipping"),
        number(QBO_TAX, "QuickBooks tax"),
        number(QBO_TOTAL, "QuickBooks total"),
        number(QBO_BALANCE, "QuickBooks balance"),
        text(QBO_STATUS, "QuickBooks status"),
        PropertyDefinition {
            kind: "date".into(),
            field_type: "date".into(),
            ..text(QBO_DUE_DATE, "QuickBooks due date")
        },
        text(QBO_INVOICE_URL, "QuickBooks invoice link"),
        text(QBO_BILL_EMAIL, "QuickBooks bill-to e-mail"),
        text(QBO_LAST_UPDATED, "QuickBooks last updated"),
        text(QBO_SYNC_TOKEN, "QuickBooks version (SyncToken)"),
        text(QBO_LINES_SIGNATURE, "QuickBooks lines signature"),
        text(
            QBO_LINES_SOURCE,
            "QuickBooks lines signature without products",
        ),
        text(QBO_PAYMENT_NOTES, "QuickBooks payment notes written"),
        text(QBO_ESTIMATE_ID, "QuickBooks estimate it was converted from"),
    ]
}

/// Midnight UTC of `date` in epoch ms (invoice dates are datetimes, §2.8: send milliseconds).
fn epoch_ms(date: NaiveDate) -> String {
    format_epoch_ms(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight")))
}

/// The currency code of `invoice`: its `CurrencyRef`, else the company's home currency.
pub fn invoice_currency(invoice: &Invoice, company: &CompanyFacts) -> String {
    invoice
        .currency_ref
        .as_ref()
        .map(|r| r.value.clone())
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| company.home_currency.clone())
}

/// The values that follow the QBO invoice on every change (not the status transition).
pub fn invoice_properties(
    invoice: &Invoice,
    today: NaiveDate,
    company: &CompanyFacts,
) -> PropertyWrites {
    let stage = invoice_stage(invoice, today);
    let id = invoice.id.clone().unwrap_or_default();
    let mut w = PropertyWrites::new();
    w.insert(QBO_INVOICE_ID.into(), id.clone());
    w.insert(
        QBO_DOC_NUMBER.into(),
        invoice.doc_number.clone().unwrap_or_default(),
    );
    let amounts = InvoiceAmounts::of(invoice);
    let balance = if stage == InvoiceStage::Voided {
        Default::default()
    } else {
        amounts.balance
    };
    for (name, value) in [
        (QBO_SUBTOTAL, amounts.subtotal),
        (QBO_DISCOUNT, amounts.discount),
        (QBO_SHIPPING, amounts.shipping),
        (QBO_TAX, amounts.tax),
        (QBO_TOTAL, amounts.total),
        (QBO_BALANCE, balance),
    ] {
        w.insert(name.into(), format_decimal(value));
    }
    w.insert(QBO_STATUS.into(), stage.value().into());
    w.insert(
        QBO_DUE_DATE.into(),
        invoice.due_date.map(format_date).unwrap_or_default(),
    );
    w.insert(
        QBO_INVOICE_URL.into(),
        format!("{}{QBO_INVOICE_PATH}{id}", company.web_app_base),
    );
    w.insert(QBO_BILL_EMAIL.into(), invoice_recipient(invoice));
    let updated = invoice
        .meta_data
        .as_ref()
        .and_then(|m| m.last_updated_time)
        .map(|t| t.with_timezone(&Utc).to_rfc3339())
        .unwrap_or_default();
    w.insert(QBO_LAST_UPDATED.into(), updated);
    w.insert(
        QBO_SYNC_TOKEN.into(),
        invoice.sync_token.clone().unwrap_or_default(),
    );
    if let Some(estimate) = crate::engine::invoicing::estimates::facts::source_estimate(invoice) {
        w.insert(QBO_ESTIMATE_ID.into(), estimate.to_owned());
    }
    if let Some(d) = invoice.txn_date {
        w.insert("hs_invoice_date".into(), epoch_ms(d));
    }
    if let Some(d) = invoice.due_date {
        w.insert("hs_due_date".into(), epoch_ms(d));
    }
    w
}

/// The values of a new mirrored invoice: a non-billable draft in the invoice's currency
/// (docs/hubspot.md §2.8, §11 item 10), plus [`invoice_properties`].
pub fn new_invoice_properties(
    invoice: &Invoice,
    today: NaiveDate,
    company: &CompanyFacts,
) -> PropertyWrites {
    let mut w = invoice_properties(invoice, today, company);
    w.insert("hs_currency".into(), invoice_currency(invoice, company));
    w.insert("hs_invoice_billable".into(), "false".into());
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entities::Ref;

    #[test]
    fn a_new_invoice_is_a_non_billable_draft_with_the_qbo_values() {
        let invoice = Invoice {
            id: Some("130".into()),
            doc_number: Some("1037".into()),
            txn_date: Some("2026-05-01".parse().unwrap()),
            due_date: Some("2026-05-31".parse().unwrap()),
            total_amt: Some("362.07".parse().unwrap()),
            balance: Some("362.07".parse().unwrap()),
            currency_ref: Some(Ref::to("EUR")),
            ..Invoice::default()
        };
        let w = new_invoice_properties(
            &invoice,
            "2026-05-02".parse().unwrap(),
            &CompanyFacts::default(),
        );
        assert_eq!(w["hs_currency"], "EUR");
        assert_eq!(w["hs_invoice_billable"], "false");
        assert_eq!(w[QBO_INVOICE_ID], "130");
        assert_eq!(w[QBO_DOC_NUMBER], "1037");
        assert_eq!(w[QBO_TOTAL], "362.07");
        assert_eq!(w[QBO_BALANCE], "362.07");
        assert_eq!(w[QBO_STATUS], "waiting_to_be_sent");
        assert_eq!(w["hs_invoice_date"], "1777593600000");
        assert_eq!(
            w[QBO_INVOICE_URL],
            "https://app.qbo.intuit.com/app/invoice?txnId=130"
        );
        assert!(!w.contains_key("hs_invoice_status"));
    }

    #[test]
    fn currency_falls_back_to_the_home_currency_and_links_follow_the_company_host() {
        let invoice = Invoice {
            id: Some("7".into()),
            ..Invoice::default()
        };
        let company = CompanyFacts {
            home_currency: "CAD".into(),
            web_app_base: crate::quickbooks::environment::SANDBOX_WEB_APP.into(),
        };
        let w = new_invoice_properties(&invoice, "2026-05-02".parse().unwrap(), &company);
        assert_eq!(w["hs_currency"], "CAD");
        assert_eq!(
            w[QBO_INVOICE_URL],
            "https://app.sandbox.qbo.intuit.com/app/invoice?txnId=7"
        );
    }

    #[test]
    fn hubspot_status_is_paid_or_voided_and_open_otherwise() {
        use InvoiceStage::*;
        let got: Vec<_> = InvoiceStage::ALL.map(hubspot_status).into();
        assert_eq!(
            got,
            [HS_OPEN, HS_OPEN, HS_OPEN, HS_PAID, HS_OPEN, HS_VOIDED],
            "{:?}",
            [WaitingToBeSent, Sent, PartiallyPaid, Paid, Overdue, Voided]
        );
    }

    #[test]
    fn the_id_property_is_unique_and_all_live_in_one_group() {
        let defs = invoice_property_definitions();
        assert!(
            defs.iter()
                .find(|d| d.name == QBO_INVOICE_ID)
                .unwrap()
                .has_unique_value
        );
        assert_eq!(defs.iter().filter(|d| d.has_unique_value).count(), 1);
        assert!(defs.iter().all(|d| d.group_name == INVOICE_GROUP));
    }
}

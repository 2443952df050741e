//! Invoices (docs/quickbooks.md §4.4, §5.5, §12, §17): totals priced by `txn_lines`, `Balance`,
//! DocNumber by the CustomTxnNumbers preference (6140 on duplicates), read-only payment links,
//! void and delete, and the customer's open balance.

use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::fields::{
    check_lengths, flag_or_true, money_field, money_value, ref_id, ref_value, text,
};
use super::{
    ChangeOp, Company, body_id, check_update, currency, is_sparse, merge_update, txn_lines,
};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

use super::WriteOptions;

/// §4.4 / §12: length limits.
const LIMITS: &[(&str, usize)] = &[
    ("DocNumber", 21),
    ("PrivateNote", 4000),
    ("CustomerMemo.value", 1000),
];

/// Fields the API computes or links it owns (§4.4: `TotalAmt`, `Balance` read-only;
/// payment links in `LinkedTxn` read-only).
/// `TxnTaxDetail` is taken as sent (its `TxnTaxCodeRef` is writable) and recomputed (§17.3).
const KEEP_ON_UPDATE: &[&str] = &["TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance"];

/// Fields whose change re-prices the stored lines of a sparse update without `Line` (§17).
pub(super) const REPRICE_ON: &[&str] = &[
    "Line",
    "TxnTaxDetail",
    "ApplyTaxAfterDiscount",
    "GlobalTaxCalculation",
    "CurrencyRef",
    "ExchangeRate",
];

/// Default payment terms when no `DueDate` is sent: Net 30 (the seeded `DefaultTerms`).
const DEFAULT_TERMS_DAYS: i64 = 30;

/// Create (no `Id`) or update (with `Id`).
pub fn upsert(
    company: &mut Company,
    body: Map<String, Value>,
    options: WriteOptions,
    now_ms: i64,
) -> Result<Value, Fault> {
    match body_id(&body) {
        None => create(company, body, options, now_ms),
        Some(id) => update(company, &id, body, options, now_ms),
    }
}

/// A customer reference that exists and is active (2020 when absent, 2500 otherwise).
pub(super) fn customer_ref(company: &Company, body: &Map<String, Value>) -> Result<Value, Fault> {
    let id = ref_id(body, "CustomerRef").ok_or_else(|| Fault::required_param("CustomerRef"))?;
    let customer = company
        .get(EntityKind::Customer, &id)
        .filter(|c| flag_or_true(&c.body, "Active"))
        .ok_or_else(|| Fault::invalid_reference("CustomerRef"))?;
    Ok(ref_value(
        &id,
        customer.body.get("DisplayName").and_then(Value::as_str),
    ))
}

/// The customer's `CurrencyRef` code (§4.1: fixed at creation).
pub(super) fn customer_currency(company: &Company, customer_id: &str) -> Option<String> {
    company
        .get(EntityKind::Customer, customer_id)
        .and_then(|c| ref_id(&c.body, "CurrencyRef"))
}

/// The stored `TxnTaxDetail.TxnTaxCodeRef` an update keeps (§17.3).
pub(super) fn stored_tax_code(current: &Map<String, Value>) -> Option<String> {
    current
        .get("TxnTaxDetail")
        .and_then(Value::as_object)
        .and_then(|d| ref_id(d, "TxnTaxCodeRef"))
}

/// The transaction of `kind` already holding `doc_number`, if any (other than `except`).
fn doc_number_owner(
    company: &Company,
    kind: EntityKind,
    doc_number: &str,
    except: Option<&str>,
) -> Option<String> {
    company
        .table(kind)
        .find(|(id, e)| {
            except != Some(id.to_string().as_str())
                && e.body.get("DocNumber").and_then(Value::as_str) == Some(doc_number)
        })
        .map(|(id, _)| id.to_string())
}

/// §12: with CustomTxnNumbers off QBO assigns the next number; with it on a missing DocNumber
/// stays absent. A supplied duplicate is 6140 unless `include=allowduplicatedocnum`.
/// The same rule for every sales form of `kind` (one number sequence for all, UNVERIFIED).
pub(super) fn assign_doc_number(
    company: &mut Company,
    kind: EntityKind,
    body: &mut Map<String, Value>,
    options: WriteOptions,
    except: Option<&str>,
) -> Result<(), Fault> {
    match text(body, "DocNumber").map(str::to_owned) {
        Some(doc) => {
            if !options.allow_duplicate_doc_number
                && let Some(owner) = doc_number_owner(company, kind, &doc, except)
            {
                return Err(Fault::duplicate_doc_number(&doc, kind.name(), &owner));
            }
        }
        None if except.is_none() && !company.custom_txn_numbers() => loop {
            let candidate = company.next_doc_number.to_string();
            company.next_doc_number += 1;
            if doc_number_owner(company, kind, &candidate, None).is_none() {
                body.insert("DocNumber".into(), candidate.into());
                break;
            }
        },
        None => {}
    }
    Ok(())
}

fn create(
    company: &mut Company,
    mut body: Map<String, Value>,
    options: WriteOptions,
    now_ms: i64,
) -> Result<Value, Fault> {
    for f in ["Id", "SyncToken", "sparse", "TotalAmt", "Balance"] {
        body.remove(f);
    }
    check_lengths(&body, LIMITS)?;
    let customer = customer_ref(company, &body)?;
    let customer_id = customer["value"].as_str().unwrap_or_default().to_owned();
    let priced = txn_lines::price(company, &body, None, None)?;
    let currency = currency::resolve(
        company,
        &body,
        customer_currency(company, &customer_id).as_deref(),
    )?;
    body.insert("CustomerRef".into(), customer.clone());
    keep_non_payment_links(&mut body, None);
    let estimates = super::estimate_conversion::linked_estimates(company, &body)?;
    let today = company.today(now_ms);
    let txn_date = text(&body, "TxnDate")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    body.insert("TxnDate".into(), txn_date.to_string().into());
    // §4.4: DueDate defaults from the sales terms; the company default is Net 30 (Id 3).
    body.entry("SalesTermRef").or_insert(json!({"value": "3"}));
    body.entry("DueDate").or_insert_with(|| {
        (txn_date + Duration::days(DEFAULT_TERMS_DAYS))
            .to_string()
            .into()
    });
    if !body.contains_key("BillAddr")
        && let Some(addr) = company
            .get(EntityKind::Customer, &customer_id)
            .and_then(|c| c.body.get("BillAddr"))
    {
        body.insert("BillAddr".into(), addr.clone());
    }
    assign_doc_number(company, EntityKind::Invoice, &mut body, options, None)?;
    let total = priced.totals.total;
    priced.apply(&mut body);
    body.insert("Balance".into(), money_value(total));
    currency::apply(&mut body, &currency, total, Some(total));
    body.entry("EmailStatus").or_insert("NotSet".into());
    body.entry("PrintStatus").or_insert("NotSet".into());
    body.entry("Deposit").or_insert(0.into());
    let created = company.insert_new(EntityKind::Invoice, None, body, now_ms);
    refresh_customer_balance(company, &customer_id);
    if let Some(id) = created.get("Id").and_then(Value::as_str) {
        super::estimate_conversion::close_converted(company, &estimates, id, now_ms);
    }
    Ok(created)
}

/// Payment links are read-only (§4.4): keep the stored ones, take the other kinds as sent.
fn keep_non_payment_links(body: &mut Map<String, Value>, current: Option<&Map<String, Value>>) {
    let mut links: Vec<Value> = body
        .get("LinkedTxn")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter(|x| x.get("TxnType").and_then(Value::as_str) != Some("Payment"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if let Some(current) = current {
        links.extend(
            payment_links(current)
                .into_iter()
                .map(|(id, _)| id)
                .map(|id| json!({"TxnId": id, "TxnType": "Payment"})),
        );
    }
    if links.is_empty() {
        body.remove("LinkedTxn");
    } else {
        body.insert("LinkedTxn".into(), Value::Array(links));
    }
}

/// The payment ids linked to an invoice (with a placeholder amount; amounts live on payments).
fn payment_links(invoice: &Map<String, Value>) -> Vec<(String, ())> {
    invoice
        .get("LinkedTxn")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter(|x| x.get("TxnType").and_then(Value::as_str) == Some("Payment"))
                .filter_map(|x| Some((x.get("TxnId")?.as_str()?.to_owned(), ())))
                .collect()
        })
        .unwrap_or_default()
}

fn update(
    company: &mut Company,
    id: &str,
    body: Map<String, Value>,
    options: WriteOptions,
    now_ms: i64,
) -> Result<Value, Fault> {
    let current = check_update(company, EntityKind::Invoice, id, &body)?;
    let mut merged = merge_update(&current, &body, is_sparse(&body), KEEP_ON_UPDATE);
    check_lengths(&merged, LIMITS)?;
    let customer = customer_ref(company, &merged)?;
    merged.insert("CustomerRef".into(), customer.clone());
    let customer_id = customer["value"].as_str().unwrap_or_default().to_owned();
    // §5.2: a sent Line replaces all lines; without Line the stored lines and totals stay
    // (sparse), unless a field that prices them changed (§17).
    let priced = if REPRICE_ON.iter().any(|f| body.contains_key(*f)) || !is_sparse(&body) {
        Some(txn_lines::price(
            company,
            &merged,
            current.get("Line"),
            stored_tax_code(&current),
        )?)
    } else {
        None
    };
    let total = priced.as_ref().map_or_else(
        || money_field(&current, "TotalAmt").unwrap_or_default(),
        |p| p.totals.total,
    );
    let currency = currency::resolve(
        company,
        &merged,
        customer_currency(company, &customer_id).as_deref(),
    )?;
    let paid = money_field(&current, "TotalAmt").unwrap_or_default()
        - money_field(&current, "Balance").unwrap_or_default();
    if total < paid {
        // UNVERIFIED: no captured response for lowering a total below what was paid.
        return Err(Fault::business_validation(
            "The transaction total can't be less than the payments already applied to it.",
        ));
    }
    if text(&merged, "DocNumber") != text(&current, "DocNumber") {
        assign_doc_number(company, EntityKind::Invoice, &mut merged, options, Some(id))?;
    }
    if let Some(priced) = &priced {
        priced.apply(&mut merged);
    }
    keep_non_payment_links(&mut merged, Some(&current));
    merged.insert("TotalAmt".into(), money_value(total));
    merged.insert("Balance".into(), money_value(total - paid));
    currency::apply(&mut merged, &currency, total, Some(total - paid));
    let old_customer = ref_id(&current, "CustomerRef");
    let updated = company.replace(EntityKind::Invoice, id, merged, ChangeOp::Update, now_ms);
    if let Some(old) = old_customer {
        refresh_customer_balance(company, &old);
    }
    if let Some(new) = customer["value"].as_str() {
        refresh_customer_balance(company, new);
    }
    Ok(updated)
}

/// `operation=delete` (§5.5): only without linked payments; leaves a tombstone for CDC.
pub fn delete(
    company: &mut Company,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let id = body_id(&body).ok_or_else(|| Fault::required_param("Id"))?;
    let current = check_update(company, EntityKind::Invoice, &id, &body)?;
    if !payment_links(&current).is_empty() {
        // §5.5 says payments must be unlinked first; the fault's code is UNVERIFIED (6000).
        return Err(Fault::business_validation(
            "This transaction is linked to a payment. Unlink or delete the payment first.",
        ));
    }
    company.remove(EntityKind::Invoice, &id, now_ms);
    if let Some(customer) = ref_id(&current, "CustomerRef") {
        refresh_customer_balance(company, &customer);
    }
    Ok(json!({"status": "Deleted", "domain": "QBO", "Id": id}))
}

/// `operation=void` (§5.5): amounts and quantities zeroed, "Voided" prepended to
/// `PrivateNote`, payment links cleared and those payments' applications become unapplied.
pub fn void(company: &mut Company, body: Map<String, Value>, now_ms: i64) -> Result<Value, Fault> {
    let id = body_id(&body).ok_or_else(|| Fault::required_param("Id"))?;
    let current = check_update(company, EntityKind::Invoice, &id, &body)?;
    let mut voided = current.clone();
    if let Some(Value::Array(lines)) = voided.get_mut("Line") {
        for line in lines.iter_mut().filter_map(Value::as_object_mut) {
            line.insert("Amount".into(), 0.into());
            if let Some(Value::Object(d)) = line.get_mut("SalesItemLineDetail")
                && d.contains_key("Qty")
            {
                d.insert("Qty".into(), 0.into());
            }
        }
    }
    voided.insert("TotalAmt".into(), 0.into());
    voided.insert("Balance".into(), 0.into());
    voided.insert("TxnTaxDetail".into(), json!({"TotalTax": 0}));
    for home in ["HomeTotalAmt", "HomeBalance"] {
        if voided.contains_key(home) {
            voided.insert(home.into(), 0.into());
        }
    }
    let note = match text(&current, "PrivateNote") {
        Some(n) => format!("Voided - {n}"),
        None => "Voided".to_owned(),
    };
    voided.insert("PrivateNote".into(), note.into());
    let payments = payment_links(&current);
    keep_non_payment_links(&mut voided, None);
    let result = company.replace(EntityKind::Invoice, &id, voided, ChangeOp::Void, now_ms);
    for (payment_id, ()) in payments {
        super::payments::unlink_invoice(company, &payment_id, &id, now_ms);
    }
    if let Some(customer) = ref_id(&current, "CustomerRef") {
        refresh_customer_balance(company, &customer);
    }
    Ok(result)
}

/// Applies `amount` of payment `payment_id` to the invoice: lower `Balance`, add the
/// read-only `LinkedTxn` (§4.5, manage-linked-transactions). A new invoice version.
pub fn apply_payment(
    company: &mut Company,
    invoice_id: &str,
    payment_id: &str,
    amount: Decimal,
    now_ms: i64,
) {
    change_payment(company, invoice_id, payment_id, -amount, true, now_ms);
}

/// Removes a payment's application from the invoice: `Balance` back up, link removed.
pub fn remove_payment(
    company: &mut Company,
    invoice_id: &str,
    payment_id: &str,
    amount: Decimal,
    now_ms: i64,
) {
    change_payment(company, invoice_id, payment_id, amount, false, now_ms);
}

fn change_payment(
    company: &mut Company,
    invoice_id: &str,
    payment_id: &str,
    balance_delta: Decimal,
    link: bool,
    now_ms: i64,
) {
    let Some(stored) = company.get(EntityKind::Invoice, invoice_id) else {
        return;
    };
    let mut body = stored.body.clone();
    let balance = money_field(&body, "Balance").unwrap_or_default() + balance_delta;
    body.insert("Balance".into(), money_value(balance));
    currency::refresh_home_balance(&mut body);
    let mut links: Vec<Value> = body
        .get("LinkedTxn")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let is_this = |x: &Value| {
        x.get("TxnType").and_then(Value::as_str) == Some("Payment")
            && x.get("TxnId").and_then(Value::as_str) == Some(payment_id)
    };
    links.retain(|x| !is_this(x));
    if link {
        links.push(json!({"TxnId": payment_id, "TxnType": "Payment"}));
    }
    if links.is_empty() {
        body.remove("LinkedTxn");
    } else {
        body.insert("LinkedTxn".into(), Value::Array(links));
    }
    let customer = ref_id(&body, "CustomerRef");
    company.replace(
        EntityKind::Invoice,
        invoice_id,
        body,
        ChangeOp::Update,
        now_ms,
    );
    if let Some(c) = customer {
        refresh_customer_balance(company, &c);
    }
}

pub use super::customer_balance::refresh_customer_balance;

/// `POST /invoice/{id}/send` (§5.6): `EmailStatus` becomes `EmailSent`, `DeliveryInfo` is
/// filled, and `sendTo` (if given) overwrites `BillEmail.Address`. Without any address the
/// send fails; that fault's code is UNVERIFIED (modelled as 6000).
pub fn send(
    company: &mut Company,
    id: &str,
    send_to: Option<&str>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let mut body = company
        .get(EntityKind::Invoice, id)
        .ok_or_else(Fault::object_not_found)?
        .body
        .clone();
    if let Some(to) = send_to.map(str::trim).filter(|t| !t.is_empty()) {
        body.insert("BillEmail".into(), json!({"Address": to}));
        super::fields::check_email(&body, "BillEmail")?;
    }
    if super::fields::get_path(&body, "BillEmail.Address").is_none() {
        return Err(Fault::business_validation(
            "You must specify an email address to send this transaction.",
        ));
    }
    body.insert("EmailStatus".into(), "EmailSent".into());
    body.insert(
        "DeliveryInfo".into(),
        json!({"DeliveryType": "Email", "DeliveryTime": company.meta_time(now_ms)}),
    );
    Ok(company.replace(EntityKind::Invoice, id, body, ChangeOp::Emailed, now_ms))
}

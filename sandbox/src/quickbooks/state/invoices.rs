//! Invoices (docs/quickbooks.md §4.4, §5.5, §12): lines with Amount = Qty x UnitPrice, computed
//! `TotalAmt`/`Balance`, DocNumber by the CustomTxnNumbers preference (6140 on duplicates),
//! read-only payment links, void and delete, and the customer's open balance.

use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::fields::{
    check_lengths, flag_or_true, money, money_field, money_value, ref_id, ref_value, text,
};
use super::{ChangeOp, Company, body_id, check_update, is_sparse, merge_update};
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
const KEEP_ON_UPDATE: &[&str] = &["TotalAmt", "Balance", "TxnTaxDetail"];

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
fn customer_ref(company: &Company, body: &Map<String, Value>) -> Result<Value, Fault> {
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

/// Rebuilds `Line` (§4.4): checks items and amounts, keeps existing line Ids, numbers the
/// lines, drops any sent subtotal line and appends QBO's own. Returns lines and the total.
fn build_lines(
    company: &Company,
    incoming: Option<&Value>,
    existing: Option<&Value>,
) -> Result<(Vec<Value>, Decimal), Fault> {
    let lines = incoming
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| Fault::required_param("Line"))?;
    let existing_ids: Vec<u64> = existing
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .filter_map(|l| l.get("Id")?.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let mut next_id = existing_ids.iter().copied().max().unwrap_or(0) + 1;
    let mut out = Vec::new();
    let mut total = Decimal::ZERO;
    for line in lines {
        let Some(line) = line.as_object() else {
            return Err(Fault::invalid_property("Line"));
        };
        let detail_type = text(line, "DetailType").unwrap_or("SalesItemLineDetail");
        if detail_type == "SubTotalLineDetail" {
            continue;
        }
        let mut line = line.clone();
        let id = text(&line, "Id")
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|id| *id > 0 && existing_ids.contains(id));
        let id = id.unwrap_or_else(|| {
            next_id += 1;
            next_id - 1
        });
        line.insert("Id".into(), id.to_string().into());
        line.insert("LineNum".into(), (out.len() + 1).into());
        if detail_type == "SalesItemLineDetail" {
            total += sales_line(company, &mut line)?;
        }
        out.push(Value::Object(line));
    }
    out.push(
        json!({"DetailType": "SubTotalLineDetail", "Amount": money_value(total),
                    "SubTotalLineDetail": {}}),
    );
    Ok((out, total))
}

/// Validates one `SalesItemLineDetail` line and returns the amount it adds to the total.
fn sales_line(company: &Company, line: &mut Map<String, Value>) -> Result<Decimal, Fault> {
    let amount = money_field(line, "Amount").ok_or_else(|| Fault::required_param("Line.Amount"))?;
    line.insert("Amount".into(), money_value(amount));
    let mut detail = line
        .get("SalesItemLineDetail")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let Some(item_id) = ref_id(&detail, "ItemRef") else {
        // §4.4: a line without ItemRef is documentation; its Amount is ignored.
        line.insert("SalesItemLineDetail".into(), Value::Object(detail));
        return Ok(Decimal::ZERO);
    };
    let item = company
        .get(EntityKind::Item, &item_id)
        .filter(|i| flag_or_true(&i.body, "Active"))
        .ok_or_else(|| Fault::invalid_reference("Line.SalesItemLineDetail.ItemRef"))?;
    detail.insert(
        "ItemRef".into(),
        ref_value(&item_id, item.body.get("Name").and_then(Value::as_str)),
    );
    let qty = detail.get("Qty").and_then(money);
    let unit_price = detail.get("UnitPrice").and_then(money);
    if let (Some(q), Some(p)) = (qty, unit_price)
        && (q * p).round_dp(2) != amount.round_dp(2)
    {
        // §4.4: the stand-in rejects Amount != Qty x UnitPrice with legacy 6070.
        return Err(Fault::amount_calculation(&amount.to_string()));
    }
    if let Some(q) = qty {
        detail.insert("Qty".into(), money_value(q));
    }
    if let Some(p) = unit_price {
        detail.insert("UnitPrice".into(), money_value(p));
    }
    detail
        .entry("TaxCodeRef")
        .or_insert(json!({"value": "NON"}));
    line.insert("SalesItemLineDetail".into(), Value::Object(detail));
    Ok(amount)
}

/// The invoice already holding `doc_number`, if any (other than `except`).
fn doc_number_owner(company: &Company, doc_number: &str, except: Option<&str>) -> Option<String> {
    company
        .table(EntityKind::Invoice)
        .find(|(id, e)| {
            except != Some(id.to_string().as_str())
                && e.body.get("DocNumber").and_then(Value::as_str) == Some(doc_number)
        })
        .map(|(id, _)| id.to_string())
}

/// §12: with CustomTxnNumbers off QBO assigns the next number; with it on a missing DocNumber
/// stays absent. A supplied duplicate is 6140 unless `include=allowduplicatedocnum`.
fn assign_doc_number(
    company: &mut Company,
    body: &mut Map<String, Value>,
    options: WriteOptions,
    except: Option<&str>,
) -> Result<(), Fault> {
    match text(body, "DocNumber").map(str::to_owned) {
        Some(doc) => {
            if !options.allow_duplicate_doc_number
                && let Some(owner) = doc_number_owner(company, &doc, except)
            {
                return Err(Fault::duplicate_doc_number(&doc, "Invoice", &owner));
            }
        }
        None if except.is_none() && !company.custom_txn_numbers() => loop {
            let candidate = company.next_doc_number.to_string();
            company.next_doc_number += 1;
            if doc_number_owner(company, &candidate, None).is_none() {
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
    let (lines, total) = build_lines(company, body.get("Line"), None)?;
    let customer_id = customer["value"].as_str().unwrap_or_default().to_owned();
    body.insert("CustomerRef".into(), customer.clone());
    body.insert("Line".into(), Value::Array(lines));
    keep_non_payment_links(&mut body, None);
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
    let mut body_with_doc = body;
    assign_doc_number(company, &mut body_with_doc, options, None)?;
    let mut body = body_with_doc;
    body.insert("TotalAmt".into(), money_value(total));
    body.insert("Balance".into(), money_value(total));
    body.insert("TxnTaxDetail".into(), json!({"TotalTax": 0}));
    body.entry("CurrencyRef")
        .or_insert(json!({"value": "USD", "name": "United States Dollar"}));
    body.entry("EmailStatus").or_insert("NotSet".into());
    body.entry("PrintStatus").or_insert("NotSet".into());
    body.entry("ApplyTaxAfterDiscount").or_insert(false.into());
    body.entry("Deposit").or_insert(0.into());
    let created = company.insert_new(EntityKind::Invoice, None, body, now_ms);
    refresh_customer_balance(company, &customer_id);
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
    // §5.2: a sent Line replaces all lines; without Line the stored lines stay (sparse).
    let (lines, total) = if body.contains_key("Line") || !is_sparse(&body) {
        build_lines(company, merged.get("Line"), current.get("Line"))?
    } else {
        let total = money_field(&current, "TotalAmt").unwrap_or_default();
        (
            current
                .get("Line")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            total,
        )
    };
    let paid = money_field(&current, "TotalAmt").unwrap_or_default()
        - money_field(&current, "Balance").unwrap_or_default();
    if total < paid {
        // UNVERIFIED: no captured response for lowering a total below what was paid.
        return Err(Fault::business_validation(
            "The transaction total can't be less than the payments already applied to it.",
        ));
    }
    if text(&merged, "DocNumber") != text(&current, "DocNumber") {
        assign_doc_number(company, &mut merged, options, Some(id))?;
    }
    merged.insert("Line".into(), Value::Array(lines));
    keep_non_payment_links(&mut merged, Some(&current));
    merged.insert("TotalAmt".into(), money_value(total));
    merged.insert("Balance".into(), money_value(total - paid));
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

/// A customer's `Balance` is its open A/R (§4.1): the sum of its invoices' balances. Derived,
/// so it changes without a new customer version.
pub fn refresh_customer_balance(company: &mut Company, customer_id: &str) {
    let open: Decimal = company
        .table(EntityKind::Invoice)
        .filter(|(_, e)| ref_id(&e.body, "CustomerRef").as_deref() == Some(customer_id))
        .filter_map(|(_, e)| money_field(&e.body, "Balance"))
        .sum();
    company.patch_silently(
        EntityKind::Customer,
        customer_id,
        "Balance",
        money_value(open),
    );
    company.patch_silently(
        EntityKind::Customer,
        customer_id,
        "BalanceWithJobs",
        money_value(open),
    );
}

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

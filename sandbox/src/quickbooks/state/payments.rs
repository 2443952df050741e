//! Payments (docs/quickbooks.md §4.5, §5.5): applied to invoices and credit memos through
//! `Line[].LinkedTxn` (linked on both sides, lowering the invoice `Balance` and the memo's
//! `RemainingCredit`, §4.9), `UnappliedAmt`, void and delete.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::fields::{
    check_lengths, flag_or_true, money, money_field, money_value, ref_id, ref_value, text,
};
use super::invoices::{apply_payment, refresh_customer_balance, remove_payment};
use super::sales_forms::{apply_credit, remove_credit};
use super::{ChangeOp, Company, body_id, check_update, is_sparse, merge_update};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

const LIMITS: &[(&str, usize)] = &[("PrivateNote", 4000), ("PaymentRefNum", 21)];

/// Read-only on a payment (§4.5).
const KEEP_ON_UPDATE: &[&str] = &["UnappliedAmt"];

/// The seeded "Undeposited Funds" account, the documented default deposit account (§4.5).
pub const UNDEPOSITED_FUNDS_ACCOUNT_ID: &str = "4";

/// What a payment line applies: an invoice it pays or a credit memo whose credit it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Applied {
    Invoice,
    CreditMemo,
}

impl Applied {
    fn parse(txn_type: Option<&str>) -> Option<Applied> {
        match txn_type? {
            "Invoice" => Some(Applied::Invoice),
            "CreditMemo" => Some(Applied::CreditMemo),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Applied::Invoice => "Invoice",
            Applied::CreditMemo => "CreditMemo",
        }
    }

    fn kind(self) -> EntityKind {
        match self {
            Applied::Invoice => EntityKind::Invoice,
            Applied::CreditMemo => EntityKind::CreditMemo,
        }
    }

    /// The linked transaction's open amount before this payment: an invoice's `Balance`, a
    /// credit memo's `RemainingCredit`.
    fn open_field(self) -> &'static str {
        match self {
            Applied::Invoice => "Balance",
            Applied::CreditMemo => "RemainingCredit",
        }
    }
}

/// (what, transaction id) -> amount this payment applies to it.
type Applications = BTreeMap<(Applied, String), Decimal>;

/// The applications in a payment's stored or requested `Line`.
fn applications(lines: Option<&Value>) -> Applications {
    let mut apps = Applications::new();
    for line in lines.and_then(Value::as_array).into_iter().flatten() {
        let amount = line.get("Amount").and_then(money).unwrap_or_default();
        for link in line
            .get("LinkedTxn")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(what) = Applied::parse(link.get("TxnType").and_then(Value::as_str))
                && let Some(id) = link.get("TxnId").and_then(Value::as_str)
            {
                *apps.entry((what, id.to_owned())).or_default() += amount;
            }
        }
    }
    apps
}

/// Validates requested lines against the invoices and credit memos (2500, 620, 6000) given
/// what this payment already applies (`previous`), and renders them with the `LineEx` details
/// QBO returns. Returns the lines and the net amount applied: invoices less credits used, which
/// the payment's `TotalAmt` must cover (a credit memo applied to an invoice is a payment whose
/// lines link both, manage-linked-transactions; `TotalAmt` 0 when the credit covers it all).
fn build_lines(
    company: &Company,
    customer_id: &str,
    requested: Option<&Value>,
    previous: &Applications,
    total: Decimal,
) -> Result<(Vec<Value>, Decimal), Fault> {
    let mut out = Vec::new();
    let mut invoiced = Decimal::ZERO;
    let mut credited = Decimal::ZERO;
    let mut per_txn = Applications::new();
    for line in requested.and_then(Value::as_array).into_iter().flatten() {
        let line = line
            .as_object()
            .ok_or_else(|| Fault::invalid_property("Line"))?;
        let amount =
            money_field(line, "Amount").ok_or_else(|| Fault::required_param("Line.Amount"))?;
        let link = line
            .get("LinkedTxn")
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(Value::as_object)
            .ok_or_else(|| Fault::required_param("Line.LinkedTxn"))?;
        let what = Applied::parse(text(link, "TxnType")).ok_or_else(|| {
            Fault::invalid_enumeration(
                "Line.LinkedTxn.TxnType",
                text(link, "TxnType").unwrap_or(""),
            )
        })?;
        let txn_id =
            text(link, "TxnId").ok_or_else(|| Fault::required_param("Line.LinkedTxn.TxnId"))?;
        let txn = company
            .get(what.kind(), txn_id)
            .ok_or_else(|| Fault::invalid_reference("Line.LinkedTxn.TxnId"))?;
        if ref_id(&txn.body, "CustomerRef").as_deref() != Some(customer_id) {
            return Err(Fault::txn_cannot_be_linked(format!(
                "TxnID Cannot Be Linked : {} {txn_id} belongs to another customer.",
                what.name()
            )));
        }
        let key = (what, txn_id.to_owned());
        let open = money_field(&txn.body, what.open_field()).unwrap_or_default()
            + previous.get(&key).copied().unwrap_or_default();
        let this = per_txn.entry(key).or_default();
        *this += amount;
        // UNVERIFIED: over-applying a payment or a credit is rejected; the exact code is not
        // captured (6000).
        if amount <= Decimal::ZERO || *this > open {
            return Err(Fault::business_validation(&format!(
                "The amount applied to {} {txn_id} must be more than zero and can't exceed its \
                 open amount of {open}.",
                what.name()
            )));
        }
        match what {
            Applied::Invoice => invoiced += amount,
            Applied::CreditMemo => credited += amount,
        }
        let doc = txn
            .body
            .get("DocNumber")
            .and_then(Value::as_str)
            .unwrap_or_default();
        out.push(json!({
            "Amount": money_value(amount),
            "LineEx": {"any": [
                line_ex("txnId", txn_id),
                line_ex("txnOpenBalance", &format!("{:.2}", open)),
                line_ex("txnReferenceNumber", doc),
            ]},
            "LinkedTxn": [{"TxnId": txn_id, "TxnType": what.name()}],
        }));
    }
    // UNVERIFIED: credit beyond the invoices it is applied to is refused (6000), as is an
    // application the payment's total does not cover.
    if credited > invoiced {
        return Err(Fault::business_validation(
            "The credit applied can't be more than the amount of the invoices it is applied to.",
        ));
    }
    let applied = invoiced - credited;
    if applied > total {
        return Err(Fault::business_validation(
            "The amount applied to transactions can't be more than the payment total.",
        ));
    }
    Ok((out, applied))
}

/// One `LineEx.any` entry, shaped as in fixture `payment-read-response.json`.
fn line_ex(name: &str, value: &str) -> Value {
    json!({
        "name": "{http://schema.intuit.com/finance/v3}NameValue",
        "nil": false,
        "value": {"Name": name, "Value": value},
        "declaredType": "com.intuit.schema.finance.v3.NameValue",
        "scope": "javax.xml.bind.JAXBElement$GlobalScope",
        "globalScope": true,
        "typeSubstituted": false
    })
}

fn customer(company: &Company, body: &Map<String, Value>) -> Result<(String, Value), Fault> {
    let id = ref_id(body, "CustomerRef").ok_or_else(|| Fault::required_param("CustomerRef"))?;
    let c = company
        .get(EntityKind::Customer, &id)
        .filter(|c| flag_or_true(&c.body, "Active"))
        .ok_or_else(|| Fault::invalid_reference("CustomerRef"))?;
    let r = ref_value(&id, c.body.get("DisplayName").and_then(Value::as_str));
    Ok((id, r))
}

/// Create (no `Id`) or update (with `Id`).
pub fn upsert(
    company: &mut Company,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    match body_id(&body) {
        None => create(company, body, now_ms),
        Some(id) => update(company, &id, body, now_ms),
    }
}

fn create(
    company: &mut Company,
    mut body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    for f in ["Id", "SyncToken", "sparse", "UnappliedAmt"] {
        body.remove(f);
    }
    check_lengths(&body, LIMITS)?;
    let total = money_field(&body, "TotalAmt").ok_or_else(|| Fault::required_param("TotalAmt"))?;
    let (customer_id, customer_ref) = customer(company, &body)?;
    let (lines, applied) = build_lines(
        company,
        &customer_id,
        body.get("Line"),
        &Applications::new(),
        total,
    )?;
    let apps = applications(Some(&Value::Array(lines.clone())));
    body.insert("CustomerRef".into(), customer_ref);
    body.insert("TotalAmt".into(), money_value(total));
    body.insert("UnappliedAmt".into(), money_value(total - applied));
    body.insert("Line".into(), Value::Array(lines));
    body.entry("TxnDate")
        .or_insert_with(|| company.today(now_ms).to_string().into());
    body.entry("CurrencyRef")
        .or_insert(json!({"value": "USD", "name": "United States Dollar"}));
    body.entry("DepositToAccountRef")
        .or_insert(json!({"value": UNDEPOSITED_FUNDS_ACCOUNT_ID}));
    body.entry("ProcessPayment").or_insert(false.into());
    let created = company.insert_new(EntityKind::Payment, None, body, now_ms);
    let payment_id = created["Id"].as_str().unwrap_or_default().to_owned();
    relink(company, &payment_id, &Applications::new(), &apps, now_ms);
    refresh_customer_balance(company, &customer_id);
    Ok(company
        .read(EntityKind::Payment, &payment_id)
        .unwrap_or(created))
}

fn update(
    company: &mut Company,
    id: &str,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let current = check_update(company, EntityKind::Payment, id, &body)?;
    let mut merged = merge_update(&current, &body, is_sparse(&body), KEEP_ON_UPDATE);
    check_lengths(&merged, LIMITS)?;
    let total =
        money_field(&merged, "TotalAmt").ok_or_else(|| Fault::required_param("TotalAmt"))?;
    let (customer_id, customer_ref) = customer(company, &merged)?;
    let previous = applications(current.get("Line"));
    // §4.5: lines are updated all or nothing; without Line (sparse) they stay.
    let requested = if body.contains_key("Line") || !is_sparse(&body) {
        merged.get("Line").cloned()
    } else {
        current.get("Line").cloned()
    };
    let (lines, applied) =
        build_lines(company, &customer_id, requested.as_ref(), &previous, total)?;
    let next = applications(Some(&Value::Array(lines.clone())));
    merged.insert("CustomerRef".into(), customer_ref);
    merged.insert("TotalAmt".into(), money_value(total));
    merged.insert("UnappliedAmt".into(), money_value(total - applied));
    merged.insert("Line".into(), Value::Array(lines));
    relink(company, id, &previous, &next, now_ms);
    let updated = company.replace(EntityKind::Payment, id, merged, ChangeOp::Update, now_ms);
    refresh_customer_balance(company, &customer_id);
    Ok(updated)
}

/// Moves applications from `previous` to `next`, touching only the transactions that change.
fn relink(
    company: &mut Company,
    payment_id: &str,
    previous: &Applications,
    next: &Applications,
    now_ms: i64,
) {
    for ((what, id), amount) in previous {
        if next.get(&(*what, id.clone())) != Some(amount) {
            match what {
                Applied::Invoice => remove_payment(company, id, payment_id, *amount, now_ms),
                Applied::CreditMemo => remove_credit(company, id, payment_id, *amount, now_ms),
            }
        }
    }
    for ((what, id), amount) in next {
        if previous.get(&(*what, id.clone())) != Some(amount) {
            match what {
                Applied::Invoice => apply_payment(company, id, payment_id, *amount, now_ms),
                Applied::CreditMemo => apply_credit(company, id, payment_id, *amount, now_ms),
            }
        }
    }
}

/// A credit memo was voided or deleted: the payments that used its credit drop that line and
/// take the same amount off the invoices they applied it to (last line first), so each
/// invoice's `Balance` is back to what the credit had lowered. UNVERIFIED (docs/quickbooks.md
/// §4.9): how QBO re-balances such a payment; the sandbox keeps its `TotalAmt` and cash.
pub fn release_credit(company: &mut Company, payment_id: &str, memo_id: &str, now_ms: i64) {
    let Some(stored) = company.get(EntityKind::Payment, payment_id) else {
        return;
    };
    let mut body = stored.body.clone();
    let previous = applications(body.get("Line"));
    let mut released = previous
        .get(&(Applied::CreditMemo, memo_id.to_owned()))
        .copied()
        .unwrap_or_default();
    if released.is_zero() {
        return;
    }
    let links = |line: &Value, what: Applied, id: Option<&str>| {
        line.get("LinkedTxn")
            .and_then(Value::as_array)
            .is_some_and(|l| {
                l.iter().any(|x| {
                    x.get("TxnType").and_then(Value::as_str) == Some(what.name())
                        && id.is_none_or(|id| x.get("TxnId").and_then(Value::as_str) == Some(id))
                })
            })
    };
    let mut lines: Vec<Value> = body
        .get("Line")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    lines.retain(|l| !links(l, Applied::CreditMemo, Some(memo_id)));
    for line in lines.iter_mut().rev() {
        if released.is_zero() {
            break;
        }
        if !links(line, Applied::Invoice, None) {
            continue;
        }
        let amount = line.get("Amount").and_then(money).unwrap_or_default();
        let cut = amount.min(released);
        released -= cut;
        if let Some(l) = line.as_object_mut() {
            l.insert("Amount".into(), money_value(amount - cut));
        }
    }
    lines.retain(|l| l.get("Amount").and_then(money).is_none_or(|a| !a.is_zero()));
    let next = applications(Some(&Value::Array(lines.clone())));
    body.insert("Line".into(), Value::Array(lines));
    relink(company, payment_id, &previous, &next, now_ms);
    let customer = ref_id(&body, "CustomerRef");
    company.replace(
        EntityKind::Payment,
        payment_id,
        body,
        ChangeOp::Update,
        now_ms,
    );
    if let Some(c) = customer {
        refresh_customer_balance(company, &c);
    }
}

/// `operation=delete` (§5.5): invoices get their balance back; a tombstone stays for CDC.
pub fn delete(
    company: &mut Company,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let id = body_id(&body).ok_or_else(|| Fault::required_param("Id"))?;
    let current = check_update(company, EntityKind::Payment, &id, &body)?;
    relink(
        company,
        &id,
        &applications(current.get("Line")),
        &Applications::new(),
        now_ms,
    );
    company.remove(EntityKind::Payment, &id, now_ms);
    if let Some(c) = ref_id(&current, "CustomerRef") {
        refresh_customer_balance(company, &c);
    }
    Ok(json!({"status": "Deleted", "domain": "QBO", "Id": id}))
}

/// `operation=update&include=void` with `sparse: true` (§5.5): amounts zeroed, "Voided" in
/// `PrivateNote`, applications removed from the invoices.
pub fn void(company: &mut Company, body: Map<String, Value>, now_ms: i64) -> Result<Value, Fault> {
    let id = body_id(&body).ok_or_else(|| Fault::required_param("Id"))?;
    let current = check_update(company, EntityKind::Payment, &id, &body)?;
    relink(
        company,
        &id,
        &applications(current.get("Line")),
        &Applications::new(),
        now_ms,
    );
    let mut voided = current.clone();
    voided.insert("TotalAmt".into(), 0.into());
    voided.insert("UnappliedAmt".into(), 0.into());
    voided.insert("Line".into(), Value::Array(Vec::new()));
    let note = match text(&current, "PrivateNote") {
        Some(n) => format!("Voided - {n}"),
        None => "Voided".to_owned(),
    };
    voided.insert("PrivateNote".into(), note.into());
    let result = company.replace(EntityKind::Payment, &id, voided, ChangeOp::Void, now_ms);
    if let Some(c) = ref_id(&current, "CustomerRef") {
        refresh_customer_balance(company, &c);
    }
    Ok(result)
}

/// An invoice was voided: drop this payment's lines for it; the money becomes unapplied
/// (manage-linked-transactions, §4.5). A new payment version.
pub fn unlink_invoice(company: &mut Company, payment_id: &str, invoice_id: &str, now_ms: i64) {
    let Some(stored) = company.get(EntityKind::Payment, payment_id) else {
        return;
    };
    let mut body = stored.body.clone();
    let mut released = Decimal::ZERO;
    if let Some(Value::Array(lines)) = body.get_mut("Line") {
        lines.retain(|line| {
            let links_it = line
                .get("LinkedTxn")
                .and_then(Value::as_array)
                .is_some_and(|l| {
                    l.iter()
                        .any(|x| x.get("TxnId").and_then(Value::as_str) == Some(invoice_id))
                });
            if links_it {
                released += line.get("Amount").and_then(money).unwrap_or_default();
            }
            !links_it
        });
    }
    let unapplied = money_field(&body, "UnappliedAmt").unwrap_or_default() + released;
    body.insert("UnappliedAmt".into(), money_value(unapplied));
    company.replace(
        EntityKind::Payment,
        payment_id,
        body,
        ChangeOp::Update,
        now_ms,
    );
}

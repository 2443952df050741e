//! Estimates, sales receipts, credit memos and refund receipts (docs/quickbooks.md §17.7):
//! create, update and delete with the same lines, totals, currency and DocNumber as invoices.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::fields::{check_lengths, money_field, money_value, text};
use super::invoices::{
    REPRICE_ON, assign_doc_number, customer_currency, customer_ref, refresh_customer_balance,
    stored_tax_code,
};
use super::{
    ChangeOp, Company, WriteOptions, body_id, check_update, currency, is_sparse, merge_update,
    txn_lines,
};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

/// The same limits as invoices (§4.4, §12).
const LIMITS: &[(&str, usize)] = &[
    ("DocNumber", 21),
    ("PrivateNote", 4000),
    ("CustomerMemo.value", 1000),
];

/// Computed fields a full update keeps.
const KEEP_ON_UPDATE: &[&str] = &["TotalAmt", "Balance", "HomeTotalAmt", "RemainingCredit"];

/// Undeposited Funds and Checking (the seeded accounts, `reference::DEFAULT_ACCOUNTS`).
const UNDEPOSITED_FUNDS: &str = "4";
const CHECKING: &str = "35";

/// What a kind's balance is after pricing (§17.7): a receipt is paid when made (0), a credit
/// memo's whole amount is open credit, an estimate has none.
fn balance(kind: EntityKind, total: Decimal) -> Option<Decimal> {
    match kind {
        EntityKind::SalesReceipt | EntityKind::RefundReceipt => Some(Decimal::ZERO),
        EntityKind::CreditMemo => Some(total),
        _ => None,
    }
}

/// Defaults a new transaction of `kind` gets.
fn defaults(kind: EntityKind, body: &mut Map<String, Value>) {
    body.entry("EmailStatus").or_insert("NotSet".into());
    body.entry("PrintStatus").or_insert("NotSet".into());
    match kind {
        EntityKind::Estimate => {
            body.entry("TxnStatus").or_insert("Pending".into());
        }
        EntityKind::SalesReceipt => {
            body.entry("DepositToAccountRef")
                .or_insert(json!({"value": UNDEPOSITED_FUNDS, "name": "Undeposited Funds"}));
        }
        EntityKind::RefundReceipt => {
            // UNVERIFIED: the account a refund is paid from when none is named.
            body.entry("DepositToAccountRef")
                .or_insert(json!({"value": CHECKING, "name": "Checking"}));
        }
        _ => {}
    }
}

/// Create (no `Id`) or update (with `Id`).
pub fn upsert(
    company: &mut Company,
    kind: EntityKind,
    body: Map<String, Value>,
    options: WriteOptions,
    now_ms: i64,
) -> Result<Value, Fault> {
    match body_id(&body) {
        None => create(company, kind, body, options, now_ms),
        Some(id) => update(company, kind, &id, body, options, now_ms),
    }
}

fn create(
    company: &mut Company,
    kind: EntityKind,
    mut body: Map<String, Value>,
    options: WriteOptions,
    now_ms: i64,
) -> Result<Value, Fault> {
    for f in [
        "Id",
        "SyncToken",
        "sparse",
        "TotalAmt",
        "Balance",
        "HomeTotalAmt",
        "RemainingCredit",
    ] {
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
    body.insert("CustomerRef".into(), customer);
    let txn_date = text(&body, "TxnDate")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| company.today(now_ms));
    body.insert("TxnDate".into(), txn_date.to_string().into());
    assign_doc_number(company, kind, &mut body, options, None)?;
    let total = priced.totals.total;
    priced.apply(&mut body);
    write_balance(kind, &mut body, total, Decimal::ZERO);
    currency::apply(&mut body, &currency, total, balance(kind, total));
    defaults(kind, &mut body);
    let created = company.insert_new(kind, None, body, now_ms);
    refresh_balances(company, kind, [Some(customer_id)]);
    Ok(created)
}

/// A credit memo's open credit counts in its customers' balances (§17.5).
fn refresh_balances<const N: usize>(
    company: &mut Company,
    kind: EntityKind,
    customers: [Option<String>; N],
) {
    if kind != EntityKind::CreditMemo {
        return;
    }
    for customer in customers.into_iter().flatten() {
        refresh_customer_balance(company, &customer);
    }
}

/// `Balance` (and a credit memo's `RemainingCredit`) for `total` less what was applied.
fn write_balance(kind: EntityKind, body: &mut Map<String, Value>, total: Decimal, used: Decimal) {
    if let Some(open) = balance(kind, total) {
        let open = (open - used).max(Decimal::ZERO);
        body.insert("Balance".into(), money_value(open));
        if kind == EntityKind::CreditMemo {
            body.insert("RemainingCredit".into(), money_value(open));
        }
    }
}

fn update(
    company: &mut Company,
    kind: EntityKind,
    id: &str,
    body: Map<String, Value>,
    options: WriteOptions,
    now_ms: i64,
) -> Result<Value, Fault> {
    let current = check_update(company, kind, id, &body)?;
    let mut merged = merge_update(&current, &body, is_sparse(&body), KEEP_ON_UPDATE);
    check_lengths(&merged, LIMITS)?;
    let customer = customer_ref(company, &merged)?;
    let customer_id = customer["value"].as_str().unwrap_or_default().to_owned();
    merged.insert("CustomerRef".into(), customer);
    if REPRICE_ON.iter().any(|f| body.contains_key(*f)) || !is_sparse(&body) {
        let priced = txn_lines::price(
            company,
            &merged,
            current.get("Line"),
            stored_tax_code(&current),
        )?;
        priced.apply(&mut merged);
    }
    let total = money_field(&merged, "TotalAmt").unwrap_or_default();
    let currency = currency::resolve(
        company,
        &merged,
        customer_currency(company, &customer_id).as_deref(),
    )?;
    if text(&merged, "DocNumber") != text(&current, "DocNumber") {
        assign_doc_number(company, kind, &mut merged, options, Some(id))?;
    }
    write_balance(kind, &mut merged, total, Decimal::ZERO);
    currency::apply(&mut merged, &currency, total, balance(kind, total));
    let updated = company.replace(kind, id, merged, ChangeOp::Update, now_ms);
    refresh_balances(
        company,
        kind,
        [
            super::fields::ref_id(&current, "CustomerRef"),
            Some(customer_id),
        ],
    );
    Ok(updated)
}

/// `operation=delete` (§5.5): leaves a tombstone for CDC.
pub fn delete(
    company: &mut Company,
    kind: EntityKind,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let id = body_id(&body).ok_or_else(|| Fault::required_param("Id"))?;
    let current = check_update(company, kind, &id, &body)?;
    company.remove(kind, &id, now_ms);
    refresh_balances(
        company,
        kind,
        [super::fields::ref_id(&current, "CustomerRef")],
    );
    Ok(json!({"status": "Deleted", "domain": "QBO", "Id": id}))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Seed;
    use crate::quickbooks::entity_kind::EntityKind;
    use crate::quickbooks::state::{ChangeOp, Company, WriteOp, WriteOptions};

    const NOW: i64 = 1_780_000_000_000;

    #[test]
    fn each_form_records_the_changes_webhooks_are_made_from() {
        let mut c = Company::new("1", -480, Seed::Empty, NOW);
        let up = |c: &mut Company, kind, body| {
            c.write(kind, WriteOp::Upsert, body, WriteOptions::default(), NOW)
        };
        up(&mut c, EntityKind::Customer, json!({"DisplayName": "W"})).unwrap();
        up(
            &mut c,
            EntityKind::Item,
            json!({"Name": "S", "Type": "Service", "IncomeAccountRef": {"value": "1"}}),
        )
        .unwrap();
        c.drain_changes();
        let line = json!([{"DetailType": "SalesItemLineDetail", "Amount": 5,
                           "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]);
        for kind in [
            EntityKind::Estimate,
            EntityKind::SalesReceipt,
            EntityKind::CreditMemo,
            EntityKind::RefundReceipt,
        ] {
            let made = up(
                &mut c,
                kind,
                json!({"CustomerRef": {"value": "1"}, "Line": line}),
            )
            .unwrap();
            assert_eq!(made["DocNumber"].as_str().map(str::len), Some(4), "{kind}");
            let stale = up(
                &mut c,
                kind,
                json!({"Id": made["Id"], "SyncToken": "7", "sparse": true, "PrivateNote": "x"}),
            )
            .unwrap_err();
            assert_eq!(stale.code(), "5010");
            up(
                &mut c,
                kind,
                json!({"Id": made["Id"], "SyncToken": "0", "sparse": true, "PrivateNote": "x"}),
            )
            .unwrap();
            c.write(
                kind,
                WriteOp::Delete,
                json!({"Id": made["Id"], "SyncToken": "1"}),
                WriteOptions::default(),
                NOW,
            )
            .unwrap();
            let ops: Vec<(EntityKind, ChangeOp)> = c
                .drain_changes()
                .into_iter()
                .map(|ch| (ch.kind, ch.op))
                .collect();
            assert_eq!(
                ops,
                [
                    (kind, ChangeOp::Create),
                    (kind, ChangeOp::Update),
                    (kind, ChangeOp::Delete)
                ]
            );
            assert_eq!(
                c.read(kind, made["Id"].as_str().unwrap())
                    .unwrap_err()
                    .code(),
                "610"
            );
        }
    }
}

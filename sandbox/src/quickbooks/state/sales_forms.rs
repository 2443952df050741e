//! Estimates, sales receipts, credit memos and refund receipts (docs/quickbooks.md §17.7):
//! create, update, void and delete with the same lines, totals, currency and DocNumber as
//! invoices; a credit memo's credit used by payments (§4.9).

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

/// Computed and read-only fields a full update keeps (a memo's payment links, §4.9).
const KEEP_ON_UPDATE: &[&str] = &[
    "TotalAmt",
    "Balance",
    "HomeTotalAmt",
    "RemainingCredit",
    "LinkedTxn",
];

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
    // The credit payments already used stays used (§4.9).
    let used = money_field(&current, "TotalAmt").unwrap_or_default()
        - money_field(&current, "RemainingCredit").unwrap_or_default();
    let used = if kind == EntityKind::CreditMemo {
        used.max(Decimal::ZERO)
    } else {
        Decimal::ZERO
    };
    write_balance(kind, &mut merged, total, used);
    let open = balance(kind, total).map(|b| (b - used).max(Decimal::ZERO));
    currency::apply(&mut merged, &currency, total, open);
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

/// `operation=delete` (§5.5): leaves a tombstone for CDC; the form is gone from reads (610),
/// queries and listings, and its webhook says `Delete`. An estimate is deleted this way with
/// its `Id` and `SyncToken` (it has no void), answered with the deletion marker
/// `{"Estimate": {"status": "Deleted", "domain": "QBO", "Id": ..}}`
/// (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/estimate).
pub fn delete(
    company: &mut Company,
    kind: EntityKind,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let id = body_id(&body).ok_or_else(|| Fault::required_param("Id"))?;
    let current = check_update(company, kind, &id, &body)?;
    release_applied_credit(company, kind, &id, &current, now_ms);
    company.remove(kind, &id, now_ms);
    refresh_balances(
        company,
        kind,
        [super::fields::ref_id(&current, "CustomerRef")],
    );
    Ok(json!({"status": "Deleted", "domain": "QBO", "Id": id}))
}

/// A void (docs/quickbooks.md §4.9, §5.5) keeps the form and its number, zeroes its lines,
/// tax, totals and balances, and puts "Voided" in `PrivateNote`, as an invoice void does; a
/// credit memo's credit is first taken back from the payments that used it. Estimates are not
/// voided (Intuit's webhook table lists no Void for them). UNVERIFIED: the exact request (the
/// sandbox takes both `operation=void` and `operation=update&include=void`).
pub fn void(
    company: &mut Company,
    kind: EntityKind,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    if kind == EntityKind::Estimate {
        return Err(Fault::unsupported_operation("void"));
    }
    let id = body_id(&body).ok_or_else(|| Fault::required_param("Id"))?;
    let current = check_update(company, kind, &id, &body)?;
    release_applied_credit(company, kind, &id, &current, now_ms);
    let current = company
        .get(kind, &id)
        .map(|s| s.body.clone())
        .unwrap_or(current);
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
    voided.insert("TxnTaxDetail".into(), json!({"TotalTax": 0}));
    for zeroed in ["Balance", "RemainingCredit", "HomeTotalAmt", "HomeBalance"] {
        if voided.contains_key(zeroed) {
            voided.insert(zeroed.into(), 0.into());
        }
    }
    let note = match text(&current, "PrivateNote") {
        Some(n) => format!("Voided - {n}"),
        None => "Voided".to_owned(),
    };
    voided.insert("PrivateNote".into(), note.into());
    let result = company.replace(kind, &id, voided, ChangeOp::Void, now_ms);
    refresh_balances(
        company,
        kind,
        [super::fields::ref_id(&current, "CustomerRef")],
    );
    Ok(result)
}

/// The payments that used credit memo `id`'s credit give it back (void or delete).
fn release_applied_credit(
    company: &mut Company,
    kind: EntityKind,
    id: &str,
    current: &Map<String, Value>,
    now_ms: i64,
) {
    if kind != EntityKind::CreditMemo {
        return;
    }
    for payment in payment_links(current) {
        super::payments::release_credit(company, &payment, id, now_ms);
    }
}

/// The payments in a form's read-only `LinkedTxn`.
fn payment_links(body: &Map<String, Value>) -> Vec<String> {
    body.get("LinkedTxn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| x.get("TxnType").and_then(Value::as_str) == Some("Payment"))
        .filter_map(|x| Some(x.get("TxnId")?.as_str()?.to_owned()))
        .collect()
}

/// Payment `payment_id` uses `amount` of credit memo `memo_id`'s credit: `RemainingCredit` and
/// `Balance` go down and the memo links the payment (docs/quickbooks.md §4.9; the link on the
/// memo's side is UNVERIFIED, as an invoice links its payments). A new memo version.
pub fn apply_credit(
    company: &mut Company,
    memo_id: &str,
    payment_id: &str,
    amount: Decimal,
    now_ms: i64,
) {
    change_credit(company, memo_id, payment_id, -amount, true, now_ms);
}

/// Gives `amount` of credit back to the memo and drops its link to the payment.
pub fn remove_credit(
    company: &mut Company,
    memo_id: &str,
    payment_id: &str,
    amount: Decimal,
    now_ms: i64,
) {
    change_credit(company, memo_id, payment_id, amount, false, now_ms);
}

fn change_credit(
    company: &mut Company,
    memo_id: &str,
    payment_id: &str,
    delta: Decimal,
    link: bool,
    now_ms: i64,
) {
    let Some(stored) = company.get(EntityKind::CreditMemo, memo_id) else {
        return;
    };
    let mut body = stored.body.clone();
    let remaining =
        (money_field(&body, "RemainingCredit").unwrap_or_default() + delta).max(Decimal::ZERO);
    body.insert("RemainingCredit".into(), money_value(remaining));
    body.insert("Balance".into(), money_value(remaining));
    let mut links: Vec<Value> = body
        .get("LinkedTxn")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    links.retain(|x| {
        !(x.get("TxnType").and_then(Value::as_str) == Some("Payment")
            && x.get("TxnId").and_then(Value::as_str) == Some(payment_id))
    });
    if link {
        links.push(json!({"TxnId": payment_id, "TxnType": "Payment"}));
    }
    if links.is_empty() {
        body.remove("LinkedTxn");
    } else {
        body.insert("LinkedTxn".into(), Value::Array(links));
    }
    let customer = super::fields::ref_id(&body, "CustomerRef");
    company.replace(
        EntityKind::CreditMemo,
        memo_id,
        body,
        ChangeOp::Update,
        now_ms,
    );
    if let Some(c) = customer {
        refresh_customer_balance(company, &c);
    }
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

    #[test]
    fn a_credit_memo_applied_by_a_payment_lowers_the_invoice_and_its_void_restores_it() {
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
        let line = |amount: i64| {
            json!([{"DetailType": "SalesItemLineDetail", "Amount": amount,
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}])
        };
        let customer = json!({"value": "1"});
        let invoice = up(
            &mut c,
            EntityKind::Invoice,
            json!({"CustomerRef": customer, "Line": line(100)}),
        )
        .unwrap();
        let memo = up(
            &mut c,
            EntityKind::CreditMemo,
            json!({"CustomerRef": customer, "Line": line(30)}),
        )
        .unwrap();
        assert_eq!(memo["RemainingCredit"], json!(30));
        let (inv, cm) = (invoice["Id"].clone(), memo["Id"].clone());
        let applies = |credit: i64| {
            json!({"CustomerRef": customer, "TotalAmt": 0, "Line": [
                {"Amount": credit, "LinkedTxn": [{"TxnId": inv, "TxnType": "Invoice"}]},
                {"Amount": credit, "LinkedTxn": [{"TxnId": cm, "TxnType": "CreditMemo"}]},
            ]})
        };
        // More credit than the memo has left is refused; the whole memo is taken.
        assert_eq!(
            up(&mut c, EntityKind::Payment, applies(31))
                .unwrap_err()
                .code(),
            "6000"
        );
        let payment = up(&mut c, EntityKind::Payment, applies(30)).unwrap();
        assert_eq!(payment["UnappliedAmt"], json!(0));
        let read =
            |c: &Company, kind, id: &serde_json::Value| c.read(kind, id.as_str().unwrap()).unwrap();
        assert_eq!(read(&c, EntityKind::Invoice, &inv)["Balance"], json!(70));
        let memo = read(&c, EntityKind::CreditMemo, &cm);
        assert_eq!(memo["RemainingCredit"], json!(0));
        assert_eq!(memo["Balance"], json!(0));
        assert_eq!(memo["LinkedTxn"][0]["TxnId"], payment["Id"]);
        assert_eq!(
            c.read(EntityKind::Customer, "1").unwrap()["Balance"],
            json!(70)
        );

        // Void the memo: the invoice is owed in full again, the memo is zeroed.
        let token = memo["SyncToken"].clone();
        c.write(
            EntityKind::CreditMemo,
            WriteOp::Void,
            json!({"Id": cm, "SyncToken": token}),
            WriteOptions::default(),
            NOW,
        )
        .unwrap();
        assert_eq!(read(&c, EntityKind::Invoice, &inv)["Balance"], json!(100));
        let voided = read(&c, EntityKind::CreditMemo, &cm);
        assert_eq!(voided["TotalAmt"], json!(0));
        assert!(
            voided["PrivateNote"]
                .as_str()
                .unwrap()
                .starts_with("Voided")
        );
        let payment = read(&c, EntityKind::Payment, &payment["Id"]);
        assert_eq!(payment["Line"].as_array().map(Vec::len), Some(0));
        assert_eq!(
            c.read(EntityKind::Customer, "1").unwrap()["Balance"],
            json!(100)
        );

        // Receipts void to zero as well; estimates cannot be voided.
        for kind in [EntityKind::RefundReceipt, EntityKind::SalesReceipt] {
            let made = up(
                &mut c,
                kind,
                json!({"CustomerRef": customer, "Line": line(5)}),
            )
            .unwrap();
            let voided = c
                .write(
                    kind,
                    WriteOp::UpdateVoid,
                    json!({"Id": made["Id"], "SyncToken": "0", "sparse": true}),
                    WriteOptions::default(),
                    NOW,
                )
                .unwrap();
            assert_eq!(voided["TotalAmt"], json!(0), "{kind}");
        }
        let estimate = up(
            &mut c,
            EntityKind::Estimate,
            json!({"CustomerRef": customer, "Line": line(5)}),
        )
        .unwrap();
        assert!(
            c.write(
                EntityKind::Estimate,
                WriteOp::Void,
                json!({"Id": estimate["Id"], "SyncToken": "0"}),
                WriteOptions::default(),
                NOW,
            )
            .is_err()
        );
    }
}

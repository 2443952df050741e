//! Tests of sub-customers and balances through `Company::write` (docs/quickbooks.md §4.1): the
//! derived hierarchy fields, each refusal, and `Balance`/`BalanceWithJobs` after transactions.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::Seed;
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;
use crate::quickbooks::state::fields::money;
use crate::quickbooks::state::{Company, WriteOp, WriteOptions};

const NOW: i64 = 1_780_000_000_000;

fn write(c: &mut Company, kind: EntityKind, body: Value) -> Result<Value, Fault> {
    c.write(kind, WriteOp::Upsert, body, WriteOptions::default(), NOW)
}

fn customer(c: &mut Company, body: Value) -> Value {
    write(c, EntityKind::Customer, body).expect("customer created")
}

fn read(c: &Company, id: &Value) -> Value {
    c.read(EntityKind::Customer, id.as_str().unwrap()).unwrap()
}

fn amount(v: &Value) -> Decimal {
    money(v).unwrap_or_else(|| panic!("not an amount: {v}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// An invoice of `total` for `customer` (a service item "Work" is created on first use).
fn invoice(c: &mut Company, customer: &Value, total: &str) -> Value {
    let existing = c
        .table(EntityKind::Item)
        .next()
        .map(|(id, _)| id.to_string());
    let item = match existing {
        Some(id) => id,
        None => write(
            c,
            EntityKind::Item,
            json!({"Name": "Work", "Type": "Service", "IncomeAccountRef": {"value": "1"}}),
        )
        .unwrap()["Id"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    write(
        c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": customer["Id"]}, "Line": [{"DetailType": "SalesItemLineDetail",
               "Amount": total.parse::<f64>().unwrap(), "SalesItemLineDetail": {"ItemRef": {"value": item}}}]}),
    )
    .unwrap()
}

#[test]
fn a_sub_customer_has_job_level_and_a_colon_qualified_name() {
    let mut c = Company::new("1", 0, Seed::Empty, NOW);
    let top = customer(&mut c, json!({"DisplayName": "Acme"}));
    assert_eq!(top["Job"], false);
    assert_eq!(top["Level"], 0);
    assert_eq!(top["FullyQualifiedName"], "Acme");
    assert!(top.get("ParentRef").is_none());
    let job = customer(
        &mut c,
        json!({"DisplayName": "Warehouse", "Job": true, "BillWithParent": true,
               "ParentRef": {"value": top["Id"]}, "Level": 3, "FullyQualifiedName": "x"}),
    );
    assert_eq!(job["Job"], true);
    assert_eq!(job["BillWithParent"], true);
    assert_eq!(job["Level"], 1, "Level is derived, not taken as sent");
    assert_eq!(job["FullyQualifiedName"], "Acme:Warehouse");
    assert_eq!(
        job["ParentRef"],
        json!({"value": top["Id"], "name": "Acme"})
    );
    let sub = customer(
        &mut c,
        json!({"DisplayName": "Dock 4", "Job": true, "ParentRef": {"value": job["Id"]}}),
    );
    assert_eq!(sub["Level"], 2);
    assert_eq!(sub["FullyQualifiedName"], "Acme:Warehouse:Dock 4");
    assert_eq!(sub["BillWithParent"], false);

    // Renaming the top customer renames the whole branch, without new versions below.
    let renamed = write(
        &mut c,
        EntityKind::Customer,
        json!({"Id": top["Id"], "SyncToken": "0", "sparse": true, "DisplayName": "Acme Corp"}),
    )
    .unwrap();
    assert_eq!(renamed["FullyQualifiedName"], "Acme Corp");
    let sub = read(&c, &sub["Id"]);
    assert_eq!(sub["FullyQualifiedName"], "Acme Corp:Warehouse:Dock 4");
    assert_eq!(sub["SyncToken"], "0");
    assert_eq!(read(&c, &job["Id"])["ParentRef"]["name"], "Acme Corp");
}

#[test]
fn the_hierarchy_refuses_what_qbo_refuses() {
    let mut c = Company::new("1", 0, Seed::Empty, NOW);
    let missing = write(
        &mut c,
        EntityKind::Customer,
        json!({"DisplayName": "Orphan", "Job": true}),
    )
    .unwrap_err();
    assert_eq!(missing.code(), "2020");
    let unknown = write(
        &mut c,
        EntityKind::Customer,
        json!({"DisplayName": "Orphan", "Job": true, "ParentRef": {"value": "999"}}),
    )
    .unwrap_err();
    assert_eq!(unknown.code(), "2500");

    // Five levels (0..=4) are allowed, a sixth is not.
    let mut parent = customer(&mut c, json!({"DisplayName": "L0"}));
    let top = parent.clone();
    for level in 1..=4 {
        parent = customer(
            &mut c,
            json!({"DisplayName": format!("L{level}"), "Job": true, "ParentRef": {"value": parent["Id"]}}),
        );
        assert_eq!(parent["Level"], level);
    }
    let too_deep = write(
        &mut c,
        EntityKind::Customer,
        json!({"DisplayName": "L5", "Job": true, "ParentRef": {"value": parent["Id"]}}),
    )
    .unwrap_err();
    assert_eq!(too_deep.code(), "6000");

    // A customer cannot move under itself or under its own sub-customer.
    for target in [&top["Id"], &parent["Id"]] {
        let cycle = write(
            &mut c,
            EntityKind::Customer,
            json!({"Id": top["Id"], "SyncToken": "0", "sparse": true, "Job": true,
                   "ParentRef": {"value": target}}),
        )
        .unwrap_err();
        assert_eq!(cycle.code(), "6000");
    }
    // Moving a two-level branch under level 3 would reach level 5.
    let other = customer(&mut c, json!({"DisplayName": "Other"}));
    let branch = customer(
        &mut c,
        json!({"DisplayName": "Branch", "Job": true, "ParentRef": {"value": other["Id"]}}),
    );
    let l3 = c
        .table(EntityKind::Customer)
        .find(|(_, e)| e.body["DisplayName"] == "L3")
        .map(|(id, _)| id.to_string())
        .unwrap();
    let deep_move = write(
        &mut c,
        EntityKind::Customer,
        json!({"Id": other["Id"], "SyncToken": "0", "sparse": true, "Job": true,
               "ParentRef": {"value": l3}}),
    )
    .unwrap_err();
    assert_eq!(deep_move.code(), "6000");
    assert_eq!(
        read(&c, &branch["Id"])["Level"],
        1,
        "a refused move changes nothing"
    );
}

#[test]
fn job_false_makes_a_sub_customer_top_level_and_bill_with_parent_needs_a_parent() {
    let mut c = Company::new("1", 0, Seed::Empty, NOW);
    let top = customer(&mut c, json!({"DisplayName": "Top"}));
    let lone = customer(
        &mut c,
        json!({"DisplayName": "Lone", "BillWithParent": true}),
    );
    assert_eq!(lone["BillWithParent"], false);
    let job = customer(
        &mut c,
        json!({"DisplayName": "Job", "Job": true, "ParentRef": {"value": top["Id"]}}),
    );
    invoice(&mut c, &job, "40");
    assert_eq!(amount(&read(&c, &top["Id"])["BalanceWithJobs"]), dec("40"));
    let freed = write(
        &mut c,
        EntityKind::Customer,
        json!({"Id": job["Id"], "SyncToken": "0", "sparse": true, "Job": false}),
    )
    .unwrap();
    assert_eq!(freed["Job"], false);
    assert_eq!(freed["Level"], 0);
    assert_eq!(freed["FullyQualifiedName"], "Job");
    assert!(freed.get("ParentRef").is_none());
    assert_eq!(
        amount(&read(&c, &top["Id"])["BalanceWithJobs"]),
        Decimal::ZERO,
        "the old parent no longer counts the moved job"
    );
}

#[test]
fn balance_is_open_invoices_less_credit_and_unapplied_payments_and_rolls_up_to_parents() {
    let mut c = Company::new("1", 0, Seed::Empty, NOW);
    let top = customer(&mut c, json!({"DisplayName": "Parent Co", "Balance": 25}));
    assert_eq!(amount(&top["Balance"]), dec("25"), "opening balance");
    let job = customer(
        &mut c,
        json!({"DisplayName": "Site A", "Job": true, "ParentRef": {"value": top["Id"]}}),
    );
    let sub = customer(
        &mut c,
        json!({"DisplayName": "Room 1", "Job": true, "ParentRef": {"value": job["Id"]}}),
    );
    invoice(&mut c, &top, "100");
    let job_invoice = invoice(&mut c, &job, "60");
    invoice(&mut c, &sub, "15.5");

    let top_now = read(&c, &top["Id"]);
    assert_eq!(amount(&top_now["Balance"]), dec("125"));
    assert_eq!(amount(&top_now["BalanceWithJobs"]), dec("200.5"));
    assert_eq!(
        amount(&read(&c, &job["Id"])["BalanceWithJobs"]),
        dec("75.5")
    );
    assert_eq!(amount(&read(&c, &sub["Id"])["Balance"]), dec("15.5"));

    // A payment of 80 on the job's 60 invoice: 60 applied, 20 unapplied credit.
    write(
        &mut c,
        EntityKind::Payment,
        json!({"CustomerRef": {"value": job["Id"]}, "TotalAmt": 80,
               "Line": [{"Amount": 60, "LinkedTxn": [{"TxnId": job_invoice["Id"], "TxnType": "Invoice"}]}]}),
    )
    .unwrap();
    let job_now = read(&c, &job["Id"]);
    assert_eq!(amount(&job_now["Balance"]), dec("-20"));
    assert_eq!(amount(&job_now["BalanceWithJobs"]), dec("-4.5"));
    assert_eq!(
        amount(&read(&c, &top["Id"])["BalanceWithJobs"]),
        dec("120.5")
    );
    assert_eq!(
        job_now["SyncToken"], "0",
        "balances change without a new version"
    );

    // Balance and BalanceWithJobs are not writable by an update.
    let top_updated = write(
        &mut c,
        EntityKind::Customer,
        json!({"Id": top["Id"], "SyncToken": "0", "sparse": true, "Balance": 1, "BalanceWithJobs": 2}),
    )
    .unwrap();
    assert_eq!(amount(&top_updated["Balance"]), dec("125"));
    assert_eq!(amount(&top_updated["BalanceWithJobs"]), dec("120.5"));
}

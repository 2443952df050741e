//! The planner on a derived row: a company's primary contact's e-mail goes to QBO's
//! PrimaryEmailAddr one way, and its absence never clears QBO's value (docs/admin.md §6).

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::mapping::MappingSet;
use crate::model::{
    CanonicalValue, CanonicalValues, ConnectionId, ConnectionSettings, CustomerModel, Link,
    ObjectKind, PRIMARY_CONTACT_EMAIL, Record, Side,
};

fn record(side: Side, id: &str, values: &[(&str, Value)]) -> Record {
    Record {
        side,
        kind: ObjectKind::Company,
        id: id.into(),
        version: "v1".into(),
        modified_at: Utc.timestamp_opt(1_780_000_100, 0).unwrap(),
        active: true,
        values: values
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

fn baseline(email: Option<&str>) -> CanonicalValues {
    let mut values = CanonicalValues::new();
    values.insert("name".into(), CanonicalValue::text("Globex").unwrap());
    if let Some(email) = email {
        values.insert(
            PRIMARY_CONTACT_EMAIL.into(),
            CanonicalValue::email(email).unwrap(),
        );
    }
    values
}

fn plan(hubspot_email: Option<&str>, qbo_email: Option<&str>, base: Option<&str>) -> Plan {
    let mut settings = ConnectionSettings::default();
    settings.customers.model = CustomerModel::Company;
    let mappings = MappingSet::build(ObjectKind::Company, &settings.company).unwrap();
    let mut hubspot = vec![("name", json!("Globex"))];
    hubspot.extend(hubspot_email.map(|e| (PRIMARY_CONTACT_EMAIL, json!(e))));
    let mut qbo = vec![
        ("CompanyName", json!("Globex")),
        ("DisplayName", json!("Globex")),
    ];
    qbo.extend(qbo_email.map(|e| ("PrimaryEmailAddr.Address", json!(e))));
    let link = Link {
        connection: ConnectionId::new("c1").unwrap(),
        kind: ObjectKind::Company,
        hubspot_id: "h1".into(),
        qbo_id: "q1".into(),
        baseline: baseline(base),
        hubspot_version: "v0".into(),
        qbo_version: "v0".into(),
        updated_at: Utc.timestamp_opt(1_780_000_000, 0).unwrap(),
        revision: 1,
    };
    plan_record_sync(&PlanInput {
        settings: &settings,
        mappings: &mappings,
        link: Some(&link),
        hubspot: Some(&record(Side::Hubspot, "h1", &hubspot)),
        quickbooks: Some(&record(Side::Quickbooks, "q1", &qbo)),
        billed: false,
        field_times: &PairFieldTimes::default(),
        parent: None,
    })
    .unwrap()
}

fn writes(plan: &Plan, side: Side) -> Option<&crate::model::NativeValues> {
    plan.actions.iter().find_map(|a| match a {
        Action::Update {
            side: s, values, ..
        } if *s == side => Some(values),
        _ => None,
    })
}

#[test]
fn the_primary_contacts_email_is_written_to_qbo_and_never_to_hubspot() {
    let plan = plan(Some("Hank@Globex.example"), None, None);
    let qbo = writes(&plan, Side::Quickbooks).expect("a QBO update");
    assert_eq!(
        qbo["PrimaryEmailAddr.Address"],
        json!("hank@globex.example")
    );
    assert_eq!(writes(&plan, Side::Hubspot), None, "{plan:?}");
}

#[test]
fn a_changed_contact_email_replaces_qbos() {
    let plan = plan(
        Some("scorpio@globex.example"),
        Some("hank@globex.example"),
        Some("hank@globex.example"),
    );
    let qbo = writes(&plan, Side::Quickbooks).expect("a QBO update");
    assert_eq!(
        qbo["PrimaryEmailAddr.Address"],
        json!("scorpio@globex.example")
    );
}

#[test]
fn no_primary_contact_leaves_qbos_email_alone() {
    // The company lost its contacts (or never had one): QBO's own e-mail stands.
    for base in [None, Some("hank@globex.example")] {
        let plan = plan(None, Some("billing@globex.example"), base);
        assert_eq!(writes(&plan, Side::Quickbooks), None, "{plan:?}");
        assert_eq!(writes(&plan, Side::Hubspot), None, "{plan:?}");
    }
}

#[test]
fn an_edit_in_qbo_stays_until_the_contact_changes() {
    let plan = plan(
        Some("hank@globex.example"),
        Some("billing@globex.example"),
        Some("hank@globex.example"),
    );
    assert_eq!(writes(&plan, Side::Quickbooks), None, "{plan:?}");
    assert_eq!(writes(&plan, Side::Hubspot), None, "{plan:?}");
}

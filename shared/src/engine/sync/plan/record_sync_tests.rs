//! Table-driven tests of the planner: one test per rule of docs/architecture.md §4 (merge, conflicts, echoes,
//! first link, creates, filters, direction, deletions, problems), plus matching and merges.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::engine::sync::plan::PairFieldTimes;
use crate::mapping::{MappingSet, MatchKey, TransformError};
use crate::model::{
    CanonicalValue, CanonicalValues, ConflictWinner, ConnectionId, ConnectionSettings, Direction,
    FilterOp, Link, NativeValues, ObjectKind, PropertyCondition, Record, Side, SyncState,
};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + secs, 0).unwrap()
}

fn native(pairs: &[(&str, Value)]) -> NativeValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn record(
    side: Side,
    kind: ObjectKind,
    id: &str,
    modified: i64,
    values: &[(&str, Value)],
) -> Record {
    Record {
        side,
        kind,
        id: id.into(),
        version: format!("v{modified}"),
        modified_at: at(modified),
        active: true,
        values: native(values),
    }
}

fn contact(id: &str, modified: i64, values: &[(&str, Value)]) -> Record {
    record(Side::Hubspot, ObjectKind::Contact, id, modified, values)
}

fn customer(id: &str, modified: i64, values: &[(&str, Value)]) -> Record {
    record(Side::Quickbooks, ObjectKind::Contact, id, modified, values)
}

fn text(pairs: &[(&str, &str)]) -> CanonicalValues {
    pairs
        .iter()
        .map(|(k, v)| {
            let value = if *k == "email" {
                CanonicalValue::email(v)
            } else {
                CanonicalValue::text(v)
            };
            (k.to_string(), value.unwrap())
        })
        .collect()
}

fn link(kind: ObjectKind, baseline: CanonicalValues) -> Link {
    Link {
        connection: ConnectionId::new("c1").unwrap(),
        kind,
        hubspot_id: "h1".into(),
        qbo_id: "q1".into(),
        baseline,
        hubspot_version: "v0".into(),
        qbo_version: "v0".into(),
        updated_at: at(0),
        revision: 3,
    }
}

struct Case {
    settings: ConnectionSettings,
    kind: ObjectKind,
    link: Option<Link>,
    hubspot: Option<Record>,
    qbo: Option<Record>,
}

impl Case {
    fn contacts(link: Option<Link>, hubspot: Option<Record>, qbo: Option<Record>) -> Self {
        Case {
            settings: ConnectionSettings::default(),
            kind: ObjectKind::Contact,
            link,
            hubspot,
            qbo,
        }
    }

    fn plan(&self) -> Plan {
        self.plan_with(&PairFieldTimes::default())
    }

    fn plan_with(&self, field_times: &PairFieldTimes) -> Plan {
        let mappings = MappingSet::build(self.kind, self.settings.object(self.kind)).unwrap();
        plan_record_sync(&PlanInput {
            settings: &self.settings,
            mappings: &mappings,
            link: self.link.as_ref(),
            hubspot: self.hubspot.as_ref(),
            quickbooks: self.qbo.as_ref(),
            billed: false,
            field_times,
            parent: None,
        })
        .unwrap()
    }
}

fn ada_baseline() -> CanonicalValues {
    text(&[
        ("email", "ada@analytical.example"),
        ("firstname", "Ada"),
        ("lastname", "Lovelace"),
    ])
}

fn ada_contact(modified: i64, first: &str) -> Record {
    contact(
        "h1",
        modified,
        &[
            ("email", json!("ada@analytical.example")),
            ("firstname", json!(first)),
            ("lastname", json!("Lovelace")),
        ],
    )
}

fn ada_customer(modified: i64, first: &str) -> Record {
    customer(
        "q1",
        modified,
        &[
            ("PrimaryEmailAddr.Address", json!("Ada@Analytical.example")),
            ("GivenName", json!(first)),
            ("FamilyName", json!("Lovelace")),
            ("DisplayName", json!("Ada Lovelace")),
        ],
    )
}

fn update_values(plan: &Plan, side: Side) -> Option<&NativeValues> {
    plan.actions.iter().find_map(|a| match a {
        Action::Update {
            side: s, values, ..
        } if *s == side => Some(values),
        _ => None,
    })
}

#[test]
fn nothing_changed_since_the_baseline_plans_no_write() {
    let plan = Case::contacts(
        Some(link(ObjectKind::Contact, ada_baseline())),
        Some(ada_contact(5, "Ada")),
        Some(ada_customer(6, "Ada")),
    )
    .plan();
    assert_eq!(plan.outcome, Outcome::InSync);
    assert!(plan.writes_nothing());
    // The only baseline change is the first record of both active flags.
    assert_eq!(plan.link, LinkChange::Update);
    let mut stored = link(ObjectKind::Contact, plan.baseline.clone());
    stored.baseline = plan.baseline.clone();
    let again = Case::contacts(
        Some(stored),
        Some(ada_contact(5, "Ada")),
        Some(ada_customer(6, "Ada")),
    )
    .plan();
    assert!(again.writes_nothing());
    assert_eq!(
        (again.outcome, again.link),
        (Outcome::InSync, LinkChange::Keep)
    );
}

#[test]
fn a_change_on_one_side_is_copied_to_the_other_only() {
    let plan = Case::contacts(
        Some(link(ObjectKind::Contact, ada_baseline())),
        Some(ada_contact(9, "Augusta")),
        Some(ada_customer(6, "Ada")),
    )
    .plan();
    assert_eq!(plan.outcome, Outcome::Synced);
    assert_eq!(plan.actions.len(), 1);
    assert_eq!(
        plan.actions[0],
        Action::Update {
            side: Side::Quickbooks,
            id: "q1".into(),
            expected_version: "v6".into(),
            values: native(&[("GivenName", json!("Augusta"))]),
        }
    );
    assert_eq!(
        plan.baseline["firstname"],
        CanonicalValue::Text("Augusta".into())
    );
    assert!(plan.conflicts.is_empty());

    let plan = Case::contacts(
        Some(link(ObjectKind::Contact, ada_baseline())),
        Some(ada_contact(5, "Ada")),
        Some(ada_customer(6, "Augusta")),
    )
    .plan();
    assert_eq!(
        update_values(&plan, Side::Hubspot),
        Some(&native(&[("firstname", json!("Augusta"))]))
    );
    assert_eq!(update_values(&plan, Side::Quickbooks), None);
}

#[test]
fn a_formatting_only_difference_is_not_a_change() {
    let mut baseline = ada_baseline();
    baseline.insert(
        "phone".into(),
        CanonicalValue::phone("+14155550100").unwrap(),
    );
    let mut qbo = ada_customer(6, "Ada");
    qbo.values.insert(
        "PrimaryPhone.FreeFormNumber".into(),
        json!("(415) 555-0100"),
    );
    let mut hubspot = ada_contact(5, "Ada");
    hubspot
        .values
        .insert("phone".into(), json!("+1 415 555 0100"));
    let plan = Case::contacts(
        Some(link(ObjectKind::Contact, baseline)),
        Some(hubspot),
        Some(qbo),
    )
    .plan();
    assert!(plan.writes_nothing(), "{plan:?}");
}

#[test]
fn a_phone_is_written_as_its_source_shows_it_and_its_echo_plans_nothing() {
    let mut baseline = ada_baseline();
    baseline.insert(
        "phone".into(),
        CanonicalValue::phone("+14155550100").unwrap(),
    );
    let mut hubspot = ada_contact(9, "Ada");
    hubspot
        .values
        .insert("phone".into(), json!("+1 415 555 0142"));
    let mut qbo = ada_customer(6, "Ada");
    qbo.values
        .insert("PrimaryPhone.FreeFormNumber".into(), json!("+14155550100"));
    let plan = Case::contacts(
        Some(link(ObjectKind::Contact, baseline)),
        Some(hubspot.clone()),
        Some(qbo.clone()),
    )
    .plan();
    assert_eq!(
        update_values(&plan, Side::Quickbooks),
        Some(&native(&[(
            "PrimaryPhone.FreeFormNumber",
            json!("+1 415 555 0142")
        )])),
        "HubSpot's formatting, not E.164"
    );
    assert_eq!(
        plan.baseline["phone"],
        CanonicalValue::Phone("+14155550142".into()),
        "compared canonically"
    );
    // The echo: QBO now shows what was written.
    let mut stored = link(ObjectKind::Contact, plan.baseline.clone());
    stored.baseline = plan.baseline.clone();
    qbo.values.insert(
        "PrimaryPhone.FreeFormNumber".into(),
        json!("+1 415 555 0142"),
    );
    let echo = Case::contacts(Some(stored), Some(hubspot), Some(qbo)).plan();
    assert!(echo.writes_nothing(), "{echo:?}");
}

#[test]
fn newest_edit_wins_compares_the_fields_own_times_where_the_vendor_keeps_them() {
    // The HubSpot record was written at 30 (a property outside the mapping, say receivables),
    // after QBO's edit at 20, but its firstname got its value at 10.
    let case = Case::contacts(
        Some(link(ObjectKind::Contact, ada_baseline())),
        Some(ada_contact(30, "Augusta")),
        Some(ada_customer(20, "Ada Augusta")),
    );
    let winner = |plan: &Plan| plan.conflicts.first().map(|c| c.winner);
    assert_eq!(
        winner(&case.plan()),
        Some(Side::Hubspot),
        "record times alone"
    );
    let times = PairFieldTimes {
        hubspot: [("firstname".to_owned(), at(10))].into(),
        quickbooks: Default::default(),
    };
    let plan = case.plan_with(&times);
    assert_eq!(winner(&plan), Some(Side::Quickbooks));
    assert_eq!(
        update_values(&plan, Side::Hubspot),
        Some(&native(&[("firstname", json!("Ada Augusta"))]))
    );
    // A field time newer than the other side's record time still wins for HubSpot.
    let times = PairFieldTimes {
        hubspot: [("firstname".to_owned(), at(25))].into(),
        quickbooks: Default::default(),
    };
    assert_eq!(winner(&case.plan_with(&times)), Some(Side::Hubspot));
}

#[test]
fn conflicts_are_settled_by_policy_and_reported_with_both_values() {
    // (default rule, per-field override for firstname, HubSpot modified, QBO modified, winner)
    let cases = [
        (ConflictWinner::NewestWins, None, 10, 20, Side::Quickbooks),
        (ConflictWinner::NewestWins, None, 20, 10, Side::Hubspot),
        (ConflictWinner::NewestWins, None, 10, 10, Side::Hubspot),
        (ConflictWinner::HubspotWins, None, 10, 20, Side::Hubspot),
        (
            ConflictWinner::QuickbooksWins,
            None,
            20,
            10,
            Side::Quickbooks,
        ),
        (
            ConflictWinner::HubspotWins,
            Some(ConflictWinner::QuickbooksWins),
            20,
            10,
            Side::Quickbooks,
        ),
    ];
    for (default, per_field, hs_at, qb_at, winner) in cases {
        let mut case = Case::contacts(
            Some(link(ObjectKind::Contact, ada_baseline())),
            Some(ada_contact(hs_at, "Augusta")),
            Some(ada_customer(qb_at, "Ada Augusta")),
        );
        case.settings.contact.conflict.default = default;
        if let Some(rule) = per_field {
            case.settings
                .contact
                .conflict
                .per_field
                .insert("firstname".into(), rule);
        }
        let plan = case.plan();
        let expected = if winner == Side::Hubspot {
            "Augusta"
        } else {
            "Ada Augusta"
        };
        assert_eq!(
            plan.conflicts,
            vec![Conflict {
                field: "firstname".into(),
                hubspot: CanonicalValue::text("Augusta"),
                quickbooks: CanonicalValue::text("Ada Augusta"),
                winner,
                rule: per_field.unwrap_or(default),
            }]
        );
        assert_eq!(
            plan.baseline["firstname"],
            CanonicalValue::Text(expected.into())
        );
        assert_eq!(plan.actions.len(), 1, "only the loser is written");
        assert_eq!(plan.actions[0].side(), winner.other());
    }
}

#[test]
fn the_same_edit_on_both_sides_is_no_conflict_and_no_write() {
    let plan = Case::contacts(
        Some(link(ObjectKind::Contact, ada_baseline())),
        Some(ada_contact(9, "Augusta")),
        Some(ada_customer(8, "Augusta")),
    )
    .plan();
    assert!(plan.conflicts.is_empty() && plan.writes_nothing());
    assert_eq!(
        plan.baseline["firstname"],
        CanonicalValue::Text("Augusta".into())
    );
    assert_eq!(plan.link, LinkChange::Update);
}

#[test]
fn a_cleared_value_clears_the_other_side() {
    let hubspot = contact(
        "h1",
        9,
        &[
            ("email", json!("ada@analytical.example")),
            ("firstname", json!("")),
            ("lastname", json!("Lovelace")),
        ],
    );
    let plan = Case::contacts(
        Some(link(ObjectKind::Contact, ada_baseline())),
        Some(hubspot),
        Some(ada_customer(6, "Ada")),
    )
    .plan();
    assert_eq!(
        update_values(&plan, Side::Quickbooks),
        Some(&native(&[("GivenName", Value::Null)]))
    );
    assert!(!plan.baseline.contains_key("firstname"));
}

#[test]
fn a_first_link_fills_empty_fields_and_never_overwrites_with_empties() {
    let hubspot = contact(
        "h1",
        10,
        &[
            ("email", json!("ada@analytical.example")),
            ("firstname", json!("Ada")),
            ("lastname", json!("Lovelace")),
            ("phone", json!("")),
        ],
    );
    let qbo = customer(
        "q1",
        20,
        &[
            ("PrimaryEmailAddr.Address", json!("ada@analytical.example")),
            ("FamilyName", json!("King")),
            ("PrimaryPhone.FreeFormNumber", json!("415-555-0100")),
        ],
    );
    let plan = Case::contacts(None, Some(hubspot), Some(qbo)).plan();
    assert_eq!(plan.outcome, Outcome::Linked);
    assert_eq!(
        plan.link,
        LinkChange::Create {
            hubspot_id: Some("h1".into()),
            qbo_id: Some("q1".into())
        }
    );
    // QBO is newer: its lastname wins the conflict; its phone fills HubSpot's empty one, as
    // QBO shows it; the baseline holds it canonically.
    assert_eq!(
        update_values(&plan, Side::Hubspot),
        Some(&native(&[
            ("lastname", json!("King")),
            ("phone", json!("415-555-0100"))
        ]))
    );
    assert_eq!(
        plan.baseline["phone"],
        CanonicalValue::phone("+14155550100").unwrap()
    );
    assert_eq!(
        update_values(&plan, Side::Quickbooks),
        Some(&native(&[("GivenName", json!("Ada"))]))
    );
    assert_eq!(plan.conflicts.len(), 1);
    assert_eq!(plan.conflicts[0].field, "lastname");
}

#[test]
fn a_lone_contact_creates_a_qbo_customer_with_a_display_name_and_its_match_key() {
    let hubspot = contact(
        "h7",
        1,
        &[
            ("email", json!(" Ada@Analytical.example")),
            ("firstname", json!("Ada")),
            ("lastname", json!("Lovelace")),
        ],
    );
    let plan = Case::contacts(None, Some(hubspot), None).plan();
    assert_eq!(
        plan.outcome,
        Outcome::Created {
            side: Side::Quickbooks
        }
    );
    assert_eq!(
        plan.link,
        LinkChange::Create {
            hubspot_id: Some("h7".into()),
            qbo_id: None
        }
    );
    let Action::Create {
        side,
        source_id,
        values,
        match_keys,
        unique_name,
    } = &plan.actions[0]
    else {
        panic!("expected a create: {plan:?}");
    };
    assert_eq!((*side, source_id.as_str()), (Side::Quickbooks, "h7"));
    assert_eq!(
        values,
        &native(&[
            ("DisplayName", json!("Ada Lovelace")),
            ("FamilyName", json!("Lovelace")),
            ("GivenName", json!("Ada")),
            ("PrimaryEmailAddr.Address", json!("ada@analytical.example")),
        ])
    );
    assert_eq!(
        match_keys,
        &vec![MatchKey::new("email", "ada@analytical.example", 1).unwrap()]
    );
    assert_eq!(
        unique_name.as_ref().unwrap().candidate(1),
        "Ada Lovelace (2)"
    );
    assert_eq!(
        plan.baseline[&active_key(Side::Quickbooks).to_string()],
        CanonicalValue::Bool(true)
    );
}

#[test]
fn a_lone_product_creates_an_item_of_the_configured_type_and_account() {
    let mut case = Case {
        settings: ConnectionSettings::default(),
        kind: ObjectKind::Product,
        link: None,
        hubspot: Some(record(
            Side::Hubspot,
            ObjectKind::Product,
            "p1",
            1,
            &[
                ("name", json!("Consulting Hour")),
                ("hs_sku", json!("CONS-1")),
                ("price", json!("150.00")),
            ],
        )),
        qbo: None,
    };
    case.settings.new_items.income_account_id = Some("79".into());
    let plan = case.plan();
    let Action::Create {
        values, match_keys, ..
    } = &plan.actions[0]
    else {
        panic!("{plan:?}")
    };
    assert_eq!(values["Type"], json!("Service"));
    assert_eq!(values["IncomeAccountRef.value"], json!("79"));
    assert_eq!(values["Name"], json!("Consulting Hour"));
    assert_eq!(values["UnitPrice"].to_string(), "150");
    assert_eq!(
        match_keys
            .iter()
            .map(|k| k.field.as_str())
            .collect::<Vec<_>>(),
        ["hs_sku", "name"]
    );
}

#[test]
fn records_that_cannot_be_created_say_why() {
    let nameless = contact("h1", 1, &[("phone", json!("555"))]);
    let plan = Case::contacts(None, Some(nameless), None).plan();
    assert!(
        matches!(
            plan.outcome,
            Outcome::Unsyncable {
                side: Side::Quickbooks,
                ..
            }
        ),
        "{plan:?}"
    );
    assert!(plan.writes_nothing());

    let company_only = customer(
        "q1",
        1,
        &[
            ("CompanyName", json!("Analytical Engines")),
            ("DisplayName", json!("AE")),
        ],
    );
    let plan = Case::contacts(None, None, Some(company_only)).plan();
    let Outcome::Unsyncable {
        side: Side::Hubspot,
        reason,
    } = &plan.outcome
    else {
        panic!("{plan:?}")
    };
    assert!(reason.contains("HubSpot needs"), "{reason}");
}

#[test]
fn entry_filters_gate_only_the_first_entry() {
    let lead = |id| {
        contact(
            id,
            1,
            &[
                ("email", json!("x@y.example")),
                ("lifecyclestage", json!("lead")),
            ],
        )
    };
    let mut case = Case::contacts(None, Some(lead("h1")), None);
    let condition = PropertyCondition {
        property: "lifecyclestage".into(),
        op: FilterOp::Equals,
        value: Some("customer".into()),
        values: vec![],
    };
    case.settings
        .contact
        .entry_filters
        .hubspot
        .push(condition.clone());
    assert_eq!(
        case.plan().outcome,
        Outcome::Excluded(Exclusion::Filter {
            side: Side::Hubspot,
            condition: condition.clone()
        })
    );
    // A matched pair is not linked either.
    case.qbo = Some(customer(
        "q1",
        1,
        &[("PrimaryEmailAddr.Address", json!("x@y.example"))],
    ));
    assert!(matches!(case.plan().outcome, Outcome::Excluded(_)));
    // A linked record keeps syncing.
    case.link = Some(link(ObjectKind::Contact, text(&[("email", "x@y.example")])));
    case.hubspot = Some(contact(
        "h1",
        1,
        &[("email", json!("x@y.example")), ("firstname", json!("New"))],
    ));
    assert_eq!(
        update_values(&case.plan(), Side::Quickbooks),
        Some(&native(&[("GivenName", json!("New"))]))
    );
}

#[test]
fn direction_limits_creates_and_copies() {
    let mut case = Case::contacts(None, None, Some(ada_customer(1, "Ada")));
    case.settings.contact.direction = Direction::ToQuickbooks;
    assert_eq!(
        case.plan().outcome,
        Outcome::Excluded(Exclusion::Direction {
            direction: Direction::ToQuickbooks,
            side: Side::Hubspot
        })
    );
    // Linked: a QBO edit stays in QBO, a HubSpot edit goes to QBO.
    case.link = Some(link(ObjectKind::Contact, ada_baseline()));
    case.hubspot = Some(ada_contact(1, "Ada"));
    case.qbo = Some(ada_customer(5, "Augusta"));
    let plan = case.plan();
    assert!(plan.writes_nothing(), "{plan:?}");
    assert_eq!(
        plan.baseline["firstname"],
        CanonicalValue::Text("Ada".into())
    );
    case.hubspot = Some(ada_contact(6, "Ann"));
    assert_eq!(
        update_values(&case.plan(), Side::Quickbooks),
        Some(&native(&[("GivenName", json!("Ann"))]))
    );
}

#[test]
fn disabled_and_deleted_kinds_plan_nothing() {
    for state in [SyncState::Disabled, SyncState::Deleted] {
        let mut case = Case::contacts(
            Some(link(ObjectKind::Contact, ada_baseline())),
            Some(ada_contact(9, "Augusta")),
            Some(ada_customer(1, "Ada")),
        );
        case.settings.contact.state = state;
        let plan = case.plan();
        assert!(plan.writes_nothing());
        assert_eq!(
            (plan.outcome, plan.link),
            (Outcome::SyncOff, LinkChange::Keep)
        );
    }
}

fn with_flags(mut baseline: CanonicalValues, hubspot: bool, qbo: bool) -> CanonicalValues {
    baseline.insert(
        active_key(Side::Hubspot).into(),
        CanonicalValue::Bool(hubspot),
    );
    baseline.insert(
        active_key(Side::Quickbooks).into(),
        CanonicalValue::Bool(qbo),
    );
    baseline
}

fn inactive(mut record: Record) -> Record {
    record.active = false;
    record
}

#[test]
fn a_hubspot_archive_deactivates_the_customer_once() {
    let linked = link(ObjectKind::Contact, with_flags(ada_baseline(), true, true));
    let case = Case::contacts(
        Some(linked.clone()),
        Some(inactive(ada_contact(9, "Augusta"))),
        Some(ada_customer(1, "Ada")),
    );
    let plan = case.plan();
    assert_eq!(
        plan.outcome,
        Outcome::Deactivated {
            side: Side::Quickbooks
        }
    );
    assert_eq!(
        plan.actions,
        vec![Action::Deactivate {
            side: Side::Quickbooks,
            id: "q1".into(),
            expected_version: "v1".into()
        }]
    );
    // Fields of an archived record are not copied.
    assert_eq!(
        plan.baseline["firstname"],
        CanonicalValue::Text("Ada".into())
    );
    assert_eq!(
        plan.baseline[active_key(Side::Quickbooks)],
        CanonicalValue::Bool(false)
    );

    // The echo (QBO now inactive) plans nothing; a manual reactivation in QBO is not undone.
    let after = link(ObjectKind::Contact, plan.baseline.clone());
    for qbo in [inactive(ada_customer(2, "Ada")), ada_customer(3, "Ada")] {
        let plan = Case::contacts(
            Some(after.clone()),
            Some(inactive(ada_contact(9, "Augusta"))),
            Some(qbo),
        )
        .plan();
        assert!(plan.writes_nothing(), "{plan:?}");
        assert!(matches!(
            plan.outcome,
            Outcome::Inactive {
                side: Side::Hubspot
            }
        ));
    }

    // A restore in HubSpot reactivates the customer.
    let plan = Case::contacts(
        Some(after),
        Some(ada_contact(10, "Ada")),
        Some(inactive(ada_customer(2, "Ada"))),
    )
    .plan();
    assert_eq!(
        plan.outcome,
        Outcome::Reactivated {
            side: Side::Quickbooks
        }
    );
    assert_eq!(
        update_values(&plan, Side::Quickbooks),
        Some(&native(&[("Active", json!(true))]))
    );
}

#[test]
fn a_qbo_deactivation_archives_in_hubspot_only_when_configured() {
    let linked = link(ObjectKind::Contact, with_flags(ada_baseline(), true, true));
    let mut case = Case::contacts(
        Some(linked),
        Some(ada_contact(9, "Augusta")),
        Some(inactive(ada_customer(1, "Ada"))),
    );
    let plan = case.plan();
    assert_eq!(
        plan.outcome,
        Outcome::Inactive {
            side: Side::Quickbooks
        }
    );
    assert!(
        plan.writes_nothing(),
        "no field is written to an inactive customer: {plan:?}"
    );
    case.settings.contact.deletion.qbo_inactive_archives_hubspot = true;
    let plan = case.plan();
    assert_eq!(
        plan.actions,
        vec![Action::Deactivate {
            side: Side::Hubspot,
            id: "h1".into(),
            expected_version: "v9".into()
        }]
    );
}

#[test]
fn a_vanished_record_counts_as_deleted() {
    let linked = link(ObjectKind::Contact, with_flags(ada_baseline(), true, true));
    let plan = Case::contacts(Some(linked.clone()), None, Some(ada_customer(1, "Ada"))).plan();
    assert_eq!(
        plan.outcome,
        Outcome::Deactivated {
            side: Side::Quickbooks
        }
    );
    let plan = Case::contacts(Some(linked), Some(ada_contact(1, "Ada")), None).plan();
    assert_eq!(
        plan.outcome,
        Outcome::Inactive {
            side: Side::Quickbooks
        }
    );
    assert!(plan.writes_nothing());
}

#[test]
fn a_first_link_with_an_inactive_record_writes_nothing_and_keeps_only_agreed_values() {
    let qbo = inactive(ada_customer(1, "Augusta"));
    let plan = Case::contacts(None, Some(ada_contact(1, "Ada")), Some(qbo)).plan();
    assert!(plan.writes_nothing());
    assert!(matches!(plan.link, LinkChange::Create { .. }));
    assert!(!plan.baseline.contains_key("firstname"));
    assert_eq!(
        plan.baseline["lastname"],
        CanonicalValue::Text("Lovelace".into())
    );
}

#[test]
fn unreadable_and_unwritable_values_leave_the_field_alone_and_are_reported() {
    let baseline = text(&[("hs_sku", "S1"), ("name", "Widget")]);
    let mut case = Case {
        settings: ConnectionSettings::default(),
        kind: ObjectKind::Product,
        link: Some(link(ObjectKind::Product, baseline)),
        hubspot: Some(record(
            Side::Hubspot,
            ObjectKind::Product,
            "h1",
            5,
            &[
                ("hs_sku", json!("S1")),
                ("name", json!("Widget")),
                ("price", json!("ten")),
            ],
        )),
        qbo: Some(record(
            Side::Quickbooks,
            ObjectKind::Product,
            "q1",
            6,
            &[
                ("Sku", json!("S1")),
                ("Name", json!("Widget")),
                ("UnitPrice", json!(12)),
            ],
        )),
    };
    let plan = case.plan();
    assert!(plan.writes_nothing(), "{plan:?}");
    assert!(!plan.baseline.contains_key("price"));
    assert_eq!(plan.problems.len(), 1);
    assert_eq!(
        (plan.problems[0].field.as_str(), plan.problems[0].side),
        ("price", Side::Hubspot)
    );

    // A name QBO cannot hold (over 100 characters) is not half-synced.
    let long = "W".repeat(101);
    case.hubspot = Some(record(
        Side::Hubspot,
        ObjectKind::Product,
        "h1",
        5,
        &[
            ("hs_sku", json!("S1")),
            ("name", json!(long)),
            ("price", json!("12")),
        ],
    ));
    let plan = case.plan();
    assert!(plan.writes_nothing(), "{plan:?}");
    assert_eq!(plan.baseline["name"], CanonicalValue::Text("Widget".into()));
    assert_eq!(
        plan.problems[0].error,
        TransformError::TooLong { len: 101, max: 100 }
    );
}

#[test]
fn inputs_that_do_not_describe_one_pair_are_refused() {
    let settings = ConnectionSettings::default();
    let mappings = MappingSet::defaults(ObjectKind::Contact);
    let linked = link(ObjectKind::Contact, ada_baseline());
    let other = customer("q2", 1, &[]);
    let input = PlanInput {
        settings: &settings,
        mappings: &mappings,
        link: Some(&linked),
        hubspot: None,
        quickbooks: Some(&other),
        billed: false,
        field_times: &Default::default(),
        parent: None,
    };
    assert!(matches!(
        plan_record_sync(&input),
        Err(PlanError::NotTheLinkedRecord { .. })
    ));
    let swapped = contact("h1", 1, &[]);
    let input = PlanInput {
        settings: &settings,
        mappings: &mappings,
        link: None,
        hubspot: None,
        quickbooks: Some(&swapped),
        billed: false,
        field_times: &Default::default(),
        parent: None,
    };
    assert!(matches!(
        plan_record_sync(&input),
        Err(PlanError::WrongSide { .. })
    ));
}

#[test]
fn choose_match_prefers_exact_active_oldest_and_reports_ambiguity() {
    let mappings = MappingSet::defaults(ObjectKind::Contact);
    let keys = vec![MatchKey::new("email", "ada@x.example", 1).unwrap()];
    let with_email = |id: &str, email: &str, active: bool| Record {
        active,
        ..customer(id, 1, &[("PrimaryEmailAddr.Address", json!(email))])
    };
    let candidates = vec![
        with_email("12", "ADA@x.example", true),
        with_email("3", "ada@x.example", false),
        with_email("9", "ada@x.example", true),
        with_email("2", "ada@x.example.org", true),
    ];
    let MatchChoice::Ambiguous { chosen, others, .. } = choose_match(&mappings, &keys, &candidates)
    else {
        panic!("expected ambiguity")
    };
    assert_eq!(chosen.id, "9");
    assert_eq!(
        others.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["12", "3"]
    );
    assert!(matches!(
        choose_match(&mappings, &keys, &candidates[3..]),
        MatchChoice::NoMatch
    ));
    assert_eq!(
        choose_match(&mappings, &keys, &candidates[..1])
            .chosen()
            .map(|r| r.id.as_str()),
        Some("12")
    );
}

#[test]
fn a_product_matches_by_sku_then_by_name_unless_the_skus_differ() {
    let mappings = MappingSet::defaults(ObjectKind::Product);
    let item = |id: &str, sku: Option<&str>, name: &str| {
        let mut values = vec![("Name", json!(name))];
        if let Some(sku) = sku {
            values.push(("Sku", json!(sku)));
        }
        record(Side::Quickbooks, ObjectKind::Product, id, 1, &values)
    };
    let keys = vec![
        MatchKey::new("hs_sku", "A-1", 1).unwrap(),
        MatchKey::new("name", "Widget", 2).unwrap(),
    ];
    let by_sku = [
        item("1", Some("B-2"), "Widget"),
        item("2", Some("a-1"), "Other"),
    ];
    assert_eq!(
        choose_match(&mappings, &keys, &by_sku)
            .chosen()
            .map(|r| r.id.as_str()),
        Some("2")
    );
    let by_name = [item("1", Some("B-2"), "Widget"), item("3", None, "widget")];
    let MatchChoice::Found { record, key } = choose_match(&mappings, &keys, &by_name) else {
        panic!()
    };
    assert_eq!((record.id.as_str(), key.field.as_str()), ("3", "name"));
    assert!(matches!(
        choose_match(&mappings, &keys, &by_name[..1]),
        MatchChoice::NoMatch
    ));
}

#[test]
fn merges_re_point_a_link_to_the_survivor() {
    let linked_to = |hs: &str, qbo: &str, partner_active: bool| Link {
        hubspot_id: hs.into(),
        qbo_id: qbo.into(),
        ..link(
            ObjectKind::Contact,
            with_flags(CanonicalValues::new(), true, partner_active),
        )
    };
    let merged = vec![
        linked_to("h2", "q9", true),
        linked_to("h3", "q4", false),
        linked_to("h4", "q12", true),
    ];
    let plan = plan_merge(Side::Hubspot, "h1", None, &merged, at(50));
    let (old, new) = plan.relink.expect("the survivor takes over a link");
    assert_eq!((old.hubspot_id.as_str(), old.qbo_id.as_str()), ("h2", "q9"));
    assert_eq!(
        (new.hubspot_id.as_str(), new.qbo_id.as_str(), new.updated_at),
        ("h1", "q9", at(50))
    );
    assert_eq!(new.baseline, old.baseline);
    assert_eq!(plan.orphaned.len(), 2);

    let survivor = linked_to("h1", "q1", true);
    let plan = plan_merge(Side::Hubspot, "h1", Some(&survivor), &merged, at(50));
    assert!(plan.relink.is_none());
    assert_eq!(plan.orphaned.len(), 3);
}

#[test]
fn a_suffixed_item_name_flows_back_to_hubspot_once() {
    let settings = ConnectionSettings::default();
    let product = record(
        Side::Hubspot,
        ObjectKind::Product,
        "p1",
        1,
        &[("name", json!("Widget")), ("hs_sku", json!("W-1"))],
    );
    let mut case = Case {
        settings,
        kind: ObjectKind::Product,
        link: None,
        hubspot: Some(product.clone()),
        qbo: None,
    };
    let created = case.plan();
    let Action::Create {
        unique_name: Some(name),
        ..
    } = &created.actions[0]
    else {
        panic!("{created:?}")
    };
    // QBO answered 6240 once: the item was created as "Widget (2)".
    let item = record(
        Side::Quickbooks,
        ObjectKind::Product,
        "q1",
        2,
        &[("Name", json!(name.candidate(1))), ("Sku", json!("W-1"))],
    );
    case.link = Some(link(ObjectKind::Product, created.baseline.clone()));
    case.link.as_mut().unwrap().hubspot_id = "p1".into();
    case.qbo = Some(item.clone());
    let next = case.plan();
    assert_eq!(
        update_values(&next, Side::Hubspot),
        Some(&native(&[("name", json!("Widget (2)"))]))
    );
    // After that write both sides agree and nothing more is planned.
    let mut renamed = product;
    renamed.values.insert("name".into(), json!("Widget (2)"));
    case.hubspot = Some(renamed);
    case.link.as_mut().unwrap().baseline = next.baseline.clone();
    assert!(case.plan().writes_nothing());
}

fn product(modified: i64, values: &[(&str, Value)]) -> Record {
    record(Side::Hubspot, ObjectKind::Product, "p1", modified, values)
}

fn item(modified: i64, values: &[(&str, Value)]) -> Record {
    record(
        Side::Quickbooks,
        ObjectKind::Product,
        "q1",
        modified,
        values,
    )
}

/// A product pair linked with `baseline` (ids "p1"/"q1").
fn linked_products(baseline: CanonicalValues, hubspot: Record, qbo: Record) -> Case {
    let mut link = link(ObjectKind::Product, baseline);
    link.hubspot_id = "p1".into();
    Case {
        settings: ConnectionSettings::default(),
        kind: ObjectKind::Product,
        link: Some(link),
        hubspot: Some(hubspot),
        qbo: Some(qbo),
    }
}

#[test]
fn the_echo_of_an_item_created_without_a_cost_plans_no_write() {
    // The engine_sync bench's case: a HubSpot product with a price and no cost is created in
    // QBO, which answers every item with `PurchaseCost: 0` (and `UnitPrice` as a number).
    let hubspot = product(
        1,
        &[
            ("name", json!("HubSpot Product 000076")),
            ("hs_sku", json!("HS-000076")),
            ("price", json!("25.00")),
        ],
    );
    let mut case = Case {
        settings: ConnectionSettings::default(),
        kind: ObjectKind::Product,
        link: None,
        hubspot: Some(hubspot.clone()),
        qbo: None,
    };
    let created = case.plan();
    let Action::Create { values, .. } = &created.actions[0] else {
        panic!("{created:?}")
    };
    assert!(!values.contains_key("PurchaseCost"), "{values:?}");
    let echo = item(
        2,
        &[
            ("Name", json!("HubSpot Product 000076")),
            ("Sku", json!("HS-000076")),
            ("UnitPrice", json!(25)),
            ("PurchaseCost", json!(0)),
            ("Taxable", json!(false)),
            ("Active", json!(true)),
        ],
    );
    case = linked_products(created.baseline.clone(), hubspot, echo);
    let plan = case.plan();
    assert!(plan.writes_nothing(), "{plan:?}");
    assert_eq!(plan.outcome, Outcome::InSync);
    assert!(!plan.baseline.contains_key("hs_cost_of_goods_sold"));

    // The other way: a QBO item's unset cost (0) does not become a HubSpot "0", so the new
    // product's echo (no cost) agrees with the item.
    let item_values = [
        ("Name", json!("Bulk Item 000001")),
        ("UnitPrice", json!(12.5)),
        ("PurchaseCost", json!(0)),
    ];
    let mut case = Case {
        settings: ConnectionSettings::default(),
        kind: ObjectKind::Product,
        link: None,
        hubspot: None,
        qbo: Some(item(1, &item_values)),
    };
    let created = case.plan();
    let Action::Create { values, .. } = &created.actions[0] else {
        panic!("{created:?}")
    };
    assert_eq!(
        values,
        &native(&[
            ("name", json!("Bulk Item 000001")),
            ("price", json!("12.5"))
        ])
    );
    case = linked_products(
        created.baseline.clone(),
        product(
            2,
            &[
                ("name", json!("Bulk Item 000001")),
                ("price", json!("12.5")),
            ],
        ),
        item(1, &item_values),
    );
    let echo = case.plan();
    assert!(echo.writes_nothing(), "{echo:?}");
}

#[test]
fn amounts_qbo_shows_as_zero_still_sync_every_real_change_and_settle() {
    let base = |cost: Option<&str>| {
        let mut b: CanonicalValues = text(&[("name", "Widget")]);
        if let Some(cost) = cost {
            b.insert(
                "hs_cost_of_goods_sold".into(),
                CanonicalValue::decimal(cost.parse().unwrap()),
            );
        }
        b
    };
    let hs = |cost: Option<&str>| {
        let mut values = vec![("name", json!("Widget"))];
        values.extend(cost.map(|c| ("hs_cost_of_goods_sold", json!(c))));
        product(5, &values)
    };
    let qb = |cost: Value| item(6, &[("Name", json!("Widget")), ("PurchaseCost", cost)]);
    // A QBO cost set from "nothing" (0) is copied to HubSpot.
    let plan = linked_products(base(None), hs(None), qb(json!(7.5))).plan();
    assert_eq!(
        update_values(&plan, Side::Hubspot),
        Some(&native(&[("hs_cost_of_goods_sold", json!("7.5"))]))
    );
    // A HubSpot clear writes QBO's 0; that write's echo is then in sync.
    let plan = linked_products(base(Some("7.5")), hs(None), qb(json!(7.5))).plan();
    let written = update_values(&plan, Side::Quickbooks).unwrap();
    assert_eq!(written["PurchaseCost"].to_string(), "0");
    assert_eq!(update_values(&plan, Side::Hubspot), None);
    let echo = linked_products(plan.baseline.clone(), hs(None), qb(json!(0))).plan();
    assert!(echo.writes_nothing(), "{echo:?}");
    // A QBO cost set back to 0 reaches HubSpot as "0", and that echo is in sync too.
    let plan = linked_products(base(Some("7.5")), hs(Some("7.5")), qb(json!(0))).plan();
    assert_eq!(
        update_values(&plan, Side::Hubspot),
        Some(&native(&[("hs_cost_of_goods_sold", json!("0"))]))
    );
    let echo = linked_products(plan.baseline.clone(), hs(Some("0")), qb(json!(0))).plan();
    assert!(echo.writes_nothing(), "{echo:?}");
    // HubSpot's "0" against QBO's 0 after a first link is no change either way.
    let plan = linked_products(base(None), hs(Some("0")), qb(json!(0))).plan();
    assert!(plan.writes_nothing(), "{plan:?}");
}

#[test]
fn a_when_billed_kind_creates_in_qbo_only_for_a_bill_but_still_links_and_creates_in_hubspot() {
    let mut settings = ConnectionSettings::default();
    settings.contact.qbo_create = crate::model::QboCreatePolicy::WhenBilled;
    let mappings =
        MappingSet::build(ObjectKind::Contact, settings.object(ObjectKind::Contact)).unwrap();
    let person = ada_contact(5, "Ada");
    let input = |billed, hubspot: Option<&Record>, qbo: Option<&Record>| {
        plan_record_sync(&PlanInput {
            settings: &settings,
            mappings: &mappings,
            link: None,
            hubspot,
            quickbooks: qbo,
            billed,
            field_times: &Default::default(),
            parent: None,
        })
        .unwrap()
    };
    let waiting = input(false, Some(&person), None);
    assert_eq!(waiting.outcome, Outcome::Excluded(Exclusion::NotBilled));
    assert!(waiting.writes_nothing());
    assert_eq!(
        input(true, Some(&person), None).outcome,
        Outcome::Created {
            side: Side::Quickbooks
        }
    );
    let existing = ada_customer(6, "Ada");
    assert_eq!(
        input(false, Some(&person), Some(&existing)).outcome,
        Outcome::Linked,
        "a matching customer is linked whatever the policy"
    );
    assert_eq!(
        input(false, None, Some(&existing)).outcome,
        Outcome::Created {
            side: Side::Hubspot
        },
        "the policy is about QBO creates only"
    );
}

//! The checker catches each violation in fabricated histories (so it cannot be a stub), and
//! passes a clean one and the newest-wins conflict the policy allows.

use super::*;
use crate::chaos::snapshot::FailureView;

const CONTACT: ObjectKind = ObjectKind::Contact;

fn record(side: Side, id: &str, email: &str, company: &str) -> RecordView {
    RecordView {
        kind: CONTACT,
        side,
        id: id.into(),
        active: true,
        key: Some(email.into()),
        fields: [
            ("email".to_owned(), email.to_owned()),
            ("company".to_owned(), company.to_owned()),
        ]
        .into(),
    }
}

fn link(hs: &str, qb: &str) -> LinkView {
    LinkView {
        kind: CONTACT,
        hubspot_id: hs.into(),
        qbo_id: qb.into(),
    }
}

fn edit(at_ms: i64, side: Side, id: &str, field: &str, value: &str) -> PersonEdit {
    PersonEdit {
        connection: 0,
        at_ms,
        kind: CONTACT,
        side,
        id: id.into(),
        op: EditOp::Update,
        fields: [(field.to_owned(), Some(value.to_owned()))].into(),
    }
}

/// One linked pair holding company `company` on both sides.
fn clean(company: &str) -> Snapshot {
    Snapshot {
        records: vec![
            record(Side::Hubspot, "h1", "a@x.test", company),
            record(Side::Quickbooks, "q1", "a@x.test", company),
        ],
        links: vec![link("h1", "q1")],
        ..Snapshot::default()
    }
}

#[test]
fn a_clean_history_holds() {
    let edits = [edit(10, Side::Hubspot, "h1", "company", "Acme")];
    let verdict = check(&clean("Acme"), &edits);
    assert!(verdict.holds(), "{verdict:?}");
    assert_eq!(
        (
            verdict.duplicates,
            verdict.lost_updates,
            verdict.unconverged
        ),
        (0, 0, 0)
    );
}

#[test]
fn a_second_record_with_the_same_key_is_a_duplicate() {
    let mut snapshot = clean("Acme");
    snapshot
        .records
        .push(record(Side::Quickbooks, "q2", "a@x.test", "Acme"));
    snapshot.links.push(link("h2", "q2"));
    snapshot
        .records
        .push(record(Side::Hubspot, "h2", "other@x.test", "Acme"));
    let verdict = check(&snapshot, &[]);
    assert_eq!(verdict.duplicates, 1, "{verdict:?}");
    assert!(verdict.details.iter().any(|d| d.contains("a@x.test")));
    assert!(!verdict.holds());
}

#[test]
fn a_record_linked_twice_is_a_duplicate() {
    let mut snapshot = clean("Acme");
    snapshot
        .records
        .push(record(Side::Quickbooks, "q2", "b@x.test", "Acme"));
    snapshot.links.push(link("h1", "q2"));
    let verdict = check(&snapshot, &[]);
    assert!(verdict.duplicates >= 1, "{verdict:?}");
    assert!(verdict.details.iter().any(|d| d.contains("linked 2 times")));
}

#[test]
fn a_pair_that_disagrees_is_unconverged() {
    let mut snapshot = clean("Acme");
    snapshot.records[1]
        .fields
        .insert("company".into(), "Beta".into());
    let verdict = check(&snapshot, &[]);
    assert_eq!(verdict.unconverged, 1, "{verdict:?}");
    assert!(verdict.details.iter().any(|d| d.contains("company")));
}

#[test]
fn an_active_record_never_linked_is_unconverged_unless_its_failure_is_listed() {
    let mut snapshot = clean("Acme");
    snapshot
        .records
        .push(record(Side::Hubspot, "h9", "z@x.test", "Zed"));
    assert_eq!(check(&snapshot, &[]).unconverged, 1);
    snapshot.failures.push(FailureView {
        kind: CONTACT,
        side: Side::Hubspot,
        id: "h9".into(),
        reason: "QBO refused: 6240 duplicate name".into(),
    });
    let verdict = check(&snapshot, &[]);
    assert_eq!(verdict.unconverged, 0, "{verdict:?}");
    assert_eq!(verdict.accounted, 1);
    assert!(verdict.holds());
}

#[test]
fn an_archive_the_policy_mirrors_must_reach_qbo() {
    let mut snapshot = clean("Acme");
    snapshot.records[0].active = false;
    snapshot.archive_deactivates.insert(CONTACT, true);
    assert_eq!(check(&snapshot, &[]).unconverged, 1);
    snapshot.records[1].active = false;
    assert_eq!(check(&snapshot, &[]).unconverged, 0);
}

#[test]
fn the_last_edit_overwritten_by_an_older_value_is_a_lost_update() {
    // Both sides agree on the older value: converged, yet the later QBO edit is gone.
    let edits = [
        edit(10, Side::Hubspot, "h1", "company", "Old"),
        edit(20, Side::Quickbooks, "q1", "company", "New"),
    ];
    let verdict = check(&clean("Old"), &edits);
    assert_eq!(verdict.lost_updates, 1, "{verdict:?}");
    assert_eq!(verdict.unconverged, 0);
    assert!(verdict.details.iter().any(|d| d.contains("\"New\"")));
}

#[test]
fn the_other_sides_edit_may_win_when_its_record_is_newer() {
    // HubSpot changed company at 10, QBO at 20, then HubSpot's record again at 30 (another
    // field): newest record wins, so HubSpot's company stands.
    let edits = [
        edit(10, Side::Hubspot, "h1", "company", "Hub"),
        edit(20, Side::Quickbooks, "q1", "company", "Qbo"),
        edit(30, Side::Hubspot, "h1", "phone", "+14155550100"),
    ];
    let mut snapshot = clean("Hub");
    for r in &mut snapshot.records {
        r.fields.insert("phone".into(), "+14155550100".into());
    }
    let verdict = check(&snapshot, &edits);
    assert_eq!(verdict.lost_updates, 0, "{verdict:?}");
    // Without that later HubSpot edit it is a lost update.
    let verdict = check(&snapshot, &edits[..2]);
    assert_eq!(verdict.lost_updates, 1, "{verdict:?}");
}

#[test]
fn a_failure_without_a_reason_is_unaccounted() {
    let mut snapshot = clean("Acme");
    snapshot.failures.push(FailureView {
        kind: CONTACT,
        side: Side::Quickbooks,
        id: "q1".into(),
        reason: " ".into(),
    });
    let verdict = check(&snapshot, &[]);
    assert_eq!(verdict.unaccounted, 1);
    assert!(!verdict.holds());
}

#[test]
fn a_pair_of_two_sync_made_copies_is_a_duplicate_when_the_accounts_started_empty() {
    // A person made h1 (key a@) in HubSpot; the sync made q1 from it, the person changed
    // q1's key, the sync made h2 from q1 and linked h2 <-> q1; h1 fails as "a duplicate".
    let create = PersonEdit {
        op: EditOp::Create,
        ..edit(1, Side::Hubspot, "h1", "email", "a@x.test")
    };
    let mut snapshot = Snapshot {
        records: vec![
            record(Side::Hubspot, "h1", "a@x.test", "Acme"),
            record(Side::Hubspot, "h2", "b@x.test", "Acme"),
            record(Side::Quickbooks, "q1", "b@x.test", "Acme"),
        ],
        links: vec![link("h2", "q1")],
        failures: vec![FailureView {
            kind: CONTACT,
            side: Side::Hubspot,
            id: "h1".into(),
            reason: "q1 is a duplicate".into(),
        }],
        started_empty: true,
        ..Snapshot::default()
    };
    let verdict = check(&snapshot, std::slice::from_ref(&create));
    assert_eq!(verdict.duplicates, 1, "{verdict:?}");
    assert!(
        verdict
            .details
            .iter()
            .any(|d| d.contains("a copy linked to a copy"))
    );
    // Linked to the person's record instead, it holds.
    snapshot.links = vec![link("h1", "q1")];
    snapshot.records.retain(|r| r.id != "h2");
    snapshot.failures.clear();
    snapshot.records[1]
        .fields
        .insert("email".into(), "a@x.test".into());
    snapshot.records[1].key = Some("a@x.test".into());
    assert_eq!(check(&snapshot, &[create]).duplicates, 0);
}

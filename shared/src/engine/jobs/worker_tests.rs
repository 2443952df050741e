//! Engine tests on memory adapters and fake vendors: creates on each side, updates, echoes,
//! conflicts, name collisions, deletions, duplicate and reordered jobs, crashes, throttling.

use std::time::Duration;

use serde_json::json;

use super::Disposition;
use super::test_harness::{Harness, values};
use crate::adapters::memory::gateway::FaultTarget;
use crate::model::{ObjectKind, Side};
use crate::ports::{
    Connections, GatewayError, Job, JobQueue, Lane, Links, RecordError, RecordErrorKind, StatusLog,
    SyncOutcome,
};

const CONTACT: ObjectKind = ObjectKind::Contact;
const PRODUCT: ObjectKind = ObjectKind::Product;

#[tokio::test]
async fn a_new_hubspot_contact_creates_a_linked_qbo_customer() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("Ada@Analytical.example", "Ada", "Lovelace");
    let result = h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert_eq!(result.disposition, Disposition::Done);

    let customers = h.qbo.records(CONTACT);
    assert_eq!(customers.len(), 1);
    let customer = &customers[0];
    assert_eq!(customer.values["DisplayName"], json!("Ada Lovelace"));
    assert_eq!(customer.values["GivenName"], json!("Ada"));
    assert_eq!(
        customer.values["PrimaryEmailAddr.Address"],
        json!("ada@analytical.example")
    );

    let links = h.links(CONTACT).await;
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].hubspot_id.as_str(), links[0].qbo_id.as_str()),
        (ada.id.as_str(), customer.id.as_str())
    );
    // The QBO id is written back to the HubSpot contact.
    let contact = h.hubspot.get(CONTACT, &ada.id).unwrap();
    assert_eq!(contact.values["qbo_customer_id"], json!(customer.id));
    assert_eq!(links[0].hubspot_version, contact.version);

    let status = h.status(CONTACT, Side::Hubspot, &ada.id).await.unwrap();
    assert!(
        matches!(status.outcome, SyncOutcome::Synced { .. }),
        "{status:?}"
    );
    assert_eq!(status.counterpart_id.as_deref(), Some(customer.id.as_str()));
    let log = h.store.recent_log(&h.conn, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert!(
        log[0].action.contains("created quickbooks Customer"),
        "{}",
        log[0].action
    );
}

#[tokio::test]
async fn a_new_qbo_customer_creates_a_linked_hubspot_contact_carrying_the_qbo_id() {
    let h = Harness::new().await;
    let grace = h.qbo_customer("grace@navy.example", "Grace", "Hopper");
    let result = h.sync(CONTACT, Side::Quickbooks, &grace.id).await;
    assert_eq!(result.disposition, Disposition::Done);
    let contacts = h.hubspot.records(CONTACT);
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].values["email"], json!("grace@navy.example"));
    assert_eq!(contacts[0].values["lastname"], json!("Hopper"));
    assert_eq!(contacts[0].values["qbo_customer_id"], json!(grace.id));
    assert_eq!(h.links(CONTACT).await.len(), 1);
    // One create, no extra update for the id.
    assert_eq!(h.hubspot.calls().update, 0);
}

#[tokio::test]
async fn existing_records_with_the_same_key_are_linked_not_duplicated() {
    let h = Harness::new().await;
    let ada_hs = h.hubspot_contact("ada@analytical.example", "Ada", "");
    let ada_qb = h.qbo_customer("ADA@analytical.example ", "Ada", "Lovelace");
    h.sync(CONTACT, Side::Hubspot, &ada_hs.id).await;
    assert_eq!(h.qbo.records(CONTACT).len(), 1);
    assert_eq!(h.hubspot.records(CONTACT).len(), 1);
    let links = h.links(CONTACT).await;
    assert_eq!(
        (links[0].hubspot_id.clone(), links[0].qbo_id.clone()),
        (ada_hs.id.clone(), ada_qb.id.clone())
    );
    // First link: the empty HubSpot last name is filled from QBO, never the other way round.
    let contact = h.hubspot.get(CONTACT, &ada_hs.id).unwrap();
    assert_eq!(contact.values["lastname"], json!("Lovelace"));
    assert_eq!(contact.values["qbo_customer_id"], json!(ada_qb.id));
    assert_eq!(
        h.qbo.get(CONTACT, &ada_qb.id).unwrap().values["FamilyName"],
        json!("Lovelace")
    );
    // One candidate on the other side is not an ambiguity: the source record itself, found by
    // its own key on its own side, is never a candidate.
    let status = h.status(CONTACT, Side::Hubspot, &ada_hs.id).await.unwrap();
    assert_eq!(
        status.outcome,
        crate::ports::SyncOutcome::Synced {
            note: None,
            warnings: Vec::new(),
        },
        "{status:?}"
    );
}

#[tokio::test]
async fn an_edit_is_copied_and_its_echo_writes_nothing() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    let qbo_id = h.links(CONTACT).await[0].qbo_id.clone();

    h.clock.advance(Duration::from_secs(60));
    h.hubspot.edit(
        CONTACT,
        &ada.id,
        values(&[("phone", json!("+1 415 555 0100"))]),
    );
    h.qbo.reset_calls();
    h.hubspot.reset_calls();
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    let customer = h.qbo.get(CONTACT, &qbo_id).unwrap();
    assert_eq!(
        customer.values["PrimaryPhone.FreeFormNumber"],
        json!("+1 415 555 0100"),
        "written as HubSpot shows it (compared as +14155550100)"
    );
    assert_eq!(h.qbo.calls().update, 1);
    assert_eq!(h.links(CONTACT).await[0].revision, 2);

    // The QBO webhook for our own write, and a duplicate HubSpot one: no writes at all, and
    // nothing new in the log.
    let log_before = h.store.recent_log(&h.conn, 100).await.unwrap().len();
    h.qbo.reset_calls();
    h.hubspot.reset_calls();
    let results = h
        .run(vec![
            h.job(CONTACT, Side::Quickbooks, &qbo_id),
            h.job(CONTACT, Side::Hubspot, &ada.id),
        ])
        .await;
    assert!(results.iter().all(|r| r.disposition == Disposition::Done));
    assert_eq!(h.qbo.calls().update + h.hubspot.calls().update, 0);
    assert_eq!(h.qbo.calls().create + h.hubspot.calls().create, 0);
    // Both jobs were answered with one read per side.
    assert_eq!((h.hubspot.calls().read, h.qbo.calls().read), (1, 1));
    assert_eq!(
        h.store.recent_log(&h.conn, 100).await.unwrap().len(),
        log_before
    );
}

#[tokio::test]
async fn a_conflict_is_settled_newest_wins_and_reported_with_both_values() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    let qbo_id = h.links(CONTACT).await[0].qbo_id.clone();

    h.clock.advance(Duration::from_secs(60));
    h.hubspot
        .edit(CONTACT, &ada.id, values(&[("city", json!("London"))]));
    h.clock.advance(Duration::from_secs(60));
    h.qbo.edit(
        CONTACT,
        &qbo_id,
        values(&[("BillAddr.City", json!("Paris"))]),
    );
    h.run(vec![
        h.job(CONTACT, Side::Hubspot, &ada.id),
        h.job(CONTACT, Side::Quickbooks, &qbo_id),
    ])
    .await;

    assert_eq!(
        h.hubspot.get(CONTACT, &ada.id).unwrap().values["city"],
        json!("Paris")
    );
    assert_eq!(
        h.qbo.get(CONTACT, &qbo_id).unwrap().values["BillAddr.City"],
        json!("Paris")
    );
    let status = h.status(CONTACT, Side::Hubspot, &ada.id).await.unwrap();
    match status.outcome {
        SyncOutcome::Conflict { conflicts } => {
            assert_eq!(conflicts.len(), 1);
            assert_eq!(conflicts[0].field, "city");
            assert_eq!(conflicts[0].hubspot_value.as_deref(), Some("London"));
            assert_eq!(conflicts[0].quickbooks_value.as_deref(), Some("Paris"));
            assert_eq!(conflicts[0].winner, Side::Quickbooks);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_display_name_collision_gets_a_deterministic_suffix_and_is_reported() {
    let h = Harness::new().await;
    // Another Ada Lovelace (different email) already holds the DisplayName in QBO.
    h.qbo_customer("other@example.com", "Ada", "Lovelace");
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    let result = h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert_eq!(result.disposition, Disposition::Done);
    let created: Vec<_> = h
        .qbo
        .records(CONTACT)
        .into_iter()
        .filter(|r| r.values["PrimaryEmailAddr.Address"] == json!("ada@analytical.example"))
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].values["DisplayName"], json!("Ada Lovelace (2)"));
    let status = h.status(CONTACT, Side::Hubspot, &ada.id).await.unwrap();
    match &status.outcome {
        SyncOutcome::Synced {
            note: Some(note), ..
        } => {
            assert!(note.contains("Ada Lovelace (2)"), "{note}")
        }
        other => panic!("expected a note about the rename, got {other:?}"),
    }
}

#[tokio::test]
async fn archiving_in_hubspot_deactivates_the_qbo_customer() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    let qbo_id = h.links(CONTACT).await[0].qbo_id.clone();
    h.clock.advance(Duration::from_secs(60));
    h.hubspot.set_active(CONTACT, &ada.id, false);
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert!(!h.qbo.get(CONTACT, &qbo_id).unwrap().active);
    // The echo of the deactivation plans nothing.
    h.qbo.reset_calls();
    h.sync(CONTACT, Side::Quickbooks, &qbo_id).await;
    assert_eq!(h.qbo.calls().deactivate + h.qbo.calls().update, 0);
    assert!(h.hubspot.get(CONTACT, &ada.id).is_some_and(|r| !r.active));
}

#[tokio::test]
async fn duplicate_and_reordered_jobs_create_exactly_once() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    let babbage = h.qbo_customer("charles@engines.example", "Charles", "Babbage");
    let jobs = vec![
        h.job(CONTACT, Side::Quickbooks, &babbage.id),
        h.job(CONTACT, Side::Hubspot, &ada.id),
        h.job(CONTACT, Side::Hubspot, &ada.id),
        h.job(CONTACT, Side::Quickbooks, &babbage.id),
    ];
    let results = h.run(jobs.clone()).await;
    assert!(results.iter().all(|r| r.disposition == Disposition::Done));
    // Later, the same signals again in another order.
    let mut reordered = jobs;
    reordered.reverse();
    h.run(reordered).await;
    assert_eq!(h.hubspot.records(CONTACT).len(), 2);
    assert_eq!(h.qbo.records(CONTACT).len(), 2);
    assert_eq!(h.links(CONTACT).await.len(), 2);
    assert_eq!(
        h.hubspot.calls().records_created + h.qbo.calls().records_created,
        2
    );
}

#[tokio::test]
async fn a_crash_between_create_and_link_does_not_duplicate_on_retry() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.store.fail_next_link_writes(1);
    let first = h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert!(
        matches!(first.disposition, Disposition::RetryAfter { .. }),
        "{first:?}"
    );
    assert_eq!(h.qbo.records(CONTACT).len(), 1);
    assert!(h.links(CONTACT).await.is_empty());

    let again = h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert_eq!(again.disposition, Disposition::Done);
    assert_eq!(h.qbo.records(CONTACT).len(), 1, "no second customer");
    assert_eq!(h.links(CONTACT).await.len(), 1);
}

async fn forget_claim(h: &Harness, key: &str, side: Side, id: &str) {
    use crate::ports::{Claims, RecordRef};
    h.store
        .release_key(&h.conn, CONTACT, key, &RecordRef::new(side, id))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_crash_before_linking_then_an_edited_match_key_still_finds_the_created_record() {
    // QBO -> HubSpot: the contact is created by upsert on the e-mail, which the person then
    // changes; the claim has expired by the retry. What finds it: the QBO id the create put
    // on it (docs/architecture.md §5 invariant 2).
    let h = Harness::new().await;
    let grace = h.qbo_customer("grace@navy.example", "Grace", "Hopper");
    h.store.fail_next_link_writes(1);
    h.sync(CONTACT, Side::Quickbooks, &grace.id).await;
    let created = h.hubspot.records(CONTACT);
    assert_eq!(created.len(), 1);
    assert!(h.links(CONTACT).await.is_empty());
    h.hubspot.edit(
        CONTACT,
        &created[0].id,
        values(&[("email", json!("grace.hopper@navy.example"))]),
    );
    // The claim is gone too (the process died before noting the created id on it, or the
    // table's TTL removed it long after it expired).
    forget_claim(&h, "email:grace@navy.example", Side::Quickbooks, &grace.id).await;
    let again = h.sync(CONTACT, Side::Quickbooks, &grace.id).await;
    assert_eq!(again.disposition, Disposition::Done);
    assert_eq!(h.hubspot.records(CONTACT).len(), 1, "no second contact");
    let links = h.links(CONTACT).await;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].hubspot_id, created[0].id);

    // HubSpot -> QBO: the customer's e-mail is changed after the lost link; the create's
    // requestid (from the unchanged source version) replays instead of creating again.
    let alan = h.hubspot_contact("alan@bletchley.example", "Alan", "Turing");
    h.store.fail_next_link_writes(1);
    h.sync(CONTACT, Side::Hubspot, &alan.id).await;
    let customer = h
        .qbo
        .records(CONTACT)
        .into_iter()
        .find(|c| c.values["FamilyName"] == json!("Turing"))
        .expect("created");
    h.qbo.edit(
        CONTACT,
        &customer.id,
        values(&[(
            "PrimaryEmailAddr.Address",
            json!("turing@bletchley.example"),
        )]),
    );
    forget_claim(&h, "email:alan@bletchley.example", Side::Hubspot, &alan.id).await;
    h.sync(CONTACT, Side::Hubspot, &alan.id).await;
    let turings = h
        .qbo
        .records(CONTACT)
        .into_iter()
        .filter(|c| c.values["FamilyName"] == json!("Turing"))
        .count();
    assert_eq!(turings, 1, "no second customer");
    assert_eq!(h.links(CONTACT).await.len(), 2);
}

#[tokio::test]
async fn a_crash_before_linking_a_keyless_record_relinks_it_through_its_claim() {
    // No email: nothing to find it by, so only the claim remembers what was created.
    let h = Harness::new().await;
    let anon = h.hubspot.insert(
        CONTACT,
        values(&[
            ("firstname", json!("Anon")),
            ("company", json!("Nowhere Ltd")),
        ]),
    );
    h.store.fail_next_link_writes(1);
    h.sync(CONTACT, Side::Hubspot, &anon.id).await;
    assert_eq!(h.qbo.records(CONTACT).len(), 1);
    let again = h.sync(CONTACT, Side::Hubspot, &anon.id).await;
    assert_eq!(again.disposition, Disposition::Done);
    assert_eq!(h.qbo.records(CONTACT).len(), 1, "no second customer");
    let links = h.links(CONTACT).await;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].qbo_id, h.qbo.records(CONTACT)[0].id);
}

#[tokio::test]
async fn a_lost_create_response_replays_instead_of_duplicating() {
    let h = Harness::new().await;
    let product = h.hubspot.insert(
        PRODUCT,
        values(&[
            ("hs_sku", json!("CONS-1")),
            ("name", json!("Consulting")),
            ("price", json!("150.00")),
        ]),
    );
    h.qbo.lose_next_create_responses(1);
    let first = h.sync(PRODUCT, Side::Hubspot, &product.id).await;
    assert!(
        matches!(first.disposition, Disposition::RetryAfter { .. }),
        "{first:?}"
    );
    let again = h.sync(PRODUCT, Side::Hubspot, &product.id).await;
    assert_eq!(again.disposition, Disposition::Done);
    let items = h.qbo.records(PRODUCT);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].values["Type"], json!("Service"));
    assert_eq!(items[0].values["Sku"], json!("CONS-1"));
    assert_eq!(
        h.hubspot.get(PRODUCT, &product.id).unwrap().values["qbo_item_id"],
        json!(items[0].id)
    );
}

#[tokio::test]
async fn throttling_requeues_the_job_and_is_not_a_record_failure() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.qbo.fail_next_calls([GatewayError::Throttled {
        wait: Duration::from_secs(60),
    }]);
    let result = h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    match result.disposition {
        Disposition::RetryAfter { delay, .. } => assert_eq!(delay, Duration::from_secs(60)),
        other => panic!("expected a requeue, got {other:?}"),
    }
    assert!(h.status(CONTACT, Side::Hubspot, &ada.id).await.is_none());
    assert!(h.qbo.records(CONTACT).is_empty());

    // Through the queue: handed back with the delay, then synced.
    h.queue
        .enqueue(
            Lane::Live,
            vec![h.job(CONTACT, Side::Hubspot, &ada.id)],
            None,
        )
        .await
        .unwrap();
    h.qbo.fail_next_calls([GatewayError::Throttled {
        wait: Duration::from_secs(60),
    }]);
    let run = h.drain(10).await;
    assert_eq!(run.retried, 1);
    assert_eq!(h.qbo.records(CONTACT).len(), 1);
    assert!(matches!(
        h.status(CONTACT, Side::Hubspot, &ada.id)
            .await
            .unwrap()
            .outcome,
        SyncOutcome::Synced { .. }
    ));
}

#[tokio::test]
async fn fields_qbo_cannot_take_sync_the_rest_with_warnings_status_lists() {
    let h = Harness::new().await;
    let long = "A".repeat(300);
    let ada = h.hubspot_contact("ada@analytical.example", &long, "Lovelace");
    h.hubspot.edit(
        CONTACT,
        &ada.id,
        values(&[("company", json!("Analytical\u{0}Engines"))]),
    );
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    let customers = h.qbo.records(CONTACT);
    assert_eq!(customers.len(), 1, "the record itself syncs");
    assert_eq!(customers[0].values["FamilyName"], json!("Lovelace"));
    assert!(!customers[0].values.contains_key("GivenName"));
    let status = h.status(CONTACT, Side::Hubspot, &ada.id).await.unwrap();
    let SyncOutcome::Synced { warnings, .. } = &status.outcome else {
        panic!("synced with warnings, got {:?}", status.outcome);
    };
    let fields: Vec<&str> = warnings.iter().map(|w| w.field.as_str()).collect();
    assert!(fields.contains(&"firstname"), "{warnings:?}");
    assert!(fields.contains(&"company"), "{warnings:?}");
    assert!(warnings.iter().all(|w| w.side == Side::Quickbooks));
    let first = warnings.iter().find(|w| w.field == "firstname").unwrap();
    assert!(
        first.message.contains("(100)"),
        "the limit: {}",
        first.message
    );
    assert!(!first.message.contains(&long), "never the value");
    let report = crate::engine::status_report::status_report(h.store.as_ref(), &h.conn)
        .await
        .unwrap();
    assert_eq!(report.kinds[0].warnings, 1);
    assert!(
        report
            .attention
            .iter()
            .any(|row| row.id == ada.id && row.message.contains("firstname")),
        "{:?}",
        report.attention
    );
}

#[tokio::test]
async fn a_refused_token_fails_the_record_where_status_lists_it() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    // What the client hands back once its one renewal did not cure the 401.
    h.qbo.fail_next_calls([GatewayError::Unauthorized {
        message: "authentication failed: 401".into(),
    }]);
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    let status = h.status(CONTACT, Side::Hubspot, &ada.id).await.unwrap();
    match &status.outcome {
        SyncOutcome::Failed(detail) => {
            assert_eq!(detail.code.as_deref(), Some("401"));
            assert!(detail.message.contains("refused"), "{}", detail.message);
            assert!(
                detail
                    .suggested_fix
                    .as_deref()
                    .unwrap_or("")
                    .contains("Reconnect"),
                "{detail:?}"
            );
        }
        other => panic!("expected a failure status, got {other:?}"),
    }
    assert!(status.next_retry_at.is_some(), "retried after the backoff");
    assert!(h.qbo.records(CONTACT).is_empty());
}

#[tokio::test]
async fn a_stale_version_is_re_read_and_re_planned() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    let qbo_id = h.links(CONTACT).await[0].qbo_id.clone();
    h.clock.advance(Duration::from_secs(60));
    h.hubspot.edit(
        CONTACT,
        &ada.id,
        values(&[("company", json!("Analytical Engines"))]),
    );
    let stale = RecordError::new(RecordErrorKind::Stale, "Stale Object Error").with_code("5010");
    h.qbo
        .fail_record_writes(CONTACT, FaultTarget::Id(qbo_id.clone()), stale, 1);
    h.qbo.reset_calls();
    let result = h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert_eq!(result.disposition, Disposition::Done);
    assert_eq!(
        h.qbo.get(CONTACT, &qbo_id).unwrap().values["CompanyName"],
        json!("Analytical Engines")
    );
    assert_eq!(h.qbo.calls().update, 2);
    assert_eq!(h.qbo.calls().read, 2);
}

#[tokio::test]
async fn vendor_rejections_retry_with_backoff_then_need_attention() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    let invalid = RecordError::new(RecordErrorKind::Validation, "Invalid postal code")
        .with_code("2050")
        .with_fix("Fix the ZIP code in HubSpot");
    h.qbo.fail_record_writes(
        CONTACT,
        FaultTarget::Field {
            path: "PrimaryEmailAddr.Address".into(),
            value: "ada@analytical.example".into(),
        },
        invalid,
        100,
    );
    let result = h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert_eq!(result.disposition, Disposition::Done);
    let status = h.status(CONTACT, Side::Hubspot, &ada.id).await.unwrap();
    match &status.outcome {
        SyncOutcome::Failed(detail) => {
            assert_eq!(detail.code.as_deref(), Some("2050"));
            assert_eq!(
                detail.suggested_fix.as_deref(),
                Some("Fix the ZIP code in HubSpot")
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(status.attempts, 1);
    assert!(status.next_retry_at.is_some() && !status.needs_attention);
    assert_eq!(
        h.queue.pending(Lane::Live).await.unwrap(),
        1,
        "a retry job is scheduled"
    );

    h.drain(20).await;
    let status = h.status(CONTACT, Side::Hubspot, &ada.id).await.unwrap();
    assert_eq!(
        status.attempts,
        crate::engine::jobs::retry_schedule::MAX_RECORD_ATTEMPTS
    );
    assert!(status.needs_attention && status.next_retry_at.is_none());
    assert_eq!(h.queue.pending(Lane::Live).await.unwrap(), 0);
    assert!(h.qbo.records(CONTACT).is_empty());
}

#[tokio::test]
async fn an_entry_filter_excludes_a_record_and_says_which_filter() {
    let settings = crate::model::ConnectionSettings::from_toml_str(
        r#"
        [[contact.entry_filters.hubspot]]
        property = "lifecyclestage"
        op = "equals"
        value = "customer"
        "#,
    )
    .unwrap();
    let h = Harness::with_settings(settings).await;
    let lead = h.hubspot_contact("lead@example.com", "Lee", "Lead");
    h.sync(CONTACT, Side::Hubspot, &lead.id).await;
    assert!(h.qbo.records(CONTACT).is_empty());
    match h
        .status(CONTACT, Side::Hubspot, &lead.id)
        .await
        .unwrap()
        .outcome
    {
        SyncOutcome::Excluded { filter } => assert!(filter.contains("lifecyclestage"), "{filter}"),
        other => panic!("expected excluded, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_connections_are_dropped_with_a_reason() {
    let h = Harness::new().await;
    let mut job = h.job(CONTACT, Side::Hubspot, "1");
    job.connection = crate::model::ConnectionId::new("nobody").unwrap();
    let result = h.run(vec![job]).await.remove(0);
    assert!(
        matches!(result.disposition, Disposition::Dropped { .. }),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_deleted_kind_drops_its_jobs_and_forgets_its_links() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert_eq!(h.links(CONTACT).await.len(), 1);
    let mut record = h.store.get_connection(&h.conn).await.unwrap().unwrap();
    record.connection.settings.contact.state = crate::model::SyncState::Deleted;
    h.store.put_connection(&record).await.unwrap();
    let result = h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    assert!(
        matches!(result.disposition, Disposition::Dropped { .. }),
        "{result:?}"
    );
    assert!(h.links(CONTACT).await.is_empty());
}

#[cfg(feature = "local")]
#[tokio::test]
async fn the_worker_runs_on_the_sqlite_store_and_queue() {
    use crate::adapters::memory::{ManualClock, MemoryGateway};
    use crate::adapters::sqlite::{SqliteDb, SqliteJobQueue, SqliteStore};
    use crate::engine::jobs::FixedGateways;
    use crate::engine::jobs::{SyncContext, run_queue_once};
    use crate::engine::sync::GatewayPair;
    use std::sync::Arc;

    let clock = Arc::new(ManualClock::fixed());
    let db = SqliteDb::open_in_memory().unwrap();
    let store = Arc::new(SqliteStore::new(db.clone()));
    let queue = Arc::new(SqliteJobQueue::new(db, clock.clone()));
    let hubspot = Arc::new(MemoryGateway::hubspot(clock.clone()));
    let qbo = Arc::new(MemoryGateway::quickbooks(clock.clone()));
    let memory = Harness::new().await;
    let connection = memory
        .store
        .get_connection(&memory.conn)
        .await
        .unwrap()
        .unwrap();
    store.put_connection(&connection).await.unwrap();
    let ctx = SyncContext {
        store: store.clone(),
        queue: queue.clone(),
        clock: clock.clone(),
        gateways: Arc::new(FixedGateways::new(GatewayPair::new(
            hubspot.clone(),
            qbo.clone(),
        ))),
    };
    let grace = qbo.insert(
        CONTACT,
        values(&[
            ("PrimaryEmailAddr.Address", json!("grace@navy.example")),
            ("DisplayName", json!("Grace Hopper")),
        ]),
    );
    let job = memory.job(CONTACT, Side::Quickbooks, &grace.id);
    queue
        .enqueue(Lane::Live, vec![job.clone(), job], None)
        .await
        .unwrap();
    let run = run_queue_once(&ctx, Lane::Live, 10).await.unwrap();
    assert_eq!((run.received, run.done), (1, 1));
    assert_eq!(hubspot.records(CONTACT).len(), 1);
    let link = store
        .get_link(&memory.conn, CONTACT, Side::Quickbooks, &grace.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.hubspot_id, hubspot.records(CONTACT)[0].id);
    assert!(matches!(
        store
            .get_status(&memory.conn, CONTACT, Side::Quickbooks, &grace.id)
            .await
            .unwrap()
            .unwrap()
            .outcome,
        SyncOutcome::Synced { .. }
    ));
    assert_eq!(queue.pending(Lane::Live).await.unwrap(), 0);
}

#[tokio::test]
async fn a_hubspot_merge_moves_the_link_to_the_surviving_contact() {
    let h = Harness::new().await;
    let old = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.sync(CONTACT, Side::Hubspot, &old.id).await;
    let qbo_id = h.links(CONTACT).await[0].qbo_id.clone();
    // A second contact, merged into before any job for it ran.
    let survivor = h.hubspot.insert(
        CONTACT,
        values(&[
            ("email", json!("ada.l@analytical.example")),
            ("firstname", json!("Ada")),
        ]),
    );
    h.clock.advance(Duration::from_secs(60));
    h.hubspot.merge(CONTACT, &survivor.id, &old.id);
    // The intake sends jobs for the survivor and the merged-away id together.
    let results = h
        .run(vec![
            h.job(CONTACT, Side::Hubspot, &survivor.id),
            h.job(CONTACT, Side::Hubspot, &old.id),
        ])
        .await;
    assert!(
        results.iter().all(|r| r.disposition == Disposition::Done),
        "{results:?}"
    );
    let links = h.links(CONTACT).await;
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].hubspot_id.as_str(), links[0].qbo_id.as_str()),
        (survivor.id.as_str(), qbo_id.as_str())
    );
    // No new customer, the old one stays active and takes the survivor's email.
    assert_eq!(h.qbo.records(CONTACT).len(), 1);
    let customer = h.qbo.get(CONTACT, &qbo_id).unwrap();
    assert!(customer.active);
    assert_eq!(
        customer.values["PrimaryEmailAddr.Address"],
        json!("ada.l@analytical.example")
    );
    assert_eq!(
        h.hubspot.get(CONTACT, &survivor.id).unwrap().values["qbo_customer_id"],
        json!(qbo_id)
    );
}

#[tokio::test]
async fn a_merge_into_an_already_linked_contact_deactivates_nothing_and_needs_attention() {
    let h = Harness::new().await;
    let a = h.hubspot_contact("a@example.com", "Ann", "One");
    let b = h.hubspot_contact("b@example.com", "Ann", "Two");
    h.run(vec![
        h.job(CONTACT, Side::Hubspot, &a.id),
        h.job(CONTACT, Side::Hubspot, &b.id),
    ])
    .await;
    assert_eq!(h.links(CONTACT).await.len(), 2);
    let link = |id: &str| {
        let (store, conn, id) = (h.store.clone(), h.conn.clone(), id.to_owned());
        async move {
            store
                .get_link(&conn, CONTACT, Side::Hubspot, &id)
                .await
                .unwrap()
        }
    };
    let a_customer = link(&a.id).await.unwrap().qbo_id;
    let b_customer = link(&b.id).await.unwrap().qbo_id;
    h.clock.advance(Duration::from_secs(60));
    h.hubspot.merge(CONTACT, &a.id, &b.id);
    // The merge event's jobs, then the merged-away id's deletion event on its own.
    h.run(vec![
        h.job(CONTACT, Side::Hubspot, &a.id),
        h.job(CONTACT, Side::Hubspot, &b.id),
    ])
    .await;
    let results = h.run(vec![h.job(CONTACT, Side::Hubspot, &b.id)]).await;
    assert_eq!(results[0].disposition, Disposition::Done);
    // docs/architecture.md §13: the survivor keeps its link, the merged-away link stays, and
    // neither customer is deactivated.
    assert!(h.qbo.get(CONTACT, &a_customer).unwrap().active);
    assert!(h.qbo.get(CONTACT, &b_customer).unwrap().active);
    assert_eq!(h.qbo.records(CONTACT).len(), 2);
    assert_eq!(link(&a.id).await.unwrap().qbo_id, a_customer);
    assert_eq!(link(&b.id).await.unwrap().qbo_id, b_customer);
    let status = h
        .store
        .get_status(&h.conn, CONTACT, Side::Quickbooks, &b_customer)
        .await
        .unwrap()
        .unwrap();
    assert!(status.needs_attention, "{status:?}");
    let SyncOutcome::Failed(detail) = &status.outcome else {
        panic!("{status:?}");
    };
    assert!(
        detail
            .message
            .contains(&format!("was merged into {}", a.id))
            && detail.message.contains("not deactivated"),
        "{detail:?}"
    );
    assert!(
        detail
            .suggested_fix
            .as_deref()
            .is_some_and(|f| f.contains(&a_customer)),
        "{detail:?}"
    );
    // A later sweep of the orphaned customer changes nothing and creates nothing.
    h.run(vec![h.job(CONTACT, Side::Quickbooks, &b_customer)])
        .await;
    assert_eq!(h.hubspot.records(CONTACT).len(), 1);
    assert!(h.qbo.get(CONTACT, &b_customer).unwrap().active);
}

#[tokio::test]
async fn a_merged_away_id_whose_survivor_does_not_list_it_is_not_taken_for_a_merge() {
    let h = Harness::new().await;
    let old = h.hubspot_contact("x@example.com", "Xan", "One");
    h.sync(CONTACT, Side::Hubspot, &old.id).await;
    let survivor = h.hubspot_contact("y@example.com", "Yan", "Two");
    h.hubspot.merge(CONTACT, &survivor.id, &old.id);
    // The survivor lists some other id only: the answer is not trusted as a merge.
    h.hubspot.edit(
        CONTACT,
        &survivor.id,
        values(&[("hs_merged_object_ids", json!("424242"))]),
    );
    h.clock.advance(Duration::from_secs(60));
    h.run(vec![h.job(CONTACT, Side::Hubspot, &old.id)]).await;
    assert!(
        h.store
            .get_link(&h.conn, CONTACT, Side::Hubspot, &survivor.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_qbo_merge_moves_the_contacts_link_to_the_kept_customer() {
    let h = Harness::new().await;
    let dupe = h.qbo_customer("dupe@example.com", "Dee", "Upe");
    h.sync(CONTACT, Side::Quickbooks, &dupe.id).await;
    let contact = h.links(CONTACT).await[0].hubspot_id.clone();
    let kept = h.qbo_customer("kept@example.com", "Dee", "Kept");
    h.clock.advance(Duration::from_secs(60));
    // docs/quickbooks.md §4.8: the merged-away customer ends inactive; the merge event's
    // job for it names the kept one.
    h.qbo.set_active(CONTACT, &dupe.id, false);
    let merged = Job {
        merged_into: Some(kept.id.clone()),
        ..h.job(CONTACT, Side::Quickbooks, &dupe.id)
    };
    let results = h
        .run(vec![h.job(CONTACT, Side::Quickbooks, &kept.id), merged])
        .await;
    assert!(
        results.iter().all(|r| r.disposition == Disposition::Done),
        "{results:?}"
    );
    let links = h.links(CONTACT).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(
        (links[0].hubspot_id.as_str(), links[0].qbo_id.as_str()),
        (contact.as_str(), kept.id.as_str())
    );
    // No new contact; the contact stays active and takes the kept customer's email.
    assert_eq!(h.hubspot.records(CONTACT).len(), 1);
    let c = h.hubspot.get(CONTACT, &contact).unwrap();
    assert!(c.active);
    assert_eq!(c.values["email"], json!("kept@example.com"));
    // Without the hint an inactive customer is only a deactivation (default policy: nothing).
    h.run(vec![h.job(CONTACT, Side::Quickbooks, &dupe.id)])
        .await;
    assert!(h.hubspot.get(CONTACT, &contact).unwrap().active);
    assert_eq!(h.links(CONTACT).await.len(), 1);
}

#[tokio::test]
async fn a_qbo_merge_into_a_customer_linked_elsewhere_deactivates_nothing_and_needs_attention() {
    let h = Harness::new().await;
    let dupe = h.qbo_customer("one@example.com", "Bo", "One");
    let kept = h.qbo_customer("two@example.com", "Bo", "Two");
    h.run(vec![
        h.job(CONTACT, Side::Quickbooks, &dupe.id),
        h.job(CONTACT, Side::Quickbooks, &kept.id),
    ])
    .await;
    let partner = |id: &str| {
        let (store, conn, id) = (h.store.clone(), h.conn.clone(), id.to_owned());
        async move {
            store
                .get_link(&conn, CONTACT, Side::Quickbooks, &id)
                .await
                .unwrap()
                .map(|l| l.hubspot_id)
        }
    };
    let (dupe_contact, kept_contact) = (
        partner(&dupe.id).await.unwrap(),
        partner(&kept.id).await.unwrap(),
    );
    h.clock.advance(Duration::from_secs(60));
    h.qbo.set_active(CONTACT, &dupe.id, false);
    let merged = Job {
        merged_into: Some(kept.id.clone()),
        ..h.job(CONTACT, Side::Quickbooks, &dupe.id)
    };
    h.run(vec![h.job(CONTACT, Side::Quickbooks, &kept.id), merged])
        .await;
    // Both links stay; the merged-away customer's contact needs attention, nothing is archived.
    assert_eq!(partner(&dupe.id).await, Some(dupe_contact.clone()));
    assert_eq!(partner(&kept.id).await, Some(kept_contact.clone()));
    for id in [&dupe_contact, &kept_contact] {
        assert!(h.hubspot.get(CONTACT, id).unwrap().active, "contact {id}");
    }
    let status = h
        .store
        .get_status(&h.conn, CONTACT, Side::Hubspot, &dupe_contact)
        .await
        .unwrap()
        .unwrap();
    assert!(status.needs_attention, "{status:?}");
    let SyncOutcome::Failed(detail) = &status.outcome else {
        panic!("{status:?}");
    };
    assert!(
        detail.message.starts_with(&format!(
            "QBO Customer {} was merged into {}",
            dupe.id, kept.id
        )),
        "{detail:?}"
    );
}

#[tokio::test]
async fn jobs_not_started_before_the_deadline_are_handed_back_untouched() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    let grace = h.qbo_customer("grace@navy.example", "Grace", "Hopper");
    let invoice = h.job(ObjectKind::Invoice, Side::Quickbooks, "146");
    let jobs = vec![
        h.job(CONTACT, Side::Hubspot, &ada.id),
        h.job(CONTACT, Side::Quickbooks, &grace.id),
        invoice,
    ];
    let passed = std::time::Instant::now();
    let results = super::process_jobs_until(&h.ctx, jobs, Some(passed)).await;
    assert_eq!(results.len(), 3);
    for result in &results {
        assert!(
            matches!(&result.disposition, Disposition::NotStarted { reason }
                if reason.contains("ran out of time")),
            "{:?}",
            result.disposition
        );
    }
    assert_eq!(
        h.hubspot.calls().read + h.qbo.calls().read,
        0,
        "no vendor call was made"
    );
    assert!(h.links(CONTACT).await.is_empty());

    // With time left the same contact jobs sync as usual.
    let later = std::time::Instant::now() + Duration::from_secs(3600);
    let jobs = vec![h.job(CONTACT, Side::Hubspot, &ada.id)];
    let results = super::process_jobs_until(&h.ctx, jobs, Some(later)).await;
    assert_eq!(results[0].disposition, Disposition::Done);
    assert_eq!(h.links(CONTACT).await.len(), 1);
}

#[tokio::test]
async fn invoice_jobs_without_invoice_clients_are_dropped_with_the_reason() {
    let h = Harness::new().await;
    let result = h.sync(ObjectKind::Invoice, Side::Quickbooks, "146").await;
    let Disposition::Dropped { reason } = &result.disposition else {
        panic!("{:?}", result.disposition);
    };
    assert!(reason.contains("no invoice clients"), "{reason}");
}

#[tokio::test]
async fn a_repeated_signal_in_one_batch_runs_once_and_the_repeat_is_done() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    let mut gone = h.job(CONTACT, Side::Hubspot, "77");
    gone.connection = crate::model::ConnectionId::new("gone").unwrap();
    let jobs = vec![
        gone.clone(),
        h.job(CONTACT, Side::Hubspot, &ada.id),
        gone,
        h.job(CONTACT, Side::Hubspot, &ada.id),
    ];
    let results = h.run(jobs).await;
    assert!(
        matches!(results[0].disposition, Disposition::Dropped { .. }),
        "the first runs: its connection is unknown"
    );
    assert_eq!(results[1].disposition, Disposition::Done);
    assert_eq!(
        results[2].disposition,
        Disposition::Done,
        "the repeat is not run again"
    );
    assert_eq!(results[3].disposition, Disposition::Done);
    assert_eq!(h.qbo.records(CONTACT).len(), 1);
}

#[tokio::test]
async fn a_qbo_webhook_not_newer_than_our_write_is_dropped_without_a_read() {
    let h = Harness::new().await;
    let ada = h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.sync(CONTACT, Side::Hubspot, &ada.id).await;
    let qbo_id = h.links(CONTACT).await[0].qbo_id.clone();
    // Our create's time, as its QBO webhook would carry it (with milliseconds).
    let written = h.qbo.get(CONTACT, &qbo_id).unwrap().modified_at;
    let webhook = |at| crate::ports::Job {
        changed_at: Some(at),
        ..h.job(CONTACT, Side::Quickbooks, &qbo_id)
    };
    h.qbo.reset_calls();
    h.hubspot.reset_calls();
    let echo = h
        .run(vec![webhook(written + chrono::Duration::milliseconds(400))])
        .await;
    assert_eq!(echo[0].disposition, Disposition::Done);
    assert_eq!(
        (h.hubspot.calls().total(), h.qbo.calls().total()),
        (0, 0),
        "our own write's echo costs no vendor call"
    );

    // A person's later edit is read and synced.
    h.clock.advance(Duration::from_secs(60));
    h.qbo.edit(
        CONTACT,
        &qbo_id,
        values(&[("CompanyName", json!("Engines Ltd"))]),
    );
    let edited = h.qbo.get(CONTACT, &qbo_id).unwrap().modified_at;
    let results = h.run(vec![webhook(edited)]).await;
    assert_eq!(results[0].disposition, Disposition::Done);
    assert_eq!(h.qbo.calls().read, 1);
    assert_eq!(
        h.hubspot.get(CONTACT, &ada.id).unwrap().values["company"],
        json!("Engines Ltd")
    );
}

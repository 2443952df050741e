//! End-to-end merges through both sandboxes and the local pipeline (docs/architecture.md §13):
//! HubSpot contact merges (survivor keeps its id or gets a new one; one or both linked) and a
//! QBO customer merge re-point links, deactivate nothing, and no later sweep duplicates.

use std::sync::Arc;
use std::time::Duration;

use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::jobs::schedule::sweep_connection;
use hqsync::hubspot::ObjectType;
use hqsync::model::{ObjectKind, Record, Side};
use hqsync::ports::SyncOutcome;
use hqsync_tests::invoicing::{InvoiceRecords, dec};

use crate::e2e_stack::{E2eOptions, E2eStack, eventually, text, values};

const CONTACT: ObjectKind = ObjectKind::Contact;

async fn start() -> E2eStack {
    E2eStack::start(E2eOptions::default(), |_, _| {}).await
}

/// A HubSpot contact, synced: (contact id, its QBO customer id).
async fn linked_contact(e2e: &E2eStack, email: &str, first: &str, last: &str) -> (String, String) {
    let contact = e2e
        .create(
            CONTACT,
            Side::Hubspot,
            values(&[("email", email), ("firstname", first), ("lastname", last)]),
        )
        .await;
    let customer = e2e
        .linked_partner(CONTACT, Side::Hubspot, &contact.id)
        .await;
    (contact.id, customer)
}

/// Every record of `kind` on `side` (the person's view: active ones, and on QBO the inactive
/// ones too).
async fn all(e2e: &E2eStack, side: Side) -> Vec<Record> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = e2e
            .user
            .side(side)
            .list_page(CONTACT, cursor)
            .await
            .expect("list");
        out.extend(page.records);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

fn active(records: &[Record]) -> usize {
    records.iter().filter(|r| r.active).count()
}

/// Stops the worker taking jobs (webhooks still queue them) until `resume`.
async fn pause(e2e: &E2eStack) {
    e2e.stack.pipeline().expect("pipeline").pause();
    tokio::time::sleep(Duration::from_millis(500)).await;
}

fn resume(e2e: &E2eStack) {
    e2e.stack.pipeline().expect("pipeline").resume();
}

/// Runs the daily sweep now and checks it leaves the counts as they are: no record is created
/// or deactivated on either side.
async fn sweep_changes_nothing(e2e: &E2eStack) {
    let before = (
        all(e2e, Side::Hubspot).await,
        all(e2e, Side::Quickbooks).await,
    );
    let report = sweep_connection(&e2e.stack.ctx, e2e.stack.connection_id()).await;
    assert!(report.errors.is_empty(), "{report:?}");
    let after = (
        all(e2e, Side::Hubspot).await,
        all(e2e, Side::Quickbooks).await,
    );
    assert_eq!(after.0.len(), before.0.len(), "no HubSpot contact created");
    assert_eq!(after.1.len(), before.1.len(), "no QBO customer created");
    assert_eq!(active(&after.0), active(&before.0));
    assert_eq!(
        active(&after.1),
        active(&before.1),
        "no customer deactivated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_into_an_unlinked_survivor_that_keeps_its_id_moves_the_link() {
    let e2e = start().await;
    let (merged, customer) = linked_contact(&e2e, "ada@merge.example", "Ada", "Lovelace").await;
    pause(&e2e).await;
    // A second contact nobody synced yet becomes the survivor.
    let survivor = e2e
        .create(
            CONTACT,
            Side::Hubspot,
            values(&[("email", "ada.l@merge.example"), ("firstname", "Ada")]),
        )
        .await;
    let client = e2e.stack.endpoints.hubspot_client().unwrap();
    let result = client
        .merge_contacts(&survivor.id, &merged)
        .await
        .expect("merge");
    assert_eq!(result.id, survivor.id, "the primary keeps its id");
    resume(&e2e);

    eventually("the link moves to the survivor", || async {
        (e2e.partner(CONTACT, Side::Hubspot, &survivor.id).await == Some(customer.clone()))
            .then_some(())
    })
    .await;
    eventually("the survivor's email reaches the customer", || async {
        let q = e2e.read(CONTACT, Side::Quickbooks, &customer).await?;
        (text(&q, "PrimaryEmailAddr.Address") == "ada.l@merge.example").then_some(())
    })
    .await;
    assert_eq!(e2e.partner(CONTACT, Side::Hubspot, &merged).await, None);
    let customers = all(&e2e, Side::Quickbooks).await;
    assert_eq!(customers.len(), 1, "no customer created");
    assert!(customers[0].active, "the customer stays active");
    assert_eq!(active(&all(&e2e, Side::Hubspot).await), 1);
    sweep_changes_nothing(&e2e).await;
    assert_eq!(e2e.links(CONTACT).await.len(), 1);
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_that_gives_the_result_a_new_id_keeps_the_link_on_the_result() {
    let e2e = start().await;
    // docs/hubspot.md §2.11: the announced merges make a new record.
    e2e.hubspot.set_merge_new_ids(true);
    let (primary, customer) = linked_contact(&e2e, "grace@merge.example", "Grace", "Hopper").await;
    pause(&e2e).await;
    let secondary = e2e
        .create(
            CONTACT,
            Side::Hubspot,
            values(&[
                ("email", "g.hopper@merge.example"),
                ("phone", "+1 202 555 0100"),
            ]),
        )
        .await;
    let client = e2e.stack.endpoints.hubspot_client().unwrap();
    let result = client
        .merge_contacts(&primary, &secondary.id)
        .await
        .expect("merge");
    let new_id = result.id.clone();
    assert!(new_id != primary && new_id != secondary.id, "a new id");
    resume(&e2e);

    eventually("the link moves to the merged record's new id", || async {
        (e2e.partner(CONTACT, Side::Hubspot, &new_id).await == Some(customer.clone())).then_some(())
    })
    .await;
    eventually("the merged phone reaches the customer", || async {
        let q = e2e.read(CONTACT, Side::Quickbooks, &customer).await?;
        (!text(&q, "PrimaryPhone.FreeFormNumber").is_empty()).then_some(())
    })
    .await;
    assert_eq!(e2e.partner(CONTACT, Side::Hubspot, &primary).await, None);
    assert_eq!(e2e.links(CONTACT).await.len(), 1);
    let customers = all(&e2e, Side::Quickbooks).await;
    assert_eq!(customers.len(), 1, "no customer created");
    assert!(customers[0].active, "the customer stays active");
    // The new record carries the link property like every linked contact.
    let merged = e2e.read(CONTACT, Side::Hubspot, &new_id).await.unwrap();
    assert_eq!(text(&merged, "qbo_customer_id"), customer);
    sweep_changes_nothing(&e2e).await;
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_two_linked_contacts_keeps_the_survivors_link_and_flags_the_other_customer() {
    let e2e = start().await;
    let (survivor, kept) = linked_contact(&e2e, "ann.one@merge.example", "Ann", "One").await;
    let (merged, other) = linked_contact(&e2e, "ann.two@merge.example", "Ann", "Two").await;
    let client = e2e.stack.endpoints.hubspot_client().unwrap();
    client
        .merge_contacts(&survivor, &merged)
        .await
        .expect("merge");

    let status = eventually("the other customer needs attention", || async {
        e2e.stack
            .ctx
            .store
            .get_status(e2e.stack.connection_id(), CONTACT, Side::Quickbooks, &other)
            .await
            .unwrap()
            .filter(|s| s.needs_attention)
    })
    .await;
    let SyncOutcome::Failed(detail) = &status.outcome else {
        panic!("{status:?}");
    };
    assert!(
        detail
            .message
            .contains(&format!("was merged into {survivor}")),
        "{detail:?}"
    );
    assert!(
        detail
            .suggested_fix
            .as_deref()
            .is_some_and(|f| f.contains(&kept)),
        "{detail:?}"
    );
    // Nothing deactivated; both links as they were.
    for id in [&kept, &other] {
        let q = e2e.read(CONTACT, Side::Quickbooks, id).await.unwrap();
        assert!(q.active, "customer {id} stays active");
    }
    assert_eq!(
        e2e.partner(CONTACT, Side::Hubspot, &survivor).await,
        Some(kept.clone())
    );
    assert_eq!(
        e2e.partner(CONTACT, Side::Quickbooks, &other).await,
        Some(merged.clone())
    );
    sweep_changes_nothing(&e2e).await;
    assert_eq!(
        active(&all(&e2e, Side::Hubspot).await),
        1,
        "no contact created"
    );
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qbo_merge_re_points_the_contact_and_its_invoices_keep_reaching_it() {
    let e2e = start().await;
    let hubspot = e2e.stack.endpoints.hubspot_client().unwrap();
    let qbo = e2e.stack.endpoints.quickbooks_client().unwrap();
    let records = InvoiceRecords::over(hubspot.clone(), qbo.clone()).await;
    let reader = InvoiceMirror::new(
        Arc::new(hubspot),
        Arc::new(qbo),
        InvoiceSyncSettings::default(),
    );
    reader.ensure_schema().await.unwrap();

    // A customer synced to a contact, with an invoice mirrored onto it.
    let dupe = records.customer("Marie Curie", "marie@merge.example").await;
    let contact = e2e.linked_partner(CONTACT, Side::Quickbooks, &dupe).await;
    let item = records.item("Radium Assay", "100").await;
    let before = records
        .invoice(&dupe, &[(&item, "1", "100")], None, "2099-01-31")
        .await
        .id
        .unwrap();
    let mirrored = eventually("the first invoice is mirrored", || async {
        reader.find_hubspot_invoice(&before).await.unwrap()
    })
    .await;

    // The same person entered again, then merged into in the QBO UI before syncing.
    pause(&e2e).await;
    let kept = records
        .customer("Marie Sklodowska Curie", "marie@merge.example")
        .await;
    e2e.quickbooks
        .merge_customers(&dupe, &kept)
        .expect("merge in QBO");
    resume(&e2e);

    eventually("the contact's link moves to the kept customer", || async {
        (e2e.partner(CONTACT, Side::Quickbooks, &kept).await == Some(contact.clone())).then_some(())
    })
    .await;
    assert_eq!(e2e.partner(CONTACT, Side::Quickbooks, &dupe).await, None);
    let c = e2e.read(CONTACT, Side::Hubspot, &contact).await.unwrap();
    assert!(c.active, "the contact stays active");
    assert_eq!(
        active(&all(&e2e, Side::Hubspot).await),
        1,
        "no contact created"
    );

    // The moved invoice stays on the contact; a new invoice of the kept customer reaches it.
    let after = records
        .invoice(&kept, &[(&item, "2", "100")], None, "2099-02-28")
        .await
        .id
        .unwrap();
    let second = eventually("the new invoice is mirrored", || async {
        reader.find_hubspot_invoice(&after).await.unwrap()
    })
    .await;
    for hs in [&mirrored.id, &second.id] {
        assert_eq!(
            records
                .associated(ObjectType::Invoices, hs, ObjectType::Contacts)
                .await,
            vec![contact.clone()],
            "HubSpot invoice {hs}"
        );
    }
    // A payment of the kept customer on the moved invoice reaches that HubSpot invoice.
    records.pay(&kept, &[(&before, "100")], "MERGE-1").await;
    eventually("the payment reaches the moved invoice", || async {
        let hs = reader.find_hubspot_invoice(&before).await.unwrap()?;
        (hs.get(inv::QBO_BALANCE).map(dec) == Some(dec("0"))).then_some(())
    })
    .await;
    sweep_changes_nothing(&e2e).await;
    assert_eq!(e2e.links(CONTACT).await.len(), 1);
    e2e.shutdown().await;
}

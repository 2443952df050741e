//! End-to-end sync scenarios on a `hqsync dev`-style stack, driven through the sandboxes' APIs:
//! creates both ways, updates, a conflict, a name collision and a deletion (merges: e2e_merges).

use std::time::Duration;

use hqsync::local::StateLocation;
use hqsync::model::{ObjectKind, Side};
use hqsync::ports::SyncOutcome;
use hqsync_sandbox::Seed;

use crate::e2e_stack::{E2eOptions, E2eStack, eventually, text, values};

const CONTACT: ObjectKind = ObjectKind::Contact;

/// A money amount compared by value ("120.00" == "120"), never as f64.
fn money(text: &str) -> Option<rust_decimal::Decimal> {
    text.trim().parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_stack_is_healthy_and_refuses_unsigned_deliveries() {
    let e2e = E2eStack::start(E2eOptions::default(), |_, _| {}).await;
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}/healthz", e2e.webhook_base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    for vendor in ["hubspot", "quickbooks"] {
        let answer = http
            .post(format!("{}/webhooks/{vendor}", e2e.webhook_base))
            .header("content-type", "application/json")
            .body("[]")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 401, "{vendor}");
        let body = answer.text().await.unwrap();
        assert!(body.contains("signature"), "{vendor}: {body}");
    }
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_and_updates_flow_both_ways() {
    let dir = std::env::temp_dir().join(format!("hqsync-e2e-{}", uuid::Uuid::new_v4()));
    let e2e = E2eStack::start(
        E2eOptions {
            state: StateLocation::Sqlite { dir: dir.clone() },
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;

    // HubSpot -> QBO create.
    let contact = e2e
        .create(
            CONTACT,
            Side::Hubspot,
            values(&[
                ("email", "marie@curie.example"),
                ("firstname", "Marie"),
                ("lastname", "Curie"),
                ("phone", "+33 1 23 45 67 89"),
            ]),
        )
        .await;
    let customer = eventually("the HubSpot contact becomes a QBO customer", || async {
        e2e.find(
            CONTACT,
            Side::Quickbooks,
            "PrimaryEmailAddr.Address",
            "marie@curie.example",
        )
        .await
        .pop()
    })
    .await;
    assert_eq!(text(&customer, "GivenName"), "Marie");
    assert_eq!(text(&customer, "FamilyName"), "Curie");
    assert_eq!(
        e2e.linked_partner(CONTACT, Side::Hubspot, &contact.id)
            .await,
        customer.id
    );

    // QBO -> HubSpot update.
    e2e.edit(
        CONTACT,
        Side::Quickbooks,
        &customer.id,
        values(&[("CompanyName", "Radium Institute")]),
    )
    .await;
    eventually("the QBO company reaches HubSpot", || async {
        let c = e2e.read(CONTACT, Side::Hubspot, &contact.id).await?;
        (text(&c, "company") == "Radium Institute").then_some(())
    })
    .await;

    // QBO -> HubSpot create.
    let created = e2e
        .create(
            CONTACT,
            Side::Quickbooks,
            values(&[
                ("DisplayName", "Pierre Curie"),
                ("GivenName", "Pierre"),
                ("FamilyName", "Curie"),
                ("PrimaryEmailAddr.Address", "pierre@curie.example"),
            ]),
        )
        .await;
    let hs = eventually("the QBO customer becomes a HubSpot contact", || async {
        e2e.find(CONTACT, Side::Hubspot, "email", "pierre@curie.example")
            .await
            .pop()
    })
    .await;
    assert_eq!(text(&hs, "firstname"), "Pierre");
    assert_eq!(
        e2e.linked_partner(CONTACT, Side::Quickbooks, &created.id)
            .await,
        hs.id
    );

    // HubSpot -> QBO update; exactly one customer per email on QBO (no duplicate creates).
    e2e.edit(
        CONTACT,
        Side::Hubspot,
        &hs.id,
        values(&[("lastname", "Curie-Skłodowski")]),
    )
    .await;
    eventually("the HubSpot last name reaches QBO", || async {
        let c = e2e.read(CONTACT, Side::Quickbooks, &created.id).await?;
        (text(&c, "FamilyName") == "Curie-Skłodowski").then_some(())
    })
    .await;
    for email in ["marie@curie.example", "pierre@curie.example"] {
        let on_qbo = e2e
            .find(CONTACT, Side::Quickbooks, "PrimaryEmailAddr.Address", email)
            .await;
        let on_hubspot = e2e.find(CONTACT, Side::Hubspot, "email", email).await;
        assert_eq!((on_qbo.len(), on_hubspot.len()), (1, 1), "{email}");
    }
    e2e.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_edited_on_both_sides_keeps_the_newest_edit_and_logs_the_conflict() {
    let e2e = E2eStack::start(
        E2eOptions {
            seed: Seed::Demo,
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    let links = e2e.links(CONTACT).await;
    let link = links.first().expect("the demo data links contacts");
    let pipeline = e2e.stack.pipeline().unwrap();
    pipeline.pause();
    e2e.edit(
        CONTACT,
        Side::Hubspot,
        &link.hubspot_id,
        values(&[("company", "Older edit (HubSpot)")]),
    )
    .await;
    // Past any timestamp resolution, so "newest" is unambiguous.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    e2e.edit(
        CONTACT,
        Side::Quickbooks,
        &link.qbo_id,
        values(&[("CompanyName", "Newer edit (QuickBooks)")]),
    )
    .await;
    // A later write to a property outside the mapping (as our receivables or invoice writes
    // are) makes the HubSpot record the newer one; the field's own time still decides.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    e2e.edit(
        CONTACT,
        Side::Hubspot,
        &link.hubspot_id,
        values(&[("jobtitle", "Written after both edits")]),
    )
    .await;
    pipeline.resume();
    eventually("both sides keep the newer QuickBooks edit", || async {
        let h = e2e.read(CONTACT, Side::Hubspot, &link.hubspot_id).await?;
        let q = e2e.read(CONTACT, Side::Quickbooks, &link.qbo_id).await?;
        (text(&h, "company") == "Newer edit (QuickBooks)"
            && text(&q, "CompanyName") == "Newer edit (QuickBooks)")
            .then_some(())
    })
    .await;
    let log = e2e
        .stack
        .ctx
        .store
        .recent_log(e2e.stack.connection_id(), 100)
        .await
        .unwrap();
    let note = log
        .iter()
        .filter(|e| e.id == link.hubspot_id || e.id == link.qbo_id)
        .find_map(|e| match &e.outcome {
            SyncOutcome::Conflict { conflicts } => {
                conflicts.iter().find(|c| c.field == "company").cloned()
            }
            _ => None,
        })
        .expect("the sync log records the conflict");
    assert_eq!(note.winner, Side::Quickbooks);
    assert_eq!(note.hubspot_value.as_deref(), Some("Older edit (HubSpot)"));
    assert_eq!(
        note.quickbooks_value.as_deref(),
        Some("Newer edit (QuickBooks)")
    );
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_qbo_already_uses_gets_a_suffix_and_a_note() {
    // The demo company has an employee "Grace Hopper"; QBO names are unique across customers,
    // vendors and employees (6240).
    let e2e = E2eStack::start(
        E2eOptions {
            seed: Seed::Demo,
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    let contact = e2e
        .create(
            CONTACT,
            Side::Hubspot,
            values(&[
                ("email", "grace@navy.example"),
                ("firstname", "Grace"),
                ("lastname", "Hopper"),
            ]),
        )
        .await;
    let customer = eventually("the contact becomes a QBO customer", || async {
        e2e.find(
            CONTACT,
            Side::Quickbooks,
            "PrimaryEmailAddr.Address",
            "grace@navy.example",
        )
        .await
        .pop()
    })
    .await;
    let name = text(&customer, "DisplayName");
    assert_ne!(name, "Grace Hopper");
    assert!(name.starts_with("Grace Hopper"), "{name}");
    // The status is recorded just after the create the search above saw, so wait for it too.
    let outcome = eventually("the contact's sync status is recorded", || async {
        e2e.stack
            .ctx
            .store
            .get_status(
                e2e.stack.connection_id(),
                CONTACT,
                Side::Hubspot,
                &contact.id,
            )
            .await
            .unwrap()
            .map(|status| status.outcome)
    })
    .await;
    match outcome {
        SyncOutcome::Synced {
            note: Some(note), ..
        } => assert!(note.contains(&name), "{note}"),
        other => panic!("expected a synced status with a note, got {other:?}"),
    }
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archiving_a_hubspot_contact_makes_its_customer_inactive() {
    let e2e = E2eStack::start(
        E2eOptions {
            seed: Seed::Demo,
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    let links = e2e.links(CONTACT).await;
    let link = links.first().expect("linked contacts");
    e2e.archive(CONTACT, Side::Hubspot, &link.hubspot_id).await;
    eventually("the QBO customer becomes inactive", || async {
        let q = e2e.read(CONTACT, Side::Quickbooks, &link.qbo_id).await?;
        (!q.active).then_some(())
    })
    .await;
    // The other linked customers stay active.
    for other in links.iter().skip(1) {
        let q = e2e
            .read(CONTACT, Side::Quickbooks, &other.qbo_id)
            .await
            .unwrap();
        assert!(q.active, "customer {} stayed active", other.qbo_id);
    }
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_and_items_sync_both_ways() {
    const PRODUCT: ObjectKind = ObjectKind::Product;
    let e2e = E2eStack::start(E2eOptions::default(), |_, _| {}).await;
    let item = e2e
        .create(
            PRODUCT,
            Side::Quickbooks,
            [
                ("Name".to_owned(), serde_json::json!("Telescope Rental")),
                ("Sku".to_owned(), serde_json::json!("TEL-01")),
                ("Type".to_owned(), serde_json::json!("Service")),
                ("UnitPrice".to_owned(), serde_json::json!(120)),
            ]
            .into_iter()
            .collect(),
        )
        .await;
    let product = eventually("the QBO item becomes a HubSpot product", || async {
        e2e.find(PRODUCT, Side::Hubspot, "hs_sku", "TEL-01")
            .await
            .pop()
    })
    .await;
    assert_eq!(text(&product, "name"), "Telescope Rental");
    assert_eq!(money(&text(&product, "price")), money("120"), "price");
    e2e.edit(
        PRODUCT,
        Side::Hubspot,
        &product.id,
        values(&[("price", "135.50")]),
    )
    .await;
    eventually("the HubSpot price reaches QBO", || async {
        let q = e2e.read(PRODUCT, Side::Quickbooks, &item.id).await?;
        (money(&text(&q, "UnitPrice")) == money("135.50")).then_some(())
    })
    .await;
    assert_eq!(
        e2e.partner(PRODUCT, Side::Quickbooks, &item.id).await,
        Some(product.id.clone())
    );
    e2e.shutdown().await;
}

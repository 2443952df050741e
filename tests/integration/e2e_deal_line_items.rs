//! Deal resolution by line items through both sandboxes: an untagged invoice reaches the
//! contact's one open deal whose line items are its lines; two such deals need attention with
//! both listed; deals without line items fall back to the amount rule (docs/architecture.md §4).

use std::sync::Arc;

use hqsync::engine::invoicing::deal::DealReference;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync_tests::invoicing::{InvoiceSandboxes, today};

fn mirror_of(sandboxes: &InvoiceSandboxes) -> InvoiceMirror {
    InvoiceMirror::new(
        Arc::new(sandboxes.records.hubspot.clone()),
        Arc::new(sandboxes.records.qbo.clone()),
        InvoiceSyncSettings {
            require_linked_items: false,
            ..InvoiceSyncSettings::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_deal_with_the_invoices_line_items_is_chosen_and_twins_are_listed() {
    let sandboxes = InvoiceSandboxes::start().await;
    let rig = &sandboxes.records;
    let mirror = mirror_of(&sandboxes);
    let (customer, contact) = rig.linked_customer("Lin Items", "lin@example.com").await;
    let (gear, gear_product) = rig.linked_item("Gear", "30").await;
    let (bolt, bolt_product) = rig.linked_item("Bolt", "2").await;

    // Three open deals with the same amount (100): only one has the invoice's lines
    // (3 gears + 5 bolts); another has the same products in other quantities.
    let exact = rig.deal_with_amount("Exact", &contact, "100").await;
    rig.deal_line_item(&exact, &gear_product, "3", "30").await;
    rig.deal_line_item(&exact, &bolt_product, "5", "2").await;
    let other_qty = rig
        .deal_with_amount("Other quantities", &contact, "100")
        .await;
    rig.deal_line_item(&other_qty, &gear_product, "2", "30")
        .await;
    rig.deal_line_item(&other_qty, &bolt_product, "20", "2")
        .await;
    rig.deal_with_amount("No lines", &contact, "100").await;

    let invoice = rig
        .invoice(
            &customer,
            &[(&gear, "3", "30"), (&bolt, "5", "2")],
            None,
            "2099-03-01",
        )
        .await;
    let mirrored = mirror
        .sync_invoice(invoice.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(
        mirrored.deal,
        Some(DealReference::MatchedLineItems(exact.clone())),
        "{:?}",
        mirrored.deal_attention
    );
    assert_eq!(mirrored.deal_attention, None);

    // A second deal with exactly those lines: never a guess, both listed.
    let twin = rig.deal_with_amount("Twin", &contact, "100").await;
    rig.deal_line_item(&twin, &bolt_product, "5", "2").await;
    rig.deal_line_item(&twin, &gear_product, "3", "30").await;
    let again = rig
        .invoice(
            &customer,
            &[(&bolt, "5", "2"), (&gear, "3", "30")],
            Some("second order"),
            "2099-03-02",
        )
        .await;
    let mirrored = mirror
        .sync_invoice(again.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(mirrored.deal, None);
    let why = mirrored.deal_attention.unwrap_or_default();
    assert!(
        why.contains(&format!("{exact} \"Exact\"")) && why.contains(&format!("{twin} \"Twin\"")),
        "both candidates listed: {why}"
    );
    assert!(
        !why.contains(&other_qty),
        "only the deals with the lines: {why}"
    );
    assert!(why.contains("HubSpot deal: <id>"), "the fix: {why}");
    sandboxes.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_matching_line_items_the_amount_rule_decides() {
    let sandboxes = InvoiceSandboxes::start().await;
    let rig = &sandboxes.records;
    let mirror = mirror_of(&sandboxes);
    let (customer, contact) = rig.linked_customer("Amy Mount", "amy@example.com").await;
    let (gear, gear_product) = rig.linked_item("Cog", "25").await;
    // One deal has other line items and another amount; one has no line items and the
    // invoice's amount (2 x 25): the amount rule picks it.
    let lined = rig.deal_with_amount("Lined", &contact, "75").await;
    rig.deal_line_item(&lined, &gear_product, "3", "25").await;
    let by_amount = rig.deal_with_amount("By amount", &contact, "50").await;
    let invoice = rig
        .invoice(&customer, &[(&gear, "2", "25")], None, "2099-03-01")
        .await;
    let mirrored = mirror
        .sync_invoice(invoice.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(
        mirrored.deal,
        Some(DealReference::MatchedOpenDeal(by_amount)),
        "{:?}",
        mirrored.deal_attention
    );
    sandboxes.shutdown().await;
}

//! A job group's QBO invoices mirrored together through both sandboxes
//! (`InvoiceMirror::sync_invoices`, docs/hubspot.md §9.5): the HubSpot calls are per group,
//! not per invoice, and a record HubSpot refuses fails alone with HubSpot's message.

use std::sync::Arc;

use hqsync::engine::invoicing::invoices::mirror::payment_note_tokens;
use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{
    InvoiceMirror, InvoiceSyncError, InvoiceSyncSettings, MirrorOutcome, MirroredInvoice,
};
use hqsync::engine::invoicing::payments::{PaymentEvent, PaymentMirror};
use hqsync::engine::invoicing::receivables::properties::OPEN_BALANCE;
use hqsync::engine::invoicing::receivables::{ReceivablesFlow, ReceivablesSchema};
use hqsync::hubspot::ObjectType;
use hqsync_tests::invoicing::{InvoiceSandboxes, LinkedDeal, dec, today};
use hqsync_tests::sandbox_stats::requests_served;

/// Both sandboxes, `customers` linked customers with a deal each (one linked item), a mirror.
async fn rig(customers: usize) -> (InvoiceSandboxes, Vec<LinkedDeal>, InvoiceMirror) {
    let sandboxes = InvoiceSandboxes::start().await;
    let mut linked = Vec::new();
    for c in 0..customers {
        linked.push(
            sandboxes
                .records
                .linked_deal(
                    (
                        &format!("Group Buyer {c}"),
                        &format!("group.buyer{c}@example.com"),
                    ),
                    (&format!("Group item {c}"), "40"),
                    &format!("Group deal {c}"),
                )
                .await,
        );
    }
    let mirror = InvoiceMirror::new(
        Arc::new(sandboxes.records.hubspot.clone()),
        Arc::new(sandboxes.records.qbo.clone()),
        InvoiceSyncSettings::default(),
    );
    // The schema exists from the first mirrored invoice on: not part of a group's budget.
    mirror.ensure_schema().await.unwrap();
    (sandboxes, linked, mirror)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifty_invoice_group_costs_fewer_hubspot_calls_than_invoices() {
    const N: usize = 50;
    let (sandboxes, linked, mirror) = rig(5).await;
    let records = &sandboxes.records;
    let mut ids = Vec::new();
    for i in 0..N {
        let deal = &linked[i % linked.len()];
        // Distinct quantities: equal bodies would replay one create.
        let invoice = records
            .tagged_invoice(deal, &(i + 1).to_string(), "2099-01-31")
            .await;
        ids.push(invoice.id.unwrap());
    }
    let hs_url = sandboxes.hs.base_url();
    let before = requests_served(&hs_url).await;
    let results = mirror.sync_invoices(&ids, today()).await.unwrap();
    let backfill = requests_served(&hs_url).await - before;
    println!("{N} new invoices over 5 deals as one group: {backfill} HubSpot calls");
    assert_eq!(results.len(), N);
    for (id, result) in ids.iter().zip(&results) {
        let mirrored = result.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(mirrored.outcome, MirrorOutcome::Created, "{id}");
    }
    // Per group, not per invoice or deal: the copies, contacts and products read once each,
    // the line items, then the invoices `open` with theirs inline, written once each, one deal
    // pass (the deals' associations, the deals, their write: the invoices are the group's).
    assert!(
        backfill < N as u64,
        "{backfill} HubSpot calls for {N} invoices"
    );
    assert!(backfill <= 8, "{backfill} HubSpot calls for one group");

    // Every copy is open, with its line, contact and deal, and its QBO total.
    let first = results[0].as_ref().unwrap();
    let hs_id = first.hubspot_id.clone().unwrap();
    let hs = records
        .get(
            ObjectType::Invoices,
            &hs_id,
            &["hs_invoice_status", inv::QBO_TOTAL],
        )
        .await;
    assert_eq!(hs.get("hs_invoice_status"), Some("open"));
    assert_eq!(hs.get(inv::QBO_TOTAL).map(dec), Some(dec("40")));
    assert_eq!(
        records
            .associated(ObjectType::Invoices, &hs_id, ObjectType::Deals)
            .await,
        vec![linked[0].deal.clone()]
    );
    assert_eq!(
        records
            .associated(ObjectType::Invoices, &hs_id, ObjectType::LineItems)
            .await
            .len(),
        1
    );
    // The deal shows its invoices' receivables: ten open invoices of 40 x qty each.
    let open: rust_decimal::Decimal = (0..N)
        .filter(|i| i % 5 == 0)
        .map(|i| dec("40") * rust_decimal::Decimal::from(i as u64 + 1))
        .sum();
    let deal = records
        .get(ObjectType::Deals, &linked[0].deal, &[OPEN_BALANCE])
        .await;
    assert_eq!(deal.get(OPEN_BALANCE).map(dec), Some(open), "{deal:?}");
    // Its latest invoice is the group's last one on it (the 46th, 46 x 40).
    let latest = records.deal_props(&linked[0].deal).await;
    assert_eq!(
        latest.get("qbo_latest_invoice_amount_due").map(|v| dec(v)),
        Some(dec("1840")),
        "{latest:?}"
    );

    // The same group again, nothing changed in QBO: reads only.
    let before = requests_served(&hs_url).await;
    let again = mirror.sync_invoices(&ids, today()).await.unwrap();
    let steady = requests_served(&hs_url).await - before;
    println!("the same {N} invoices again, unchanged: {steady} HubSpot calls");
    assert!(again.iter().all(|r| {
        r.as_ref()
            .is_ok_and(|m| m.outcome == MirrorOutcome::Unchanged)
    }));
    assert!(steady <= 3, "{steady} HubSpot calls for an unchanged group");
    sandboxes.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_invoice_hubspot_refuses_fails_alone_with_hubspots_message() {
    let (sandboxes, linked, mirror) = rig(1).await;
    let records = &sandboxes.records;
    let deal = &linked[0];
    let good = records.tagged_invoice(deal, "1", "2099-01-31").await;
    // A deal tag naming a deal that does not exist: HubSpot refuses the association.
    let bad = records
        .invoice(
            &deal.customer,
            &[(&deal.item, "2", &deal.price)],
            Some("HubSpot deal: 999999999"),
            "2099-01-31",
        )
        .await;
    let also_good = records.tagged_invoice(deal, "3", "2099-01-31").await;
    let ids: Vec<String> = [&good, &bad, &also_good]
        .iter()
        .map(|i| i.id.clone().unwrap())
        .collect();
    let results = mirror.sync_invoices(&ids, today()).await.unwrap();
    assert!(
        matches!(&results[0], Ok(m) if m.outcome == MirrorOutcome::Created),
        "{:?}",
        results[0]
    );
    assert!(
        matches!(&results[2], Ok(m) if m.outcome == MirrorOutcome::Created),
        "{:?}",
        results[2]
    );
    match &results[1] {
        Err(InvoiceSyncError::Hubspot(e)) => {
            let message = e.to_string();
            assert!(message.contains("999999999"), "{message}");
        }
        other => panic!("the refused invoice fails with HubSpot's error: {other:?}"),
    }
    // The others were written in full.
    for m in [&results[0], &results[2]] {
        let hs_id = m.as_ref().unwrap().hubspot_id.clone().unwrap();
        let hs = records
            .get(ObjectType::Invoices, &hs_id, &["hs_invoice_status"])
            .await;
        assert_eq!(hs.get("hs_invoice_status"), Some("open"));
    }
    let copies = mirror.find_hubspot_invoice(&ids[1]).await.unwrap();
    assert!(copies.is_none(), "no HubSpot copy of the refused invoice");
    sandboxes.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_payments_share_one_mirror_of_their_invoices_and_each_is_noted_once() {
    let (sandboxes, linked, mirror) = rig(2).await;
    let records = &sandboxes.records;
    let mut invoices = Vec::new();
    for (i, deal) in linked.iter().enumerate() {
        let invoice = records
            .tagged_invoice(deal, &(i + 5).to_string(), "2099-01-31")
            .await;
        invoices.push(invoice.id.unwrap());
    }
    mirror.sync_invoices(&invoices, today()).await.unwrap();
    // Two payments on the first invoice, one on the second.
    let payments = [
        records
            .pay(&linked[0].customer, &[(&invoices[0], "10")], "G-1")
            .await,
        records
            .pay(&linked[0].customer, &[(&invoices[0], "20")], "G-2")
            .await,
        records
            .pay(&linked[1].customer, &[(&invoices[1], "30")], "G-3")
            .await,
    ]
    .map(|p| p.id.unwrap());
    let hs_url = sandboxes.hs.base_url();
    let before = requests_served(&hs_url).await;
    let payment_mirror = PaymentMirror::new(&mirror);
    let reports = payment_mirror
        .sync_payments(&payments, today())
        .await
        .unwrap();
    for (id, report) in payments.iter().zip(reports) {
        let report = report.unwrap();
        assert_eq!(report.notes_created, 1, "{id}: {report:?}");
    }
    let calls = requests_served(&hs_url).await - before;
    println!("3 payments on 2 invoices as one group: {calls} HubSpot calls");
    // Each payment noted once on its deal; both payments' tokens on the first invoice.
    assert_eq!(records.notes_of(&linked[0].deal).await.len(), 2);
    assert_eq!(records.notes_of(&linked[1].deal).await.len(), 1);
    let hs = mirror
        .find_hubspot_invoice(&invoices[0])
        .await
        .unwrap()
        .unwrap();
    let tokens = payment_note_tokens(&hs.properties);
    for id in &payments[..2] {
        assert!(
            tokens.contains(&PaymentEvent::Received.token(id)),
            "{id} in {tokens:?}"
        );
    }
    assert_eq!(hs.get(inv::QBO_BALANCE).map(dec), Some(dec("170")));
    // Repeats (a duplicated webhook) write nothing new.
    for id in &payments {
        let report = payment_mirror.sync_payment(id, today()).await.unwrap();
        assert_eq!(report.notes_created, 0, "{id}");
    }
    // The two invoices mirrored once (10 calls), one notes batch create and one token batch
    // update for the group; without the group's mirror each payment re-mirrors its invoice
    // alone (8 calls each, 30).
    assert!(calls <= 12, "{calls} HubSpot calls for 3 payments");
    sandboxes.shutdown().await;
}

/// A job group's whole HubSpot cost: its invoices mirrored, then its receivables pass, as the
/// worker runs them (`mirror_jobs::finish_invoices`); answers the mirrored invoices and the
/// HubSpot calls both made.
async fn group_cost(
    sandboxes: &InvoiceSandboxes,
    mirror: &InvoiceMirror,
    schema: &ReceivablesSchema,
    ids: &[String],
) -> (Vec<MirroredInvoice>, u64) {
    let hs_url = sandboxes.hs.base_url();
    let before = requests_served(&hs_url).await;
    let mirrored: Vec<MirroredInvoice> = mirror
        .sync_invoices(ids, today())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let moving: Vec<&MirroredInvoice> = mirrored
        .iter()
        .filter(|m| !matches!(m.outcome, MirrorOutcome::Unchanged))
        .collect();
    ReceivablesFlow::new(mirror, schema)
        .refresh_after_mirrored(&moving, today())
        .await
        .unwrap();
    let calls = requests_served(&hs_url).await - before;
    (mirrored, calls)
}

/// The fixed cost of an invoice job group (docs/hubspot.md §9.5): a lone new invoice, a lone
/// invoice whose balance alone moved (a payment's echo) and five of those as one group, each
/// with its receivables pass. A balance-only change reads no products, keeps the line items,
/// reads the customer's record once for both passes and the deal with its invoices at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_groups_fixed_hubspot_cost_is_pinned() {
    let (sandboxes, linked, mirror) = rig(5).await;
    let records = &sandboxes.records;
    let schema = ReceivablesSchema::default();
    schema.ensure(&mirror).await.unwrap();
    let mut ids = Vec::new();
    for (i, deal) in linked.iter().enumerate() {
        let invoice = records
            .tagged_invoice(deal, &(i + 2).to_string(), "2099-01-31")
            .await;
        ids.push(invoice.id.unwrap());
    }

    // A lone new invoice: its copy looked up, the contact, the products, its line items, the
    // create (`open`, the line items inline), the deal (read with its invoices, written) and
    // the contact's receivables.
    let (created, lone_new) = group_cost(&sandboxes, &mirror, &schema, &ids[..1]).await;
    println!("a lone new invoice: {lone_new} HubSpot calls");
    assert_eq!(created[0].outcome, MirrorOutcome::Created);
    assert!(
        lone_new <= 8,
        "{lone_new} HubSpot calls for a lone new invoice"
    );
    let (_, rest) = group_cost(&sandboxes, &mirror, &schema, &ids[1..]).await;
    println!("four new invoices as one group: {rest} HubSpot calls");

    // A payment moves the first invoice's balance alone (QBO: 80 -> 50).
    let hs_id = created[0].hubspot_id.clone().unwrap();
    let lines_before = records
        .associated(ObjectType::Invoices, &hs_id, ObjectType::LineItems)
        .await;
    records
        .pay(&linked[0].customer, &[(&ids[0], "30")], "L-1")
        .await;
    let (updated, lone_update) = group_cost(&sandboxes, &mirror, &schema, &ids[..1]).await;
    println!("a lone balance-only update: {lone_update} HubSpot calls");
    assert_eq!(updated[0].outcome, MirrorOutcome::Updated);
    let hs = records
        .get(ObjectType::Invoices, &hs_id, &[inv::QBO_BALANCE])
        .await;
    assert_eq!(hs.get(inv::QBO_BALANCE).map(dec), Some(dec("50")));
    // The line items stay: nothing was rewritten that did not change.
    assert_eq!(
        records
            .associated(ObjectType::Invoices, &hs_id, ObjectType::LineItems)
            .await,
        lines_before
    );
    // The deal and the contact owe the new balance.
    let deal = records
        .get(ObjectType::Deals, &linked[0].deal, &[OPEN_BALANCE])
        .await;
    assert_eq!(deal.get(OPEN_BALANCE).map(dec), Some(dec("50")), "{deal:?}");
    let contact = records
        .get(ObjectType::Contacts, &linked[0].contact, &[OPEN_BALANCE])
        .await;
    assert_eq!(contact.get(OPEN_BALANCE).map(dec), Some(dec("50")));
    // The copy with its deal and contact, the contact (with its receivables), the invoice
    // update, the deal with its invoices, the deal's and the contact's writes.
    assert!(
        lone_update <= 6,
        "{lone_update} HubSpot calls for a lone balance-only update"
    );

    // Five payments, one per customer, then their invoices' echoes as one group.
    for (k, (deal, id)) in linked.iter().zip(&ids).enumerate() {
        records
            .pay(&deal.customer, &[(id, "10")], &format!("L-G{k}"))
            .await;
    }
    let (group, five) = group_cost(&sandboxes, &mirror, &schema, &ids).await;
    println!("five balance-only updates as one group: {five} HubSpot calls");
    assert!(group.iter().all(|m| m.outcome == MirrorOutcome::Updated));
    for (k, deal) in linked.iter().enumerate() {
        // 40 x (k + 2), less 10 (and the first invoice's 30 before).
        let owed = dec("40") * rust_decimal::Decimal::from(k as u64 + 2)
            - dec("10")
            - if k == 0 { dec("30") } else { dec("0") };
        let contact = records
            .get(ObjectType::Contacts, &deal.contact, &[OPEN_BALANCE])
            .await;
        assert_eq!(contact.get(OPEN_BALANCE).map(dec), Some(owed), "{k}");
        let on_deal = records
            .get(ObjectType::Deals, &deal.deal, &[OPEN_BALANCE])
            .await;
        assert_eq!(on_deal.get(OPEN_BALANCE).map(dec), Some(owed), "{k}");
    }
    // The copies and their deals and contacts (3), the contacts (1), the invoices' batch
    // update (1), the deals' associations and the deals (2), the deals' and the contacts'
    // batch writes (2); the deals' invoices are the group's own, so not read back.
    assert!(
        five <= 9,
        "{five} HubSpot calls for five balance-only updates"
    );

    // Two echoes as one group: each copy read with its associations (2 calls, not 3).
    for (k, (deal, id)) in linked.iter().zip(&ids).enumerate().skip(1).take(2) {
        records
            .pay(&deal.customer, &[(id, "5")], &format!("L-P{k}"))
            .await;
    }
    let (pair, two) = group_cost(&sandboxes, &mirror, &schema, &ids[1..3]).await;
    println!("two balance-only updates as one group: {two} HubSpot calls");
    assert!(pair.iter().all(|m| m.outcome == MirrorOutcome::Updated));
    let hs = records
        .get(
            ObjectType::Invoices,
            pair[1].hubspot_id.as_deref().unwrap(),
            &[inv::QBO_BALANCE],
        )
        .await;
    // The third invoice: 40 x 4, less 10 and 5.
    assert_eq!(hs.get(inv::QBO_BALANCE).map(dec), Some(dec("145")));
    assert!(two <= 8, "{two} HubSpot calls for two balance-only updates");
    sandboxes.shutdown().await;
}

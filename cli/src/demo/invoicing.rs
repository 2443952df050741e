//! `hqsync demo`'s invoicing chapter (issue 6): a QBO invoice tagged with a HubSpot deal reaches
//! HubSpot with its line items, then a partial payment reaches the deal (properties and a note).

use anyhow::Context;
use chrono::{Days, Utc};
use hqsync::engine::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::payments::PaymentMirror;
use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{CreateInput, GetOptions, HubspotClient, InlineAssociation, ObjectType};
use hqsync::local::LocalStack;
use hqsync::quickbooks::Query;
use hqsync::quickbooks::entities::{
    Customer, Invoice, Item, Line, LinkedTxn, Payment, Ref, SalesItemLineDetail,
};
use rust_decimal::Decimal;

const DEAL_PROPERTIES: [&str; 5] = [
    "qbo_latest_invoice_number",
    "qbo_latest_invoice_recipient",
    "qbo_latest_invoice_amount_due",
    "qbo_latest_invoice_status",
    "qbo_latest_invoice_due_date",
];

/// Runs the chapter against the synced demo sandboxes and prints what reached HubSpot.
pub async fn run(stack: &LocalStack) -> anyhow::Result<()> {
    println!("\nInvoices and payments (QuickBooks -> HubSpot deal)");
    // The stack's clients: they share its rate budgets, so the chapter never trips a 429.
    let hubspot = stack.endpoints.hubspot_client()?;
    let qbo = stack.endpoints.quickbooks_client()?;
    // A customer the initial sync linked to a contact, and an item with a price.
    let customers = qbo.query_all::<Customer>(Query::select("Customer")).await?;
    let mut linked = None;
    for customer in customers.iter().filter(|c| c.primary_email_addr.is_some()) {
        let id = customer.id.clone().unwrap_or_default();
        let options = GetOptions {
            id_property: Some("qbo_customer_id".into()),
            ..GetOptions::default()
        };
        if let Ok(contact) = hubspot
            .get_object(ObjectType::Contacts, &id, &options)
            .await
        {
            linked = Some((customer.clone(), contact.id));
            break;
        }
    }
    let (customer, contact) = linked.context("no linked customer after the initial sync")?;
    let item = qbo
        .query_all::<Item>(Query::select("Item"))
        .await?
        .into_iter()
        .find(|i| i.unit_price.is_some_and(|p| p > Decimal::ZERO))
        .context("no priced item in the demo company")?;
    let price = item.unit_price.unwrap_or_default();
    let mut deal_input = CreateInput::new(
        [
            ("dealname", "Demo: consulting retainer"),
            ("dealstage", "appointmentscheduled"),
            ("pipeline", "default"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    );
    deal_input
        .associations
        .push(InlineAssociation::to(&contact, type_ids::DEAL_TO_CONTACT));
    let deal = hubspot
        .create_object(ObjectType::Deals, &deal_input)
        .await?;

    let today = Utc::now().date_naive();
    let invoice = qbo
        .create_idempotent(&Invoice {
            customer_ref: Some(Ref::to(customer.id.clone().unwrap_or_default())),
            line: vec![Line {
                amount: Some((price * Decimal::TWO).round_dp(2)),
                detail_type: Some("SalesItemLineDetail".into()),
                sales_item_line_detail: Some(SalesItemLineDetail {
                    item_ref: item.id.clone().map(Ref::to),
                    qty: Some(Decimal::TWO),
                    unit_price: Some(price),
                    ..SalesItemLineDetail::default()
                }),
                ..Line::default()
            }],
            due_date: today.checked_add_days(Days::new(30)),
            private_note: Some(format!("HubSpot deal: {}", deal.id)),
            ..Invoice::default()
        })
        .await?;
    let mirror = InvoiceMirror::new(hubspot.clone(), qbo.clone(), InvoiceSyncSettings::default());
    let invoice_id = invoice.id.clone().unwrap_or_default();
    let mirrored = mirror.sync_invoice(&invoice_id, today).await?;
    println!(
        "  QBO invoice {} for {} ({}) -> HubSpot invoice {} ({:?}), on deal {}",
        invoice.doc_number.as_deref().unwrap_or(&invoice_id),
        customer.display_name.as_deref().unwrap_or("?"),
        invoice.total_amt.unwrap_or_default(),
        mirrored.hubspot_id.as_deref().unwrap_or("?"),
        mirrored.outcome,
        deal.id
    );
    print_deal(&hubspot, &deal.id).await?;

    let paid = (invoice.total_amt.unwrap_or_default() * Decimal::new(4, 1)).round_dp(2);
    let payment = qbo
        .create_idempotent(&Payment {
            customer_ref: invoice.customer_ref.clone(),
            total_amt: Some(paid),
            payment_ref_num: Some("DEMO-CHK-1".into()),
            txn_date: Some(today),
            line: vec![Line {
                amount: Some(paid),
                linked_txn: vec![LinkedTxn {
                    txn_id: invoice_id.clone(),
                    txn_type: "Invoice".into(),
                    ..LinkedTxn::default()
                }],
                ..Line::default()
            }],
            ..Payment::default()
        })
        .await?;
    let report = PaymentMirror::new(&mirror)
        .sync_payment(payment.id.as_deref().unwrap_or_default(), today)
        .await?;
    println!(
        "  Payment of {} received in QBO -> {} note(s) on the deal timeline",
        paid.normalize(),
        report.notes_created
    );
    print_deal(&hubspot, &deal.id).await?;
    Ok(())
}

async fn print_deal(hubspot: &HubspotClient, deal: &str) -> anyhow::Result<()> {
    let values = hubspot
        .get_object(
            ObjectType::Deals,
            deal,
            &GetOptions::properties(DEAL_PROPERTIES),
        )
        .await?;
    let shown: Vec<String> = DEAL_PROPERTIES
        .iter()
        .map(|p| {
            format!(
                "{}={}",
                p.trim_start_matches("qbo_latest_invoice_"),
                values.get(p).unwrap_or("")
            )
        })
        .collect();
    println!("  deal: {}", shown.join(" · "));
    Ok(())
}

//! `hqsync demo`'s invoicing chapter: a QBO invoice tagged with a HubSpot deal and a
//! partial payment reach the deal through the pipeline (QBO webhook -> job -> worker -> HubSpot).

use std::time::Instant;

use anyhow::Context;
use chrono::{Days, Utc};
use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{CreateInput, GetOptions, HubspotClient, InlineAssociation, ObjectType};
use hqsync::local::LocalStack;
use hqsync::model::{ObjectKind, Side};
use hqsync::ports::{SyncOutcome, SyncStatus};
use hqsync::quickbooks::Query;
use hqsync::quickbooks::entities::{
    Customer, Invoice, Item, Line, LinkedTxn, Payment, Ref, SalesItemLineDetail,
};
use rust_decimal::Decimal;

use super::actor::{CONVERGENCE_BOUND, RECHECK_EVERY};

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
    let invoice_id = invoice.id.clone().unwrap_or_default();
    println!(
        "  QBO invoice {} for {} ({}), tagged \"HubSpot deal: {}\"; waiting for its webhook…",
        invoice.doc_number.as_deref().unwrap_or(&invoice_id),
        customer.display_name.as_deref().unwrap_or("?"),
        invoice.total_amt.unwrap_or_default(),
        deal.id
    );
    let started = Instant::now();
    let status = settled(stack, ObjectKind::Invoice, &invoice_id).await?;
    println!(
        "  -> {} ({} ms)",
        outcome_text(&status),
        started.elapsed().as_millis()
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
    let payment_id = payment.id.clone().unwrap_or_default();
    println!(
        "  Payment of {} (DEMO-CHK-1) received in QBO; waiting for its webhook…",
        paid.normalize()
    );
    let started = Instant::now();
    let status = settled(stack, ObjectKind::Payment, &payment_id).await?;
    println!(
        "  -> {} ({} ms)",
        outcome_text(&status),
        started.elapsed().as_millis()
    );
    if let Some(note) = latest_note(&hubspot, &deal.id).await? {
        println!("  deal timeline note: {note}");
    }
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

/// Waits (bounded) for the worker to record an outcome for QBO `kind` `id`.
async fn settled(stack: &LocalStack, kind: ObjectKind, id: &str) -> anyhow::Result<SyncStatus> {
    let started = Instant::now();
    loop {
        let status = stack
            .ctx
            .store
            .get_status(stack.connection_id(), kind, Side::Quickbooks, id)
            .await?;
        if let Some(status) = status {
            return Ok(status);
        }
        anyhow::ensure!(
            started.elapsed() < CONVERGENCE_BOUND,
            "QBO {kind} {id} was not synced within {} s",
            CONVERGENCE_BOUND.as_secs()
        );
        tokio::time::sleep(RECHECK_EVERY).await;
    }
}

/// What the worker did, in its own words.
fn outcome_text(status: &SyncStatus) -> String {
    match &status.outcome {
        SyncOutcome::Synced { note, .. } => note.clone().unwrap_or_else(|| "synced".into()),
        SyncOutcome::Failed(detail) => format!("failed: {}", detail.message),
        other => other.label().to_owned(),
    }
}

/// The body of the deal's most recent note, as plain text on one line.
async fn latest_note(hubspot: &HubspotClient, deal: &str) -> anyhow::Result<Option<String>> {
    let mut newest: Option<(String, String)> = None;
    for association in hubspot
        .list_associations(ObjectType::Deals, deal, ObjectType::Notes)
        .await?
    {
        let note = hubspot
            .get_object(
                ObjectType::Notes,
                &association.to_object_id,
                &GetOptions::properties(["hs_note_body", "hs_timestamp"]),
            )
            .await?;
        let at = note.get("hs_timestamp").unwrap_or("").to_owned();
        if newest.as_ref().is_none_or(|(t, _)| at >= *t) {
            newest = Some((at, note.get("hs_note_body").unwrap_or("").to_owned()));
        }
    }
    Ok(newest.map(|(_, body)| plain_text(&body)))
}

/// Note bodies are HTML (a headline and a list); the demo prints them as one line of text.
fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.replace("<li>", " · ").chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

//! The demo's scripted story, each step acted through the vendor APIs and told from the real
//! state of the sandboxes, the store and the sync log: edits both ways, a conflict, the name
//! collision of the initial sync, a deletion, and the final state of both sides.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::{Duration, Instant};

use hqsync::local::LocalStack;
use hqsync::model::{Link, NativeValues, ObjectKind, Record, Side};
use hqsync::ports::{SyncOutcome, SyncStatus};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::actor::{Actor, CONVERGENCE_BOUND, RECHECK_EVERY, latency_text};
use crate::render::records::{index_statuses, records_table, value_text};
use crate::render::{side_name, table};

/// Links of `kind` in id order, so the story picks the same records every run.
async fn links(stack: &LocalStack, kind: ObjectKind) -> anyhow::Result<Vec<Link>> {
    let mut links = stack
        .ctx
        .store
        .list_links(stack.connection_id(), kind)
        .await?;
    links.sort_by_key(|l| (l.hubspot_id.len(), l.hubspot_id.clone()));
    Ok(links)
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn decimal(record: &Record, path: &str) -> Option<Decimal> {
    Decimal::from_str(value_text(record, path).trim()).ok()
}

fn values(pairs: &[(&str, Value)]) -> NativeValues {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn heading(step: usize, text: &str) {
    println!("\n── {step}. {text}");
}

/// Step: a HubSpot user changes a contact's phone; the webhook arrives, the worker writes QBO.
pub async fn edit_in_hubspot(actor: &Actor, link: &Link) -> anyhow::Result<()> {
    heading(1, "A HubSpot user changes a contact's phone number");
    let kind = ObjectKind::Contact;
    let before = actor.read(kind, Side::Quickbooks, &link.qbo_id).await?;
    let new_phone = "+1 415 555 0142";
    let started = Instant::now();
    actor
        .edit(
            kind,
            Side::Hubspot,
            &link.hubspot_id,
            values(&[("phone", json!(new_phone))]),
        )
        .await?;
    let latency = actor
        .wait_for(kind, Side::Quickbooks, &link.qbo_id, started, |r| {
            digits(&value_text(r, "PrimaryPhone.FreeFormNumber")) == digits(new_phone)
        })
        .await?;
    let after = actor.read(kind, Side::Quickbooks, &link.qbo_id).await?;
    let mut t = table(&[
        "HubSpot contact",
        "QBO customer",
        "QBO phone before",
        "QBO phone now",
        "edit → synced",
    ]);
    t.add_row(vec![
        link.hubspot_id.clone(),
        format!("{} ({})", link.qbo_id, value_text(&after, "DisplayName")),
        value_text(&before, "PrimaryPhone.FreeFormNumber"),
        value_text(&after, "PrimaryPhone.FreeFormNumber"),
        latency_text(latency),
    ]);
    println!("{t}");
    Ok(())
}

/// Step: a QBO user raises an item's price; the webhook arrives, the worker writes HubSpot.
pub async fn edit_in_quickbooks(actor: &Actor, link: &Link) -> anyhow::Result<()> {
    heading(2, "A QuickBooks user raises an item's price");
    let kind = ObjectKind::Product;
    let item = actor.read(kind, Side::Quickbooks, &link.qbo_id).await?;
    let product_before = actor.read(kind, Side::Hubspot, &link.hubspot_id).await?;
    let new_price = decimal(&item, "UnitPrice").unwrap_or_default() + Decimal::from(10);
    let started = Instant::now();
    actor
        .edit(
            kind,
            Side::Quickbooks,
            &link.qbo_id,
            values(&[(
                "UnitPrice",
                serde_json::from_str::<Value>(&new_price.to_string())?,
            )]),
        )
        .await?;
    let latency = actor
        .wait_for(kind, Side::Hubspot, &link.hubspot_id, started, |r| {
            decimal(r, "price") == Some(new_price)
        })
        .await?;
    let product = actor.read(kind, Side::Hubspot, &link.hubspot_id).await?;
    let mut t = table(&[
        "QBO item",
        "HubSpot product",
        "HubSpot price before",
        "HubSpot price now",
        "edit → synced",
    ]);
    t.add_row(vec![
        format!("{} ({})", link.qbo_id, value_text(&item, "Name")),
        link.hubspot_id.clone(),
        value_text(&product_before, "price"),
        value_text(&product, "price"),
        latency_text(latency),
    ]);
    println!("{t}");
    Ok(())
}

/// Step: the same field edited on both sides before either syncs; the newest edit wins and
/// the sync log records both values.
pub async fn conflict(stack: &LocalStack, actor: &Actor, link: &Link) -> anyhow::Result<()> {
    heading(
        3,
        "The same contact's company is edited on both sides before either edit syncs",
    );
    let kind = ObjectKind::Contact;
    let pipeline = stack
        .pipeline()
        .ok_or_else(|| anyhow::anyhow!("the pipeline is not running"))?;
    // Holding the worker lets both edits land before either is synced, as when two people
    // save within the same few seconds; the webhooks still arrive and wait in the queue.
    pipeline.pause();
    let qbo_value = "Okafor & Daughters (edited in QuickBooks)";
    let hubspot_value = "Okafor & Daughters Ltd (edited in HubSpot)";
    let edit = actor
        .edit(
            kind,
            Side::Quickbooks,
            &link.qbo_id,
            values(&[("CompanyName", json!(qbo_value))]),
        )
        .await;
    // A second later, so the two edits' timestamps differ on any clock resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = Instant::now();
    let edit = match edit {
        Ok(_) => {
            actor
                .edit(
                    kind,
                    Side::Hubspot,
                    &link.hubspot_id,
                    values(&[("company", json!(hubspot_value))]),
                )
                .await
        }
        Err(e) => Err(e),
    };
    pipeline.resume();
    edit?;
    println!("  QuickBooks: CompanyName = {qbo_value:?}");
    println!("  HubSpot, 1.1 s later: company = {hubspot_value:?}");
    // Settled when both sides hold the same one of the two edits.
    let (hubspot, qbo, latency) = loop {
        let hubspot = actor.read(kind, Side::Hubspot, &link.hubspot_id).await?;
        let qbo = actor.read(kind, Side::Quickbooks, &link.qbo_id).await?;
        let (h, q) = (
            value_text(&hubspot, "company"),
            value_text(&qbo, "CompanyName"),
        );
        if h == q && (h == hubspot_value || h == qbo_value) {
            break (hubspot, qbo, Some(started.elapsed()));
        }
        if started.elapsed() > CONVERGENCE_BOUND {
            break (hubspot, qbo, None);
        }
        tokio::time::sleep(RECHECK_EVERY).await;
    };
    println!(
        "  now: HubSpot company = {:?}, QBO CompanyName = {:?} ({})",
        value_text(&hubspot, "company"),
        value_text(&qbo, "CompanyName"),
        match latency {
            Some(_) => format!("both sides agree, {}", latency_text(latency)),
            None => latency_text(latency),
        }
    );
    let log = stack
        .ctx
        .store
        .recent_log(stack.connection_id(), 200)
        .await?;
    let mut t = table(&[
        "field",
        "HubSpot value",
        "QuickBooks value",
        "kept",
        "rule",
        "logged at",
    ]);
    let mut found = false;
    for entry in log
        .iter()
        .filter(|e| e.kind == kind && (e.id == link.hubspot_id || e.id == link.qbo_id))
    {
        if let SyncOutcome::Conflict { conflicts } = &entry.outcome {
            for note in conflicts {
                found = true;
                t.add_row(vec![
                    note.field.clone(),
                    note.hubspot_value.clone().unwrap_or_default(),
                    note.quickbooks_value.clone().unwrap_or_default(),
                    side_name(note.winner).to_owned(),
                    note.rule.clone(),
                    entry.at.format("%H:%M:%S%.3f").to_string(),
                ]);
            }
        }
    }
    if found {
        println!("  From the sync log:\n{t}");
    } else {
        println!(
            "  The sync log holds no conflict for this record (the edits were synced one at a time)."
        );
    }
    Ok(())
}

/// Step: the DisplayName collision the initial sync met and how it was settled.
pub async fn collision(stack: &LocalStack, actor: &Actor) -> anyhow::Result<()> {
    heading(
        4,
        "A HubSpot contact whose name a QBO vendor already uses (QBO names are unique across customers, vendors and employees)",
    );
    let kind = ObjectKind::Contact;
    let statuses = stack
        .ctx
        .store
        .list_statuses(stack.connection_id(), kind)
        .await?;
    let mut t = table(&[
        "HubSpot contact",
        "name in HubSpot",
        "QBO customer",
        "DisplayName in QBO",
        "sync note",
    ]);
    let mut shown: BTreeSet<String> = BTreeSet::new();
    for status in statuses.iter().filter(|s| s.side == Side::Hubspot) {
        let SyncOutcome::Synced {
            note: Some(note), ..
        } = &status.outcome
        else {
            continue;
        };
        let Some(qbo_id) = &status.counterpart_id else {
            continue;
        };
        if !shown.insert(status.id.clone()) {
            continue;
        }
        let contact = actor.read(kind, Side::Hubspot, &status.id).await?;
        let customer = actor.read(kind, Side::Quickbooks, qbo_id).await?;
        let name = format!(
            "{} {}",
            value_text(&contact, "firstname"),
            value_text(&contact, "lastname")
        );
        // A collision shows as a QBO name other than the one the contact's name gives.
        if value_text(&customer, "DisplayName") == name.trim() {
            shown.remove(&status.id);
            continue;
        }
        t.add_row(vec![
            status.id.clone(),
            name,
            qbo_id.clone(),
            value_text(&customer, "DisplayName"),
            note.clone(),
        ]);
    }
    if shown.is_empty() {
        println!("  No record carries a collision note.");
    } else {
        println!("{t}");
    }
    Ok(())
}

/// Step: a HubSpot contact is archived; its QBO customer becomes inactive.
pub async fn deletion(actor: &Actor, link: &Link) -> anyhow::Result<()> {
    heading(5, "A HubSpot user archives a contact");
    let kind = ObjectKind::Contact;
    let started = Instant::now();
    actor.archive(kind, Side::Hubspot, &link.hubspot_id).await?;
    let latency = actor
        .wait_for(kind, Side::Quickbooks, &link.qbo_id, started, |r| !r.active)
        .await?;
    let customer = actor.read(kind, Side::Quickbooks, &link.qbo_id).await?;
    let mut t = table(&[
        "HubSpot contact",
        "QBO customer",
        "QBO Active now",
        "archive → synced",
    ]);
    t.add_row(vec![
        format!("{} (archived)", link.hubspot_id),
        format!("{} ({})", link.qbo_id, value_text(&customer, "DisplayName")),
        customer.active.to_string(),
        latency_text(latency),
    ]);
    println!("{t}");
    Ok(())
}

/// Final step: every record of both sides with its sync status.
pub async fn final_state(stack: &LocalStack, actor: &Actor) -> anyhow::Result<()> {
    heading(6, "Both sides now");
    for kind in [ObjectKind::Contact, ObjectKind::Product] {
        let statuses: Vec<SyncStatus> = stack
            .ctx
            .store
            .list_statuses(stack.connection_id(), kind)
            .await?;
        let statuses = index_statuses(statuses);
        for side in Side::BOTH {
            let records = actor.list(kind, side).await?;
            println!(
                "{} {}s ({})",
                side_name(side),
                kind.vendor_name(side),
                records.len()
            );
            println!("{}", records_table(kind, side, &records, &statuses));
        }
    }
    Ok(())
}

/// Runs the story's steps on the first links of each kind.
pub async fn run(stack: &LocalStack, actor: &Actor) -> anyhow::Result<()> {
    let contacts = links(stack, ObjectKind::Contact).await?;
    let products = links(stack, ObjectKind::Product).await?;
    if contacts.len() < 3 || products.is_empty() {
        anyhow::bail!(
            "the initial sync linked {} contacts and {} products; the story needs 3 and 1",
            contacts.len(),
            products.len()
        );
    }
    edit_in_hubspot(actor, &contacts[0]).await?;
    edit_in_quickbooks(actor, &products[0]).await?;
    conflict(stack, actor, &contacts[1]).await?;
    collision(stack, actor).await?;
    deletion(actor, &contacts[2]).await?;
    final_state(stack, actor).await
}

//! `hqsync demo`'s company chapter, on a second connection with `model = "company"`: a company
//! with two contacts is one QBO customer at its primary contact's e-mail, owing its invoice.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Days, Utc};
use hqsync::engine::invoicing::receivables::properties::OPEN_BALANCE;
use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{CreateInput, GetOptions, HubspotClient, InlineAssociation, ObjectType};
use hqsync::local::{LocalStack, PipelineOptions};
use hqsync::model::{ConnectionSettings, CustomerModel, ObjectKind, Side};
use hqsync::quickbooks::entities::{Customer, Invoice, Item, Line, Ref, SalesItemLineDetail};
use hqsync::quickbooks::{QboClient, Query};
use rust_decimal::Decimal;

use super::actor::{CONVERGENCE_BOUND, RECHECK_EVERY};
use super::setup;

/// The unlabeled contact -> company association (docs/hubspot.md §3).
const CONTACT_TO_COMPANY: u32 = 279;

/// Runs the chapter on its own stack and sandboxes, then stops them.
pub async fn run() -> anyhow::Result<()> {
    println!("\nCompany customers ([customers] model = \"company\", a second connection)");
    let mut settings = ConnectionSettings::default();
    settings.customers.model = CustomerModel::Company;
    let demo = setup::start_with(settings).await?;
    let mut stack = demo.stack;
    stack.start_pipeline(PipelineOptions {
        idle_wait: Duration::from_millis(100),
        poll_interval: None,
        ..PipelineOptions::default()
    });
    let told = tell(&stack).await;
    stack.shutdown().await;
    demo.sandboxes.shutdown().await;
    told
}

async fn tell(stack: &LocalStack) -> anyhow::Result<()> {
    let hubspot = stack.endpoints.hubspot_client()?;
    let qbo = stack.endpoints.quickbooks_client()?;
    let company = create(
        &hubspot,
        ObjectType::Companies,
        &[("name", "Initech"), ("domain", "initech.example")],
        Vec::new(),
    )
    .await?;
    // Two contacts of one company: HubSpot's own integration makes the first the customer
    // "Initech" and fails the second as a duplicate name; here the company is the customer.
    let milton = create(
        &hubspot,
        ObjectType::Contacts,
        &[("email", "milton@initech.example"), ("firstname", "Milton")],
        vec![InlineAssociation::to(&company, CONTACT_TO_COMPANY)],
    )
    .await?;
    let primary = "peter@initech.example";
    let peter = create(
        &hubspot,
        ObjectType::Contacts,
        &[("email", primary), ("firstname", "Peter")],
        vec![InlineAssociation::to(
            &company,
            type_ids::PRIMARY_CONTACT_TO_COMPANY,
        )],
    )
    .await?;
    println!(
        "  HubSpot company {company} \"Initech\" with contacts milton@ and peter@ (Peter's \
         primary company); waiting for its webhooks…"
    );
    let started = Instant::now();
    let customer = bounded("the company's QBO customer billed at Peter", || async {
        let Some(link) = stack
            .ctx
            .store
            .get_link(
                stack.connection_id(),
                ObjectKind::Company,
                Side::Hubspot,
                &company,
            )
            .await?
        else {
            return Ok(None);
        };
        let customer: Customer = qbo.read(&link.qbo_id).await?;
        let email = customer
            .primary_email_addr
            .as_ref()
            .and_then(|e| e.address.clone());
        Ok((email.as_deref() == Some(primary)).then_some(customer))
    })
    .await?;
    let customer_id = customer.id.clone().unwrap_or_default();
    let customers = qbo.query_all::<Customer>(Query::select("Customer")).await?;
    let named = customers
        .iter()
        .filter(|c| c.company_name.as_deref() == Some("Initech"))
        .count();
    println!(
        "  -> QBO customer {customer_id} {:?}, PrimaryEmailAddr {primary} ({} ms); QBO \
         customers named Initech: {named}",
        customer.display_name.as_deref().unwrap_or("?"),
        started.elapsed().as_millis()
    );

    let invoice = invoice(&qbo, &customer_id).await?;
    let total = invoice.total_amt.unwrap_or_default();
    println!(
        "  QBO invoice {} for Initech ({}); waiting for the company's open balance…",
        invoice.doc_number.as_deref().unwrap_or("?"),
        total.normalize()
    );
    let started = Instant::now();
    let balance = bounded("the company's open balance", || async {
        let found = hubspot
            .get_object(
                ObjectType::Companies,
                &company,
                &GetOptions::properties([OPEN_BALANCE]),
            )
            .await?;
        let balance = found
            .get(OPEN_BALANCE)
            .and_then(|b| b.parse::<Decimal>().ok());
        Ok(balance.filter(|b| *b == total))
    })
    .await?;
    let mut contacts = Vec::new();
    for (name, id) in [("Milton", &milton), ("Peter", &peter)] {
        let found = hubspot
            .get_object(
                ObjectType::Contacts,
                id,
                &GetOptions::properties([OPEN_BALANCE]),
            )
            .await?;
        contacts.push(format!(
            "{name} {}",
            found.get(OPEN_BALANCE).unwrap_or("none")
        ));
    }
    println!(
        "  -> company Initech: {OPEN_BALANCE} = {} ({} ms); on its contacts: {}",
        balance.normalize(),
        started.elapsed().as_millis(),
        contacts.join(", ")
    );
    Ok(())
}

async fn create(
    hubspot: &HubspotClient,
    kind: ObjectType,
    values: &[(&str, &str)],
    associations: Vec<InlineAssociation>,
) -> anyhow::Result<String> {
    let mut input = CreateInput::new(
        values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    );
    input.associations = associations;
    Ok(hubspot.create_object(kind, &input).await?.id)
}

/// A QBO invoice for two of the demo company's first priced item, due in 30 days.
async fn invoice(qbo: &QboClient, customer: &str) -> anyhow::Result<Invoice> {
    let item = qbo
        .query_all::<Item>(Query::select("Item"))
        .await?
        .into_iter()
        .find(|i| i.unit_price.is_some_and(|p| p > Decimal::ZERO))
        .context("no priced item in the demo company")?;
    let price = item.unit_price.unwrap_or_default();
    let due = Utc::now().date_naive().checked_add_days(Days::new(30));
    Ok(qbo
        .create_idempotent(&Invoice {
            customer_ref: Some(Ref::to(customer.to_owned())),
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
            due_date: due,
            ..Invoice::default()
        })
        .await?)
}

/// Probes until `probe` answers a value, within the demo's convergence bound.
async fn bounded<T, F, Fut>(what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await? {
            return Ok(found);
        }
        anyhow::ensure!(
            started.elapsed() < CONVERGENCE_BOUND,
            "{what} did not show within {} s",
            CONVERGENCE_BOUND.as_secs()
        );
        tokio::time::sleep(RECHECK_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    /// The chapter fails unless the company's customer gets Peter's e-mail and the company
    /// the invoice's open balance within the demo's bound.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_company_chapter_converges() {
        super::run().await.expect("the company chapter");
    }
}

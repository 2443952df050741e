//! `/connections/{id}/invoices`: the QBO invoices mirrored into HubSpot (number, customer,
//! total, balance, status, deal) and the payments applied to them (date, amount, invoice, deal).
//!
//! Source: the stored statuses name each mirrored record and its HubSpot copy (no vendor
//! call); one page at a time, the HubSpot invoices are read in one batch (the mirror's own
//! `qbo_*` properties) with their deal and contact associations, and each payment of the page
//! is read from QBO for its date, amount and invoices. At most [`PAGE_SIZE`] records per list.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::connections::api_problem;
use super::form::signed;
use super::layout::{connection_nav, document, respond};
use super::outcome::outcome_detail;
use super::record_links::RecordLinks;
use crate::admin::AdminContext;
use crate::admin::connections::load_connection;
use crate::engine::invoicing::invoices::properties::{
    QBO_BALANCE, QBO_BILL_EMAIL, QBO_DOC_NUMBER, QBO_STATUS, QBO_TOTAL,
};
use crate::engine::jobs::Invoicing;
use crate::hubspot::ObjectType;
use crate::hubspot::batch::BatchReadOptions;
use crate::model::{ObjectKind, Side, descriptor};
use crate::ports::{StatusLog, SyncOutcome, SyncStatus};
use crate::quickbooks::entities::Payment;

/// Invoices, and payments, per page: each costs HubSpot association reads (or a QBO read).
pub const PAGE_SIZE: usize = 10;
/// HubSpot's object type id of deals (https://developers.hubspot.com/docs/guides/crm/using-object-apis).
const DEAL_TYPE_ID: &str = "0-3";

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct InvoicesQuery {
    /// Offset in the invoices, and in the payments.
    #[serde(default)]
    invoices_from: usize,
    #[serde(default)]
    payments_from: usize,
}

/// What the page shows of one mirrored invoice.
#[derive(Debug, Default)]
struct InvoiceView {
    number: Option<String>,
    customer: Option<String>,
    contact: Option<String>,
    total: Option<String>,
    balance: Option<String>,
    status: Option<String>,
    deals: Vec<String>,
}

/// Statuses of `kind`, newest first, and the page of them at `from`.
async fn page_of(
    store: &dyn StatusLog,
    connection: &crate::model::ConnectionId,
    kind: ObjectKind,
    from: usize,
) -> Result<(Vec<SyncStatus>, Vec<SyncStatus>), crate::ports::StoreError> {
    let mut all = store.list_statuses(connection, kind).await?;
    all.retain(|s| s.side == Side::Quickbooks);
    all.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
    let page = all.iter().skip(from).take(PAGE_SIZE).cloned().collect();
    Ok((all, page))
}

/// The HubSpot copies of `invoices` (by HubSpot id): properties and associations.
async fn hubspot_views(
    invoicing: &Invoicing,
    hubspot_ids: &[String],
) -> Result<HashMap<String, InvoiceView>, String> {
    let mut views = HashMap::new();
    if hubspot_ids.is_empty() {
        return Ok(views);
    }
    let hubspot = &invoicing.mirror.hubspot;
    let options = BatchReadOptions {
        properties: [
            QBO_DOC_NUMBER,
            QBO_TOTAL,
            QBO_BALANCE,
            QBO_STATUS,
            QBO_BILL_EMAIL,
        ]
        .map(str::to_owned)
        .to_vec(),
        ..BatchReadOptions::default()
    };
    let read = hubspot
        .read_invoices(hubspot_ids, &options)
        .await
        .map_err(|e| format!("reading the HubSpot invoices failed: {e}"))?;
    for invoice in read.found {
        let property = |name: &str| invoice.properties.get(name).cloned();
        let deals = hubspot
            .associated_ids(ObjectType::Invoices, &invoice.id, ObjectType::Deals)
            .await
            .map_err(|e| format!("reading invoice {}'s deals failed: {e}", invoice.id))?;
        let contact = hubspot
            .associated_ids(ObjectType::Invoices, &invoice.id, ObjectType::Contacts)
            .await
            .map_err(|e| format!("reading invoice {}'s contact failed: {e}", invoice.id))?
            .into_iter()
            .next();
        views.insert(
            invoice.id.clone(),
            InvoiceView {
                number: property(QBO_DOC_NUMBER),
                customer: property(QBO_BILL_EMAIL),
                contact,
                total: property(QBO_TOTAL),
                balance: property(QBO_BALANCE),
                status: property(QBO_STATUS),
                deals,
            },
        );
    }
    Ok(views)
}

fn deal_links(links: &RecordLinks, deals: &[String], id_prefix: &str) -> Markup {
    html! {
        @for deal in deals {
            @match links.hubspot(DEAL_TYPE_ID, deal) {
                Some(href) => { a id={ (id_prefix) "-" (deal) } href=(href) target="_blank" rel="noopener noreferrer" { "Deal " (deal) } " " }
                None => { "Deal " (deal) " " }
            }
        }
        @if deals.is_empty() { "-" }
    }
}

fn pager(id: &str, query: &InvoicesQuery, total: usize, which: &str) -> Markup {
    let (from, set): (usize, fn(&mut InvoicesQuery, usize)) = match which {
        "invoices" => (query.invoices_from, |q, v| q.invoices_from = v),
        _ => (query.payments_from, |q, v| q.payments_from = v),
    };
    let at = |offset: usize| {
        let mut q = query.clone();
        set(&mut q, offset);
        format!(
            "/connections/{id}/invoices?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    html! {
        p.pages {
            @if from > 0 { a id={ (which) "-previous" } href=(at(from.saturating_sub(PAGE_SIZE))) { "Previous " (PAGE_SIZE) } " " }
            @if from + PAGE_SIZE < total { a id={ (which) "-next" } href=(at(from + PAGE_SIZE)) { "Next " (PAGE_SIZE) } }
        }
    }
}

/// `GET /connections/{id}/invoices`.
pub async fn show(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<InvoicesQuery>,
) -> Response {
    let signed = match signed(&ctx, &headers) {
        Ok(signed) => signed,
        Err(refused) => return refused.into_response(),
    };
    let record = match load_connection(&ctx, &id).await {
        Ok(record) => record,
        Err(error) => return api_problem(error, &signed, "No such connection"),
    };
    let store = ctx.sync.store.as_ref();
    let pages = async {
        let invoices =
            page_of(store, record.id(), ObjectKind::Invoice, query.invoices_from).await?;
        let payments =
            page_of(store, record.id(), ObjectKind::Payment, query.payments_from).await?;
        Ok::<_, crate::ports::StoreError>((invoices, payments))
    };
    let ((all_invoices, invoices), (all_payments, payments)) = match pages.await {
        Ok(pages) => pages,
        Err(error) => return api_problem(error.into(), &signed, "Invoices & payments"),
    };
    let mut problem = None;
    let mut views = HashMap::new();
    let mut read_payments: HashMap<String, Payment> = HashMap::new();
    // Every mirrored invoice's HubSpot copy, by QBO id (from the statuses: no vendor call).
    let hubspot_of: HashMap<&str, &str> = all_invoices
        .iter()
        .filter_map(|s| Some((s.id.as_str(), s.counterpart_id.as_deref()?)))
        .collect();
    if !invoices.is_empty() || !payments.is_empty() {
        match ctx.sync.gateways.invoicing(&record).await {
            Err(error) => problem = Some(format!("The invoice clients are not available: {error}")),
            Ok(invoicing) => {
                for payment in &payments {
                    match invoicing.mirror.qbo.read_payment(&payment.id).await {
                        Ok(read) => {
                            read_payments.insert(payment.id.clone(), read);
                        }
                        Err(error) => {
                            problem = Some(format!(
                                "Reading QuickBooks payment {} failed: {error}",
                                payment.id
                            ));
                        }
                    }
                }
                // The page's invoices, and those the page's payments apply to.
                let mut wanted: Vec<String> = invoices
                    .iter()
                    .filter_map(|s| s.counterpart_id.clone())
                    .collect();
                for payment in read_payments.values() {
                    for qbo in paid_invoices(payment) {
                        if let Some(hs) = hubspot_of.get(qbo.as_str())
                            && !wanted.iter().any(|w| w == hs)
                        {
                            wanted.push((*hs).to_owned());
                        }
                    }
                }
                match hubspot_views(&invoicing, &wanted).await {
                    Ok(read) => views = read,
                    Err(error) => problem = Some(error),
                }
            }
        }
    }
    let links = RecordLinks::of(&record, None);
    let id = record.id().to_string();
    let invoice_type = descriptor(ObjectKind::Invoice).hubspot.object_type_id;
    let contact_type = descriptor(ObjectKind::Contact).hubspot.object_type_id;
    let body = html! {
        @if let Some(problem) = &problem { p.problem id="problem" role="alert" { (problem) } }
        section aria-labelledby="invoices-heading" {
            h2 id="invoices-heading" { "Invoices (" (all_invoices.len()) ")" }
            @if invoices.is_empty() {
                p id="no-invoices" { "No QuickBooks invoice has been mirrored into HubSpot yet." }
            } @else {
                div.table-scroll role="region" aria-label="Mirrored invoices" tabindex="0" {
                    table id="invoices" {
                        thead { tr { th { "Number" } th { "Customer" } th { "Total" } th { "Balance" } th { "Status" } th { "Deal" } th { "Open" } } }
                        tbody {
                            @for status in &invoices {
                                @let view = status.counterpart_id.as_ref().and_then(|hs| views.get(hs));
                                tr id={ "invoice-" (status.id) } {
                                    td { (view.and_then(|v| v.number.as_deref()).unwrap_or("-")) br; small { "QuickBooks " (status.id) } }
                                    td {
                                        @if let Some(view) = view {
                                            (view.customer.as_deref().unwrap_or("-"))
                                            @if let Some(contact) = &view.contact {
                                                @if let Some(href) = links.hubspot(contact_type, contact) {
                                                    " " a href=(href) target="_blank" rel="noopener noreferrer" { "contact " (contact) }
                                                } @else { " (contact " (contact) ")" }
                                            }
                                        } @else { "-" }
                                    }
                                    td data-amount="total" { (view.and_then(|v| v.total.as_deref()).unwrap_or("-")) }
                                    td data-amount="balance" { (view.and_then(|v| v.balance.as_deref()).unwrap_or("-")) }
                                    td {
                                        (view.and_then(|v| v.status.as_deref()).unwrap_or("-"))
                                        @if let SyncOutcome::Failed(_) = &status.outcome { (outcome_detail(&status.outcome)) }
                                    }
                                    td { (deal_links(&links, view.map(|v| v.deals.as_slice()).unwrap_or_default(), &format!("invoice-{}-deal", status.id))) }
                                    td {
                                        @if let Some(href) = links.quickbooks(ObjectKind::Invoice, &status.id) {
                                            a id={ "open-qbo-invoice-" (status.id) } href=(href) target="_blank" rel="noopener noreferrer" { "Open in QuickBooks" } br;
                                        }
                                        @if let Some(href) = status.counterpart_id.as_deref().and_then(|hs| links.hubspot(invoice_type, hs)) {
                                            a id={ "open-hubspot-invoice-" (status.id) } href=(href) target="_blank" rel="noopener noreferrer" { "Open in HubSpot" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (pager(&id, &query, all_invoices.len(), "invoices"))
            }
        }
        section aria-labelledby="payments-heading" {
            h2 id="payments-heading" { "Payments (" (all_payments.len()) ")" }
            @if payments.is_empty() {
                p id="no-payments" { "No QuickBooks payment has been mirrored yet." }
            } @else {
                div.table-scroll role="region" aria-label="Mirrored payments" tabindex="0" {
                    table id="payments" {
                        thead { tr { th { "Date" } th { "Amount" } th { "Invoice" } th { "Deal" } th { "Open" } } }
                        tbody {
                            @for status in &payments {
                                @let payment = read_payments.get(&status.id);
                                @let paid = payment.map(paid_invoices).unwrap_or_default();
                                tr id={ "payment-" (status.id) } {
                                    td { (payment.and_then(|p| p.txn_date).map(|d| d.to_string()).unwrap_or_else(|| "-".into())) }
                                    td data-amount="amount" { (payment.and_then(|p| p.total_amt).map(|a| a.to_string()).unwrap_or_else(|| "-".into())) }
                                    td {
                                        @for qbo in &paid {
                                            @let number = hubspot_of.get(qbo.as_str()).and_then(|hs| views.get(*hs)).and_then(|v| v.number.clone());
                                            (number.unwrap_or_else(|| format!("QuickBooks {qbo}"))) " "
                                        }
                                        @if paid.is_empty() { "-" }
                                    }
                                    td {
                                        @let deals: Vec<String> = paid.iter().filter_map(|qbo| hubspot_of.get(qbo.as_str()).and_then(|hs| views.get(*hs))).flat_map(|v| v.deals.clone()).collect();
                                        (deal_links(&links, &deals, &format!("payment-{}-deal", status.id)))
                                    }
                                    td {
                                        @if let Some(href) = links.quickbooks(ObjectKind::Payment, &status.id) {
                                            a id={ "open-qbo-payment-" (status.id) } href=(href) target="_blank" rel="noopener noreferrer" { "Open in QuickBooks" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (pager(&id, &query, all_payments.len(), "payments"))
            }
        }
    };
    let title = format!("{id}: invoices & payments");
    respond(
        StatusCode::OK,
        document(&title, Some(&connection_nav(&signed, &id)), None, body),
    )
}

/// The QBO invoice ids a payment's lines apply to.
fn paid_invoices(payment: &Payment) -> Vec<String> {
    let mut ids: Vec<String> = payment
        .line
        .iter()
        .flat_map(|line| &line.linked_txn)
        .filter(|t| t.txn_type == "Invoice")
        .map(|t| t.txn_id.clone())
        .collect();
    ids.dedup();
    ids
}

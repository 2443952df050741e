//! Keeps the receivables properties current (docs/hubspot.md §4.1): after an invoice or payment
//! of a customer is mirrored, and for every customer with open invoices in the daily sweep.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::aging::{LastPayment, OpenInvoice, Receivables, receivables};
use super::deal::{LatestCandidate, refresh_deals};
use super::properties::{
    LAST_PAYMENT_AMOUNT, LAST_PAYMENT_DATE, changed_properties, customer_receivables_definitions,
    deal_receivables_definitions, receivables_group, receivables_properties,
    receivables_property_names,
};
use crate::engine::invoicing::customer_party::customer_object;
use crate::engine::invoicing::invoices::error::item_error;
use crate::engine::invoicing::invoices::properties::invoice_currency;
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError, MirroredInvoice};
use crate::hubspot::batch::{BatchReadOptions, UpdateInput};
use crate::hubspot::values::{parse_date, parse_decimal};
use crate::hubspot::{HubspotObject, ObjectType};
use crate::model::CustomerModel;
use crate::quickbooks::entities::Invoice;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// The HubSpot records that can be a QBO customer, with the property holding its QBO id.
pub const CUSTOMER_RECORDS: &[(ObjectType, &str)] = &[
    (ObjectType::Contacts, "qbo_customer_id"),
    (ObjectType::Companies, "qbo_customer_id"),
];

/// The rows of [`CUSTOMER_RECORDS`] the connection's customer model links (docs/admin.md §6):
/// contacts, or companies. Only that object is read, written and given the properties.
pub fn customer_records(
    model: CustomerModel,
) -> impl Iterator<Item = &'static (ObjectType, &'static str)> {
    let object = customer_object(model);
    CUSTOMER_RECORDS
        .iter()
        .filter(move |(kind, _)| *kind == object)
}

/// HubSpot's batch read limit (docs/hubspot.md §2.2).
const BATCH_READ: usize = 100;

/// The properties a customer's HubSpot record is read with so the receivables pass can
/// compare with it: the receivables and the link property (`qbo_customer_id`, the same on
/// contacts and companies). The invoice sync reads the customer's record with these, so the
/// job's receivables pass need not read it again (docs/hubspot.md §9.5).
pub fn customer_record_properties() -> Vec<String> {
    let mut names = receivables_property_names();
    names.push(CUSTOMER_RECORDS[0].1.to_owned());
    names
}

/// QBO customer id -> its HubSpot record as a job just read it with
/// [`customer_record_properties`].
pub type KnownRecords = BTreeMap<String, HubspotObject>;

/// What one refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivablesReport {
    /// Customers computed.
    pub customers: usize,
    /// HubSpot records written (only the changed properties).
    pub records_written: usize,
    /// HubSpot records already current (no write).
    pub records_unchanged: usize,
    /// Deals written for their own invoices.
    pub deals_written: usize,
}

impl ReceivablesReport {
    fn add(&mut self, other: ReceivablesReport) {
        self.customers += other.customers;
        self.records_written += other.records_written;
        self.records_unchanged += other.records_unchanged;
        self.deals_written += other.deals_written;
    }
}

/// The receivables properties exist once per connection and container (like the mirror's).
#[derive(Debug, Default)]
pub struct ReceivablesSchema(tokio::sync::OnceCell<()>);

impl ReceivablesSchema {
    /// Creates the group and properties on each customer record kind and on deals.
    pub async fn ensure(&self, mirror: &InvoiceMirror) -> Result<()> {
        self.0
            .get_or_try_init(|| async {
                let group = receivables_group();
                let kinds = customer_records(mirror.settings.customer_model)
                    .map(|(kind, _)| (*kind, customer_receivables_definitions()))
                    .chain([(ObjectType::Deals, deal_receivables_definitions())]);
                for (kind, definitions) in kinds {
                    mirror.hubspot.ensure_property_group(kind, &group).await?;
                    mirror.hubspot.ensure_properties(kind, &definitions).await?;
                }
                Ok::<(), InvoiceSyncError>(())
            })
            .await
            .map(drop)
    }
}

/// The receivables flow of one connection, on the invoice mirror's ports.
#[derive(Debug)]
pub struct ReceivablesFlow<'a> {
    pub mirror: &'a InvoiceMirror,
    pub schema: &'a ReceivablesSchema,
}

impl<'a> ReceivablesFlow<'a> {
    pub fn new(mirror: &'a InvoiceMirror, schema: &'a ReceivablesSchema) -> Self {
        ReceivablesFlow { mirror, schema }
    }

    /// The receivables pass of a payment job group (docs/hubspot.md §4.1): the `paid`
    /// customers recomputed with their last payment, the `credited` ones (a credit does not move
    /// the last payment) keeping the stored pair, and the `deals` in one pass
    /// (`deal::refresh_deals`). Calls: 2 QBO queries per paid customer (open invoices, latest
    /// payment), 1 per credited one; 1 HubSpot batch read per 100 customers not in `known` (the
    /// records the group's invoice pass read) and 1 write of the records that changed.
    pub async fn refresh_after_payments(
        &self,
        paid: &[String],
        credited: &[String],
        deals: &[String],
        known: &KnownRecords,
        today: NaiveDate,
    ) -> Result<ReceivablesReport> {
        self.refresh_customers_knowing(paid, credited, deals, known, today)
            .await
    }

    /// Recomputes QBO customer `customer_id` after an invoice change, which cannot move the
    /// last payment: the stored pair is kept and the payment query saved (1 QBO query, 1
    /// HubSpot batch read, at most 1 write; the `deals` as `deal::refresh_deals`).
    pub async fn refresh_after_invoice(
        &self,
        customer_id: &str,
        deals: &[String],
        today: NaiveDate,
    ) -> Result<ReceivablesReport> {
        let customers = [customer_id.to_owned()];
        self.refresh_customers_knowing(&[], &customers, deals, &KnownRecords::new(), today)
            .await
    }

    /// The receivables pass of a job group's mirrored invoices that moved something: each
    /// customer once, the deals their syncs left due (`deals_still_due`), and the customers'
    /// records as the syncs read them (`MirroredInvoice::customer_record`), so a group of one
    /// customer costs this pass its QBO query and one HubSpot write at most when its deals
    /// were refreshed by the sync (docs/hubspot.md §9.5). Nothing to do without a customer.
    pub async fn refresh_after_mirrored(
        &self,
        mirrored: &[&MirroredInvoice],
        today: NaiveDate,
    ) -> Result<ReceivablesReport> {
        let mut customers: Vec<String> = Vec::new();
        let mut deals: Vec<String> = Vec::new();
        let mut known = KnownRecords::new();
        for m in mirrored {
            let customer = m
                .invoice
                .as_ref()
                .and_then(|i| i.customer_ref.as_ref())
                .map(|r| r.value.clone());
            let Some(customer) = customer else { continue };
            if let Some(record) = &m.customer_record {
                known.insert(customer.clone(), record.clone());
            }
            if !customers.contains(&customer) {
                customers.push(customer);
            }
            for deal in deals_still_due(&m.deals, &m.deals_refreshed) {
                if !deals.contains(&deal) {
                    deals.push(deal);
                }
            }
        }
        if customers.is_empty() {
            return Ok(ReceivablesReport::default());
        }
        self.refresh_customers_knowing(&[], &customers, &deals, &known, today)
            .await
    }

    /// The one customer pass: the `paid` customers with their last payment, the `credited`
    /// ones (those also paid go with the paid) keeping the stored pair, their records taken
    /// from `known` where the job read them already, then the `deals` in one pass.
    async fn refresh_customers_knowing(
        &self,
        paid: &[String],
        credited: &[String],
        deals: &[String],
        known: &KnownRecords,
        today: NaiveDate,
    ) -> Result<ReceivablesReport> {
        self.schema.ensure(self.mirror).await?;
        let company = self.mirror.company().await?;
        let mut wanted = BTreeMap::new();
        for customer_id in paid {
            let open = self.mirror.qbo.open_invoices_of(customer_id).await?;
            let payment = self.mirror.qbo.latest_payment_of(customer_id).await?;
            let last = payment.as_ref().and_then(|p| LastPayment::latest([p]));
            let currency = open
                .first()
                .map(|i| invoice_currency(i, &company))
                .or_else(|| payment.and_then(|p| p.currency_ref).map(|r| r.value))
                .unwrap_or_else(|| company.home_currency.clone());
            let computed = receivables(&open_of(&open), last, &currency, today);
            wanted.insert(customer_id.clone(), computed);
        }
        for customer_id in credited.iter().filter(|c| !paid.contains(c)) {
            let open = self.mirror.qbo.open_invoices_of(customer_id).await?;
            let currency = open
                .first()
                .map(|i| invoice_currency(i, &company))
                .unwrap_or_else(|| company.home_currency.clone());
            let computed = receivables(&open_of(&open), None, &currency, today);
            wanted.insert(customer_id.clone(), computed);
        }
        let mut report = ReceivablesReport {
            customers: wanted.len(),
            ..ReceivablesReport::default()
        };
        report.add(self.write_records(&wanted, paid, known).await?);
        let deals: Vec<(String, Option<LatestCandidate>)> =
            deals.iter().map(|d| (d.clone(), None)).collect();
        report.deals_written += refresh_deals(self.mirror, &deals, today).await?;
        Ok(report)
    }

    /// The daily sweep: every customer with an open invoice is recomputed as of `today`, so the
    /// aging moves with the calendar. The last payment does not move with the calendar, so the
    /// record's stored pair is kept (invoice and payment changes refresh it). Calls: one QBO
    /// query per 1000 open invoices, one HubSpot batch read per 100 customers and record kind,
    /// one write per record whose values changed.
    pub async fn sweep(&self, today: NaiveDate) -> Result<ReceivablesReport> {
        self.schema.ensure(self.mirror).await?;
        let company = self.mirror.company().await?;
        let open = self.mirror.qbo.all_open_invoices().await?;
        let mut by_customer: BTreeMap<String, Vec<Invoice>> = BTreeMap::new();
        for invoice in open {
            if let Some(customer) = invoice.customer_ref.as_ref().map(|r| r.value.clone()) {
                by_customer.entry(customer).or_default().push(invoice);
            }
        }
        let wanted: BTreeMap<String, Receivables> = by_customer
            .iter()
            .map(|(customer, invoices)| {
                let currency = invoices
                    .first()
                    .map(|i| invoice_currency(i, &company))
                    .unwrap_or_else(|| company.home_currency.clone());
                let r = receivables(&open_of(invoices), None, &currency, today);
                (customer.clone(), r)
            })
            .collect();
        let mut report = ReceivablesReport {
            customers: wanted.len(),
            ..ReceivablesReport::default()
        };
        report.add(
            self.write_records(&wanted, &[], &KnownRecords::new())
                .await?,
        );
        Ok(report)
    }

    /// Reads the HubSpot records of `wanted`'s customers (in batches; those in `known` were
    /// read by the job already) and writes the changed properties: one batch write per 100.
    /// Only the `paid` customers' last-payment pair is written; the others keep the stored
    /// one (docs/hubspot.md §4.1). The one write policy of every receivables pass.
    async fn write_records(
        &self,
        wanted: &BTreeMap<String, Receivables>,
        paid: &[String],
        known: &KnownRecords,
    ) -> Result<ReceivablesReport> {
        let mut report = ReceivablesReport::default();
        for (kind, id_property) in customer_records(self.mirror.settings.customer_model) {
            let options = BatchReadOptions {
                properties: customer_record_properties(),
                id_property: Some((*id_property).to_owned()),
                ..BatchReadOptions::default()
            };
            let in_hand: Vec<HubspotObject> = wanted
                .keys()
                .filter_map(|id| known.get(id).cloned())
                .collect();
            let ids: Vec<String> = wanted
                .keys()
                .filter(|id| !known.contains_key(*id))
                .cloned()
                .collect();
            let mut found = in_hand;
            for chunk in ids.chunks(BATCH_READ) {
                let read = self
                    .mirror
                    .hubspot
                    .read_records(*kind, chunk, &options)
                    .await?;
                found.extend(read.found);
            }
            let mut changes = Vec::new();
            for record in found {
                let Some((customer, r)) = record
                    .get(id_property)
                    .and_then(|id| wanted.get_key_value(id))
                else {
                    continue;
                };
                let mut values = receivables_properties(r);
                if !paid.contains(customer) {
                    values.remove(LAST_PAYMENT_DATE);
                    values.remove(LAST_PAYMENT_AMOUNT);
                }
                match receivables_update(&record, &values) {
                    Some(change) => changes.push(change),
                    None => report.records_unchanged += 1,
                }
            }
            // Batch updates take 100 inputs each (docs/hubspot.md §2.2).
            for chunk in changes.chunks(BATCH_READ) {
                report.records_written += self.write_changes(*kind, chunk).await?;
            }
        }
        Ok(report)
    }

    /// Writes the changed values: one update for one record, one batch update for several
    /// (docs/hubspot.md §2.2). Answers how many records were written.
    async fn write_changes(&self, kind: ObjectType, changes: &[UpdateInput]) -> Result<usize> {
        match changes {
            [] => Ok(0),
            [one] => {
                self.mirror
                    .hubspot
                    .update_record(kind, &one.id, &one.properties)
                    .await?;
                Ok(1)
            }
            many => {
                let outcome = self.mirror.hubspot.update_records(kind, many).await;
                if let Some((_, error)) = outcome.failed().next() {
                    return Err(item_error(error).into());
                }
                Ok(outcome.written().count())
            }
        }
    }
}

/// The update of `record` to `values` where they differ from what it holds.
fn receivables_update(
    record: &HubspotObject,
    values: &crate::hubspot::PropertyWrites,
) -> Option<UpdateInput> {
    let changed = changed_properties(&record.properties, values);
    (!changed.is_empty()).then(|| UpdateInput {
        id: record.id.clone(),
        properties: changed,
    })
}

fn open_of(invoices: &[Invoice]) -> Vec<OpenInvoice> {
    invoices
        .iter()
        .filter_map(OpenInvoice::from_invoice)
        .collect()
}

/// A mirrored HubSpot invoice's open part, from the values the mirror wrote (`qbo_balance`,
/// `qbo_due_date`, `qbo_status`; docs/hubspot.md §2.8).
pub fn open_of_mirrored(invoice: &HubspotObject) -> Option<OpenInvoice> {
    use crate::engine::invoicing::invoices::properties::{QBO_BALANCE, QBO_DUE_DATE, QBO_STATUS};
    if invoice.get(QBO_STATUS) == Some("voided") {
        return None;
    }
    let balance = invoice
        .get(QBO_BALANCE)
        .and_then(|b| parse_decimal(b).ok())?;
    OpenInvoice::from_parts(
        balance,
        invoice.get(QBO_DUE_DATE).and_then(|d| parse_date(d).ok()),
    )
}

/// Adds the QBO customer and the HubSpot deals of a mirrored invoice to the lists a flow
/// reports, once each (the payment flow's hook, docs/hubspot.md §4.1); `refreshed` collects the
/// deals the invoice sync already brought current.
pub fn note_touched(
    mirrored: &crate::engine::invoicing::invoices::MirroredInvoice,
    customers: &mut Vec<String>,
    deals: &mut Vec<String>,
    refreshed: &mut Vec<String>,
) {
    let customer = mirrored
        .invoice
        .as_ref()
        .and_then(|i| i.customer_ref.as_ref())
        .map(|r| r.value.clone());
    let unseen = |list: &Vec<String>, v: &String| !list.contains(v);
    if let Some(c) = customer
        && unseen(customers, &c)
    {
        customers.push(c);
    }
    for deal in &mirrored.deals {
        if unseen(deals, deal) {
            deals.push(deal.clone());
        }
    }
    for deal in &mirrored.deals_refreshed {
        if unseen(refreshed, deal) {
            refreshed.push(deal.clone());
        }
    }
}

/// The deals of `touched` that no invoice sync of the job refreshed already.
pub fn deals_still_due(touched: &[String], refreshed: &[String]) -> Vec<String> {
    touched
        .iter()
        .filter(|d| !refreshed.contains(d))
        .cloned()
        .collect()
}

/// Whether a mirrored invoice moved what its customer and deals owe: an unchanged one (the echo
/// of a job that refreshed already) or one with nothing to mirror did not. The one rule for
/// invoice and payment jobs (docs/hubspot.md §4.1).
pub fn moves_receivables(outcome: crate::engine::invoicing::invoices::MirrorOutcome) -> bool {
    use crate::engine::invoicing::invoices::MirrorOutcome;
    !matches!(outcome, MirrorOutcome::Unchanged | MirrorOutcome::Skipped)
}

//! A job group's QBO invoices mirrored into HubSpot in batches (docs/hubspot.md §9.5): one
//! read of their HubSpot copies, batch creates and updates, one refresh per deal.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use futures::stream::{self, StreamExt};

use super::error::{InvoiceSyncError, item_error};
use super::lines::item_ids;
use super::mirror::{
    InvoiceMirror, MirrorOutcome, MirroredInvoice, create_input, mirrored_invoice_properties,
    skipped, update_properties,
};
use super::properties::{
    CompanyFacts, HS_OPEN, HS_STATUS, QBO_INVOICE_ID, QBO_LAST_UPDATED, QBO_LINES_SIGNATURE,
    hubspot_status, invoice_properties, new_invoice_properties,
};
use super::write_plan::{PartyLookup, WritePlan, lines_unchanged, same_version_echo};
use crate::engine::invoicing::customer_party::{
    CustomerParty, customer_object, linked_party_record,
};
use crate::engine::invoicing::deal::{invoice_stage, is_voided};
use crate::engine::invoicing::receivables::deal::{
    KnownInvoices, LatestCandidate, refresh_deals_knowing,
};
use crate::engine::invoicing::receivables::refresh::customer_record_properties;
use crate::hubspot::PropertyWrites;
use crate::hubspot::associations::type_ids;
use crate::hubspot::batch::{BatchItemError, BatchReadOptions, ItemOutcome, UpdateInput};
use crate::hubspot::error::ApiErrorBody;
use crate::hubspot::objects::{AssociationRef, AssociationRefs};
use crate::hubspot::{CreateInput, HubspotError, HubspotObject, InlineAssociation, ObjectType};
use crate::model::CustomerModel;
use crate::quickbooks::QboError;
use crate::quickbooks::entities::Invoice;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// The property linking a HubSpot contact or company to its QBO customer (the two-way sync's).
const CUSTOMER_LINK: &str = "qbo_customer_id";
/// QBO reads in flight at once for one group (QBO allows 10 concurrent requests per company,
/// docs/quickbooks.md §9; the client's own limiter keeps the rest).
const QBO_READS_IN_FLIGHT: usize = 4;

/// Up to this many copies are read one GET each with their associations (1 call each);
/// more take a batch read and two association batch reads (3 calls).
const GET_EACH_UP_TO: usize = 2;

/// A written invoice: its HubSpot id, what happened and its properties afterwards.
type Written = (String, MirrorOutcome, PropertyWrites);

impl InvoiceMirror {
    /// The invoices `ids` mirrored as one group (`sync_invoices`), by QBO id; one the group
    /// could not mirror is left out, for its document's own sync to mirror and report.
    pub async fn sync_invoices_kept(
        &self,
        ids: &[String],
        today: NaiveDate,
    ) -> Result<BTreeMap<String, MirroredInvoice>> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let results = self.sync_invoices(ids, today).await?;
        Ok(ids
            .iter()
            .cloned()
            .zip(results)
            .filter_map(|(id, result)| result.ok().map(|m| (id, m)))
            .collect())
    }

    /// Brings the HubSpot invoices of QBO invoices `ids` (one job group) up to date as of
    /// `today`, one answer per id in order. The HubSpot calls are per group, not per invoice:
    /// one batch read of the copies (and one association read each for their deals and
    /// contacts), one of the contacts and one of the products, batch creates and updates of the
    /// invoices and their line items, and one pass per deal. A record HubSpot refuses fails
    /// alone with HubSpot's message; the `Err` is a failure of the whole group (a read, a deal).
    pub async fn sync_invoices(
        &self,
        ids: &[String],
        today: NaiveDate,
    ) -> Result<Vec<Result<MirroredInvoice>>> {
        if let [id] = ids {
            // One invoice: the single read brings its associations along (one call, not three).
            return Ok(vec![self.sync_invoice(id, today).await]);
        }
        self.ensure_schema().await?;
        let company = self.company().await?;
        let mut existing = self.find_hubspot_invoices(ids).await?;
        let reads = self.read_qbo_invoices(ids).await;
        let mut answers: Vec<Option<Result<MirroredInvoice>>> = ids.iter().map(|_| None).collect();
        let mut to_plan = Vec::new();
        for (i, (id, read)) in ids.iter().zip(reads).enumerate() {
            let hs = existing.remove(id);
            let answer = match (read, hs) {
                (Err(e), _) => Err(e.into()),
                (Ok(None), None) => Ok(skipped(None)),
                (Ok(Some(inv)), None) if is_voided(&inv) => Ok(skipped(Some(inv))),
                (Ok(None), Some(hs)) => self.void_removed(hs, None, today).await,
                (Ok(Some(inv)), Some(hs)) if is_voided(&inv) => {
                    self.void_removed(hs, Some(inv), today).await
                }
                (Ok(Some(inv)), hs) => {
                    match same_version_echo(&inv, hs.as_ref(), today, &company) {
                        Some(echo) => Ok(echo),
                        None => {
                            to_plan.push((i, inv, hs));
                            continue;
                        }
                    }
                }
            };
            answers[i] = Some(answer);
        }
        let customers: Vec<&Invoice> = to_plan.iter().map(|(_, inv, _)| inv).collect();
        let parties = self.linked_parties(&customers).await?;
        // Only the invoices whose lines changed need their products (a payment's echo moves
        // the balance and status alone).
        let items: BTreeSet<String> = to_plan
            .iter()
            .filter(|(_, inv, hs)| !lines_unchanged(inv, hs.as_ref()))
            .flat_map(|(_, inv, _)| item_ids(inv))
            .collect();
        let products = self
            .linked_products(&items.into_iter().collect::<Vec<_>>())
            .await?;
        let mut creates = Vec::new();
        let mut updates = Vec::new();
        for (i, invoice, hs) in to_plan {
            let Some(customer) = invoice.customer_ref.clone() else {
                answers[i] = Some(Err(InvoiceSyncError::NeedsAttention(
                    "the QuickBooks invoice has no customer".into(),
                )));
                continue;
            };
            let linked = parties.get(&customer.value).cloned();
            let record = linked.as_ref().and_then(|(_, record)| record.clone());
            let party: PartyLookup = linked
                .map(|(party, _)| party)
                .ok_or((customer.value, customer.name));
            let products = (!lines_unchanged(&invoice, hs.as_ref())).then_some(&products);
            let planned = self
                .plan_write(invoice, hs, party, products)
                .await
                .map(|mut plan| {
                    plan.customer_record = record;
                    plan
                });
            match planned {
                Err(e) => answers[i] = Some(Err(e)),
                Ok(plan) if plan.existing.is_none() => creates.push((i, plan)),
                Ok(plan) => match plan.clone().unchanged(today, &company) {
                    Some(unchanged) => answers[i] = Some(Ok(unchanged)),
                    None => updates.push((i, plan)),
                },
            }
        }
        let mut written = self.create_all(creates, today, &company).await;
        written.extend(self.update_all(updates, today, &company).await?);
        self.refresh_group_deals(&written, today).await?;
        for (i, plan, result) in written {
            answers[i] = Some(result.map(|(id, outcome, properties)| {
                let refreshed = plan.deal.iter().map(|d| d.deal_id().to_owned()).collect();
                plan.mirrored(outcome, id, properties, refreshed, &company)
            }));
        }
        Ok(answers
            .into_iter()
            .map(|a| a.expect("every invoice of the group is answered"))
            .collect())
    }

    /// The HubSpot copies of QBO invoices `ids` by `qbo_invoice_id`, with their deals and
    /// contacts: one batch read per 100 (`idProperty`, docs/hubspot.md §2.1) and, when any
    /// exist, one associations batch read each for deals and contacts (§3). Two or fewer are
    /// read one by one with their associations (`associations=` on the GET): at most two
    /// calls instead of three.
    async fn find_hubspot_invoices(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, HubspotObject>> {
        if ids.len() <= GET_EACH_UP_TO {
            let mut found = BTreeMap::new();
            for id in ids {
                if let Some(hs) = self.find_hubspot_invoice(id).await? {
                    found.insert(id.clone(), hs);
                }
            }
            return Ok(found);
        }
        let options = BatchReadOptions {
            properties: mirrored_invoice_properties(),
            id_property: Some(QBO_INVOICE_ID.into()),
            ..BatchReadOptions::default()
        };
        let read = self.hubspot.read_invoices(ids, &options).await?;
        if let Some(error) = read.errors.first() {
            return Err(item_error(error).into());
        }
        let mut found: Vec<HubspotObject> = read.found;
        if found.is_empty() {
            return Ok(BTreeMap::new());
        }
        let hubspot_ids: Vec<String> = found.iter().map(|o| o.id.clone()).collect();
        for to in [ObjectType::Deals, ObjectType::Contacts] {
            let associated = self
                .hubspot
                .associated_ids_of_many(ObjectType::Invoices, &hubspot_ids, to)
                .await?;
            for object in &mut found {
                let results = associated
                    .get(&object.id)
                    .into_iter()
                    .flatten()
                    .map(|id| AssociationRef {
                        id: id.clone(),
                        kind: None,
                    })
                    .collect();
                object.associations.insert(
                    to.path_name().to_owned(),
                    AssociationRefs {
                        results,
                        paging: None,
                    },
                );
            }
        }
        Ok(found
            .into_iter()
            .filter_map(|o| Some((o.get(QBO_INVOICE_ID)?.to_owned(), o)))
            .collect())
    }

    /// The QBO invoices, `None` when deleted; a few reads at a time.
    async fn read_qbo_invoices(
        &self,
        ids: &[String],
    ) -> Vec<std::result::Result<Option<Invoice>, QboError>> {
        // Owned ids: futures that borrow one are not `Send` for every lifetime.
        stream::iter(ids.to_vec())
            .map(|id: String| async move {
                match self.qbo.read_invoice(&id).await {
                    Ok(invoice) => Ok(Some(invoice)),
                    Err(QboError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .buffered(QBO_READS_IN_FLIGHT)
            .collect()
            .await
    }

    /// QBO customer id -> its linked HubSpot party and record (with its receivables values,
    /// for the job's receivables pass), for the invoices' customers: one batch read of the
    /// contacts by `qbo_customer_id` under the contact model; under the company model each
    /// company and its contacts (`customer_party::linked_party_record`).
    async fn linked_parties(
        &self,
        invoices: &[&Invoice],
    ) -> Result<BTreeMap<String, (CustomerParty, Option<HubspotObject>)>> {
        let customers: BTreeSet<String> = invoices
            .iter()
            .filter_map(|inv| inv.customer_ref.as_ref().map(|r| r.value.clone()))
            .collect();
        let mut parties = BTreeMap::new();
        if customers.is_empty() {
            return Ok(parties);
        }
        let model = self.settings.customer_model;
        let properties = customer_record_properties();
        if model == CustomerModel::Company {
            for customer in customers {
                let linked =
                    linked_party_record(&*self.hubspot, model, &customer, &properties).await?;
                if let Some((party, record)) = linked {
                    parties.insert(customer, (party, Some(record)));
                }
            }
            return Ok(parties);
        }
        let options = BatchReadOptions {
            properties,
            id_property: Some(CUSTOMER_LINK.into()),
            ..BatchReadOptions::default()
        };
        let ids: Vec<String> = customers.into_iter().collect();
        let read = self
            .hubspot
            .read_records(customer_object(model), &ids, &options)
            .await?;
        for record in read.found {
            if let Some(customer) = record.get(CUSTOMER_LINK) {
                let party = CustomerParty {
                    contact: Some(record.id.clone()),
                    company: None,
                };
                parties.insert(customer.to_owned(), (party, Some(record.clone())));
            }
        }
        Ok(parties)
    }

    /// New invoices: created `open` with their line items inline (`create::create_open_all`, 2
    /// calls), or where HubSpot refuses that as drafts, their line items and a batch update to
    /// `open` (3 calls); one more batch update for those already paid (docs/hubspot.md §2.8:
    /// draft -> open -> paid).
    async fn create_all(
        &self,
        creates: Vec<(usize, WritePlan)>,
        today: NaiveDate,
        company: &CompanyFacts,
    ) -> Vec<(usize, WritePlan, Result<Written>)> {
        if creates.is_empty() {
            return Vec::new();
        }
        let mut props: Vec<PropertyWrites> = Vec::with_capacity(creates.len());
        for (_, plan) in &creates {
            let mut p = new_invoice_properties(&plan.invoice, today, company);
            plan.insert_signatures(&mut p);
            props.push(p);
        }
        let opened = if self.opens_on_create(creates.iter().map(|(_, plan)| plan)) {
            self.create_open_all(&creates, &props).await
        } else {
            self.create_drafts_then_open(&creates, &props).await
        };
        let stages: Vec<&'static str> = creates
            .iter()
            .map(|(_, plan)| hubspot_status(invoice_stage(&plan.invoice, today)))
            .collect();
        let moved = self.advance_all(opened, &stages).await;
        creates
            .into_iter()
            .zip(props)
            .zip(moved)
            .map(|(((i, plan), mut p), result)| {
                let result = result.map(|(id, status)| {
                    p.insert(HS_STATUS.into(), status.into());
                    (id, MirrorOutcome::Created, p)
                });
                (i, plan, result)
            })
            .collect()
    }

    /// The documented order for a group's new invoices (docs/hubspot.md §2.8): one batch
    /// create of the drafts (contact and deal inline), one of all their line items, one batch
    /// update to `open`; the ids of those opened, in order.
    async fn create_drafts_then_open(
        &self,
        creates: &[(usize, WritePlan)],
        props: &[PropertyWrites],
    ) -> Vec<Result<String>> {
        let inputs: Vec<CreateInput> = creates
            .iter()
            .zip(props)
            .map(|((_, plan), p)| create_input(plan, p))
            .collect();
        let outcome = self.hubspot.create_invoices(inputs.clone()).await;
        let mut created: Vec<Result<String>> = Vec::with_capacity(creates.len());
        for (k, input) in inputs.iter().enumerate() {
            created.push(match outcome.items.get(k).map(|item| &item.outcome) {
                Some(ItemOutcome::Written(o)) => Ok(o.id.clone()),
                // The whole request failed (not one input): each one alone, so the others land.
                Some(ItemOutcome::Failed(e)) if whole_request(e) => self
                    .hubspot
                    .create_invoice(input)
                    .await
                    .map(|o| o.id)
                    .map_err(Into::into),
                Some(ItemOutcome::Failed(e)) => Err(item_error(e).into()),
                Some(ItemOutcome::Unreported) | None => Err(unreported("create")),
            });
        }
        let lines = self.create_lines_of(creates, created).await;
        self.open_all(lines).await
    }

    /// The line items of the written invoices, one batch create for all of them; an invoice
    /// with a refused line item fails alone (a new one stays a draft, as in the one-invoice
    /// path).
    async fn create_lines_of(
        &self,
        plans: &[(usize, WritePlan)],
        ids: Vec<Result<String>>,
    ) -> Vec<Result<String>> {
        let mut inputs = Vec::new();
        let mut owner = Vec::new();
        for (k, ((_, plan), id)) in plans.iter().zip(&ids).enumerate() {
            let Ok(id) = id else { continue };
            for props in &plan.lines {
                let mut input = CreateInput::new(props.clone());
                input
                    .associations
                    .push(InlineAssociation::to(id, type_ids::LINE_ITEM_TO_INVOICE));
                inputs.push(input);
                owner.push(k);
            }
        }
        let mut failures: BTreeMap<usize, String> = BTreeMap::new();
        if !inputs.is_empty() {
            let outcome = self.hubspot.create_line_items(inputs).await;
            for (n, k) in owner.iter().enumerate() {
                let message = match outcome.items.get(n).map(|item| &item.outcome) {
                    Some(ItemOutcome::Written(_)) => continue,
                    Some(ItemOutcome::Failed(e)) => e.message.clone(),
                    Some(ItemOutcome::Unreported) | None => {
                        "HubSpot did not report the line item".into()
                    }
                };
                failures.entry(*k).or_insert(message);
            }
        }
        ids.into_iter()
            .enumerate()
            .map(|(k, id)| {
                let id = id?;
                match failures.remove(&k) {
                    Some(message) => Err(InvoiceSyncError::NeedsAttention(format!(
                        "line items of invoice {id} could not be created: {message}"
                    ))),
                    None => Ok(id),
                }
            })
            .collect()
    }

    /// Opens each new invoice (`draft` -> `open`, docs/hubspot.md §2.8) in one batch update.
    async fn open_all(&self, ids: Vec<Result<String>>) -> Vec<Result<String>> {
        let inputs = ids
            .iter()
            .filter_map(|id| id.as_ref().ok())
            .map(|id| status_input(id, HS_OPEN))
            .collect();
        let mut answers = self.update_each(inputs).await;
        ids.into_iter()
            .map(|id| {
                let id = id?;
                match answers.remove(&id) {
                    Some(Err(e)) => Err(e.into()),
                    _ => Ok(id),
                }
            })
            .collect()
    }

    /// Moves each open invoice on to its stage's status (`stages[k]`, paid before it was first
    /// mirrored) in one batch update. HubSpot may refuse `paid` by update (UNVERIFIED,
    /// docs/hubspot.md §2.8): then it stays `open` and `qbo_status` alone shows QBO's state.
    async fn advance_all(
        &self,
        ids: Vec<Result<String>>,
        stages: &[&'static str],
    ) -> Vec<Result<(String, &'static str)>> {
        let inputs = ids
            .iter()
            .zip(stages)
            .filter(|(_, next)| **next != HS_OPEN)
            .filter_map(|(id, next)| Some(status_input(id.as_ref().ok()?, next)))
            .collect();
        let mut answers = self.update_each(inputs).await;
        ids.into_iter()
            .zip(stages)
            .map(|(id, next)| {
                let id = id?;
                match answers.remove(&id) {
                    None => Ok((id, HS_OPEN)),
                    Some(Ok(())) => Ok((id, *next)),
                    Some(Err(HubspotError::Validation { .. } | HubspotError::Conflict { .. })) => {
                        Ok((id, HS_OPEN))
                    }
                    Some(Err(e)) => Err(e.into()),
                }
            })
            .collect()
    }

    /// One batch update of `inputs` (by record id), answered per id. When the whole request
    /// failed rather than single inputs, each input is updated alone so the others land.
    async fn update_each(
        &self,
        inputs: Vec<UpdateInput>,
    ) -> BTreeMap<String, std::result::Result<(), HubspotError>> {
        let mut answers = BTreeMap::new();
        if inputs.is_empty() {
            return answers;
        }
        let outcome = self.hubspot.update_invoices(&inputs).await;
        for (k, input) in inputs.iter().enumerate() {
            let answer = match outcome.items.get(k).map(|item| &item.outcome) {
                Some(ItemOutcome::Written(_)) => Ok(()),
                Some(ItemOutcome::Failed(e)) if whole_request(e) => {
                    self.hubspot
                        .update_invoice(&input.id, &input.properties)
                        .await
                }
                Some(ItemOutcome::Failed(e)) => Err(item_error(e)),
                Some(ItemOutcome::Unreported) | None => Err(HubspotError::Transient {
                    status: 502,
                    retry_after: None,
                    body: Box::new(ApiErrorBody {
                        message: Some(
                            "HubSpot did not report this input of the batch update".into(),
                        ),
                        ..ApiErrorBody::default()
                    }),
                }),
            };
            answers.insert(input.id.clone(), answer);
        }
        answers
    }

    /// Changed invoices: one batch update of their values; an update HubSpot refuses for its
    /// status is written again without it (the amounts and `qbo_status` still follow QBO).
    /// Those whose lines changed get new line items (one association read, one batch create,
    /// one batch archive of the old ones); a newly chosen deal is associated.
    async fn update_all(
        &self,
        updates: Vec<(usize, WritePlan)>,
        today: NaiveDate,
        company: &CompanyFacts,
    ) -> Result<Vec<(usize, WritePlan, Result<Written>)>> {
        if updates.is_empty() {
            return Ok(Vec::new());
        }
        let mut props = Vec::with_capacity(updates.len());
        let mut inputs = Vec::with_capacity(updates.len());
        for (_, plan) in &updates {
            let hs = plan
                .existing
                .as_ref()
                .expect("an update has its HubSpot invoice");
            let p = update_properties(plan, hs, today, company);
            inputs.push(UpdateInput {
                id: hs.id.clone(),
                properties: p.clone(),
            });
            props.push(p);
        }
        let mut answers = self.update_each(inputs).await;
        let mut results: Vec<Result<String>> = Vec::with_capacity(updates.len());
        for ((_, plan), p) in updates.iter().zip(props.iter_mut()) {
            let id = plan
                .existing
                .as_ref()
                .map(|hs| hs.id.clone())
                .unwrap_or_default();
            results.push(match answers.remove(&id) {
                Some(Err(HubspotError::Validation { .. } | HubspotError::Conflict { .. }))
                    if p.contains_key(HS_STATUS) =>
                {
                    p.remove(HS_STATUS);
                    self.hubspot
                        .update_invoice(&id, p)
                        .await
                        .map(|()| id)
                        .map_err(Into::into)
                }
                Some(Err(e)) => Err(e.into()),
                Some(Ok(())) | None => Ok(id),
            });
        }
        // New lines for the invoices whose lines changed.
        let relined: Vec<bool> = updates
            .iter()
            .zip(&results)
            .map(|((_, plan), r)| {
                r.is_ok()
                    && plan
                        .existing
                        .as_ref()
                        .and_then(|hs| hs.get(QBO_LINES_SIGNATURE))
                        != Some(plan.signature.as_str())
            })
            .collect();
        let relined_ids: Vec<String> = updates
            .iter()
            .zip(&relined)
            .filter(|(_, r)| **r)
            .filter_map(|((_, plan), _)| plan.existing.as_ref().map(|hs| hs.id.clone()))
            .collect();
        let old_lines = self
            .hubspot
            .associated_ids_of_many(ObjectType::Invoices, &relined_ids, ObjectType::LineItems)
            .await?;
        let (line_plans, line_ids): (Vec<(usize, WritePlan)>, Vec<Result<String>>) = updates
            .iter()
            .zip(results.iter_mut())
            .zip(&relined)
            .filter(|(_, r)| **r)
            .map(|(((i, plan), id), _)| {
                let id = std::mem::replace(id, Ok(String::new()));
                ((*i, plan.clone()), id)
            })
            .unzip();
        let relined_results = self.create_lines_of(&line_plans, line_ids).await;
        let mut archive = Vec::new();
        let mut relined_results = relined_results.into_iter();
        for (result, r) in results.iter_mut().zip(&relined) {
            if !*r {
                continue;
            }
            let done = relined_results
                .next()
                .expect("one answer per relined invoice");
            if let Ok(id) = &done {
                archive.extend(old_lines.get(id).into_iter().flatten().cloned());
            }
            *result = done;
        }
        if !archive.is_empty() {
            self.hubspot.archive_line_items(&archive).await?;
        }
        let mut out = Vec::with_capacity(updates.len());
        for (((i, plan), p), result) in updates.into_iter().zip(props).zip(results) {
            let mut result = result;
            if let (Ok(id), Some(d)) = (&result, &plan.deal)
                && !plan.deal_recorded
                && let Err(e) = self
                    .hubspot
                    .associate_default(ObjectType::Invoices, id, ObjectType::Deals, d.deal_id())
                    .await
            {
                result = Err(e.into());
            }
            let hs = plan
                .existing
                .as_ref()
                .expect("an update has its HubSpot invoice");
            let mut merged = hs.properties.clone();
            merged.extend(p);
            let result = result.map(|id| (id, MirrorOutcome::Updated, merged));
            out.push((i, plan, result));
        }
        Ok(out)
    }

    /// One deal pass for all the deals of the written invoices (not one per invoice or deal,
    /// `receivables::deal::refresh_deals`): their receivables and the latest-invoice values of
    /// the group's most recently updated invoice on each.
    async fn refresh_group_deals(
        &self,
        written: &[(usize, WritePlan, Result<Written>)],
        today: NaiveDate,
    ) -> Result<()> {
        let company = self.company().await?;
        let mut latest: BTreeMap<&str, (String, &str, &Invoice)> = BTreeMap::new();
        for (_, plan, result) in written {
            let (Ok((id, _, _)), Some(deal)) = (result, &plan.deal) else {
                continue;
            };
            let stamp = invoice_properties(&plan.invoice, today, &company)
                .remove(QBO_LAST_UPDATED)
                .unwrap_or_default();
            let later = latest
                .get(deal.deal_id())
                .is_none_or(|(best, _, _)| stamp >= *best);
            if later {
                latest.insert(deal.deal_id(), (stamp, id.as_str(), &plan.invoice));
            }
        }
        let deals: Vec<(String, Option<LatestCandidate>)> = latest
            .into_iter()
            .map(|(deal, (_, hubspot_id, invoice))| {
                let latest = LatestCandidate {
                    hubspot_id,
                    invoice,
                };
                (deal.to_owned(), Some(latest))
            })
            .collect();
        // The group's own invoices as just written: the pass reads only the deals' others.
        let known: KnownInvoices = written
            .iter()
            .filter_map(|(_, _, result)| result.as_ref().ok())
            .map(|(id, _, properties)| (id.clone(), properties.clone()))
            .collect();
        refresh_deals_knowing(self, &deals, &known, today).await?;
        Ok(())
    }
}

/// A batch failure of the whole request (it carries the HTTP status) that is not worth a
/// retry: the inputs are tried one by one.
pub(super) fn whole_request(e: &BatchItemError) -> bool {
    e.status.is_some() && !e.retryable
}

fn status_input(id: &str, status: &str) -> UpdateInput {
    UpdateInput {
        id: id.to_owned(),
        properties: [(HS_STATUS.to_owned(), status.to_owned())].into(),
    }
}

pub(super) fn unreported(what: &str) -> InvoiceSyncError {
    HubspotError::Transient {
        status: 502,
        retry_after: None,
        body: Box::new(ApiErrorBody {
            message: Some(format!(
                "HubSpot did not report this input of the batch {what}"
            )),
            ..ApiErrorBody::default()
        }),
    }
    .into()
}

//! In-memory HubSpot and QBO behind the invoicing ports: records, associations and the calls
//! made, so each flow runs in a unit test (searches are not evaluated: they answer an error).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::hubspot::action_callbacks::{ExecutionState, OutputFields};
use crate::hubspot::associations::{
    AssociatedRecord, AssociationTypeLabel, HUBSPOT_DEFINED, type_ids,
};
use crate::hubspot::batch::{
    BatchItem, BatchItemError, BatchReadOptions, BatchReadOutcome, BatchWriteOutcome, ItemOutcome,
    UpdateInput,
};
use crate::hubspot::error::ApiErrorBody;
use crate::hubspot::objects::{AssociationRef, AssociationRefs, NextPage, Paging};
use crate::hubspot::search::{SearchRequest, SearchScan};
use crate::hubspot::{
    CreateInput, GetOptions, HubspotError, HubspotObject, ObjectType, PropertyDefinition,
    PropertyGroup, PropertyWrites,
};
use crate::model::DocKind;
use crate::ports::invoicing::{
    HubspotAssociations, HubspotCrmRecords, HubspotInvoices, HubspotLineItems, HubspotSchema,
    HubspotTimeline, QboCatalog, QboCompanySetup, QboInvoices, QboPayments, WorkflowCallbacks,
};
use crate::quickbooks::entities::{
    Account, CompanyInfo, Customer, Invoice, Item, Payment, Preferences, RefundReceipt,
};
use crate::quickbooks::error::ApiFault;
use crate::quickbooks::{QboError, RequestId};

type HsResult<T> = Result<T, HubspotError>;

fn missing() -> ApiFault {
    ApiFault {
        status: 404,
        fault_type: None,
        errors: Vec::new(),
        intuit_tid: None,
    }
}

#[derive(Debug, Default)]
struct Portal {
    objects: BTreeMap<(ObjectType, String), HubspotObject>,
    /// Both directions of each association.
    associations: Vec<(ObjectType, String, ObjectType, String)>,
    /// Labels of associations, one direction each (`from`, `from_id`, `to`, `to_id`, label).
    labels: Vec<(ObjectType, String, ObjectType, String, String)>,
    next_id: u64,
    completed: Vec<(String, ExecutionState, OutputFields)>,
    /// Refuse an invoice create that names a status (a portal where only drafts can be
    /// created, docs/hubspot.md §2.8 UNVERIFIED).
    drafts_only: bool,
    /// Invoice creates asked for, refused ones included.
    invoice_creates: usize,
    /// Associations on a GET come in pages of this many (`paging.next` when more follow);
    /// `None`: all at once.
    association_page: Option<usize>,
}

/// A HubSpot portal in memory.
#[derive(Debug, Default)]
pub struct FakeHubspot {
    portal: Mutex<Portal>,
}

fn not_found() -> HubspotError {
    HubspotError::NotFound {
        body: Box::new(ApiErrorBody::default()),
    }
}

/// The record type an inline association of `type_id` points to.
fn target_of(type_id: u32) -> ObjectType {
    match type_id {
        type_ids::INVOICE_TO_CONTACT | type_ids::PAYMENT_TO_CONTACT | type_ids::NOTE_TO_CONTACT => {
            ObjectType::Contacts
        }
        type_ids::INVOICE_TO_COMPANY | type_ids::PAYMENT_TO_COMPANY | type_ids::NOTE_TO_COMPANY => {
            ObjectType::Companies
        }
        type_ids::INVOICE_TO_DEAL | type_ids::NOTE_TO_DEAL => ObjectType::Deals,
        type_ids::LINE_ITEM_TO_INVOICE | type_ids::PAYMENT_TO_INVOICE => ObjectType::Invoices,
        type_ids::INVOICE_TO_LINE_ITEM => ObjectType::LineItems,
        other => panic!("the fake does not know association type {other}"),
    }
}

impl Portal {
    fn insert(&mut self, object_type: ObjectType, properties: PropertyWrites) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let object = HubspotObject {
            id: id.clone(),
            properties: properties.into_iter().collect(),
            ..HubspotObject::default()
        };
        self.objects.insert((object_type, id.clone()), object);
        id
    }

    fn associate(&mut self, from: ObjectType, from_id: &str, to: ObjectType, to_id: &str) {
        let pair = (from, from_id.to_owned(), to, to_id.to_owned());
        if !self.associations.contains(&pair) {
            self.associations.push(pair);
            self.associations
                .push((to, to_id.to_owned(), from, from_id.to_owned()));
        }
    }

    fn find(
        &self,
        object_type: ObjectType,
        id: &str,
        id_property: Option<&str>,
    ) -> Option<&HubspotObject> {
        match id_property {
            None => self.objects.get(&(object_type, id.to_owned())),
            Some(p) => self
                .objects
                .iter()
                .find(|((t, _), o)| *t == object_type && o.get(p) == Some(id))
                .map(|(_, o)| o),
        }
    }

    fn associated(&self, from: ObjectType, id: &str, to: ObjectType) -> Vec<String> {
        self.associations
            .iter()
            .filter(|(f, fid, t, _)| *f == from && fid == id && *t == to)
            .map(|(_, _, _, tid)| tid.clone())
            .collect()
    }

    fn create(&mut self, object_type: ObjectType, input: &CreateInput) -> HubspotObject {
        let id = self.insert(object_type, input.properties.clone());
        for association in &input.associations {
            for spec in &association.types {
                let to = target_of(spec.association_type_id);
                self.associate(object_type, &id, to, &association.to.id);
            }
        }
        self.objects[&(object_type, id)].clone()
    }

    fn get(
        &self,
        object_type: ObjectType,
        id: &str,
        options: &GetOptions,
    ) -> HsResult<HubspotObject> {
        let mut found = self
            .find(object_type, id, options.id_property.as_deref())
            .cloned()
            .ok_or_else(not_found)?;
        for name in &options.associations {
            let to = ObjectType::from_path_name(name).expect("a known object type");
            let mut results: Vec<AssociationRef> = self
                .associated(object_type, &found.id, to)
                .into_iter()
                .map(|id| AssociationRef { id, kind: None })
                .collect();
            let mut paging = None;
            if let Some(page) = self.association_page
                && results.len() > page
            {
                results.truncate(page);
                paging = Some(Paging {
                    next: Some(NextPage {
                        after: Some(page.to_string()),
                    }),
                });
            }
            found
                .associations
                .insert(name.clone(), AssociationRefs { results, paging });
        }
        Ok(found)
    }

    fn read(
        &self,
        object_type: ObjectType,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> BatchReadOutcome {
        let mut outcome = BatchReadOutcome::default();
        for id in ids {
            match self.find(object_type, id, options.id_property.as_deref()) {
                Some(o) => outcome.found.push(o.clone()),
                None => outcome.missing.push(id.clone()),
            }
        }
        outcome
    }

    fn update(
        &mut self,
        object_type: ObjectType,
        id: &str,
        properties: &PropertyWrites,
    ) -> HsResult<()> {
        let object = self
            .objects
            .get_mut(&(object_type, id.to_owned()))
            .ok_or_else(not_found)?;
        object.properties.extend(properties.clone());
        Ok(())
    }

    /// The first inline association of `input` whose target record does not exist.
    fn missing_target(&self, input: &CreateInput) -> Option<String> {
        input.associations.iter().find_map(|a| {
            a.types
                .iter()
                .map(|t| target_of(t.association_type_id))
                .find(|to| !self.objects.contains_key(&(*to, a.to.id.clone())))
                .map(|to| {
                    format!(
                        "Association target {} of type {to:?} does not exist",
                        a.to.id
                    )
                })
        })
    }

    /// A batch create: one outcome per input, keyed by its position; an input associated with a
    /// record that does not exist fails alone, as in HubSpot (docs/hubspot.md §2.2).
    fn create_many(
        &mut self,
        object_type: ObjectType,
        inputs: &[CreateInput],
    ) -> BatchWriteOutcome {
        let items = inputs
            .iter()
            .enumerate()
            .map(|(n, input)| BatchItem {
                key: n.to_string(),
                object_write_trace_id: n.to_string(),
                outcome: match self.missing_target(input) {
                    Some(message) => ItemOutcome::Failed(BatchItemError {
                        category: Some("VALIDATION_ERROR".into()),
                        message,
                        status: Some(400),
                        retryable: false,
                        existing_id: None,
                        properties: Vec::new(),
                    }),
                    None => match self.create_invoice_checked(object_type, input) {
                        Ok(created) => ItemOutcome::Written(created),
                        Err(refused) => ItemOutcome::Failed(BatchItemError {
                            category: Some("VALIDATION_ERROR".into()),
                            message: refused.to_string(),
                            status: None,
                            retryable: false,
                            existing_id: None,
                            properties: vec!["hs_invoice_status".into()],
                        }),
                    },
                },
            })
            .collect();
        BatchWriteOutcome {
            items,
            requests: 1,
            ..BatchWriteOutcome::default()
        }
    }

    /// A create, counting invoice creates and refusing one that names a status where only
    /// drafts can be created (`drafts_only`).
    fn create_invoice_checked(
        &mut self,
        object_type: ObjectType,
        input: &CreateInput,
    ) -> HsResult<HubspotObject> {
        if object_type == ObjectType::Invoices {
            self.invoice_creates += 1;
            if self.drafts_only && input.properties.contains_key("hs_invoice_status") {
                return Err(HubspotError::Validation {
                    properties: vec!["hs_invoice_status".into()],
                    body: Box::new(ApiErrorBody {
                        message: Some("Invoices are created as drafts".into()),
                        ..ApiErrorBody::default()
                    }),
                });
            }
        }
        Ok(self.create(object_type, input))
    }

    /// A batch update: one outcome per input, a missing record failing alone.
    fn update_many(
        &mut self,
        object_type: ObjectType,
        inputs: &[UpdateInput],
    ) -> BatchWriteOutcome {
        let items = inputs
            .iter()
            .map(|input| BatchItem {
                key: input.id.clone(),
                object_write_trace_id: input.id.clone(),
                outcome: match self.update(object_type, &input.id, &input.properties) {
                    Ok(()) => {
                        ItemOutcome::Written(self.objects[&(object_type, input.id.clone())].clone())
                    }
                    Err(e) => ItemOutcome::Failed(BatchItemError {
                        category: Some("OBJECT_NOT_FOUND".into()),
                        message: e.to_string(),
                        status: None,
                        retryable: false,
                        existing_id: None,
                        properties: Vec::new(),
                    }),
                },
            })
            .collect();
        BatchWriteOutcome {
            items,
            requests: 1,
            ..BatchWriteOutcome::default()
        }
    }

    /// Archived records lose their associations, as in HubSpot.
    fn archive(&mut self, object_type: ObjectType, id: &str) -> HsResult<()> {
        self.objects
            .remove(&(object_type, id.to_owned()))
            .ok_or_else(not_found)?;
        self.associations.retain(|(f, fid, t, tid)| {
            !((*f == object_type && fid == id) || (*t == object_type && tid == id))
        });
        self.labels.retain(|(f, fid, t, tid, _)| {
            !((*f == object_type && fid == id) || (*t == object_type && tid == id))
        });
        Ok(())
    }
}

impl FakeHubspot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Portal> {
        self.portal.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a record (as a user would in HubSpot) and returns its id.
    /// From now on refuse invoice creates that name a status (see `Portal::drafts_only`).
    pub fn only_drafts_on_create(&self) {
        self.lock().drafts_only = true;
    }

    /// From now on a GET's associations come `page` at a time (see `Portal::association_page`).
    pub fn page_associations_by(&self, page: usize) {
        self.lock().association_page = Some(page);
    }

    /// How many invoice creates were asked for, refused ones included.
    pub fn invoice_creates(&self) -> usize {
        self.lock().invoice_creates
    }

    pub fn add(&self, object_type: ObjectType, properties: &[(&str, &str)]) -> String {
        let props = properties
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.lock().insert(object_type, props)
    }

    pub fn link(&self, from: ObjectType, from_id: &str, to: ObjectType, to_id: &str) {
        self.lock().associate(from, from_id, to, to_id);
    }

    /// Associates the two records and labels the association `label` in both directions (as
    /// HubSpot's "Primary" company of a contact, docs/hubspot.md §3).
    pub fn link_labeled(
        &self,
        from: ObjectType,
        from_id: &str,
        to: ObjectType,
        to_id: &str,
        label: &str,
    ) {
        let mut portal = self.lock();
        portal.associate(from, from_id, to, to_id);
        for (f, fid, t, tid) in [(from, from_id, to, to_id), (to, to_id, from, from_id)] {
            portal
                .labels
                .push((f, fid.to_owned(), t, tid.to_owned(), label.to_owned()));
        }
    }

    /// Every record of `object_type`.
    pub fn all(&self, object_type: ObjectType) -> Vec<HubspotObject> {
        self.lock()
            .objects
            .iter()
            .filter(|((t, _), _)| *t == object_type)
            .map(|(_, o)| o.clone())
            .collect()
    }

    pub fn linked(&self, from: ObjectType, id: &str, to: ObjectType) -> Vec<String> {
        self.lock().associated(from, id, to)
    }

    /// The workflow callbacks completed, in order.
    pub fn completed(&self) -> Vec<(String, ExecutionState, OutputFields)> {
        self.lock().completed.clone()
    }
}

#[async_trait]
impl HubspotInvoices for FakeHubspot {
    async fn get_invoice(&self, id: &str, options: &GetOptions) -> HsResult<HubspotObject> {
        self.lock().get(ObjectType::Invoices, id, options)
    }
    async fn read_invoices(
        &self,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> HsResult<BatchReadOutcome> {
        Ok(self.lock().read(ObjectType::Invoices, ids, options))
    }
    async fn search_invoices(&self, _request: &SearchRequest) -> HsResult<SearchScan> {
        Err(HubspotError::InvalidRequest(
            "the in-memory HubSpot does not evaluate searches".into(),
        ))
    }
    async fn create_invoice(&self, input: &CreateInput) -> HsResult<HubspotObject> {
        self.lock()
            .create_invoice_checked(ObjectType::Invoices, input)
    }
    async fn update_invoice(&self, id: &str, properties: &PropertyWrites) -> HsResult<()> {
        self.lock().update(ObjectType::Invoices, id, properties)
    }
    async fn archive_invoice(&self, id: &str) -> HsResult<()> {
        self.lock().archive(ObjectType::Invoices, id)
    }
    async fn create_invoices(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome {
        self.lock().create_many(ObjectType::Invoices, &inputs)
    }
    async fn update_invoices(&self, inputs: &[UpdateInput]) -> BatchWriteOutcome {
        self.lock().update_many(ObjectType::Invoices, inputs)
    }
}

#[async_trait]
impl HubspotLineItems for FakeHubspot {
    async fn read_line_items(
        &self,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> HsResult<BatchReadOutcome> {
        Ok(self.lock().read(ObjectType::LineItems, ids, options))
    }
    async fn create_line_items(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome {
        self.lock().create_many(ObjectType::LineItems, &inputs)
    }
    async fn archive_line_items(&self, ids: &[String]) -> HsResult<usize> {
        let mut portal = self.lock();
        Ok(ids
            .iter()
            .filter(|id| portal.archive(ObjectType::LineItems, id).is_ok())
            .count())
    }
}

#[async_trait]
impl HubspotCrmRecords for FakeHubspot {
    async fn get_record(
        &self,
        object_type: ObjectType,
        id: &str,
        options: &GetOptions,
    ) -> HsResult<HubspotObject> {
        self.lock().get(object_type, id, options)
    }
    async fn read_records(
        &self,
        object_type: ObjectType,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> HsResult<BatchReadOutcome> {
        Ok(self.lock().read(object_type, ids, options))
    }
    async fn update_record(
        &self,
        object_type: ObjectType,
        id: &str,
        properties: &PropertyWrites,
    ) -> HsResult<()> {
        self.lock().update(object_type, id, properties)
    }
    async fn update_records(
        &self,
        object_type: ObjectType,
        inputs: &[UpdateInput],
    ) -> BatchWriteOutcome {
        self.lock().update_many(object_type, inputs)
    }
}

#[async_trait]
impl HubspotAssociations for FakeHubspot {
    async fn associated_ids(
        &self,
        from: ObjectType,
        id: &str,
        to: ObjectType,
    ) -> HsResult<Vec<String>> {
        Ok(self.lock().associated(from, id, to))
    }
    async fn associations_with_labels(
        &self,
        from: ObjectType,
        id: &str,
        to: ObjectType,
    ) -> HsResult<Vec<AssociatedRecord>> {
        // The fake keeps no type ids (0): each pair has its unlabeled type and its labels.
        let portal = self.lock();
        Ok(portal
            .associated(from, id, to)
            .into_iter()
            .map(|to_id| {
                let mut types = vec![AssociationTypeLabel {
                    category: HUBSPOT_DEFINED.into(),
                    type_id: 0,
                    label: None,
                }];
                types.extend(
                    portal
                        .labels
                        .iter()
                        .filter(|(f, fid, t, tid, _)| {
                            *f == from && fid == id && *t == to && *tid == to_id
                        })
                        .map(|(.., label)| AssociationTypeLabel {
                            category: HUBSPOT_DEFINED.into(),
                            type_id: 0,
                            label: Some(label.clone()),
                        }),
                );
                AssociatedRecord {
                    to_object_id: to_id,
                    association_types: types,
                }
            })
            .collect())
    }
    async fn associated_ids_of_many(
        &self,
        from: ObjectType,
        ids: &[String],
        to: ObjectType,
    ) -> HsResult<BTreeMap<String, Vec<String>>> {
        let portal = self.lock();
        Ok(ids
            .iter()
            .map(|id| (id.clone(), portal.associated(from, id, to)))
            .filter(|(_, to)| !to.is_empty())
            .collect())
    }
    async fn associate_default(
        &self,
        from: ObjectType,
        from_id: &str,
        to: ObjectType,
        to_id: &str,
    ) -> HsResult<()> {
        self.lock().associate(from, from_id, to, to_id);
        Ok(())
    }
}

#[async_trait]
impl HubspotTimeline for FakeHubspot {
    async fn create_note(&self, input: &CreateInput) -> HsResult<HubspotObject> {
        Ok(self.lock().create(ObjectType::Notes, input))
    }
    async fn create_notes(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome {
        self.lock().create_many(ObjectType::Notes, &inputs)
    }
    async fn create_payment_records(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome {
        self.lock()
            .create_many(ObjectType::CommercePayments, &inputs)
    }
    async fn archive_payment_record(&self, id: &str) -> HsResult<()> {
        self.lock().archive(ObjectType::CommercePayments, id)
    }
}

#[async_trait]
impl HubspotSchema for FakeHubspot {
    async fn ensure_properties(
        &self,
        _t: ObjectType,
        _wanted: &[PropertyDefinition],
    ) -> HsResult<()> {
        // Records in memory take any property.
        Ok(())
    }
    async fn ensure_property_group(&self, _t: ObjectType, _group: &PropertyGroup) -> HsResult<()> {
        Ok(())
    }
    async fn ensure_link_properties(&self) -> HsResult<()> {
        Ok(())
    }
}

#[async_trait]
impl WorkflowCallbacks for FakeHubspot {
    async fn complete_action_callback(
        &self,
        callback_id: &str,
        state: ExecutionState,
        outputs: &OutputFields,
    ) -> HsResult<()> {
        self.lock()
            .completed
            .push((callback_id.to_owned(), state, outputs.clone()));
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Company {
    invoices: BTreeMap<String, Invoice>,
    payments: BTreeMap<String, Payment>,
    refund_receipts: BTreeMap<String, RefundReceipt>,
    created: Vec<String>,
    next_id: u64,
}

/// A QBO company in memory.
#[derive(Debug, Default)]
pub struct FakeQbo {
    company: Mutex<Company>,
}

impl FakeQbo {
    fn lock(&self) -> std::sync::MutexGuard<'_, Company> {
        self.company.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts (or replaces) an invoice as QBO holds it.
    pub fn put_invoice(&self, invoice: Invoice) {
        let id = invoice.id.clone().expect("an invoice with an Id");
        self.lock().invoices.insert(id, invoice);
    }

    pub fn delete_invoice(&self, id: &str) {
        self.lock().invoices.remove(id);
    }

    pub fn put_payment(&self, payment: Payment) {
        let id = payment.id.clone().expect("a payment with an Id");
        self.lock().payments.insert(id, payment);
    }

    pub fn put_refund_receipt(&self, receipt: RefundReceipt) {
        let id = receipt.id.clone().expect("a refund receipt with an Id");
        self.lock().refund_receipts.insert(id, receipt);
    }

    /// The invoices created through the port.
    pub fn created_invoices(&self) -> Vec<Invoice> {
        let company = self.lock();
        company
            .created
            .iter()
            .filter_map(|id| company.invoices.get(id).cloned())
            .collect()
    }
}

#[async_trait]
impl QboInvoices for FakeQbo {
    async fn read_invoice(&self, id: &str) -> Result<Invoice, QboError> {
        self.lock()
            .invoices
            .get(id)
            .cloned()
            .ok_or_else(|| QboError::NotFound(missing()))
    }
    async fn create_invoice(
        &self,
        invoice: &Invoice,
        _request_id: &RequestId,
    ) -> Result<Invoice, QboError> {
        let mut company = self.lock();
        company.next_id += 1;
        let id = format!("9{}", company.next_id);
        let mut created = invoice.clone();
        created.id = Some(id.clone());
        company.invoices.insert(id.clone(), created.clone());
        company.created.push(id);
        Ok(created)
    }
    async fn send_invoice(&self, id: &str, _send_to: Option<&str>) -> Result<Invoice, QboError> {
        let mut company = self.lock();
        let invoice = company
            .invoices
            .get_mut(id)
            .ok_or_else(|| QboError::NotFound(missing()))?;
        invoice.email_status = Some("EmailSent".into());
        Ok(invoice.clone())
    }
    /// Every kind is kept with the invoices (ids never collide in the fake).
    async fn create_sales_doc(
        &self,
        _kind: DocKind,
        doc: &Invoice,
        request_id: &RequestId,
    ) -> Result<Invoice, QboError> {
        self.create_invoice(doc, request_id).await
    }
    async fn read_sales_doc(&self, _kind: DocKind, id: &str) -> Result<Invoice, QboError> {
        self.read_invoice(id).await
    }
    async fn customer_sales_docs(
        &self,
        _kind: DocKind,
        customer_id: &str,
    ) -> Result<Vec<Invoice>, QboError> {
        Ok(self
            .lock()
            .invoices
            .values()
            .filter(|i| i.customer_ref.as_ref().map(|r| r.value.as_str()) == Some(customer_id))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl QboPayments for FakeQbo {
    async fn read_payment(&self, id: &str) -> Result<Payment, QboError> {
        self.lock()
            .payments
            .get(id)
            .cloned()
            .ok_or_else(|| QboError::NotFound(missing()))
    }
}

/// The fake company holds no credit forms: every read is `NotFound` (deleted), which the
/// credits flow treats as nothing to mirror.
#[async_trait]
impl crate::ports::invoicing::QboCredits for FakeQbo {
    async fn read_credit_memo(
        &self,
        _id: &str,
    ) -> Result<crate::quickbooks::entities::CreditMemo, QboError> {
        Err(QboError::NotFound(missing()))
    }
    async fn read_refund_receipt(&self, id: &str) -> Result<RefundReceipt, QboError> {
        self.lock()
            .refund_receipts
            .get(id)
            .cloned()
            .ok_or_else(|| QboError::NotFound(missing()))
    }
}

/// Receivables reads over the fake company's invoices and payments, as the queries would
/// answer them (docs/hubspot.md §4.1).
#[async_trait]
impl crate::ports::invoicing::QboReceivables for FakeQbo {
    async fn open_invoices_of(&self, customer_id: &str) -> Result<Vec<Invoice>, QboError> {
        Ok(self
            .lock()
            .invoices
            .values()
            .filter(|i| i.customer_ref.as_ref().map(|r| r.value.as_str()) == Some(customer_id))
            .filter(|i| i.balance.unwrap_or_default() > rust_decimal::Decimal::ZERO)
            .cloned()
            .collect())
    }
    async fn latest_payment_of(&self, customer_id: &str) -> Result<Option<Payment>, QboError> {
        Ok(self
            .lock()
            .payments
            .values()
            .filter(|p| p.customer_ref.as_ref().map(|r| r.value.as_str()) == Some(customer_id))
            .filter(|p| p.total_amt.unwrap_or_default() > rust_decimal::Decimal::ZERO)
            .max_by_key(|p| p.txn_date)
            .cloned())
    }
    async fn all_open_invoices(&self) -> Result<Vec<Invoice>, QboError> {
        Ok(self
            .lock()
            .invoices
            .values()
            .filter(|i| i.balance.unwrap_or_default() > rust_decimal::Decimal::ZERO)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl QboCompanySetup for FakeQbo {
    async fn preferences(&self) -> Result<Preferences, QboError> {
        Ok(Preferences::default())
    }
    async fn income_accounts(&self) -> Result<Vec<Account>, QboError> {
        Ok(Vec::new())
    }
    async fn company_info(&self) -> Result<CompanyInfo, QboError> {
        Ok(CompanyInfo {
            country: Some("US".into()),
            ..CompanyInfo::default()
        })
    }
}

#[async_trait]
impl QboCatalog for FakeQbo {
    async fn create_customer(
        &self,
        customer: &Customer,
        _request_id: &RequestId,
    ) -> Result<Customer, QboError> {
        let mut created = customer.clone();
        created.id = Some("c-new".into());
        Ok(created)
    }
    async fn create_item(&self, item: &Item, _request_id: &RequestId) -> Result<Item, QboError> {
        let mut created = item.clone();
        created.id = Some("i-new".into());
        Ok(created)
    }
    async fn read_items(&self, _ids: &[String]) -> Result<Vec<Item>, QboError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;

    use super::*;
    use crate::adapters::memory::MemoryStore;
    use crate::engine::invoicing::action::{
        ActionError, ActionInputs, ActionResult, BillingParties, Counterpart, DocAction,
        DocActionJob, ExecutionRecords,
    };
    use crate::engine::invoicing::invoices::properties::QBO_STATUS;
    use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings, MirrorOutcome};
    use crate::engine::invoicing::payments::PaymentMirror;
    use crate::model::ConnectionId;

    struct Rig {
        hs: Arc<FakeHubspot>,
        qbo: Arc<FakeQbo>,
        mirror: InvoiceMirror,
        contact: String,
        deal: String,
    }

    fn today() -> NaiveDate {
        "2026-05-10".parse().unwrap()
    }

    fn invoice(sync_token: &str, amount: &str, note: Option<&str>) -> Invoice {
        let mut json = serde_json::json!({
            "Id": "41", "SyncToken": sync_token, "DocNumber": "1001",
            "TxnDate": "2026-05-01", "DueDate": "2026-06-01",
            "CustomerRef": {"value": "7", "name": "Ada"},
            "Line": [{"Amount": amount, "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "3"}, "Qty": 1, "UnitPrice": amount}}],
            "TotalAmt": amount, "Balance": amount,
        });
        if let Some(note) = note {
            json["PrivateNote"] = note.into();
        }
        serde_json::from_value(json).unwrap()
    }

    fn rig() -> Rig {
        let hs = Arc::new(FakeHubspot::default());
        let qbo = Arc::new(FakeQbo::default());
        let contact = hs.add(
            ObjectType::Contacts,
            &[("qbo_customer_id", "7"), ("email", "ada@example.com")],
        );
        hs.add(
            ObjectType::Products,
            &[("qbo_item_id", "3"), ("name", "Consulting")],
        );
        // The contact's one open deal, with the amount of the invoices below.
        let deal = hs.add(
            ObjectType::Deals,
            &[
                ("hs_is_closed", "false"),
                ("amount", "100"),
                ("dealname", "Renewal"),
            ],
        );
        hs.link(ObjectType::Contacts, &contact, ObjectType::Deals, &deal);
        let settings = InvoiceSyncSettings {
            contact_open_deal_fallback: true,
            ..InvoiceSyncSettings::default()
        };
        let mirror = InvoiceMirror::new(hs.clone(), qbo.clone(), settings);
        Rig {
            hs,
            qbo,
            mirror,
            contact,
            deal,
        }
    }

    #[tokio::test]
    async fn an_invoice_whose_deal_is_not_clear_reaches_the_contact_and_lists_the_candidates() {
        let r = rig();
        // A second open deal of the same contact with the same amount: no guess.
        let twin = r.hs.add(
            ObjectType::Deals,
            &[
                ("hs_is_closed", "false"),
                ("amount", "100.00"),
                ("dealname", "Upsell"),
            ],
        );
        r.hs.link(ObjectType::Contacts, &r.contact, ObjectType::Deals, &twin);
        r.qbo.put_invoice(invoice("0", "100", None));
        let mirrored = r.mirror.sync_invoice("41", today()).await.unwrap();
        assert_eq!(mirrored.outcome, MirrorOutcome::Created);
        assert_eq!(mirrored.deal, None);
        let id = mirrored.hubspot_id.clone().unwrap();
        assert!(
            r.hs.linked(ObjectType::Invoices, &id, ObjectType::Deals)
                .is_empty()
        );
        assert_eq!(
            r.hs.linked(ObjectType::Invoices, &id, ObjectType::Contacts),
            vec![r.contact.clone()]
        );
        let why = mirrored.deal_attention.expect("the candidates are listed");
        assert!(why.contains(&format!("{} \"Renewal\"", r.deal)), "{why}");
        assert!(why.contains(&format!("{twin} \"Upsell\"")), "{why}");
        // Tagged by the accountant, the next sync reaches the chosen deal.
        r.qbo
            .put_invoice(invoice("1", "100", Some(&format!("HubSpot deal: {twin}"))));
        let tagged = r.mirror.sync_invoice("41", today()).await.unwrap();
        assert_eq!(tagged.deal_attention, None);
        assert_eq!(
            r.hs.linked(ObjectType::Invoices, &id, ObjectType::Deals),
            vec![twin]
        );
    }

    #[tokio::test]
    async fn where_only_drafts_can_be_created_a_new_invoice_is_opened_by_a_second_write() {
        let r = rig();
        r.hs.only_drafts_on_create();
        r.qbo.put_invoice(invoice("0", "100", None));
        let created = r.mirror.sync_invoice("41", today()).await.unwrap();
        assert_eq!(created.outcome, MirrorOutcome::Created);
        let id = created.hubspot_id.clone().unwrap();
        let invoices = r.hs.all(ObjectType::Invoices);
        assert_eq!(invoices.len(), 1, "one invoice, not a second one");
        assert_eq!(invoices[0].get("hs_invoice_status"), Some("open"));
        // Its one line item, created before it, is associated.
        assert_eq!(
            r.hs.linked(ObjectType::Invoices, &id, ObjectType::LineItems)
                .len(),
            1
        );
        assert_eq!(r.hs.all(ObjectType::LineItems).len(), 1);
        // The refused `open` create is not tried again: the next new invoice is a draft
        // first (one create each).
        let before = r.hs.invoice_creates();
        let mut next = invoice("0", "50", None);
        next.id = Some("42".into());
        r.qbo.put_invoice(next);
        r.mirror.sync_invoice("42", today()).await.unwrap();
        assert_eq!(r.hs.invoice_creates() - before, 1);
        assert_eq!(r.hs.all(ObjectType::Invoices).len(), 2);
    }

    #[tokio::test]
    async fn where_only_drafts_can_be_created_a_groups_new_invoices_are_opened_after() {
        let r = rig();
        r.hs.only_drafts_on_create();
        let ids: Vec<String> = ["51", "52", "53"].map(str::to_owned).to_vec();
        for id in &ids {
            let mut next = invoice("0", "100", None);
            next.id = Some(id.clone());
            r.qbo.put_invoice(next);
        }
        let results = r.mirror.sync_invoices(&ids, today()).await.unwrap();
        for result in &results {
            assert_eq!(result.as_ref().unwrap().outcome, MirrorOutcome::Created);
        }
        let invoices = r.hs.all(ObjectType::Invoices);
        assert_eq!(invoices.len(), 3, "one invoice each, not a second one");
        for hs in &invoices {
            assert_eq!(hs.get("hs_invoice_status"), Some("open"), "{hs:?}");
            assert_eq!(
                r.hs.linked(ObjectType::Invoices, &hs.id, ObjectType::LineItems)
                    .len(),
                1
            );
        }
        assert_eq!(r.hs.all(ObjectType::LineItems).len(), 3);
        // Three `open` creates refused (in one batch), then three drafts.
        assert_eq!(r.hs.invoice_creates(), 6);
    }

    #[tokio::test]
    async fn an_invoice_is_created_updated_then_voided_in_hubspot() {
        let r = rig();
        r.qbo.put_invoice(invoice("0", "100", None));
        let created = r.mirror.sync_invoice("41", today()).await.unwrap();
        assert_eq!(created.outcome, MirrorOutcome::Created);
        let id = created.hubspot_id.clone().unwrap();
        let invoices = r.hs.all(ObjectType::Invoices);
        assert_eq!(invoices.len(), 1);
        assert_eq!(invoices[0].get("hs_invoice_status"), Some("open"));
        assert_eq!(
            r.hs.linked(ObjectType::Invoices, &id, ObjectType::Contacts),
            vec![r.contact.clone()]
        );
        assert_eq!(
            r.hs.linked(ObjectType::Invoices, &id, ObjectType::Deals),
            vec![r.deal.clone()]
        );
        assert_eq!(
            r.hs.linked(ObjectType::Invoices, &id, ObjectType::LineItems)
                .len(),
            1
        );

        let again = r.mirror.sync_invoice("41", today()).await.unwrap();
        assert_eq!(again.outcome, MirrorOutcome::Unchanged);

        r.qbo.put_invoice(invoice("1", "150", None));
        let updated = r.mirror.sync_invoice("41", today()).await.unwrap();
        assert_eq!(updated.outcome, MirrorOutcome::Updated);
        assert_eq!(updated.hubspot_id.as_deref(), Some(id.as_str()));
        // New lines replace the old ones.
        let lines =
            r.hs.linked(ObjectType::Invoices, &id, ObjectType::LineItems);
        assert_eq!(lines.len(), 1);
        assert_eq!(r.hs.all(ObjectType::LineItems).len(), 1);

        r.qbo.put_invoice(invoice("2", "0", Some("Voided")));
        let voided = r.mirror.sync_invoice("41", today()).await.unwrap();
        assert_eq!(voided.outcome, MirrorOutcome::Voided);
        let hs = &r.hs.all(ObjectType::Invoices)[0];
        assert_eq!(hs.get("hs_invoice_status"), Some("voided"));
        assert_eq!(hs.get(QBO_STATUS), Some("voided"));
    }

    #[tokio::test]
    async fn a_payment_notes_each_deal_exactly_once() {
        let r = rig();
        r.qbo.put_invoice(invoice("0", "100", None));
        r.qbo.put_payment(
            serde_json::from_value(serde_json::json!({
                "Id": "p1", "TxnDate": "2026-05-09", "TotalAmt": "40",
                "Line": [{"Amount": "40", "LinkedTxn": [{"TxnId": "41", "TxnType": "Invoice"}]}],
            }))
            .unwrap(),
        );
        let payments = PaymentMirror::new(&r.mirror);
        let first = payments.sync_payment("p1", today()).await.unwrap();
        assert_eq!(first.invoices, ["41"]);
        assert_eq!(first.notes_created, 1);
        let notes = r.hs.all(ObjectType::Notes);
        assert_eq!(notes.len(), 1);
        assert_eq!(
            r.hs.linked(ObjectType::Notes, &notes[0].id, ObjectType::Deals),
            vec![r.deal.clone()]
        );

        let repeat = payments.sync_payment("p1", today()).await.unwrap();
        assert_eq!(repeat.notes_created, 0);
        assert_eq!(r.hs.all(ObjectType::Notes).len(), 1);
    }

    fn action_job(deal: &str) -> DocActionJob {
        DocActionJob {
            callback_id: "cb-1".into(),
            portal_id: 7,
            deal_id: deal.into(),
            doc_kind: DocKind::Invoice,
            inputs: ActionInputs::default(),
        }
    }

    /// Every contact is QBO customer 8, every product item 3 (the two-way sync's part).
    struct LinkedParties;

    #[async_trait]
    impl BillingParties for LinkedParties {
        async fn customer(
            &self,
            _kind: crate::model::ObjectKind,
            _id: &str,
        ) -> Result<Counterpart, ActionError> {
            Ok(Ok("8".into()))
        }
        async fn items(
            &self,
            product_ids: &[String],
        ) -> Result<BTreeMap<String, Counterpart>, ActionError> {
            Ok(product_ids
                .iter()
                .map(|p| (p.clone(), Ok("3".into())))
                .collect())
        }
    }

    async fn run_action(r: &Rig, deal: &str) -> ActionResult {
        let store = MemoryStore::new();
        let connection = ConnectionId::new("fake").unwrap();
        DocAction {
            mirror: &r.mirror,
            parties: &LinkedParties,
            records: ExecutionRecords {
                claims: &store,
                connection: &connection,
                now: chrono::Utc::now(),
            },
        }
        .run(&action_job(deal), today())
        .await
        .unwrap()
    }

    /// A deal with one line item of a linked product and one contact with `contact` values.
    fn action_deal(r: &Rig, contact: &[(&str, &str)]) -> String {
        let product = r.hs.all(ObjectType::Products)[0].id.clone();
        let deal = r.hs.add(ObjectType::Deals, &[("dealname", "Engine")]);
        let line = r.hs.add(
            ObjectType::LineItems,
            &[
                ("name", "Consulting"),
                ("quantity", "2"),
                ("price", "50"),
                ("hs_product_id", &product),
            ],
        );
        r.hs.link(ObjectType::Deals, &deal, ObjectType::LineItems, &line);
        let person = r.hs.add(ObjectType::Contacts, contact);
        r.hs.link(ObjectType::Deals, &deal, ObjectType::Contacts, &person);
        deal
    }

    #[tokio::test]
    async fn the_action_creates_the_qbo_invoice_and_completes_the_callback() {
        let r = rig();
        let deal = action_deal(&r, &[("email", "bo@example.com")]);
        let result = run_action(&r, &deal).await;
        let created = r.qbo.created_invoices();
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].customer_ref.as_ref().unwrap().value, "8");
        assert_eq!(
            created[0]
                .line
                .iter()
                .filter_map(|l| l.amount)
                .sum::<rust_decimal::Decimal>(),
            rust_decimal::Decimal::from(100)
        );
        let ActionResult::Success(outputs) = result else {
            panic!("{result:?}");
        };
        assert_eq!(outputs.get("qbo_invoice_id"), created[0].id.as_ref());
        let completed = r.hs.completed();
        assert_eq!(completed.len(), 1);
        assert_eq!(
            (completed[0].0.as_str(), completed[0].1),
            ("cb-1", ExecutionState::Success)
        );
    }

    #[tokio::test]
    async fn the_action_refuses_a_contact_without_email() {
        let r = rig();
        let deal = action_deal(&r, &[("firstname", "Bo")]);
        let result = run_action(&r, &deal).await;
        let ActionResult::Failed(message) = result else {
            panic!("{result:?}");
        };
        assert!(
            message.to_lowercase().contains("e-mail") || message.to_lowercase().contains("email"),
            "{message}"
        );
        assert!(r.qbo.created_invoices().is_empty());
        let completed = r.hs.completed();
        assert_eq!(completed.len(), 1);
        assert_eq!(completed[0].1, ExecutionState::FailContinue);
        assert_eq!(completed[0].2.get("error_message"), Some(&message));
    }
}

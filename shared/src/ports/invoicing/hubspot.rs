//! The HubSpot side of the invoicing flows: what they read and write, grouped by object
//! family, in HubSpot's own request and answer types (docs/hubspot.md §2).

use async_trait::async_trait;

use crate::hubspot::action_callbacks::{ExecutionState, OutputFields};
use crate::hubspot::associations::AssociatedRecord;
use crate::hubspot::batch::{BatchReadOptions, BatchReadOutcome, BatchWriteOutcome, UpdateInput};
use crate::hubspot::search::{SearchRequest, SearchScan};
use crate::hubspot::{
    CreateInput, GetOptions, HubspotError, HubspotObject, ObjectType, PropertyDefinition,
    PropertyGroup, PropertyWrites,
};

type Result<T> = std::result::Result<T, HubspotError>;

/// HubSpot invoice objects: the mirrored copies of QBO invoices.
#[async_trait]
pub trait HubspotInvoices: Send + Sync {
    /// One invoice by id (or by `options.id_property`); `NotFound` when there is none.
    async fn get_invoice(&self, id: &str, options: &GetOptions) -> Result<HubspotObject>;
    async fn read_invoices(
        &self,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> Result<BatchReadOutcome>;
    /// Every invoice matching `request` (all pages).
    async fn search_invoices(&self, request: &SearchRequest) -> Result<SearchScan>;
    async fn create_invoice(&self, input: &CreateInput) -> Result<HubspotObject>;
    async fn update_invoice(&self, id: &str, properties: &PropertyWrites) -> Result<()>;
    async fn archive_invoice(&self, id: &str) -> Result<()>;
    /// `batch/create`, per-input outcomes in input order (a failed input is in the outcome,
    /// not an `Err`: every input carries a trace id, docs/hubspot.md §2.2).
    async fn create_invoices(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome;
    /// `batch/update` by record id, per-input outcomes in input order (§2.2).
    async fn update_invoices(&self, inputs: &[UpdateInput]) -> BatchWriteOutcome;
}

/// HubSpot line items: the lines of a mirrored invoice and of a deal.
#[async_trait]
pub trait HubspotLineItems: Send + Sync {
    async fn read_line_items(
        &self,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> Result<BatchReadOutcome>;
    /// Per-item outcomes; a failed item is in the outcome, not an `Err`.
    async fn create_line_items(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome;
    async fn archive_line_items(&self, ids: &[String]) -> Result<usize>;
}

/// The CRM records the flows look up and link: deals, contacts and products.
#[async_trait]
pub trait HubspotCrmRecords: Send + Sync {
    async fn get_record(
        &self,
        object_type: ObjectType,
        id: &str,
        options: &GetOptions,
    ) -> Result<HubspotObject>;
    async fn read_records(
        &self,
        object_type: ObjectType,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> Result<BatchReadOutcome>;
    async fn update_record(
        &self,
        object_type: ObjectType,
        id: &str,
        properties: &PropertyWrites,
    ) -> Result<()>;
    /// `batch/update` by record id, per-input outcomes in input order (docs/hubspot.md §2.2).
    async fn update_records(
        &self,
        object_type: ObjectType,
        inputs: &[UpdateInput],
    ) -> BatchWriteOutcome;
}

/// Associations between records.
#[async_trait]
pub trait HubspotAssociations: Send + Sync {
    /// Ids of the `to` records associated with record `id` of `from` (every page).
    async fn associated_ids(
        &self,
        from: ObjectType,
        id: &str,
        to: ObjectType,
    ) -> Result<Vec<String>>;
    /// The `to` records associated with record `id` of `from`, each with its association
    /// types and their labels ("Primary", docs/hubspot.md §3), every page.
    async fn associations_with_labels(
        &self,
        from: ObjectType,
        id: &str,
        to: ObjectType,
    ) -> Result<Vec<AssociatedRecord>>;
    /// For each of `ids` (records of `from`), the ids of its `to` records: one associations v4
    /// `batch/read` per 100 ids (docs/hubspot.md §3, §2.2). Ids without any are absent.
    async fn associated_ids_of_many(
        &self,
        from: ObjectType,
        ids: &[String],
        to: ObjectType,
    ) -> Result<std::collections::BTreeMap<String, Vec<String>>>;
    /// Adds the default (unlabeled) association, both directions.
    async fn associate_default(
        &self,
        from: ObjectType,
        from_id: &str,
        to: ObjectType,
        to_id: &str,
    ) -> Result<()>;
}

/// What the flows add to a deal's or invoice's history: notes and payment records.
#[async_trait]
pub trait HubspotTimeline: Send + Sync {
    async fn create_note(&self, input: &CreateInput) -> Result<HubspotObject>;
    /// Notes `batch/create` (with their inline associations), per-input outcomes in input
    /// order: a refused note is in the outcome, not an `Err` (every input carries a trace id,
    /// docs/hubspot.md §2.2).
    async fn create_notes(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome;
    /// Commerce payment records `batch/create`, per-input outcomes in input order; portals
    /// without HubSpot payments refuse the request (403, every input failed, §2.9).
    async fn create_payment_records(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome;
    async fn archive_payment_record(&self, id: &str) -> Result<()>;
}

/// The custom properties the flows write, created where missing.
#[async_trait]
pub trait HubspotSchema: Send + Sync {
    async fn ensure_properties(
        &self,
        object_type: ObjectType,
        wanted: &[PropertyDefinition],
    ) -> Result<()>;
    async fn ensure_property_group(
        &self,
        object_type: ObjectType,
        group: &PropertyGroup,
    ) -> Result<()>;
    /// The two-way sync's link properties (contact -> customer, product -> item), which the
    /// flows read even where that sync never ran.
    async fn ensure_link_properties(&self) -> Result<()>;
}

/// Completion of a blocked workflow-action execution (docs/hubspot.md §6.3).
#[async_trait]
pub trait WorkflowCallbacks: Send + Sync {
    async fn complete_action_callback(
        &self,
        callback_id: &str,
        state: ExecutionState,
        outputs: &OutputFields,
    ) -> Result<()>;
}

/// Everything the invoicing flows need from one HubSpot portal.
pub trait HubspotInvoicing:
    HubspotInvoices
    + HubspotLineItems
    + HubspotCrmRecords
    + HubspotAssociations
    + HubspotTimeline
    + HubspotSchema
    + WorkflowCallbacks
    + std::fmt::Debug
{
}

impl<T> HubspotInvoicing for T where
    T: HubspotInvoices
        + HubspotLineItems
        + HubspotCrmRecords
        + HubspotAssociations
        + HubspotTimeline
        + HubspotSchema
        + WorkflowCallbacks
        + std::fmt::Debug
{
}

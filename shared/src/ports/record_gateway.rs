//! The `RecordGateway` port: vendor-neutral record I/O over `model::Record` that the HubSpot
//! and QBO adapters implement (batched reads and writes, matching lookups, enumeration, changes).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fields::FieldCatalog;
use crate::http::{ClassifyRetry, RetryClass};
use crate::model::kinds::QboOnlyForm;
use crate::model::{NativeValues, ObjectKind, Record, Side};

/// Create one record. `idempotency_key` is deterministic (≤ 36 chars, a UUID v5 derived from
/// connection, kind, source record and its version) so a retried create replays: QBO sends it
/// as `requestid`; HubSpot creates are upserts (on a natural unique property such as
/// `email`, else on the kind's `qbo_id_property` of `model::kinds`,
/// both unique), so a replay updates the record the first attempt made.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRequest {
    pub idempotency_key: String,
    pub values: NativeValues,
}

/// Change some fields of one record (sparse: only `values` are written). `expected_version`
/// is the version read (QBO SyncToken); a mismatch answers `RecordErrorKind::Stale`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateRequest {
    pub id: String,
    pub expected_version: String,
    pub values: NativeValues,
}

/// Archive (HubSpot) / make inactive (QBO `Active=false`) one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeactivateRequest {
    pub id: String,
    pub expected_version: String,
}

/// What went wrong with one record of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordErrorKind {
    /// QBO 6240: DisplayName / Name already used (by a customer, vendor or employee).
    DuplicateName,
    /// The vendor rejected a value.
    Validation,
    NotFound,
    /// The version we sent is not the current one (QBO 5010): re-read and re-plan.
    Stale,
    /// A record with the same unique key already exists (e.g. HubSpot 409 "Existing ID").
    Conflict {
        existing_id: String,
    },
    Other,
}

/// A per-record failure, with the vendor's code and words and what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?} ({code:?}): {message}")]
pub struct RecordError {
    pub kind: RecordErrorKind,
    pub code: Option<String>,
    pub message: String,
    pub suggested_fix: Option<String>,
    /// Whether trying the same write again later may succeed.
    pub retryable: bool,
}

impl RecordError {
    pub fn new(kind: RecordErrorKind, message: impl Into<String>) -> Self {
        RecordError {
            kind,
            code: None,
            message: message.into(),
            suggested_fix: None,
            retryable: false,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.suggested_fix = Some(fix.into());
        self
    }

    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }
}

/// A whole call failed (nothing in it is known to have happened, except for creates, which
/// the idempotency key makes safe to repeat).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Rate limited: requeue the work after `wait`; never a record failure.
    #[error("throttled by the vendor; retry after {wait:?}")]
    Throttled { wait: Duration },
    #[error("temporary vendor failure: {message}")]
    Transient { message: String },
    /// Tokens are invalid or revoked: the connection needs reconnecting.
    #[error("not authorized: {message}")]
    Unauthorized { message: String },
    #[error("vendor call failed: {message}")]
    Other { message: String },
}

impl ClassifyRetry for GatewayError {
    fn retry_class(&self) -> RetryClass {
        match self {
            GatewayError::Throttled { wait } => RetryClass::Throttled { wait: *wait },
            GatewayError::Transient { .. } => RetryClass::Transient { retry_after: None },
            GatewayError::Unauthorized { .. } | GatewayError::Other { .. } => RetryClass::Permanent,
        }
    }
}

/// One page of an enumeration.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub records: Vec<Record>,
    /// Pass to the next `list_page`; `None` after the last page.
    pub next: Option<String>,
}

/// What changed since a watermark.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    /// Changed records, inactive/archived ones included with `active == false`.
    pub records: Vec<Record>,
    /// Records deleted outright (QBO CDC `status: Deleted`), when the vendor tells.
    pub deleted_ids: Vec<String>,
    /// The next watermark: the vendor's response time or the newest change seen.
    pub watermark: DateTime<Utc>,
}

/// Record I/O on one vendor for the kinds it supports. All batch answers are in request order.
/// Whole-call failures are `GatewayError`s; per-record failures are `RecordError`s. Each
/// gateway also lists the vendor's live fields ([`FieldCatalog`]).
#[async_trait]
pub trait RecordGateway: FieldCatalog + Send + Sync {
    /// Which side this gateway talks to.
    fn side(&self) -> Side;

    /// Prepares the account once per connection before syncing `kinds` (HubSpot: creates the
    /// `qbo_customer_id` / `qbo_item_id` unique properties if missing; QBO: nothing, or caches
    /// the default income account). Idempotent.
    async fn ensure_schema(&self, kinds: &[ObjectKind]) -> Result<(), GatewayError>;

    /// Reads records by id in as few calls as the API allows. Missing ids are absent from the
    /// answer; inactive/archived records are included with `active == false`.
    async fn read(&self, kind: ObjectKind, ids: &[String]) -> Result<Vec<Record>, GatewayError>;

    /// Records whose native field `field_path` equals one of `values` (match keys: email, SKU,
    /// name; compared case-insensitively where the vendor does). Inactive records included.
    async fn find_by_field(
        &self,
        kind: ObjectKind,
        field_path: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError>;

    /// Creates records; one result per request, in order. A replayed idempotency key answers
    /// the record created the first time. QBO items created without `IncomeAccountRef.value`
    /// get the company's default income account.
    async fn create(
        &self,
        kind: ObjectKind,
        requests: Vec<CreateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError>;

    /// Sparse updates; one result per request, in order, with the record as written.
    async fn update(
        &self,
        kind: ObjectKind,
        requests: Vec<UpdateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError>;

    /// Archives (HubSpot) or makes inactive (QBO); one result per request, in order.
    async fn deactivate(
        &self,
        kind: ObjectKind,
        requests: Vec<DeactivateRequest>,
    ) -> Result<Vec<Result<(), RecordError>>, GatewayError>;

    /// One page of all records of `kind` (active and inactive); start with `cursor = None`.
    async fn list_page(
        &self,
        kind: ObjectKind,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError>;

    /// One page of all records of QBO-only `form` (estimates), as `form.kind` records under
    /// their job ids (`Estimate:41`, model/kinds/forms.rs); start with `cursor = None`. Only
    /// QBO has them: the default answers that this side keeps none.
    async fn list_form_page(
        &self,
        form: &'static QboOnlyForm,
        _cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        Err(GatewayError::Other {
            message: format!("{} keeps no {} records", self.side(), form.entity),
        })
    }

    /// Records changed at or after `since` (QBO CDC; HubSpot search on last-modified with a
    /// cursor that survives the 10k search cap).
    async fn changed_since(
        &self,
        kind: ObjectKind,
        since: DateTime<Utc>,
    ) -> Result<Changes, GatewayError>;

    /// When each of `fields` (native keys) of the records `ids` got its current value, where
    /// the vendor keeps a per-field history (HubSpot property history, docs/architecture.md §4).
    /// A record-level modification time moves with writes to any property, ours included, so
    /// "newest edit wins" compares these when they are known. Vendors without one answer an
    /// empty map and the record's modification time stands.
    async fn field_times(
        &self,
        _kind: ObjectKind,
        _ids: &[String],
        _fields: &[String],
    ) -> Result<BTreeMap<String, FieldTimes>, GatewayError> {
        Ok(BTreeMap::new())
    }

    /// The ids of `to` records associated with each of the records `ids` of `from` (HubSpot
    /// associations, docs/hubspot.md §3; a contact's companies under the `company` customer
    /// model, docs/admin.md §6). Ids without associations are absent; vendors without
    /// associations answer an empty map.
    async fn associated_ids(
        &self,
        _from: ObjectKind,
        _ids: &[String],
        _to: ObjectKind,
    ) -> Result<BTreeMap<String, Vec<String>>, GatewayError> {
        Ok(BTreeMap::new())
    }

    /// Per record of `ids`, the primary one of its associated records of kind `to` (labeled
    /// "Primary", else the lowest id: docs/hubspot.md §3), in one batch association read; a
    /// contact's company for a sub-customer's parent (docs/admin.md §6). Ids without
    /// associations are absent; vendors without associations answer an empty map.
    async fn primary_associated_ids(
        &self,
        _from: ObjectKind,
        _ids: &[String],
        _to: ObjectKind,
    ) -> Result<BTreeMap<String, String>, GatewayError> {
        Ok(BTreeMap::new())
    }
}

/// Native key -> when the field got its current value, for one record.
pub type FieldTimes = BTreeMap<String, DateTime<Utc>>;

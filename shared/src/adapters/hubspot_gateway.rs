//! `HubspotGateway`: the engine's `RecordGateway` port on HubSpot through `HubspotClient`
//! (batch reads/updates of 100; creates by upsert on email or the unique QBO-id property).

mod derived_values;
mod fields;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::http::{ClassifyRetry, RetryClass};
use crate::hubspot::associations::primary_or_lowest;
use crate::hubspot::batch::BatchItemError;
use crate::hubspot::properties::PropertyDefinition;
use crate::hubspot::search::{Filter, FilterGroup, SearchRequest};
use crate::hubspot::values;
use crate::hubspot::{
    BatchReadOptions, HubspotClient, HubspotError, HubspotObject, ItemOutcome, ListOptions,
    ObjectType, PropertyWrites, UpdateInput, UpsertInput,
};
use crate::mapping::mapping_set::MappingSet;
use crate::model::{
    ConnectionSettings, NativeValues, ObjectKind, PRIMARY_CONTACT_EMAIL, Record, Side, descriptor,
};
use crate::ports::{
    Changes, Clock, CreateRequest, DeactivateRequest, FieldTimes, GatewayError, Page, RecordError,
    RecordErrorKind, RecordGateway, UpdateRequest,
};

/// Search is eventually consistent (§2.4): `changed_since` never moves its watermark closer
/// to "now" than this, so records indexed late are seen by the next poll. UNVERIFIED how long
/// HubSpot's lag can be; one constant to tune.
pub const SEARCH_LAG_MARGIN: Duration = Duration::from_secs(30);

/// Values per `IN` filter. UNVERIFIED: the docs give no cap on `values`; 100 keeps bodies small.
const IN_VALUES_PER_SEARCH: usize = 100;

/// HubSpot behind the `RecordGateway` port, for one account.
pub struct HubspotGateway {
    client: HubspotClient,
    clock: Arc<dyn Clock>,
    /// Properties read per kind (the mapped ones plus the system and link properties).
    properties: BTreeMap<ObjectKind, Vec<String>>,
    /// Whether company reads carry their primary contact's e-mail (`derived_values`).
    derives_primary_email: bool,
}

impl HubspotGateway {
    /// One batch association read `from` → `to` of `ids` (chunked by 100, docs/hubspot.md §3).
    async fn read_associations(
        &self,
        from: ObjectKind,
        ids: &[String],
        to: ObjectKind,
    ) -> Result<Vec<crate::hubspot::associations::AssociationsOf>, GatewayError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.client
            .batch_read_associations(object_type(from), object_type(to), ids)
            .await
            .map_err(gateway_error)
    }

    /// Reads the properties of the default mappings (`MappingSet::defaults`).
    pub fn new(client: HubspotClient, clock: Arc<dyn Clock>) -> Self {
        let mut gateway = HubspotGateway {
            client,
            clock,
            properties: BTreeMap::new(),
            derives_primary_email: MappingSet::defaults(ObjectKind::Company)
                .derives(PRIMARY_CONTACT_EMAIL),
        };
        for kind in ObjectKind::TWO_WAY {
            let mapped: Vec<String> = MappingSet::defaults(kind)
                .native_keys(Side::Hubspot)
                .into_iter()
                .map(str::to_owned)
                .collect();
            gateway = gateway.with_properties(kind, mapped);
        }
        gateway
    }

    /// Reads `properties` for `kind` (e.g. from a connection's custom `MappingSet`), plus the
    /// system properties every record needs.
    pub fn with_properties(mut self, kind: ObjectKind, properties: Vec<String>) -> Self {
        let object_type = object_type(kind);
        let mut all: BTreeSet<String> = properties.into_iter().collect();
        all.insert("hs_object_id".to_owned());
        all.insert(object_type.last_modified_property().to_owned());
        all.insert(descriptor(kind).hubspot.qbo_id_property.to_owned());
        // docs/architecture.md §13: a merge's survivor names the ids merged into it.
        all.extend(
            descriptor(kind)
                .hubspot
                .merged_ids_property
                .map(str::to_owned),
        );
        self.properties.insert(kind, all.into_iter().collect());
        self
    }

    /// Reads, for each two-way kind, the HubSpot properties the connection's mappings use
    /// (default and custom rows). Invalid settings keep the defaults here: the worker reports
    /// them per job.
    pub fn with_settings(mut self, settings: &ConnectionSettings) -> Self {
        for kind in ObjectKind::TWO_WAY {
            if let Ok(mappings) = MappingSet::build(kind, settings.object(kind)) {
                if kind == ObjectKind::Company {
                    self.derives_primary_email = mappings.derives(PRIMARY_CONTACT_EMAIL);
                }
                let keys = mappings
                    .native_keys(Side::Hubspot)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                self = self.with_properties(kind, keys);
            }
        }
        self
    }

    pub fn client(&self) -> &HubspotClient {
        &self.client
    }

    fn properties(&self, kind: ObjectKind) -> Vec<String> {
        self.properties.get(&kind).cloned().unwrap_or_default()
    }

    /// Batch read by ids or by a unique property, archived records included (a second read
    /// with `archived=true` for the ids the first did not find). By a unique property this
    /// finds archived records only if HubSpot keeps their value (not documented; the sandbox
    /// frees it on archive).
    async fn read_by(
        &self,
        kind: ObjectKind,
        ids: &[String],
        id_property: Option<&str>,
    ) -> Result<Vec<Record>, GatewayError> {
        let mut options = BatchReadOptions {
            properties: self.properties(kind),
            id_property: id_property.map(str::to_owned),
            ..Default::default()
        };
        let first = self
            .client
            .batch_read(object_type(kind), ids, &options)
            .await
            .map_err(gateway_error)?;
        let mut records: Vec<Record> = first.found.iter().map(|o| to_record(kind, o)).collect();
        if !first.missing.is_empty() {
            options.archived = true;
            let archived = self
                .client
                .batch_read(object_type(kind), &first.missing, &options)
                .await
                .map_err(gateway_error)?;
            records.extend(archived.found.iter().map(|o| to_record(kind, o)));
        }
        self.derive_values(kind, &mut records).await?;
        Ok(records)
    }

    /// Search for `property IN values` (lower-cased: string `IN` values must be lower case,
    /// §2.4). Search never returns archived records and lags writes (§2.4).
    async fn search_in(
        &self,
        kind: ObjectKind,
        property: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        let mut records = Vec::new();
        for chunk in values.chunks(IN_VALUES_PER_SEARCH) {
            let request = SearchRequest {
                filter_groups: vec![FilterGroup {
                    filters: vec![Filter::in_values(
                        property,
                        chunk.iter().map(|v| v.to_lowercase()),
                    )],
                }],
                properties: self.properties(kind),
                ..Default::default()
            };
            let scan = self
                .client
                .search_all(object_type(kind), &request)
                .await
                .map_err(gateway_error)?;
            records.extend(scan.results.iter().map(|o| to_record(kind, o)));
        }
        self.derive_values(kind, &mut records).await?;
        Ok(records)
    }

    /// Creates by batch upsert on each request's `upsert_key`, one call per key property, so
    /// a replayed create (after a lost answer) updates the record the first attempt made
    /// instead of making a second; no search is involved, so its lag (§2.4) cannot let a
    /// duplicate through. A request without a key fails alone with a validation error.
    async fn create_by_upsert(
        &self,
        kind: ObjectKind,
        requests: Vec<CreateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        let mut results: Vec<Option<Result<Record, RecordError>>> = vec![None; requests.len()];
        let mut by_property: BTreeMap<&'static str, Vec<(usize, UpsertInput)>> = BTreeMap::new();
        for (n, request) in requests.iter().enumerate() {
            match upsert_key(kind, &request.values) {
                Some((property, id)) => by_property.entry(property).or_default().push((
                    n,
                    UpsertInput {
                        id,
                        properties: property_writes(&request.values),
                    },
                )),
                None => results[n] = Some(Err(missing_upsert_key(kind))),
            }
        }
        let mut owners = Vec::new();
        let mut items = Vec::new();
        for (property, group) in by_property {
            let (ns, inputs): (Vec<usize>, Vec<UpsertInput>) = group.into_iter().unzip();
            let outcome = self
                .client
                .batch_upsert(object_type(kind), property, &inputs)
                .await;
            owners.extend(ns);
            items.extend(outcome.items);
        }
        // Every upsert failed the same way at the request level: a whole-call failure (safe
        // to requeue, as upserts replay).
        if results.iter().all(Option::is_none)
            && let Some(err) = whole_call_failure(&items)
        {
            return Err(err);
        }
        for (n, item) in owners.into_iter().zip(items) {
            results[n] = Some(item_result(kind, item.outcome, &requests[n].values));
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("every request has a result"))
            .collect())
    }
}

/// The unique property a create upserts on, with its value. A kind's natural unique property
/// comes first (contacts with an email upsert by email, so an existing contact with that email
/// is linked rather than clashed with, §2.5; the value is compared trimmed and lower-cased).
/// Everything else upserts by the QBO id the engine puts in every HubSpot create (records
/// created in HubSpot always come from a QBO record): the kind's `qbo_id_property` has
/// `hasUniqueValue` (`ensure_schema`), so it can be an upsert `idProperty` (§2.1).
fn upsert_key(kind: ObjectKind, values: &NativeValues) -> Option<(&'static str, String)> {
    let facts = &descriptor(kind).hubspot;
    if let Some((property, value)) = facts
        .unique_properties
        .iter()
        .find_map(|p| text_value(values, p).map(|v| (*p, v)))
    {
        return Some((property, value.trim().to_lowercase()));
    }
    let property = facts.qbo_id_property;
    text_value(values, property).map(|id| (property, id.trim().to_owned()))
}

fn missing_upsert_key(kind: ObjectKind) -> RecordError {
    let facts = &descriptor(kind).hubspot;
    let property = facts.qbo_id_property;
    let also: String = facts
        .unique_properties
        .iter()
        .map(|p| format!("an {p} or "))
        .collect();
    RecordError::new(
        RecordErrorKind::Validation,
        format!(
            "a HubSpot {} create needs {also}the QuickBooks id ({property}) to be safe to retry",
            facts.record_name
        ),
    )
}

/// The unique HubSpot property that links a two-way kind's record to its QBO record
/// (`qbo_customer_id` on contacts, `qbo_item_id` on products); `None` for mirrored kinds.
pub fn link_property(kind: ObjectKind) -> Option<PropertyDefinition> {
    let facts = &descriptor(kind).hubspot;
    let link = facts.link_property?;
    Some(PropertyDefinition::text(facts.qbo_id_property, link.label, link.group).unique())
}

/// The HubSpot object behind an engine kind.
pub fn object_type(kind: ObjectKind) -> ObjectType {
    let path = descriptor(kind).hubspot.object_path;
    ObjectType::from_path_name(path).expect("every kind's object_path is a known HubSpot object")
}

/// Properties with `hasUniqueValue` (or a natural unique one such as `email` on contacts):
/// readable by `idProperty`, consistently, archived included, instead of through lagging search.
fn is_unique_key(kind: ObjectKind, property: &str) -> bool {
    descriptor(kind).is_hubspot_unique(property)
}

fn to_record(kind: ObjectKind, object: &HubspotObject) -> Record {
    let modified_at = object
        .last_modified(object_type(kind))
        .or(object.created_at)
        .unwrap_or(DateTime::UNIX_EPOCH);
    Record {
        side: Side::Hubspot,
        kind,
        id: object.id.clone(),
        version: object
            .updated_at
            .map(values::format_datetime)
            .unwrap_or_else(|| values::format_datetime(modified_at)),
        modified_at,
        active: !object.archived,
        values: object
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    }
}

/// A native value as HubSpot's string; `None` for null/absent.
/// When each property got its current value: its newest history entry's timestamp.
fn history_times(object: &HubspotObject) -> FieldTimes {
    object
        .properties_with_history
        .iter()
        .filter_map(|(name, entries)| {
            let newest = entries
                .iter()
                .filter_map(|e| e.timestamp.as_deref())
                .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .max()?;
            Some((name.clone(), newest))
        })
        .collect()
}

fn text_value(values: &NativeValues, key: &str) -> Option<String> {
    match values.get(key)? {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Native values -> HubSpot writes: strings as they are, numbers and booleans as their text,
/// `null` as `""` (which clears the property, §2.1).
fn property_writes(values: &NativeValues) -> PropertyWrites {
    values
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::Null => values::CLEAR.to_owned(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

/// A batch write's per-input outcome as the port's result. Batch update answers carry only
/// the written properties (§2.2), so the written values are laid over the answer.
fn item_result(
    kind: ObjectKind,
    outcome: ItemOutcome,
    written: &NativeValues,
) -> Result<Record, RecordError> {
    match outcome {
        ItemOutcome::Written(object) => {
            let mut record = to_record(kind, &object);
            for (k, v) in property_writes(written) {
                record.values.entry(k).or_insert(Value::String(v));
            }
            Ok(record)
        }
        ItemOutcome::Failed(error) => Err(record_error(&error)),
        ItemOutcome::Unreported => Err(RecordError::new(
            RecordErrorKind::Other,
            "HubSpot's batch answer did not mention this record",
        )
        .retryable(true)),
    }
}

fn record_error(error: &BatchItemError) -> RecordError {
    let kind = match (error.category.as_deref(), &error.existing_id) {
        (_, Some(id)) => RecordErrorKind::Conflict {
            existing_id: id.clone(),
        },
        (Some("OBJECT_NOT_FOUND"), _) => RecordErrorKind::NotFound,
        (Some("VALIDATION_ERROR"), _) => RecordErrorKind::Validation,
        _ if error.status == Some(404) => RecordErrorKind::NotFound,
        _ if error.status == Some(400) => RecordErrorKind::Validation,
        _ => RecordErrorKind::Other,
    };
    let mut out = RecordError::new(kind, error.message.clone()).retryable(error.retryable);
    if let Some(category) = &error.category {
        out = out.with_code(category.clone());
    }
    if !error.properties.is_empty() {
        out = out.with_fix(format!(
            "check the HubSpot properties {}",
            error.properties.join(", ")
        ));
    }
    out
}

/// The port's error for a HubSpot failure, so the engine can classify it without this adapter.
impl From<HubspotError> for GatewayError {
    fn from(err: HubspotError) -> Self {
        gateway_error(err)
    }
}

/// A whole-call failure as the port's error; never contains a token.
pub(crate) fn gateway_error(err: HubspotError) -> GatewayError {
    let message = err.to_string();
    match (&err, err.retry_class()) {
        (HubspotError::Unauthorized { .. } | HubspotError::MissingScopes { .. }, _) => {
            GatewayError::Unauthorized { message }
        }
        (_, RetryClass::Throttled { wait }) => GatewayError::Throttled { wait },
        (_, RetryClass::Transient { .. }) => GatewayError::Transient { message },
        _ => GatewayError::Other { message },
    }
}

/// `list_page` cursors: the active records' `after`, then the archived records' `after`.
const ACTIVE: &str = "active:";
const ARCHIVED: &str = "archived:";

#[async_trait]
impl RecordGateway for HubspotGateway {
    fn side(&self) -> Side {
        Side::Hubspot
    }

    /// Creates `qbo_customer_id` (contacts) / `qbo_item_id` (products) with `hasUniqueValue`
    /// if missing (§4 "Suggested custom properties").
    async fn ensure_schema(&self, kinds: &[ObjectKind]) -> Result<(), GatewayError> {
        for kind in kinds {
            // The invoice mirror owns the mirrored kinds' schema (`InvoiceMirror::ensure_schema`).
            let Some(property) = link_property(*kind) else {
                continue;
            };
            self.client
                .ensure_properties(object_type(*kind), &[property])
                .await
                .map_err(gateway_error)?;
        }
        Ok(())
    }

    async fn read(&self, kind: ObjectKind, ids: &[String]) -> Result<Vec<Record>, GatewayError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read_by(kind, ids, None).await
    }

    /// The newest `propertiesWithHistory` timestamp of each field (§2.1); one batch read per
    /// 50 records (the history limit, §2.2), archived records not looked up.
    async fn field_times(
        &self,
        kind: ObjectKind,
        ids: &[String],
        fields: &[String],
    ) -> Result<BTreeMap<String, FieldTimes>, GatewayError> {
        if ids.is_empty() || fields.is_empty() {
            return Ok(BTreeMap::new());
        }
        let options = BatchReadOptions {
            properties_with_history: fields.to_vec(),
            ..Default::default()
        };
        let read = self
            .client
            .batch_read(object_type(kind), ids, &options)
            .await
            .map_err(gateway_error)?;
        Ok(read
            .found
            .iter()
            .map(|object| (object.id.clone(), history_times(object)))
            .collect())
    }

    async fn find_by_field(
        &self,
        kind: ObjectKind,
        field_path: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        let wanted: Vec<String> = values
            .iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let found = if is_unique_key(kind, field_path) {
            self.read_by(kind, &wanted, Some(field_path)).await?
        } else {
            self.search_in(kind, field_path, &wanted).await?
        };
        // Keep exact (case-insensitive) matches only: search tokenises text (§2.4).
        Ok(found
            .into_iter()
            .filter(|r| {
                text_value(&r.values, field_path)
                    .is_some_and(|v| wanted.iter().any(|w| w.eq_ignore_ascii_case(v.trim())))
            })
            .collect())
    }

    async fn create(
        &self,
        kind: ObjectKind,
        requests: Vec<CreateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        self.create_by_upsert(kind, requests).await
    }

    /// Batch update by id. HubSpot has no optimistic concurrency, so `expected_version` is not
    /// checked (as the HubSpot `MemoryGateway` fake models it).
    async fn update(
        &self,
        kind: ObjectKind,
        requests: Vec<UpdateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        let inputs: Vec<UpdateInput> = requests
            .iter()
            .map(|r| UpdateInput {
                id: r.id.clone(),
                properties: property_writes(&r.values),
            })
            .collect();
        let outcome = self
            .client
            .batch_update(object_type(kind), &inputs, None)
            .await;
        // Every input failed the same way at the request level: a whole-call failure.
        if let Some(err) = whole_call_failure(&outcome.items) {
            return Err(err);
        }
        Ok(requests
            .iter()
            .zip(outcome.items)
            .map(|(r, item)| item_result(kind, item.outcome, &r.values))
            .collect())
    }

    async fn deactivate(
        &self,
        kind: ObjectKind,
        requests: Vec<DeactivateRequest>,
    ) -> Result<Vec<Result<(), RecordError>>, GatewayError> {
        let ids: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
        self.client
            .batch_archive(object_type(kind), &ids)
            .await
            .map_err(gateway_error)?;
        Ok(requests.iter().map(|_| Ok(())).collect())
    }

    async fn list_page(
        &self,
        kind: ObjectKind,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        let (archived, after) = match cursor.as_deref() {
            None => (false, None),
            Some(c) if c.starts_with(ACTIVE) => (false, Some(c[ACTIVE.len()..].to_owned())),
            Some(c) if c.starts_with(ARCHIVED) => (true, Some(c[ARCHIVED.len()..].to_owned())),
            Some(c) => {
                return Err(GatewayError::Other {
                    message: format!("not a HubSpot list cursor: {c:?}"),
                });
            }
        };
        let options = ListOptions {
            properties: self.properties(kind),
            archived,
            ..Default::default()
        };
        let page = self
            .client
            .list_objects_page(
                object_type(kind),
                &options,
                after.as_deref().filter(|a| !a.is_empty()),
            )
            .await
            .map_err(gateway_error)?;
        let next = match (page.next_after(), archived) {
            (Some(a), false) => Some(format!("{ACTIVE}{a}")),
            (Some(a), true) => Some(format!("{ARCHIVED}{a}")),
            // The active records are done: continue with the archived ones.
            (None, false) => Some(ARCHIVED.to_owned()),
            (None, true) => None,
        };
        let mut records: Vec<Record> = page.results.iter().map(|o| to_record(kind, o)).collect();
        self.derive_values(kind, &mut records).await?;
        Ok(Page { records, next })
    }

    /// One batch association read (chunked by 100, docs/hubspot.md §3).
    async fn associated_ids(
        &self,
        from: ObjectKind,
        ids: &[String],
        to: ObjectKind,
    ) -> Result<BTreeMap<String, Vec<String>>, GatewayError> {
        let answer = self.read_associations(from, ids, to).await?;
        Ok(answer
            .into_iter()
            .filter(|a| !a.to.is_empty())
            .map(|a| {
                (
                    a.from.id,
                    a.to.into_iter().map(|r| r.to_object_id).collect(),
                )
            })
            .collect())
    }

    async fn primary_associated_ids(
        &self,
        from: ObjectKind,
        ids: &[String],
        to: ObjectKind,
    ) -> Result<BTreeMap<String, String>, GatewayError> {
        let answer = self.read_associations(from, ids, to).await?;
        Ok(answer
            .into_iter()
            .filter_map(|a| Some((a.from.id, primary_or_lowest(&a.to)?)))
            .collect())
    }

    /// Search on `lastmodifieddate` / `hs_lastmodifieddate` >= `since`, scanned with the
    /// 10k-safe `hs_object_id` partitioning. Archived records are not in search (§2.4), so
    /// archiving shows only through webhooks or reads; `deleted_ids` stays empty.
    async fn changed_since(
        &self,
        kind: ObjectKind,
        since: DateTime<Utc>,
    ) -> Result<Changes, GatewayError> {
        let object_type = object_type(kind);
        let request = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: vec![Filter::gte(
                    object_type.last_modified_property(),
                    values::format_epoch_ms(since),
                )],
            }],
            properties: self.properties(kind),
            ..Default::default()
        };
        let scan = self
            .client
            .search_all(object_type, &request)
            .await
            .map_err(gateway_error)?;
        let mut records: Vec<Record> = scan.results.iter().map(|o| to_record(kind, o)).collect();
        self.derive_values(kind, &mut records).await?;
        let newest = records.iter().map(|r| r.modified_at).max().unwrap_or(since);
        let margin = chrono::Duration::from_std(SEARCH_LAG_MARGIN).unwrap_or_default();
        let watermark = newest.min(self.clock.now() - margin).max(since);
        Ok(Changes {
            records,
            deleted_ids: Vec::new(),
            watermark,
        })
    }
}

/// When every input failed with the same request-level error (status set), the call failed
/// as a whole: report it as a `GatewayError` so it is requeued, not logged per record.
fn whole_call_failure(items: &[crate::hubspot::BatchItem]) -> Option<GatewayError> {
    let first = match &items.first()?.outcome {
        ItemOutcome::Failed(e) if e.status.is_some() => e.clone(),
        _ => return None,
    };
    let all_same = items
        .iter()
        .all(|i| matches!(&i.outcome, ItemOutcome::Failed(e) if *e == first));
    if !all_same {
        return None;
    }
    Some(match first.status {
        Some(401) | Some(403) => GatewayError::Unauthorized {
            message: first.message,
        },
        Some(429) => GatewayError::Throttled {
            wait: crate::hubspot::limits::TEN_SECONDLY_WAIT,
        },
        _ if first.retryable => GatewayError::Transient {
            message: first.message,
        },
        _ => GatewayError::Other {
            message: first.message,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_strings_version_and_activity() {
        let object: HubspotObject = serde_json::from_str(
            r#"{"id":"301","properties":{"email":"a@x.com","lastmodifieddate":"2023-11-07T17:14:00.841Z","firstname":null},
                "createdAt":"2022-09-27T13:13:31.004Z","updatedAt":"2023-11-07T17:14:00.841Z","archived":true}"#,
        )
        .unwrap();
        let record = to_record(ObjectKind::Contact, &object);
        assert_eq!(record.version, "2023-11-07T17:14:00.841Z");
        assert_eq!(
            record.modified_at.to_rfc3339(),
            "2023-11-07T17:14:00.841+00:00"
        );
        assert!(!record.active);
        assert_eq!(
            record.value("email"),
            Some(&Value::String("a@x.com".into()))
        );
        assert_eq!(record.value("firstname"), None);
    }

    #[test]
    fn native_values_become_hubspot_strings_and_null_clears() {
        let values: NativeValues = [
            ("price".to_owned(), serde_json::json!(12.5)),
            ("name".to_owned(), serde_json::json!("Widget")),
            ("description".to_owned(), Value::Null),
        ]
        .into();
        let writes = property_writes(&values);
        assert_eq!(writes["price"], "12.5");
        assert_eq!(writes["name"], "Widget");
        assert_eq!(writes["description"], "");
    }

    #[test]
    fn batch_errors_map_to_port_kinds() {
        let conflict = BatchItemError {
            category: Some("CONFLICT".into()),
            message: "Contact already exists. Existing ID: 5".into(),
            status: Some(409),
            retryable: false,
            existing_id: Some("5".into()),
            properties: vec![],
        };
        assert_eq!(
            record_error(&conflict).kind,
            RecordErrorKind::Conflict {
                existing_id: "5".into()
            }
        );
        let missing = BatchItemError {
            category: Some("OBJECT_NOT_FOUND".into()),
            existing_id: None,
            status: None,
            ..conflict.clone()
        };
        assert_eq!(record_error(&missing).kind, RecordErrorKind::NotFound);
        let invalid = BatchItemError {
            category: Some("VALIDATION_ERROR".into()),
            properties: vec!["price".into()],
            existing_id: None,
            ..conflict
        };
        let err = record_error(&invalid);
        assert_eq!(err.kind, RecordErrorKind::Validation);
        assert!(err.suggested_fix.unwrap().contains("price"));
    }
}

//! `QuickbooksGateway`: the engine's `RecordGateway` port on QBO customers and items through
//! `QboClient` (`Id IN` reads, requestid creates, SyncToken sparse updates, `Active=false`, CDC).

mod fields;
mod writes;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use crate::http::{ClassifyRetry, RetryClass};
use crate::mapping::{QboFieldType, qbo_fields::qbo_field};
use crate::model::kinds::QboOnlyForm;
use crate::model::{NativeValues, ObjectKind, Record, Side, descriptor};
use crate::ports::{
    Changes, Clock, CreateRequest, DeactivateRequest, GatewayError, Page, RecordError,
    RecordErrorKind, RecordGateway, UpdateRequest,
};
use crate::quickbooks::entities::{
    CreditMemo, Estimate, Invoice, NAME_LIST_ENTITIES, Payment, RefundReceipt,
};
use crate::quickbooks::limits::{CDC_LOOKBACK, MAX_QUERY_RESULTS};
use crate::quickbooks::{Account, Customer, Entity, Item, QboClient, QboError, Query};

/// Values per `<field> IN (...)` lookup. UNVERIFIED (docs/quickbooks.md §6 gives no cap on IN
/// lists); statements are POSTed, and 100 keeps them short.
const IN_VALUES_PER_QUERY: usize = 100;

/// Members that are identity, version or output flags rather than field values.
const NOT_VALUES: [&str; 5] = ["Id", "SyncToken", "MetaData", "domain", "sparse"];

/// QBO behind the `RecordGateway` port, for one company.
pub struct QuickbooksGateway {
    client: QboClient,
    clock: Arc<dyn Clock>,
    /// `IncomeAccountRef` for items created without one: configured, or discovered once.
    income_account: OnceCell<String>,
}

impl QuickbooksGateway {
    pub fn new(client: QboClient, clock: Arc<dyn Clock>) -> Self {
        QuickbooksGateway {
            client,
            clock,
            income_account: OnceCell::new(),
        }
    }

    /// Items created without `IncomeAccountRef.value` get this account (settings
    /// `new_items.income_account_id`).
    pub fn with_income_account(self, account_id: impl Into<String>) -> Self {
        let income_account = OnceCell::new();
        let _ = income_account.set(account_id.into());
        QuickbooksGateway {
            income_account,
            ..self
        }
    }

    pub fn client(&self) -> &QboClient {
        &self.client
    }

    /// The configured income account, or the company's first active `Income` account (§4.3).
    async fn income_account(&self) -> Result<String, GatewayError> {
        self.income_account
            .get_or_try_init(|| async {
                let query = Query::select(Account::NAME)
                    .eq("AccountType", "Income")
                    .eq("Active", true)
                    .order_by("Id", false)
                    .page(1, 1)
                    .map_err(gateway_error)?;
                let page = self
                    .client
                    .query::<Account>(&query)
                    .await
                    .map_err(gateway_error)?;
                page.items
                    .into_iter()
                    .find_map(|a| a.id)
                    .ok_or_else(|| GatewayError::Other {
                        message:
                            "the QuickBooks company has no active Income account for new items; \
                                  set new_items.income_account_id"
                                .into(),
                    })
            })
            .await
            .cloned()
    }

    async fn read_as<E: Entity>(
        &self,
        kind: ObjectKind,
        ids: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        let found: Vec<E> = self.client.read_many(ids).await.map_err(gateway_error)?;
        found.iter().map(|e| self.to_record(kind, e)).collect()
    }

    async fn find_as<E: Entity>(
        &self,
        kind: ObjectKind,
        field_path: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        if !is_filterable(field_path) {
            return Ok(Vec::new());
        }
        let field = query_field(field_path);
        let mut records = Vec::new();
        for chunk in values.chunks(IN_VALUES_PER_QUERY) {
            let query = Query::select(E::NAME).is_in(field, chunk.iter().map(String::as_str));
            let query = with_inactive::<E>(query);
            let found: Vec<E> = self.client.query_all(query).await.map_err(gateway_error)?;
            for entity in &found {
                records.push(self.to_record(kind, entity)?);
            }
        }
        Ok(records)
    }

    async fn list_as<E: Entity>(
        &self,
        kind: ObjectKind,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        let start: u32 = match cursor {
            None => 1,
            Some(c) => c.parse().map_err(|_| GatewayError::Other {
                message: format!("not a QuickBooks page cursor: {c:?}"),
            })?,
        };
        let query = with_inactive::<E>(Query::select(E::NAME))
            .order_by("Id", false)
            .page(start, MAX_QUERY_RESULTS)
            .map_err(gateway_error)?;
        let page = self
            .client
            .query::<E>(&query)
            .await
            .map_err(gateway_error)?;
        let full = page.items.len() == MAX_QUERY_RESULTS as usize;
        let records = page
            .items
            .iter()
            .map(|e| self.to_record(kind, e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            records,
            next: full.then(|| (start + MAX_QUERY_RESULTS).to_string()),
        })
    }

    async fn changed_as<E: Entity>(
        &self,
        kind: ObjectKind,
        since: DateTime<Utc>,
    ) -> Result<Changes, GatewayError> {
        let now = self.clock.now();
        let within_cdc = now - since
            < chrono::Duration::from_std(CDC_LOOKBACK).expect("fits")
                - chrono::Duration::minutes(5);
        if !within_cdc {
            // CDC only looks back 30 days (§7): read the window by query (no deletions there).
            let query = with_inactive::<E>(
                Query::select(E::NAME).ge("MetaData.LastUpdatedTime", since.fixed_offset()),
            );
            let found: Vec<E> = self.client.query_all(query).await.map_err(gateway_error)?;
            let records = found
                .iter()
                .map(|e| self.to_record(kind, e))
                .collect::<Result<Vec<_>, _>>()?;
            let watermark = records.iter().map(|r| r.modified_at).max().unwrap_or(since);
            return Ok(Changes {
                records,
                deleted_ids: Vec::new(),
                watermark,
            });
        }
        // QBO-only forms riding on this kind's jobs are asked in the same CDC request and
        // come back under their job ids (`CreditMemo:12`, model/kinds/forms.rs).
        let forms: Vec<&QboOnlyForm> = QboOnlyForm::riding_on(kind).collect();
        let mut entities = vec![E::NAME];
        entities.extend(forms.iter().map(|f| f.entity));
        let changes = self
            .client
            .changes_since(&entities, since.fixed_offset())
            .await
            .map_err(gateway_error)?;
        let typed: Vec<E> = changes.changed::<E>().map_err(gateway_error)?;
        let mut records = typed
            .iter()
            .map(|e| self.to_record(kind, e))
            .collect::<Result<Vec<_>, _>>()?;
        let mut deleted_ids: Vec<String> = changes
            .deleted
            .iter()
            .filter(|d| d.entity == E::NAME)
            .map(|d| d.id.clone())
            .collect();
        for form in forms {
            for object in changes.objects.get(form.entity).into_iter().flatten() {
                let mut record = record_from_json(kind, object, now);
                record.id = form.job_id(&record.id);
                records.push(record);
            }
            deleted_ids.extend(
                changes
                    .deleted
                    .iter()
                    .filter(|d| d.entity == form.entity)
                    .map(|d| form.job_id(&d.id)),
            );
        }
        let watermark = changes
            .server_time
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| records.iter().map(|r| r.modified_at).max())
            .unwrap_or(since);
        Ok(Changes {
            records,
            deleted_ids,
            watermark,
        })
    }

    fn to_record<E: Entity>(&self, kind: ObjectKind, entity: &E) -> Result<Record, GatewayError> {
        let value = serde_json::to_value(entity).map_err(|e| GatewayError::Other {
            message: format!("could not encode {}: {e}", E::NAME),
        })?;
        Ok(record_from_json(kind, &value, self.clock.now()))
    }

    fn record_result<E: Entity>(
        &self,
        kind: ObjectKind,
        result: Result<E, QboError>,
    ) -> Result<Result<Record, RecordError>, GatewayError> {
        match result {
            Ok(entity) => self.to_record(kind, &entity).map(Ok),
            Err(e) => per_record(e).map(Err),
        }
    }
}

/// A record from a QBO entity object: `Id`, `SyncToken`, `MetaData.LastUpdatedTime`, `Active`
/// (absent = active) and every other member flattened by dotted path.
pub fn record_from_json(kind: ObjectKind, object: &Value, fallback_time: DateTime<Utc>) -> Record {
    let text = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let modified_at = object
        .pointer("/MetaData/LastUpdatedTime")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(fallback_time);
    let mut values = NativeValues::new();
    if let Some(map) = object.as_object() {
        for (key, value) in map {
            if !NOT_VALUES.contains(&key.as_str()) {
                flatten_into(&mut values, key, value);
            }
        }
    }
    Record {
        side: Side::Quickbooks,
        kind,
        id: text("Id"),
        version: text("SyncToken"),
        modified_at,
        active: object
            .get("Active")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        values,
    }
}

fn flatten_into(out: &mut NativeValues, path: &str, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                flatten_into(out, &format!("{path}.{key}"), inner);
            }
        }
        other => {
            out.insert(path.to_string(), other.clone());
        }
    }
}

/// The JSON body for written `values` (dotted paths back into nested objects). A `null` clears
/// a text field by writing `""`. UNVERIFIED (docs/quickbooks.md §5.2 documents no clearing rule
/// for sparse updates; `""` is what integrators send): one function to change.
fn write_body(kind: ObjectKind, values: &NativeValues) -> Result<Map<String, Value>, RecordError> {
    let mut body = Map::new();
    for (path, value) in values {
        if NOT_VALUES.contains(&path.split('.').next().unwrap_or_default()) {
            continue;
        }
        let value = match value {
            Value::Null => match qbo_field(kind, path).map(|f| f.ty) {
                Some(QboFieldType::Text) | None => Value::from(""),
                Some(_) => Value::Null,
            },
            other => other.clone(),
        };
        let mut target = &mut body;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                target.insert(part.to_string(), value.clone());
                break;
            }
            let slot = target
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            target = match slot {
                Value::Object(map) => map,
                _ => {
                    return Err(invalid(format!(
                        "{path} nests inside a value that is not an object"
                    )));
                }
            };
        }
    }
    Ok(body)
}

/// `query` widened to inactive records where `E` is a name list (§6: they are hidden by
/// default); transactions have no `Active` property and reject the filter with 4001.
fn with_inactive<E: Entity>(query: Query) -> Query {
    if NAME_LIST_ENTITIES.contains(&E::NAME) {
        query.include_inactive()
    } else {
        query
    }
}

/// The query property for a native path: e-mail is filtered as `PrimaryEmailAddr` (§6).
/// Whether QBO accepts `path` in a query's `WHERE`. Only fields Intuit marks filterable may be
/// (docs/quickbooks.md §6): a customer's `WebAddr` is not, so a live lookup of a company by its
/// domain finds nothing in QBO (the initial sync matches domains in its snapshot instead,
/// and HubSpot answers the lookup the other way). Others answer 4001.
/// https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer
fn is_filterable(path: &str) -> bool {
    !matches!(path, "WebAddr.URI")
}

fn query_field(path: &str) -> &str {
    match path {
        "PrimaryEmailAddr.Address" => "PrimaryEmailAddr",
        other => other,
    }
}

fn has_text(values: &NativeValues, path: &str) -> bool {
    values
        .get(path)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
}

fn invalid(message: String) -> RecordError {
    RecordError::new(RecordErrorKind::Validation, message)
}

/// A per-record failure, or the whole-call failure it really is (throttling, auth, outages).
fn per_record(error: QboError) -> Result<RecordError, GatewayError> {
    let code = error.code().map(str::to_string);
    let detail = error.to_string();
    let (kind, fix, retryable) = match &error {
        QboError::DuplicateName(_) => (
            RecordErrorKind::DuplicateName,
            Some(
                "QuickBooks names are unique across customers, vendors and employees (items by Name): rename one of them",
            ),
            false,
        ),
        QboError::StaleObject(_) => (RecordErrorKind::Stale, None, true),
        QboError::NotFound(_) => (
            RecordErrorKind::NotFound,
            Some("the record or something it refers to was deleted or made inactive in QuickBooks"),
            false,
        ),
        QboError::InvalidReference(_) => (
            RecordErrorKind::Validation,
            Some("a referenced QuickBooks record (account, item, customer) is missing or inactive"),
            false,
        ),
        QboError::PeriodClosed(_) => (
            RecordErrorKind::Validation,
            Some("the QuickBooks books are closed for this date"),
            false,
        ),
        QboError::Validation(_)
        | QboError::BusinessValidation(_)
        | QboError::DuplicateDocNumber(_) => (RecordErrorKind::Validation, None, false),
        QboError::InvalidRequest(_) => (RecordErrorKind::Validation, None, false),
        _ => return Err(gateway_error(error)),
    };
    let mut record_error = RecordError::new(kind, detail).retryable(retryable);
    if let Some(code) = code {
        record_error = record_error.with_code(code);
    }
    if let Some(fix) = fix {
        record_error = record_error.with_fix(fix);
    }
    Ok(record_error)
}

/// The port's error for a QBO failure, so the engine can classify it without this adapter.
impl From<QboError> for GatewayError {
    fn from(error: QboError) -> Self {
        gateway_error(error)
    }
}

/// A whole-call failure.
pub(crate) fn gateway_error(error: QboError) -> GatewayError {
    let message = error.to_string();
    match (&error, error.retry_class()) {
        (_, RetryClass::Throttled { wait }) => GatewayError::Throttled { wait },
        (
            QboError::Authentication(_) | QboError::Authorization(_) | QboError::CompanyInactive(_),
            _,
        ) => GatewayError::Unauthorized { message },
        (_, RetryClass::Transient { .. }) => GatewayError::Transient { message },
        _ => GatewayError::Other { message },
    }
}

/// Runs `$call` with the type alias `$E` bound to the QBO entity type named `$entity`
/// (a kind's `qbo.entity`). Name-list entities only: the ones the two-way sync writes.
macro_rules! with_name_list_entity {
    ($entity:expr, $E:ident => $call:expr) => {{
        let entity: &str = $entity;
        if entity == Customer::NAME {
            type $E = Customer;
            $call
        } else if entity == Item::NAME {
            type $E = Item;
            $call
        } else {
            Err(unknown_entity(entity))
        }
    }};
}

/// As `with_name_list_entity!`, over every QBO entity the sync reads (mirrored ones too).
macro_rules! with_entity {
    ($entity:expr, $E:ident => $call:expr) => {{
        let entity: &str = $entity;
        if entity == Invoice::NAME {
            type $E = Invoice;
            $call
        } else if entity == Payment::NAME {
            type $E = Payment;
            $call
        } else {
            with_name_list_entity!(entity, $E => $call)
        }
    }};
}

/// The QBO entity `kind` is stored as, when the two-way sync may write it.
fn written_entity(kind: ObjectKind) -> Result<&'static str, GatewayError> {
    let descriptor = descriptor(kind);
    if descriptor.is_two_way() {
        Ok(descriptor.qbo.entity)
    } else {
        Err(mirrored_only(kind))
    }
}

#[async_trait]
impl RecordGateway for QuickbooksGateway {
    fn side(&self) -> Side {
        Side::Quickbooks
    }

    async fn ensure_schema(&self, kinds: &[ObjectKind]) -> Result<(), GatewayError> {
        if kinds
            .iter()
            .any(|kind| descriptor(*kind).qbo.income_account_ref.is_some())
        {
            self.income_account().await?;
        }
        Ok(())
    }

    async fn read(&self, kind: ObjectKind, ids: &[String]) -> Result<Vec<Record>, GatewayError> {
        with_entity!(descriptor(kind).qbo.entity, E => self.read_as::<E>(kind, ids).await)
    }

    async fn find_by_field(
        &self,
        kind: ObjectKind,
        field_path: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        with_name_list_entity!(written_entity(kind)?, E => {
            self.find_as::<E>(kind, field_path, values).await
        })
    }

    async fn create(
        &self,
        kind: ObjectKind,
        requests: Vec<CreateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        with_name_list_entity!(written_entity(kind)?, E => self.create_as::<E>(kind, requests).await)
    }

    async fn update(
        &self,
        kind: ObjectKind,
        requests: Vec<UpdateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        with_name_list_entity!(written_entity(kind)?, E => self.update_as::<E>(kind, requests).await)
    }

    async fn deactivate(
        &self,
        kind: ObjectKind,
        requests: Vec<DeactivateRequest>,
    ) -> Result<Vec<Result<(), RecordError>>, GatewayError> {
        with_name_list_entity!(written_entity(kind)?, E => self.deactivate_as::<E>(requests).await)
    }

    async fn list_page(
        &self,
        kind: ObjectKind,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        with_entity!(descriptor(kind).qbo.entity, E => self.list_as::<E>(kind, cursor).await)
    }

    async fn list_form_page(
        &self,
        form: &'static QboOnlyForm,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        let mut page = if form.entity == Estimate::NAME {
            self.list_as::<Estimate>(form.kind, cursor).await?
        } else if form.entity == CreditMemo::NAME {
            self.list_as::<CreditMemo>(form.kind, cursor).await?
        } else if form.entity == RefundReceipt::NAME {
            self.list_as::<RefundReceipt>(form.kind, cursor).await?
        } else {
            return Err(unknown_entity(form.entity));
        };
        for record in &mut page.records {
            record.id = form.job_id(&record.id);
        }
        Ok(page)
    }

    async fn changed_since(
        &self,
        kind: ObjectKind,
        since: DateTime<Utc>,
    ) -> Result<Changes, GatewayError> {
        with_entity!(descriptor(kind).qbo.entity, E => self.changed_as::<E>(kind, since).await)
    }
}

/// A kind's descriptor names a QBO entity this gateway has no type for.
fn unknown_entity(entity: &str) -> GatewayError {
    GatewayError::Other {
        message: format!("the QuickBooks gateway has no entity type for {entity}"),
    }
}

/// The two-way engine never writes QBO invoices or payments: they are mirrored one-way into
/// HubSpot (`engine::invoicing::invoices`); the workflow action creates invoices through the QBO client.
fn mirrored_only(kind: ObjectKind) -> GatewayError {
    GatewayError::Other {
        message: format!(
            "QuickBooks {} records are mirrored one-way into HubSpot, not written by the two-way sync",
            kind.vendor_name(Side::Quickbooks)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../tests/fixtures/quickbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn records_flatten_the_object_and_keep_identity_version_and_activity() {
        let body = fixture("customer-read-response.json");
        let record = record_from_json(ObjectKind::Contact, &body["Customer"], Utc::now());
        assert_eq!(record.side, Side::Quickbooks);
        assert_eq!((record.id.as_str(), record.version.as_str()), ("2", "0"));
        assert!(record.active);
        assert_eq!(record.modified_at.to_rfc3339(), "2014-09-18T19:56:01+00:00");
        assert_eq!(
            record.value("PrimaryEmailAddr.Address"),
            Some(&json!("surf@example.com"))
        );
        assert_eq!(record.value("BillAddr.City"), Some(&json!("Half Moon Bay")));
        assert_eq!(record.value("Balance").unwrap().to_string(), "85.0");
        assert!(record.value("Id").is_none() && record.value("MetaData.CreateTime").is_none());
        let inactive = record_from_json(
            ObjectKind::Product,
            &json!({"Id": "3", "SyncToken": "1", "Active": false}),
            Utc::now(),
        );
        assert!(!inactive.active);
    }

    #[test]
    fn written_values_nest_by_path_and_nulls_clear_text() {
        let values: NativeValues = [
            (
                "PrimaryEmailAddr.Address".to_string(),
                json!("ada@example.com"),
            ),
            ("BillAddr.City".to_string(), json!("Paris")),
            ("BillAddr.PostalCode".to_string(), json!("75001")),
            ("CompanyName".to_string(), Value::Null),
            ("Id".to_string(), json!("ignored")),
        ]
        .into_iter()
        .collect();
        let body = write_body(ObjectKind::Contact, &values).unwrap();
        assert_eq!(
            Value::Object(body),
            json!({
                "PrimaryEmailAddr": {"Address": "ada@example.com"},
                "BillAddr": {"City": "Paris", "PostalCode": "75001"},
                "CompanyName": ""
            })
        );
        let clash: NativeValues = [
            ("BillAddr".to_string(), json!("x")),
            ("BillAddr.City".to_string(), json!("y")),
        ]
        .into_iter()
        .collect();
        assert!(write_body(ObjectKind::Contact, &clash).is_err());
    }

    #[test]
    fn duplicate_names_are_typed_record_errors_and_throttling_fails_the_call() {
        let dup = QboError::from_response(
            400,
            None,
            None,
            &std::fs::read(format!(
                "{}/../tests/fixtures/quickbooks/error-6240-duplicate-name.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        );
        let record = per_record(dup).unwrap();
        assert_eq!(record.kind, RecordErrorKind::DuplicateName);
        assert_eq!(record.code.as_deref(), Some("6240"));
        assert!(record.suggested_fix.is_some());
        let stale = per_record(QboError::from_response(
            400,
            None,
            None,
            br#"{"Fault":{"Error":[{"Message":"Stale Object Error","code":"5010"}]}}"#,
        ))
        .unwrap();
        assert_eq!(stale.kind, RecordErrorKind::Stale);
        let throttled = per_record(QboError::from_response(429, None, None, b"")).unwrap_err();
        assert!(matches!(throttled, GatewayError::Throttled { .. }));
        let auth = per_record(QboError::from_response(401, None, None, b"")).unwrap_err();
        assert!(matches!(auth, GatewayError::Unauthorized { .. }));
    }

    #[test]
    fn only_name_lists_are_widened_to_inactive_records() {
        let customers = with_inactive::<Customer>(Query::select(Customer::NAME)).to_string();
        assert!(customers.contains("Active IN (true,false)"), "{customers}");
        let invoices = with_inactive::<Invoice>(Query::select(Invoice::NAME)).to_string();
        assert!(!invoices.contains("Active"), "{invoices}");
    }

    #[test]
    fn email_is_queried_by_its_filterable_name() {
        assert_eq!(query_field("PrimaryEmailAddr.Address"), "PrimaryEmailAddr");
        assert_eq!(query_field("Sku"), "Sku");
    }
}

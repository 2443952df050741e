//! Object batch endpoints (read, create, update, upsert, archive) in chunks of 100, with 207
//! multi-status answers resolved into one outcome per input (docs/hubspot.md §2.1, §2.2).

use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::{ClassifyRetry, RetryClass};

use super::client::{Call, HubspotClient, Repeat};
use super::error::{ApiErrorBody, HubspotError, Result, conflict_holder};
use super::limits;
use super::objects::{CreateInput, HubspotObject, ObjectType, PropertyWrites};
use super::version;

/// A batch answer (200, 201 or 207): `results`, and on 207 `numErrors` + `errors` (§2.2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchResponse {
    pub status: Option<String>,
    pub results: Vec<HubspotObject>,
    pub num_errors: Option<u32>,
    pub errors: Vec<ApiErrorBody>,
}

/// Why one input of a batch failed (an entry of a 207's `errors[]`, or the request's failure).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItemError {
    /// HubSpot's category (`VALIDATION_ERROR`, `OBJECT_NOT_FOUND`, `CONFLICT`, ...).
    pub category: Option<String>,
    pub message: String,
    /// The HTTP status when the whole request failed.
    pub status: Option<u16>,
    /// Whether trying again later may succeed (429, 5xx, transport). For creates, re-read first.
    pub retryable: bool,
    /// The record already holding a unique value (409 / "already has that value", §2.5).
    pub existing_id: Option<String>,
    /// Properties the error names.
    pub properties: Vec<String>,
}

impl BatchItemError {
    fn from_item(body: &ApiErrorBody) -> Self {
        let category = body.category.clone();
        let conflict = category.as_deref() == Some("CONFLICT")
            || body.message().contains("already has that value");
        BatchItemError {
            retryable: category.as_deref() == Some("RATE_LIMITS"),
            existing_id: if conflict {
                conflict_holder(body.message())
            } else {
                None
            },
            properties: body.property_names(),
            message: body.message().to_owned(),
            status: None,
            category,
        }
    }

    fn from_request(err: &HubspotError) -> Self {
        let body = err.body();
        BatchItemError {
            category: body.and_then(|b| b.category.clone()),
            message: err.to_string(),
            status: match err {
                HubspotError::Transient { status, .. } | HubspotError::Api { status, .. } => {
                    Some(*status)
                }
                HubspotError::RateLimited { .. } => Some(429),
                HubspotError::NotFound { .. } => Some(404),
                HubspotError::Unauthorized { .. } => Some(401),
                HubspotError::MissingScopes { .. } => Some(403),
                HubspotError::Conflict { .. } => Some(409),
                HubspotError::Validation { .. } => Some(400),
                _ => None,
            },
            retryable: err.retry_class() != RetryClass::Permanent,
            existing_id: match err {
                HubspotError::Conflict { existing_id, .. } => existing_id.clone(),
                _ => None,
            },
            properties: match err {
                HubspotError::Validation { properties, .. } => properties.clone(),
                _ => Vec::new(),
            },
        }
    }

    /// The ids / trace ids this error is about (`context.ids`, `context.objectWriteTraceId`).
    fn targets(body: &ApiErrorBody) -> Vec<String> {
        let mut out = Vec::new();
        for key in ["ids", "objectWriteTraceId", "id"] {
            if let Some(list) = body
                .context
                .as_ref()
                .and_then(|c| c.get(key))
                .and_then(Value::as_array)
            {
                out.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
            }
        }
        out
    }
}

/// What happened to one input.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome {
    /// Written (or read); the record HubSpot returned.
    Written(HubspotObject),
    Failed(BatchItemError),
    /// HubSpot answered without naming this input (a result we could not pair to it is in
    /// [`BatchWriteOutcome::unmatched`]).
    Unreported,
}

/// One input's key (its id, `idProperty` value or trace id) and outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    pub key: String,
    pub object_write_trace_id: String,
    pub outcome: ItemOutcome,
}

/// Per-input outcomes of a batch write, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchWriteOutcome {
    pub items: Vec<BatchItem>,
    /// Results HubSpot returned that could not be paired with an input.
    pub unmatched: Vec<HubspotObject>,
    /// HTTP requests made (one per chunk of 100).
    pub requests: usize,
}

impl BatchWriteOutcome {
    pub fn written(&self) -> impl Iterator<Item = (&str, &HubspotObject)> {
        self.items.iter().filter_map(|i| match &i.outcome {
            ItemOutcome::Written(o) => Some((i.key.as_str(), o)),
            _ => None,
        })
    }

    pub fn failed(&self) -> impl Iterator<Item = (&str, &BatchItemError)> {
        self.items.iter().filter_map(|i| match &i.outcome {
            ItemOutcome::Failed(e) => Some((i.key.as_str(), e)),
            _ => None,
        })
    }

    pub fn all_written(&self) -> bool {
        self.items
            .iter()
            .all(|i| matches!(i.outcome, ItemOutcome::Written(_)))
    }
}

/// Outcome of a batch read: found records, ids HubSpot says do not exist, other errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchReadOutcome {
    pub found: Vec<HubspotObject>,
    /// Requested ids (or `idProperty` values) reported missing (`OBJECT_NOT_FOUND`, §2.2).
    pub missing: Vec<String>,
    pub errors: Vec<BatchItemError>,
    pub requests: usize,
}

/// Options of `batch/read` (§2.1).
#[derive(Debug, Clone, Default)]
pub struct BatchReadOptions {
    pub properties: Vec<String>,
    pub properties_with_history: Vec<String>,
    /// Read by a unique property (e.g. `email`, `hs_sku` when unique) instead of the id.
    pub id_property: Option<String>,
    pub archived: bool,
}

/// One input of `batch/update`: the record id (or `idProperty` value) and the values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateInput {
    pub id: String,
    pub properties: PropertyWrites,
}

/// One input of `batch/upsert`: the unique property's value and the values to write.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpsertInput {
    pub id: String,
    pub properties: PropertyWrites,
}

/// How an input is recognised in the answer.
struct InputKey {
    key: String,
    trace: String,
    /// Value a result carries for this input (its id, or the `idProperty` / match property).
    result_value: Option<String>,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Pairs a chunk's answer with its inputs (never by position: result order is not input
/// order, §2.2): trace id, then the errors' `context`, then `result_value`, then, when exactly
/// one input and one result remain, with each other.
fn resolve(
    inputs: &[InputKey],
    response: BatchResponse,
    result_value: &dyn Fn(&HubspotObject) -> Option<String>,
) -> (Vec<BatchItem>, Vec<HubspotObject>) {
    let mut outcomes: Vec<ItemOutcome> = vec![ItemOutcome::Unreported; inputs.len()];
    let mut unmatched = Vec::new();
    let mut by_value = Vec::new();
    for result in response.results {
        let slot = result
            .object_write_trace_id
            .as_deref()
            .and_then(|t| inputs.iter().position(|i| i.trace == t));
        match slot {
            Some(n) => outcomes[n] = ItemOutcome::Written(result),
            None => by_value.push(result),
        }
    }
    let mut untargeted = Vec::new();
    for error in &response.errors {
        let targets = BatchItemError::targets(error);
        if targets.is_empty() {
            untargeted.push(error);
            continue;
        }
        for (n, input) in inputs.iter().enumerate() {
            if targets
                .iter()
                .any(|t| t == &input.trace || same(t, &input.key))
            {
                outcomes[n] = ItemOutcome::Failed(BatchItemError::from_item(error));
            }
        }
    }
    for result in by_value {
        let value = result_value(&result);
        let slot = value.as_deref().and_then(|v| {
            inputs.iter().enumerate().position(|(n, i)| {
                matches!(outcomes[n], ItemOutcome::Unreported)
                    && i.result_value.as_deref().is_some_and(|iv| same(iv, v))
            })
        });
        match slot {
            Some(n) => outcomes[n] = ItemOutcome::Written(result),
            None => unmatched.push(result),
        }
    }
    for error in untargeted {
        for outcome in outcomes.iter_mut() {
            if matches!(outcome, ItemOutcome::Unreported) {
                *outcome = ItemOutcome::Failed(BatchItemError::from_item(error));
            }
        }
    }
    let open: Vec<usize> = (0..inputs.len())
        .filter(|n| matches!(outcomes[*n], ItemOutcome::Unreported))
        .collect();
    if open.len() == 1 && unmatched.len() == 1 {
        outcomes[open[0]] = ItemOutcome::Written(unmatched.remove(0));
    }
    let items = inputs
        .iter()
        .zip(outcomes)
        .map(|(i, outcome)| BatchItem {
            key: i.key.clone(),
            object_write_trace_id: i.trace.clone(),
            outcome,
        })
        .collect();
    (items, unmatched)
}

fn trace_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl HubspotClient {
    /// Runs one write chunk; a request-level failure becomes every input's failure, so earlier
    /// chunks' results are never lost.
    async fn write_chunk(
        &self,
        call: Call,
        keys: Vec<InputKey>,
        result_value: &(dyn Fn(&HubspotObject) -> Option<String> + Sync),
    ) -> (Vec<BatchItem>, Vec<HubspotObject>) {
        match self.send::<BatchResponse>(call).await {
            Ok(response) => resolve(&keys, response, result_value),
            Err(err) => {
                let error = BatchItemError::from_request(&err);
                let items = keys
                    .into_iter()
                    .map(|k| BatchItem {
                        key: k.key,
                        object_write_trace_id: k.trace,
                        outcome: ItemOutcome::Failed(error.clone()),
                    })
                    .collect();
                (items, Vec::new())
            }
        }
    }

    async fn run_write_chunks(
        &self,
        chunks: Vec<(Call, Vec<InputKey>)>,
        result_value: &(dyn Fn(&HubspotObject) -> Option<String> + Sync),
    ) -> BatchWriteOutcome {
        let requests = chunks.len();
        let parts: Vec<_> = stream::iter(chunks)
            .map(|(call, keys)| self.write_chunk(call, keys, result_value))
            .buffered(limits::CHUNK_CONCURRENCY)
            .collect()
            .await;
        let mut outcome = BatchWriteOutcome {
            requests,
            ..Default::default()
        };
        for (items, unmatched) in parts {
            outcome.items.extend(items);
            outcome.unmatched.extend(unmatched);
        }
        outcome
    }

    /// `POST .../batch/read` in chunks of 100 (50 with history). Misses come back in `missing`.
    pub async fn batch_read(
        &self,
        object_type: ObjectType,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> Result<BatchReadOutcome> {
        let size = if options.properties_with_history.is_empty() {
            limits::BATCH_SIZE
        } else {
            limits::BATCH_SIZE_WITH_HISTORY
        };
        // Owned chunks: futures that borrow a chunk are not `Send` for every lifetime.
        let chunks: Vec<Vec<String>> = ids.chunks(size).map(<[String]>::to_vec).collect();
        let requests = chunks.len();
        let parts: Vec<(Vec<String>, BatchResponse)> = stream::iter(chunks)
            .map(|chunk: Vec<String>| async move {
                let mut body = json!({
                    "inputs": chunk.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
                    "properties": options.properties,
                    "propertiesWithHistory": options.properties_with_history,
                });
                if let Some(p) = &options.id_property {
                    body["idProperty"] = json!(p);
                }
                let mut call = Call::new(
                    "objects.batch_read",
                    Method::POST,
                    version::objects_batch(object_type.path_name(), "read"),
                )
                .json(body);
                if options.archived {
                    call = call.query("archived", "true");
                }
                match self.send::<BatchResponse>(call).await {
                    Ok(response) => Ok((chunk, response)),
                    // Whether an all-miss read answers 207 or 404 is unconfirmed (§2.2): both
                    // mean "none of these exist".
                    Err(HubspotError::NotFound { .. }) => Ok((
                        chunk.clone(),
                        BatchResponse {
                            errors: vec![ApiErrorBody {
                                category: Some("OBJECT_NOT_FOUND".into()),
                                context: Some(json!({ "ids": chunk })),
                                ..Default::default()
                            }],
                            ..Default::default()
                        },
                    )),
                    Err(e) => Err(e),
                }
            })
            .buffered(limits::CHUNK_CONCURRENCY)
            .try_collect()
            .await?;
        let mut outcome = BatchReadOutcome {
            requests,
            ..Default::default()
        };
        for (chunk, response) in parts {
            for error in &response.errors {
                if error.category.as_deref() == Some("OBJECT_NOT_FOUND") {
                    let targets = BatchItemError::targets(error);
                    outcome.missing.extend(
                        chunk
                            .iter()
                            .filter(|id| targets.iter().any(|t| same(t, id)))
                            .cloned(),
                    );
                } else {
                    outcome.errors.push(BatchItemError::from_item(error));
                }
            }
            outcome.found.extend(response.results);
        }
        Ok(outcome)
    }

    /// `POST .../batch/create` in chunks of 100. Every input gets an `objectWriteTraceId` (kept
    /// if set) so a 207 names each failed input (§2.2). Results are paired by trace id, else by
    /// `match_property` (e.g. `email`, `hs_sku`). A chunk that fails with a 5xx or timeout is
    /// not retried (it may have been created): its inputs fail with `retryable`, and the caller
    /// re-reads by its natural key before creating again.
    pub async fn batch_create(
        &self,
        object_type: ObjectType,
        inputs: Vec<CreateInput>,
        match_property: Option<&str>,
    ) -> BatchWriteOutcome {
        let chunks = inputs
            .chunks(limits::BATCH_SIZE)
            .map(|chunk| {
                let mut keys = Vec::with_capacity(chunk.len());
                let body_inputs: Vec<CreateInput> = chunk
                    .iter()
                    .map(|input| {
                        let mut input = input.clone();
                        let trace = input
                            .object_write_trace_id
                            .get_or_insert_with(trace_id)
                            .clone();
                        keys.push(InputKey {
                            key: trace.clone(),
                            trace,
                            result_value: match_property
                                .and_then(|p| input.properties.get(p).cloned()),
                        });
                        input
                    })
                    .collect();
                let call = Call::new(
                    "objects.batch_create",
                    Method::POST,
                    version::objects_batch(object_type.path_name(), "create"),
                )
                .json(json!({ "inputs": body_inputs }))
                .repeat(Repeat::OnlyIfNotProcessed);
                (call, keys)
            })
            .collect();
        let value_of = |o: &HubspotObject| match_property.and_then(|p| o.get(p).map(str::to_owned));
        self.run_write_chunks(chunks, &value_of).await
    }

    /// `POST .../batch/update` in chunks of 100 (by record id, or by `id_property` values).
    /// 200 when all succeed, 207 with per-input errors otherwise (§2.2).
    pub async fn batch_update(
        &self,
        object_type: ObjectType,
        inputs: &[UpdateInput],
        id_property: Option<&str>,
    ) -> BatchWriteOutcome {
        let chunks = inputs
            .chunks(limits::BATCH_SIZE)
            .map(|chunk| {
                let mut keys = Vec::with_capacity(chunk.len());
                let body_inputs: Vec<Value> = chunk
                    .iter()
                    .map(|input| {
                        let trace = trace_id();
                        keys.push(InputKey {
                            key: input.id.clone(),
                            trace: trace.clone(),
                            result_value: Some(input.id.clone()),
                        });
                        let mut v = json!({
                            "id": input.id,
                            "properties": input.properties,
                            "objectWriteTraceId": trace,
                        });
                        if let Some(p) = id_property {
                            v["idProperty"] = json!(p);
                        }
                        v
                    })
                    .collect();
                let call = Call::new(
                    "objects.batch_update",
                    Method::POST,
                    version::objects_batch(object_type.path_name(), "update"),
                )
                .json(json!({ "inputs": body_inputs }));
                (call, keys)
            })
            .collect();
        let value_of = |o: &HubspotObject| match id_property {
            None => Some(o.id.clone()),
            Some(p) => o.get(p).map(str::to_owned),
        };
        self.run_write_chunks(chunks, &value_of).await
    }

    /// `POST .../batch/upsert` by a unique property (`email` on contacts, or a custom property
    /// with `hasUniqueValue`), in chunks of 100. Safe to retry: a repeat finds the record by its
    /// unique value instead of creating a second one (§2.5). Each result says `new`.
    pub async fn batch_upsert(
        &self,
        object_type: ObjectType,
        id_property: &str,
        inputs: &[UpsertInput],
    ) -> BatchWriteOutcome {
        let chunks = inputs
            .chunks(limits::BATCH_SIZE)
            .map(|chunk| {
                let mut keys = Vec::with_capacity(chunk.len());
                let body_inputs: Vec<Value> = chunk
                    .iter()
                    .map(|input| {
                        let trace = trace_id();
                        keys.push(InputKey {
                            key: input.id.clone(),
                            trace: trace.clone(),
                            result_value: Some(input.id.clone()),
                        });
                        json!({
                            "id": input.id,
                            "idProperty": id_property,
                            "properties": input.properties,
                            "objectWriteTraceId": trace,
                        })
                    })
                    .collect();
                let call = Call::new(
                    "objects.batch_upsert",
                    Method::POST,
                    version::objects_batch(object_type.path_name(), "upsert"),
                )
                .json(json!({ "inputs": body_inputs }));
                (call, keys)
            })
            .collect();
        let value_of = |o: &HubspotObject| o.get(id_property).map(str::to_owned);
        self.run_write_chunks(chunks, &value_of).await
    }

    /// `POST .../batch/archive` in chunks of 100 (204). Archiving is idempotent, so retried.
    pub async fn batch_archive(&self, object_type: ObjectType, ids: &[String]) -> Result<usize> {
        let mut requests = 0;
        for chunk in ids.chunks(limits::BATCH_SIZE) {
            let call = Call::new(
                "objects.batch_archive",
                Method::POST,
                version::objects_batch(object_type.path_name(), "archive"),
            )
            .json(
                json!({ "inputs": chunk.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>() }),
            );
            self.send_no_content(call).await?;
            requests += 1;
        }
        Ok(requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../tests/fixtures/hubspot/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn key(key: &str, trace: &str, value: Option<&str>) -> InputKey {
        InputKey {
            key: key.into(),
            trace: trace.into(),
            result_value: value.map(Into::into),
        }
    }

    #[test]
    fn multi_status_create_resolves_each_input() {
        let request: Value =
            serde_json::from_str(&fixture("batch-create-multi-status-request.json")).unwrap();
        let keys: Vec<InputKey> = request["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let t = i["objectWriteTraceId"].as_str().unwrap();
                key(t, t, i["properties"]["hs_pipeline_stage"].as_str())
            })
            .collect();
        let response: BatchResponse =
            serde_json::from_str(&fixture("batch-create-multi-status-response-207.json")).unwrap();
        assert_eq!(response.num_errors, Some(1));
        let (items, unmatched) = resolve(&keys, response, &|o| {
            o.get("hs_pipeline_stage").map(str::to_owned)
        });
        assert!(unmatched.is_empty());
        match &items[0].outcome {
            ItemOutcome::Written(o) => assert_eq!(o.id, "1145814089"),
            other => panic!("{other:?}"),
        }
        match &items[1].outcome {
            ItemOutcome::Failed(e) => {
                assert_eq!(e.category.as_deref(), Some("VALIDATION_ERROR"));
                assert_eq!(e.properties, vec!["missing".to_owned()]);
                assert!(!e.retryable);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn batch_read_misses_name_their_ids() {
        let response: BatchResponse =
            serde_json::from_str(&fixture("batch-read-not-found-response-207.json")).unwrap();
        let keys = vec![key("meows@loudly.lol", "t1", Some("meows@loudly.lol"))];
        let (items, _) = resolve(&keys, response, &|o| o.get("email").map(str::to_owned));
        match &items[0].outcome {
            ItemOutcome::Failed(e) => assert_eq!(e.category.as_deref(), Some("OBJECT_NOT_FOUND")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn results_pair_by_value_not_position() {
        let response: BatchResponse =
            serde_json::from_str(&fixture("contact-batch-update-response.json")).unwrap();
        let keys = vec![
            key("999", "a", Some("999")),
            key("290201", "b", Some("290201")),
        ];
        let (items, unmatched) = resolve(&keys, response, &|o| Some(o.id.clone()));
        assert!(unmatched.is_empty());
        assert_eq!(items[0].outcome, ItemOutcome::Unreported);
        assert!(
            matches!(&items[1].outcome, ItemOutcome::Written(o) if o.get("lastname") == Some("Doe"))
        );
    }

    #[test]
    fn a_lone_unlabelled_result_pairs_with_the_lone_open_input() {
        let response: BatchResponse =
            serde_json::from_str(&fixture("contact-batch-create-response.json")).unwrap();
        let keys = vec![key("t1", "t1", None)];
        let (items, unmatched) = resolve(&keys, response, &|_| None);
        assert!(unmatched.is_empty());
        assert!(matches!(&items[0].outcome, ItemOutcome::Written(o) if o.id == "290201"));
    }

    #[test]
    fn line_item_batch_read_fixture_parses() {
        let response: BatchResponse =
            serde_json::from_str(&fixture("line-items-batch-read-response.json")).unwrap();
        assert_eq!(response.status.as_deref(), Some("COMPLETE"));
        assert_eq!(response.results[0].get("amount"), Some("123.00"));
    }

    #[test]
    fn request_failures_become_per_input_errors_with_retryability() {
        let err = HubspotError::from_response(
            409,
            &reqwest::header::HeaderMap::new(),
            fixture("error-409-contact-exists.json").as_bytes(),
        );
        let item = BatchItemError::from_request(&err);
        assert_eq!(item.status, Some(409));
        assert_eq!(item.existing_id.as_deref(), Some("15875483046"));
        assert!(!item.retryable);
        let err = HubspotError::from_response(503, &reqwest::header::HeaderMap::new(), b"");
        assert!(BatchItemError::from_request(&err).retryable);
    }

    #[test]
    fn invoice_batch_create_request_fixture_matches_our_input_shape() {
        let request: Value =
            serde_json::from_str(&fixture("invoice-batch-create-with-contact-request.json"))
                .unwrap();
        let input: CreateInput = CreateInput {
            properties: serde_json::from_value(request["inputs"][0]["properties"].clone()).unwrap(),
            associations: serde_json::from_value(request["inputs"][0]["associations"].clone())
                .unwrap(),
            object_write_trace_id: None,
        };
        assert_eq!(serde_json::to_value(&input).unwrap(), request["inputs"][0]);
    }
}

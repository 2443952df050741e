//! Batch (docs/quickbooks.md §8): independent create/update/delete/query items, chunked to 30 per
//! request, each answered on its own (entity, query result or fault), with `optionsData`.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::cdc::Deleted;
use super::client::{Body, QboClient, QueryPage, parse_query_page};
use super::entities::Entity;
use super::entities::NameListEntity;
use super::error::{QboError, RawFault};
use super::limits::{MAX_BATCH_ID_LEN, MAX_BATCH_ITEMS, MAX_BATCH_REQUEST_ID_LEN};
use super::query::Query;
use super::request_id::RequestId;

/// `operation` of an entity batch item (XSD `OperationEnum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOperation {
    Create,
    Update,
    Delete,
}

impl BatchOperation {
    fn as_str(self) -> &'static str {
        match self {
            BatchOperation::Create => "create",
            BatchOperation::Update => "update",
            BatchOperation::Delete => "delete",
        }
    }
}

/// What one batch item asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchPayload {
    Entity {
        operation: BatchOperation,
        /// QBO entity name (`Customer`).
        entity: String,
        body: Map<String, Value>,
    },
    Query(String),
}

/// One independent item; items cannot refer to each other and run in no guaranteed order.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    pub payload: BatchPayload,
    /// Include-style options, e.g. `allowduplicatedocnum` (§5.7).
    pub options_data: Option<String>,
}

impl BatchItem {
    fn entity_item<E: Entity>(operation: BatchOperation, body: Map<String, Value>) -> Self {
        Self {
            payload: BatchPayload::Entity {
                operation,
                entity: E::NAME.to_string(),
                body,
            },
            options_data: None,
        }
    }

    pub fn create<E: Entity>(entity: &E) -> Result<Self, QboError> {
        Ok(Self::entity_item::<E>(
            BatchOperation::Create,
            to_map(entity)?,
        ))
    }

    /// A sparse update: `patch` must carry `Id` and the current `SyncToken`.
    pub fn sparse_update<E: Entity>(patch: &E) -> Result<Self, QboError> {
        if patch.id().is_none() || patch.sync_token().is_none() {
            return Err(QboError::InvalidRequest(format!(
                "{} update needs Id and SyncToken",
                E::NAME
            )));
        }
        let mut body = to_map(patch)?;
        body.insert("sparse".into(), Value::Bool(true));
        Ok(Self::entity_item::<E>(BatchOperation::Update, body))
    }

    pub fn delete<E: Entity>(id: &str, sync_token: &str) -> Self {
        let mut body = Map::new();
        body.insert("Id".into(), Value::from(id));
        body.insert("SyncToken".into(), Value::from(sync_token));
        Self::entity_item::<E>(BatchOperation::Delete, body)
    }

    /// Makes a customer, item or account inactive: a sparse update with `Active=false` (name
    /// lists cannot be deleted, §4.2, §5.5), the batch form of `QboClient::deactivate`.
    pub fn deactivate<E: NameListEntity>(id: &str, sync_token: &str) -> Self {
        let mut body = Map::new();
        body.insert("Id".into(), Value::from(id));
        body.insert("SyncToken".into(), Value::from(sync_token));
        body.insert("sparse".into(), Value::Bool(true));
        body.insert("Active".into(), Value::Bool(false));
        Self::entity_item::<E>(BatchOperation::Update, body)
    }

    pub fn query(query: &Query) -> Self {
        Self {
            payload: BatchPayload::Query(query.to_string()),
            options_data: None,
        }
    }

    pub fn with_options(mut self, options_data: &str) -> Self {
        self.options_data = Some(options_data.to_string());
        self
    }

    fn to_json(&self, bid: &str) -> Value {
        let mut item = Map::new();
        item.insert("bId".into(), Value::from(bid));
        match &self.payload {
            BatchPayload::Entity {
                operation,
                entity,
                body,
            } => {
                item.insert("operation".into(), Value::from(operation.as_str()));
                item.insert(entity.clone(), Value::Object(body.clone()));
            }
            BatchPayload::Query(q) => {
                item.insert("Query".into(), Value::from(q.as_str()));
            }
        }
        if let Some(options) = &self.options_data {
            item.insert("optionsData".into(), Value::from(options.as_str()));
        }
        Value::Object(item)
    }
}

fn to_map(entity: &impl serde::Serialize) -> Result<Map<String, Value>, QboError> {
    match serde_json::to_value(entity) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(QboError::InvalidRequest(
            "entity is not a JSON object".into(),
        )),
        Err(e) => Err(QboError::InvalidRequest(format!("could not encode: {e}"))),
    }
}

/// The answer to one batch item.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchValue {
    /// An entity (created, updated) as `(entity name, object)`.
    Entity { entity: String, object: Value },
    /// A deletion marker.
    Deleted(Deleted),
    /// A `QueryResponse` object.
    QueryResponse(Value),
}

impl BatchValue {
    /// The object as `E` (fails for other entities, deletions and query answers).
    pub fn entity<E: Entity>(&self) -> Result<E, QboError> {
        match self {
            BatchValue::Entity { entity, object } if entity == E::NAME => {
                serde_json::from_value(object.clone()).map_err(|e| QboError::Decode {
                    context: format!("batch {}", E::NAME),
                    message: e.to_string(),
                    intuit_tid: None,
                })
            }
            other => Err(QboError::Decode {
                context: format!("batch {}", E::NAME),
                message: format!("item answered with {other:?}"),
                intuit_tid: None,
            }),
        }
    }

    /// The query answer as a page of `T` from entity `name`.
    pub fn query_page<T: DeserializeOwned>(&self, name: &str) -> Result<QueryPage<T>, QboError> {
        match self {
            BatchValue::QueryResponse(response) => {
                let mut wrapper = Map::new();
                wrapper.insert("QueryResponse".into(), response.clone());
                parse_query_page(Value::Object(wrapper), name)
            }
            other => Err(QboError::Decode {
                context: "batch query".into(),
                message: format!("item answered with {other:?}"),
                intuit_tid: None,
            }),
        }
    }
}

/// One item's outcome, in the order the items were given.
pub type BatchItemResult = Result<BatchValue, QboError>;

/// Parses a `BatchItemResponse` body into one result per bId.
pub fn parse_batch_response(
    body: &Value,
    intuit_tid: Option<&str>,
) -> Result<Vec<(String, BatchItemResult)>, QboError> {
    let items = body
        .get("BatchItemResponse")
        .and_then(Value::as_array)
        .ok_or_else(|| QboError::Decode {
            context: "batch".into(),
            message: "no BatchItemResponse array".into(),
            intuit_tid: intuit_tid.map(str::to_string),
        })?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(obj) = item.as_object() else {
            continue;
        };
        let bid = obj
            .get("bId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let fault = obj.get("Fault").or_else(|| obj.get("fault"));
        let result = if let Some(fault) = fault {
            match serde_json::from_value::<RawFault>(fault.clone()) {
                Ok(raw) => Err(raw.into_error(200, intuit_tid.map(str::to_string))),
                Err(e) => Err(QboError::Decode {
                    context: "batch fault".into(),
                    message: e.to_string(),
                    intuit_tid: intuit_tid.map(str::to_string),
                }),
            }
        } else if let Some(response) = obj.get("QueryResponse") {
            Ok(BatchValue::QueryResponse(response.clone()))
        } else if let Some((entity, object)) = obj
            .iter()
            .find(|(k, v)| k.as_str() != "bId" && v.is_object())
        {
            Ok(match Deleted::from_marker(entity, object) {
                Some(deleted) => BatchValue::Deleted(deleted),
                None => BatchValue::Entity {
                    entity: entity.clone(),
                    object: object.clone(),
                },
            })
        } else {
            Err(QboError::Decode {
                context: "batch".into(),
                message: format!("item {bid} has no entity, query answer or fault"),
                intuit_tid: intuit_tid.map(str::to_string),
            })
        };
        out.push((bid, result));
    }
    Ok(out)
}

impl QboClient {
    /// Runs `items` as batch requests of at most 30 (§8) and returns one result per item in
    /// input order. Item faults do not fail the call; a request-level failure does. Each chunk
    /// carries a `requestid` derived from its content, so a retried chunk replays.
    pub async fn batch(&self, items: &[BatchItem]) -> Result<Vec<BatchItemResult>, QboError> {
        let mut results = Vec::with_capacity(items.len());
        for chunk in items.chunks(MAX_BATCH_ITEMS) {
            let keyed: Vec<(String, BatchItem)> = chunk
                .iter()
                .enumerate()
                .map(|(i, item)| (i.to_string(), item.clone()))
                .collect();
            let request_id =
                RequestId::for_payload(self.realm_id().as_str(), "batch", &request_body(&keyed));
            results.extend(self.batch_request(&keyed, &request_id).await?);
        }
        Ok(results)
    }

    /// Sends ONE batch request: at most 30 `(bId, item)` pairs under the caller's `requestid`
    /// (≤ 36 chars, bIds ≤ 10 chars and distinct, §1, §8), and returns one result per item in
    /// input order. For callers that derive the `requestid` from their own idempotency keys,
    /// so a retry of the same chunk replays however its content was produced.
    pub async fn batch_request(
        &self,
        items: &[(String, BatchItem)],
        request_id: &RequestId,
    ) -> Result<Vec<BatchItemResult>, QboError> {
        check_batch_request(items, request_id)?;
        let body = request_body(items);
        let answer = self
            .send(
                Method::POST,
                "batch",
                &[("requestid", request_id.as_str())],
                Body::Json(Value::Object(body)),
                true,
            )
            .await?;
        let mut by_bid = parse_batch_response(&answer.body, answer.intuit_tid.as_deref())?;
        let mut results = Vec::with_capacity(items.len());
        for (bid, _) in items {
            let found = by_bid.iter().position(|(b, _)| b == bid);
            results.push(match found {
                Some(at) => by_bid.swap_remove(at).1,
                None => Err(QboError::Decode {
                    context: "batch".into(),
                    message: format!("no answer for item {bid}"),
                    intuit_tid: answer.intuit_tid.clone(),
                }),
            });
        }
        Ok(results)
    }
}

/// The `BatchItemRequest` body for `(bId, item)` pairs.
fn request_body(items: &[(String, BatchItem)]) -> Map<String, Value> {
    let request: Vec<Value> = items.iter().map(|(bid, item)| item.to_json(bid)).collect();
    let mut body = Map::new();
    body.insert("BatchItemRequest".into(), Value::Array(request));
    body
}

/// The §1/§8 shape rules of one batch request, checked before anything is sent.
fn check_batch_request(
    items: &[(String, BatchItem)],
    request_id: &RequestId,
) -> Result<(), QboError> {
    if items.len() > MAX_BATCH_ITEMS {
        return Err(QboError::InvalidRequest(format!(
            "a batch request holds at most {MAX_BATCH_ITEMS} items, got {}",
            items.len()
        )));
    }
    if !request_id.fits_batch() {
        return Err(QboError::InvalidRequest(format!(
            "a batch requestid is at most {MAX_BATCH_REQUEST_ID_LEN} characters, got {}",
            request_id.as_str().len()
        )));
    }
    for (i, (bid, _)) in items.iter().enumerate() {
        if bid.is_empty() || bid.len() > MAX_BATCH_ID_LEN {
            return Err(QboError::InvalidRequest(format!(
                "a bId is 1..={MAX_BATCH_ID_LEN} characters when a requestid is sent, got {bid:?}"
            )));
        }
        if items[..i].iter().any(|(other, _)| other == bid) {
            return Err(QboError::InvalidRequest(format!(
                "bId {bid:?} is used twice"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entities::{Customer, Invoice, Item};

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../tests/fixtures/quickbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn the_documented_batch_response_gives_per_item_faults_and_results() {
        let parsed = parse_batch_response(&fixture("batch-response.json"), Some("tid")).unwrap();
        assert_eq!(parsed.len(), 4);
        assert!(matches!(parsed[0].1, Err(QboError::DuplicateName(_))));
        assert!(matches!(parsed[1].1, Err(QboError::NotFound(_))));
        assert!(matches!(parsed[2].1, Err(QboError::StaleObject(_))));
        assert_eq!(parsed[2].1.as_ref().unwrap_err().intuit_tid(), Some("tid"));
        let (bid, query) = &parsed[3];
        assert_eq!(bid, "bid4");
        let page: QueryPage<Value> = query.as_ref().unwrap().query_page("SalesReceipt").unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0]["DocNumber"], "1003");
    }

    #[test]
    fn items_serialise_like_the_documented_request() {
        let documented = fixture("batch-request.json");
        let mut invoice_delete = BatchItem::delete::<Invoice>("129", "0").to_json("bid2");
        assert_eq!(invoice_delete, documented["BatchItemRequest"][1]);
        let query = BatchItem::query(&Query::select("Item").eq("Name", "A'b")).to_json("q");
        assert_eq!(query["Query"], r"SELECT * FROM Item WHERE Name = 'A\'b'");
        let with_options = BatchItem::create(&Customer {
            display_name: Some("Smith Family Store".into()),
            ..Customer::default()
        })
        .unwrap()
        .with_options("allowduplicatedocnum")
        .to_json("bid1");
        assert_eq!(with_options["operation"], "create");
        assert_eq!(
            with_options["Customer"]["DisplayName"],
            "Smith Family Store"
        );
        assert_eq!(with_options["optionsData"], "allowduplicatedocnum");
        invoice_delete["operation"] = Value::from("x");
        assert_ne!(invoice_delete, documented["BatchItemRequest"][1]);
    }

    #[test]
    fn deactivations_are_sparse_updates_to_inactive() {
        let json = BatchItem::deactivate::<Customer>("7", "3").to_json("b");
        assert_eq!(json["operation"], "update");
        assert_eq!(
            json["Customer"],
            serde_json::json!({"Id": "7", "SyncToken": "3", "sparse": true, "Active": false})
        );
    }

    #[test]
    fn batch_requests_keep_to_the_documented_shape() {
        let item = BatchItem::delete::<Invoice>("1", "0");
        let id = RequestId::from_key(&["k"]);
        let ok: Vec<_> = (0..30).map(|i| (i.to_string(), item.clone())).collect();
        assert!(check_batch_request(&ok, &id).is_ok());
        let too_many: Vec<_> = (0..31).map(|i| (i.to_string(), item.clone())).collect();
        assert!(check_batch_request(&too_many, &id).is_err());
        let long_bid = vec![("b".repeat(11), item.clone())];
        assert!(check_batch_request(&long_bid, &id).is_err());
        let twice = vec![
            ("a".to_string(), item.clone()),
            ("a".to_string(), item.clone()),
        ];
        assert!(check_batch_request(&twice, &id).is_err());
        let long_id = RequestId::new("y".repeat(40)).unwrap();
        assert!(check_batch_request(&ok[..1], &long_id).is_err());
    }

    #[test]
    fn batch_updates_are_sparse_and_versioned() {
        let patch = Item {
            id: Some("11".into()),
            sync_token: Some("0".into()),
            unit_price: Some("20".parse().unwrap()),
            ..Item::default()
        };
        let json = BatchItem::sparse_update(&patch).unwrap().to_json("b");
        assert_eq!(json["Item"]["sparse"], true);
        assert_eq!(json["Item"]["UnitPrice"].to_string(), "20");
        assert!(BatchItem::sparse_update(&Item::default()).is_err());
    }
}

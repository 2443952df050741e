//! `QboClient`: one company's Accounting API over HTTP (docs/quickbooks.md §1, §5, §6): entity
//! reads, idempotent creates, sparse updates, deactivate/void/delete, queries, under the budgets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use url::Url;

use crate::http::{RetryPolicy, TokenRenewal, with_retry_pausing};

use super::cdc::Deleted;
use super::entities::{CompanyInfo, Entity, Invoice, NameListEntity, Payment, Preferences};
use super::environment::{INTUIT_TID_HEADER, MINOR_VERSION, QboEnvironment};
use super::error::{QboError, fault_in};
use super::limits::{
    CompanyBudgets, IDS_PER_IN_QUERY, MAX_QUERY_RESULTS, REQUEST_TIMEOUT, RETRY_POLICY,
};
use super::query::Query;
use super::request_id::RequestId;
use super::throttle::{self, ThrottleScope};

/// A QBO company id (`realmId`): a numeric string of up to ~19 digits, kept as a string (§1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RealmId(String);

impl RealmId {
    pub fn new(value: impl Into<String>) -> Result<Self, QboError> {
        let value = value.into();
        if value.is_empty() || value.len() > 32 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QboError::InvalidRequest(format!(
                "realm id must be 1..=32 digits, got {value:?}"
            )));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RealmId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One page of query results (`QueryResponse`, §6). `items` is empty when the entity key is
/// absent (nothing matched).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPage<E> {
    pub items: Vec<E>,
    pub start_position: Option<u64>,
    pub max_results: Option<u64>,
    pub total_count: Option<u64>,
}

/// A 2xx answer: its JSON body and Intuit's trace id.
pub(crate) struct Answer {
    pub(crate) body: Value,
    pub(crate) intuit_tid: Option<String>,
}

impl Answer {
    /// The `{"<Entity>": {...}}` member as `E`.
    pub(crate) fn entity<E: DeserializeOwned>(self, name: &str) -> Result<E, QboError> {
        let tid = self.intuit_tid;
        unwrap_entity(self.body, name).map_err(|e| e.with_intuit_tid(tid))
    }

    /// The `QueryResponse` as a page of `T` from entity `name`.
    pub(crate) fn page<T: DeserializeOwned>(self, name: &str) -> Result<QueryPage<T>, QboError> {
        let tid = self.intuit_tid;
        parse_query_page(self.body, name).map_err(|e| e.with_intuit_tid(tid))
    }
}

/// A request body.
pub(crate) enum Body {
    None,
    Json(Value),
    /// `Content-Type: application/text` (POSTed queries, §6).
    Text(String),
}

/// Client for one QBO company. Cheap to clone; clones share the token, budgets and counters.
#[derive(Clone)]
pub struct QboClient {
    http: reqwest::Client,
    company_url: Url,
    realm: RealmId,
    access_token: Arc<RwLock<SecretString>>,
    budgets: CompanyBudgets,
    retry: RetryPolicy,
    requests_sent: Arc<AtomicU64>,
    /// Asked once for another token when QBO answers 401 (docs/quickbooks.md §2.5).
    renewal: Option<Arc<dyn TokenRenewal>>,
}

impl std::fmt::Debug for QboClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QboClient")
            .field("company_url", &self.company_url.as_str())
            .field("access_token", &"[redacted]")
            .finish()
    }
}

impl QboClient {
    /// A client for `realm` in `environment`, with Intuit's real limits and retry policy.
    pub fn new(
        environment: &QboEnvironment,
        realm: RealmId,
        access_token: SecretString,
    ) -> Result<Self, QboError> {
        let mut base = environment.base_url();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let company_url = base
            .join(&format!("v3/company/{realm}/"))
            .map_err(|e| QboError::InvalidRequest(format!("base URL: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(QboError::Transport)?;
        Ok(Self {
            http,
            company_url,
            realm,
            access_token: Arc::new(RwLock::new(access_token)),
            budgets: CompanyBudgets::real(),
            retry: RETRY_POLICY,
            requests_sent: Arc::new(AtomicU64::new(0)),
            renewal: None,
        })
    }

    /// Shares `budgets` with other clients of the same company (or scales them in tests).
    pub fn with_budgets(mut self, budgets: CompanyBudgets) -> Self {
        self.budgets = budgets;
        self
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// On a 401 (an access token revoked or expired before its stored expiry), asks `renewal`
    /// for another token once and repeats the call once with it.
    pub fn with_token_renewal(mut self, renewal: Arc<dyn TokenRenewal>) -> Self {
        self.renewal = Some(renewal);
        self
    }

    pub fn realm_id(&self) -> &RealmId {
        &self.realm
    }

    pub fn budgets(&self) -> &CompanyBudgets {
        &self.budgets
    }

    /// QBO throttled a request of `scope`: pause that scope of the company's budgets for
    /// `wait`, logged and counted (`quickbooks::throttle`).
    pub fn throttled(&self, scope: ThrottleScope, wait: Duration) {
        throttle::pause(&self.budgets, &self.realm.to_string(), scope, wait);
    }

    /// Replaces the access token (after a refresh); every clone sees the new one.
    pub fn set_access_token(&self, token: SecretString) {
        *self.access_token.write().expect("token lock") = token;
    }

    /// HTTP requests sent so far by this client and its clones (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.requests_sent.load(Ordering::Relaxed)
    }

    /// Sends one API call under the company budgets and the retry policy; returns the JSON body
    /// of a 2xx answer. `batch` calls also take the batch budget.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        body: Body,
        batch: bool,
    ) -> Result<Answer, QboError> {
        let mut url = self
            .company_url
            .join(path)
            .map_err(|e| QboError::InvalidRequest(format!("path {path:?}: {e}")))?;
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in params {
                pairs.append_pair(k, v);
            }
            pairs.append_pair("minorversion", MINOR_VERSION);
        }
        // The scarce batch budget (40/min) first: waiting on it must not hold a request-budget
        // start and an in-flight slot meanwhile.
        let mut budgets = Vec::with_capacity(2);
        if batch {
            budgets.push(&self.budgets.batch);
        }
        budgets.push(&self.budgets.requests);
        // A 429 pauses what it applies to: the batch endpoint, or the whole company (§9).
        let scope = if batch {
            ThrottleScope::Batch
        } else {
            ThrottleScope::Company
        };
        let pause = |wait: Duration| self.throttled(scope, wait);
        let url = &url;
        let body = &body;
        let used = self.access_token.read().expect("token lock").clone();
        let first = with_retry_pausing(&self.retry, &budgets, &pause, |_attempt| {
            let method = method.clone();
            async move { self.attempt(method, url, body).await }
        })
        .await;
        // A 401 before the stored expiry (revoked, or expired early): one renewal, one repeat
        // (docs/quickbooks.md §2.5).
        let (Err(QboError::Authentication(_)), Some(renewal)) = (&first, &self.renewal) else {
            return first;
        };
        let Some(token) = renewal.renew(&used).await else {
            return first;
        };
        self.set_access_token(token);
        with_retry_pausing(&self.retry, &budgets, &pause, |_attempt| {
            let method = method.clone();
            async move { self.attempt(method, url, body).await }
        })
        .await
    }

    async fn attempt(&self, method: Method, url: &Url, body: &Body) -> Result<Answer, QboError> {
        let token = self.access_token.read().expect("token lock").clone();
        let mut request = self
            .http
            .request(method, url.clone())
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            // Never past the invocation's end (docs/aws.md §11).
            .timeout(crate::http::deadline::request_timeout(REQUEST_TIMEOUT));
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Text(text) => request
                .header(reqwest::header::CONTENT_TYPE, "application/text")
                .body(text.clone()),
        };
        self.requests_sent.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.map_err(QboError::Transport)?;
        let status = response.status();
        let intuit_tid = response
            .headers()
            .get(INTUIT_TID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response.bytes().await.map_err(QboError::Transport)?;
        if !status.is_success() {
            return Err(QboError::from_response(
                status.as_u16(),
                intuit_tid,
                retry_after,
                &bytes,
            ));
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| QboError::Decode {
            context: url.path().to_string(),
            message: e.to_string(),
            intuit_tid: intuit_tid.clone(),
        })?;
        // Some libraries saw faults on 2xx answers (§10.1): treat them as faults.
        if let Some(fault) = fault_in(&value) {
            return Err(fault.into_error(StatusCode::OK.as_u16(), intuit_tid));
        }
        Ok(Answer {
            body: value,
            intuit_tid,
        })
    }

    /// `GET /{entity}/{id}` (§5.1). A missing id is [`QboError::NotFound`] (610).
    pub async fn read<E: Entity>(&self, id: &str) -> Result<E, QboError> {
        let path = format!("{}/{}", E::PATH, path_segment(id)?);
        let body = self
            .send(Method::GET, &path, &[], Body::None, false)
            .await?;
        body.entity(E::NAME)
    }

    /// `POST /{entity}?requestid=...` (§5.1). Retries and repeats with the same `request_id`
    /// replay the first response instead of creating a second object.
    pub async fn create<E: Entity>(
        &self,
        entity: &E,
        request_id: &RequestId,
    ) -> Result<E, QboError> {
        if entity.id().is_some() {
            return Err(QboError::InvalidRequest(format!(
                "{} create must not carry an Id",
                E::NAME
            )));
        }
        let body = serde_json::to_value(entity).map_err(encode_error)?;
        let params = [("requestid", request_id.as_str())];
        let value = self
            .send(Method::POST, E::PATH, &params, Body::Json(body), false)
            .await?;
        value.entity(E::NAME)
    }

    /// Creates `entity` with a `requestid` derived from its content (and this realm), so the
    /// same create is never executed twice.
    pub async fn create_idempotent<E: Entity>(&self, entity: &E) -> Result<E, QboError> {
        let request_id = RequestId::for_payload(self.realm.as_str(), E::NAME, entity);
        self.create(entity, &request_id).await
    }

    /// Sparse update (§5.2): sends only the fields set in `patch` plus `Id`, `SyncToken` and
    /// `"sparse": true`; omitted fields stay untouched. A stale token is [`QboError::StaleObject`].
    pub async fn sparse_update<E: Entity>(&self, patch: &E) -> Result<E, QboError> {
        let mut body = match serde_json::to_value(patch).map_err(encode_error)? {
            Value::Object(map) => map,
            _ => {
                return Err(QboError::InvalidRequest(
                    "entity is not a JSON object".into(),
                ));
            }
        };
        require_version(&body, E::NAME)?;
        body.insert("sparse".into(), Value::Bool(true));
        self.post_versioned(E::PATH, &[], body)
            .await
            .and_then(|v| v.entity(E::NAME))
    }

    /// Makes a customer, item or account inactive (`Active=false` by sparse update, §4.2, §5.5):
    /// name lists cannot be deleted.
    pub async fn deactivate<E: NameListEntity>(
        &self,
        id: &str,
        sync_token: &str,
    ) -> Result<E, QboError> {
        let body = version_body(
            id,
            sync_token,
            &[("sparse", json!(true)), ("Active", json!(false))],
        );
        let value = self.post_versioned(E::PATH, &[], body).await?;
        value.entity(E::NAME)
    }

    /// Voids an invoice: `POST /invoice?operation=void` with `Id` + `SyncToken` (§5.5).
    pub async fn void_invoice(&self, id: &str, sync_token: &str) -> Result<Invoice, QboError> {
        let body = version_body(id, sync_token, &[]);
        let value = self
            .post_versioned(Invoice::PATH, &[("operation", "void")], body)
            .await?;
        value.entity(Invoice::NAME)
    }

    /// Deletes an invoice: `POST /invoice?operation=delete` (§5.5). Linked payments must be
    /// unlinked first.
    pub async fn delete_invoice(&self, id: &str, sync_token: &str) -> Result<Deleted, QboError> {
        self.delete::<Invoice>(id, sync_token).await
    }

    /// Voids a payment: `POST /payment?operation=update&include=void` with a sparse body (§5.5).
    pub async fn void_payment(&self, id: &str, sync_token: &str) -> Result<Payment, QboError> {
        let body = version_body(id, sync_token, &[("sparse", json!(true))]);
        let params = [("operation", "update"), ("include", "void")];
        let value = self.post_versioned(Payment::PATH, &params, body).await?;
        value.entity(Payment::NAME)
    }

    /// Deletes a payment: `POST /payment?operation=delete` (§5.5).
    pub async fn delete_payment(&self, id: &str, sync_token: &str) -> Result<Deleted, QboError> {
        self.delete::<Payment>(id, sync_token).await
    }

    /// Deletes a transaction of entity `E` (an estimate, a credit memo): `POST
    /// /{entity}?operation=delete` with `Id` + `SyncToken` (§5.5).
    pub async fn delete<E: Entity>(&self, id: &str, sync_token: &str) -> Result<Deleted, QboError> {
        let body = version_body(id, sync_token, &[]);
        let value = self
            .post_versioned(E::PATH, &[("operation", "delete")], body)
            .await?;
        let tid = value.intuit_tid;
        let marker = value.body.get(E::NAME).ok_or_else(|| QboError::Decode {
            context: format!("{} delete", E::NAME),
            message: format!("no {} member in the response", E::NAME),
            intuit_tid: tid.clone(),
        })?;
        Deleted::from_marker(E::NAME, marker).ok_or_else(|| QboError::Decode {
            context: format!("{} delete", E::NAME),
            message: "response is not a deletion marker".into(),
            intuit_tid: tid,
        })
    }

    /// POSTs a write that carries `Id` + `SyncToken`, with a `requestid` derived from the body so
    /// a retried write after a lost answer replays instead of failing on the new SyncToken.
    async fn post_versioned(
        &self,
        path: &str,
        params: &[(&str, &str)],
        body: Map<String, Value>,
    ) -> Result<Answer, QboError> {
        let operation = params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let key =
            RequestId::for_payload(self.realm.as_str(), &format!("{path}?{operation}"), &body);
        let mut all = params.to_vec();
        all.push(("requestid", key.as_str()));
        self.send(
            Method::POST,
            path,
            &all,
            Body::Json(Value::Object(body)),
            false,
        )
        .await
    }

    /// Company settings (`GET /preferences`, §4.6).
    pub async fn preferences(&self) -> Result<Preferences, QboError> {
        let body = self
            .send(Method::GET, Preferences::PATH, &[], Body::None, false)
            .await?;
        body.entity(Preferences::NAME)
    }

    /// Company info (`GET /companyinfo/{realmId}`, §4.6).
    pub async fn company_info(&self) -> Result<CompanyInfo, QboError> {
        let path = format!("{}/{}", CompanyInfo::PATH, self.realm);
        let body = self
            .send(Method::GET, &path, &[], Body::None, false)
            .await?;
        body.entity(CompanyInfo::NAME)
    }

    /// Runs one query statement (§6). Statements are POSTed as `application/text`, so long
    /// `Id IN (...)` lists have no URL limit. `SELECT *` only: UNVERIFIED (§15 item 10) whether
    /// `Sku` still needs an explicit column at minor version 75.
    pub async fn query<E: Entity>(&self, query: &Query) -> Result<QueryPage<E>, QboError> {
        if query.entity() != E::NAME {
            return Err(QboError::InvalidRequest(format!(
                "query selects {} but {} was asked for",
                query.entity(),
                E::NAME
            )));
        }
        self.run_query(query).await?.page(E::NAME)
    }

    /// `SELECT COUNT(*) ...`: the `totalCount` (§6).
    pub async fn count(&self, query: &Query) -> Result<u64, QboError> {
        let answer = self.run_query(query).await?;
        let total = &answer.body["QueryResponse"]["totalCount"];
        total
            .as_u64()
            .or_else(|| total.as_str()?.parse().ok())
            .ok_or_else(|| QboError::Decode {
                context: "count query".into(),
                message: "no QueryResponse.totalCount".into(),
                intuit_tid: answer.intuit_tid.clone(),
            })
    }

    async fn run_query(&self, query: &Query) -> Result<Answer, QboError> {
        self.send(
            Method::POST,
            "query",
            &[],
            Body::Text(query.to_string()),
            false,
        )
        .await
    }

    /// Every record matching `query`, read in pages of 1000 under a stable ORDERBY (`Id` unless
    /// the query has one) until a short page. Name lists include inactive records when
    /// `include_inactive` is set on the query.
    pub async fn query_all<E: Entity>(&self, query: Query) -> Result<Vec<E>, QboError> {
        self.query_all_named(E::NAME, query).await
    }

    /// [`QboClient::query_all`] for an entity known by name, into any deserialisable type.
    pub async fn query_all_named<T: DeserializeOwned>(
        &self,
        name: &str,
        query: Query,
    ) -> Result<Vec<T>, QboError> {
        let query = if query.is_ordered() {
            query
        } else {
            query.order_by("Id", false)
        };
        let mut all = Vec::new();
        let mut start = 1u32;
        loop {
            let page_query = query.clone().page(start, MAX_QUERY_RESULTS)?;
            let page = self.run_query(&page_query).await?.page::<T>(name)?;
            let got = page.items.len();
            all.extend(page.items);
            if got < MAX_QUERY_RESULTS as usize {
                return Ok(all);
            }
            start += MAX_QUERY_RESULTS;
        }
    }

    /// Reads many records by id with `Id IN (...)` queries (inactive name-list records
    /// included), in chunks. Ids that do not exist are simply absent from the result.
    pub async fn read_many<E: Entity>(&self, ids: &[impl AsRef<str>]) -> Result<Vec<E>, QboError> {
        let mut all = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_IN_QUERY) {
            let mut query = Query::select(E::NAME).is_in("Id", chunk.iter().map(|id| id.as_ref()));
            if E::NAME_LIST {
                query = query.include_inactive();
            }
            let query = query.page(1, chunk.len() as u32)?;
            all.extend(self.query::<E>(&query).await?.items);
        }
        Ok(all)
    }
}

fn path_segment(id: &str) -> Result<&str, QboError> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(QboError::InvalidRequest(format!(
            "not an entity id: {id:?}"
        )));
    }
    Ok(id)
}

fn encode_error(e: serde_json::Error) -> QboError {
    QboError::InvalidRequest(format!("could not encode the entity: {e}"))
}

fn require_version(body: &Map<String, Value>, entity: &str) -> Result<(), QboError> {
    let has = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if has("Id") && has("SyncToken") {
        Ok(())
    } else {
        Err(QboError::InvalidRequest(format!(
            "{entity} update needs Id and the current SyncToken"
        )))
    }
}

fn version_body(id: &str, sync_token: &str, more: &[(&str, Value)]) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("Id".into(), Value::from(id));
    body.insert("SyncToken".into(), Value::from(sync_token));
    for (k, v) in more {
        body.insert((*k).into(), v.clone());
    }
    body
}

/// Takes `{"<Entity>": {...}, "time": ...}` apart (§1).
pub(crate) fn unwrap_entity<E: DeserializeOwned>(
    mut body: Value,
    name: &str,
) -> Result<E, QboError> {
    let inner = body
        .get_mut(name)
        .map(Value::take)
        .ok_or_else(|| QboError::Decode {
            context: name.into(),
            message: format!("no {name} member in the response"),
            intuit_tid: None,
        })?;
    serde_json::from_value(inner).map_err(|e| QboError::Decode {
        context: name.into(),
        message: e.to_string(),
        intuit_tid: None,
    })
}

/// Parses `{"QueryResponse": {"<Entity>": [...], "startPosition", "maxResults"}}` (§6).
pub(crate) fn parse_query_page<E: DeserializeOwned>(
    mut value: Value,
    name: &str,
) -> Result<QueryPage<E>, QboError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Counters {
        start_position: Option<u64>,
        max_results: Option<u64>,
        total_count: Option<u64>,
    }
    let mut response = value
        .get_mut("QueryResponse")
        .map(Value::take)
        .ok_or_else(|| QboError::Decode {
            context: format!("{name} query"),
            message: "no QueryResponse member".into(),
            intuit_tid: None,
        })?;
    let items = match response.get_mut(name).map(Value::take) {
        Some(list) => serde_json::from_value(list).map_err(|e| QboError::Decode {
            context: format!("{name} query"),
            message: e.to_string(),
            intuit_tid: None,
        })?,
        None => Vec::new(),
    };
    let counters: Counters = serde_json::from_value(response).unwrap_or(Counters {
        start_position: None,
        max_results: None,
        total_count: None,
    });
    Ok(QueryPage {
        items,
        start_position: counters.start_position,
        max_results: counters.max_results,
        total_count: counters.total_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entities::{Customer, Item};

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../tests/fixtures/quickbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn query_pages_parse_with_and_without_results() {
        let page: QueryPage<Customer> =
            parse_query_page(fixture("customer-query-response.json"), "Customer").unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.start_position, Some(1));
        assert_eq!(page.max_results, Some(6));
        let items: QueryPage<Item> =
            parse_query_page(fixture("item-query-response.json"), "Item").unwrap();
        assert_eq!(items.items.len(), 19);
        let empty: QueryPage<Customer> =
            parse_query_page(fixture("query-response-empty.json"), "Customer").unwrap();
        assert!(empty.items.is_empty());
        let count: QueryPage<Customer> =
            parse_query_page(fixture("query-response-count.json"), "Customer").unwrap();
        assert_eq!(count.total_count, Some(5));
    }

    #[test]
    fn realm_ids_are_digits() {
        assert!(RealmId::new("4620816365179422850").is_ok());
        assert!(RealmId::new("12a").is_err());
        assert!(RealmId::new("").is_err());
    }

    #[test]
    fn company_urls_keep_a_custom_base_path() {
        let env = QboEnvironment::Custom(Url::parse("http://127.0.0.1:9/qbo").unwrap());
        let client =
            QboClient::new(&env, RealmId::new("123").unwrap(), "t".to_string().into()).unwrap();
        assert_eq!(
            client.company_url.as_str(),
            "http://127.0.0.1:9/qbo/v3/company/123/"
        );
        assert!(!format!("{client:?}").contains("\"t\""));
    }

    #[test]
    fn updates_need_an_id_and_a_sync_token() {
        let mut body = Map::new();
        body.insert("Id".into(), json!("1"));
        assert!(require_version(&body, "Customer").is_err());
        body.insert("SyncToken".into(), json!("0"));
        assert!(require_version(&body, "Customer").is_ok());
    }
}

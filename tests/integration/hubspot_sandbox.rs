//! Contract suite for the HubSpot sandbox: each documented behaviour (docs/hubspot.md, cited per
//! test) proven over real HTTP with reqwest, incl. signed webhooks to a receiver in the test.

mod associations;
mod auth_and_limits;
mod batch;
mod companies;
mod control;
mod invoices;
mod objects;
mod properties;
mod search;
mod webhooks;

use std::time::Duration;

use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_tests::hubspot::start_hubspot_sandbox;
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

/// A sandbox plus an HTTP client holding its dev token.
pub struct Hs {
    pub sandbox: HubspotSandbox,
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

/// A response: status, headers, JSON body (`Null` when empty).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Documented defaults, minus the limits and the indexing lag, which only their own tests want.
pub fn quiet_config() -> HubspotSandboxConfig {
    HubspotSandboxConfig {
        search_index_delay: Duration::ZERO,
        burst_limit: 0,
        search_per_second: 0,
        ..HubspotSandboxConfig::default()
    }
}

impl Hs {
    pub async fn start(config: HubspotSandboxConfig) -> Self {
        let sandbox = start_hubspot_sandbox(config).await;
        Self {
            base: sandbox.base_url(),
            token: sandbox.config().dev_token.clone(),
            http: reqwest::Client::new(),
            sandbox,
        }
    }

    pub async fn quiet() -> Self {
        Self::start(quiet_config()).await
    }

    /// Sends a request with the dev token.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(method, path, body, Some(&self.token)).await
    }

    /// Sends a request with the given bearer token (or none).
    pub async fn call_as(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request reaches the sandbox");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Option<Value>) -> Reply {
        self.call(Method::PUT, path, body).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a record; returns its id. Panics unless 201.
    pub async fn create(&self, object_type: &str, properties: Value) -> String {
        let r = self
            .post(
                &format!("/crm/v3/objects/{object_type}"),
                json!({"properties": properties}),
            )
            .await;
        assert_eq!(r.status, 201, "create {object_type}: {}", r.body);
        r.body["id"].as_str().expect("id is a string").to_owned()
    }

    /// Moves the sandbox clock forward through the control API.
    pub async fn advance(&self, ms: i64) {
        let r = self
            .put("/_sandbox/clock", Some(json!({"advanceMs": ms})))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// Asserts an error body has HubSpot's shape (docs/hubspot.md §9.4): `status: "error"`,
/// `message`, `category`, and a `correlationId` equal to the `X-HubSpot-Correlation-Id` header.
pub fn assert_error(r: &Reply, status: u16, category: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["status"], "error", "{}", r.body);
    assert_eq!(r.body["category"], category, "{}", r.body);
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    let id = r.body["correlationId"].as_str().expect("correlationId");
    assert_eq!(r.header("x-hubspot-correlation-id"), Some(id));
}

//! The harness owns webhook delivery: both sandboxes post to a capture server here, and the
//! run delivers each captured POST to the real intake when and as often as the seed says,
//! signed anew at simulated now the way each vendor signs (docs/chaos.md §3).

use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use hqsync::local::webhook_server::{HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::model::Side;
use hqsync_sandbox::common::WebhookFormat;
use hqsync_sandbox::hubspot::webhook_events::HubspotWebhookFormat;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One POST a sandbox made, as it made it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Captured {
    pub side: Side,
    pub body: Vec<u8>,
}

impl Captured {
    /// The body without event ids (QBO's CloudEvents `id` holds a random UUID, as Intuit's
    /// does), so ordering and the history do not depend on them.
    pub fn stable_text(&self) -> String {
        let Ok(mut body) = serde_json::from_slice::<serde_json::Value>(&self.body) else {
            return String::from_utf8_lossy(&self.body).into_owned();
        };
        if let Some(events) = body.as_array_mut() {
            for event in events.iter_mut().filter_map(|e| e.as_object_mut()) {
                event.remove("id");
                event.remove("eventId");
            }
        }
        body.to_string()
    }
}

/// The capture server both sandboxes' webhooks point at.
pub struct Capture {
    pub base_url: String,
    received: Arc<Mutex<Vec<Captured>>>,
    task: JoinHandle<()>,
}

async fn receive(
    State(received): State<Arc<Mutex<Vec<Captured>>>>,
    Path(vendor): Path<String>,
    body: Bytes,
) -> StatusCode {
    let side = match vendor.as_str() {
        "hubspot" => Side::Hubspot,
        "quickbooks" => Side::Quickbooks,
        _ => return StatusCode::NOT_FOUND,
    };
    received
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Captured {
            side,
            body: body.to_vec(),
        });
    StatusCode::OK
}

impl Capture {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/{vendor}", post(receive))
            .with_state(received.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Capture {
            base_url,
            received,
            task,
        })
    }

    /// Where `side`'s sandbox should post.
    pub fn url(&self, side: Side) -> String {
        format!("{}/{}", self.base_url, side.as_str())
    }

    /// Everything captured since the last call, in a stable order (the sandboxes post
    /// concurrently, so arrival order is not the seed's to decide; one event per POST).
    pub fn take(&self) -> Vec<Captured> {
        let mut taken =
            std::mem::take(&mut *self.received.lock().unwrap_or_else(|e| e.into_inner()));
        taken.sort_by_cached_key(|c| (c.side, c.stable_text()));
        taken
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

/// Delivers captured POSTs to the intake, signed as the vendor signs.
pub struct Intake {
    base_url: String,
    hubspot_secret: String,
    quickbooks_verifier: String,
    http: reqwest::Client,
}

impl Intake {
    pub fn new(
        base_url: String,
        hubspot_secret: String,
        quickbooks_verifier: String,
    ) -> anyhow::Result<Self> {
        Ok(Intake {
            base_url,
            hubspot_secret,
            quickbooks_verifier,
            // A fresh connection per delivery: the intake closes idle keep-alive connections
            // (docs/architecture.md §8), and a pooled one closing under a request would fail
            // the delivery for a reason no vendor has.
            http: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(0)
                .build()?,
        })
    }

    /// POSTs `captured` to the intake at simulated `now_ms`; returns the intake's status.
    pub async fn deliver(&self, captured: &Captured, now_ms: i64) -> anyhow::Result<u16> {
        let (path, headers) = match captured.side {
            Side::Hubspot => {
                let url = format!("{}{HUBSPOT_WEBHOOK_PATH}", self.base_url);
                // HubSpot signs v3 over method, URL, body and a timestamp it checks within
                // 5 minutes: https://developers.hubspot.com/docs/api/webhooks/validating-requests
                let headers = HubspotWebhookFormat.sign(
                    &self.hubspot_secret,
                    "POST",
                    &url,
                    &captured.body,
                    now_ms,
                );
                (HUBSPOT_WEBHOOK_PATH, headers)
            }
            Side::Quickbooks => {
                // intuit-signature: base64 HMAC-SHA256 of the body with the verifier token,
                // https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/managing-webhooks-notifications
                let signature = hqsync_sandbox::quickbooks::webhooks::sign(
                    &self.quickbooks_verifier,
                    &captured.body,
                );
                (
                    QUICKBOOKS_WEBHOOK_PATH,
                    vec![("intuit-signature".to_owned(), signature)],
                )
            }
        };
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "application/json")
            .body(captured.body.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let answer = request
            .send()
            .await
            .context("deliver a webhook to the intake")?;
        Ok(answer.status().as_u16())
    }
}

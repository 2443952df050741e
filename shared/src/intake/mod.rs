//! Intake: turns an inbound vendor webhook delivery into jobs (verify the signature, parse,
//! route by portal / realm to connections, drop our own echoes, dedupe). Lambdas and `hqsync dev` share it.

mod answer;
pub mod hubspot;
pub mod quickbooks;

pub use answer::{WebhookReply, answer};

use crate::ports::{Job, StoreError};

/// Deliveries above this size are refused with 413. API Gateway's HTTP API takes payloads up
/// to 10 MB (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html);
/// neither vendor sends anywhere near 1 MB (100 events of a few hundred bytes), so every
/// runtime refuses above it, and the local server before buffering (docs/architecture.md §8).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// An inbound HTTP request as the signature sees it.
#[derive(Debug, Clone, Copy)]
pub struct InboundRequest<'a> {
    pub method: &'a str,
    /// The full public URL the vendor called (scheme, host, path, query), as configured with
    /// the vendor: behind API Gateway, rebuilt from the stack's public base URL.
    pub url: &'a str,
    /// `(name, value)` pairs; names compared case-insensitively.
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body bytes, never re-serialised.
    pub body: &'a [u8],
}

impl InboundRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Why a delivery was refused. The message is safe to return to the caller and to log: it
/// never holds a secret, a signature or record contents.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("invalid signature: {0}")]
    Unauthorized(String),
    #[error("malformed delivery: {0}")]
    Malformed(String),
    #[error("delivery of {0} bytes is over the {MAX_BODY_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("could not route the delivery: {0}")]
    Store(#[from] StoreError),
}

impl IntakeError {
    /// A refused HubSpot signature is 401; a replay guard that could not be asked is 500, so
    /// HubSpot delivers again.
    pub fn from_signature(error: crate::hubspot::webhook::SignatureError) -> Self {
        match error {
            crate::hubspot::webhook::SignatureError::ReplayUnchecked(reason) => {
                IntakeError::Store(StoreError::Backend(reason))
            }
            refused => IntakeError::Unauthorized(refused.to_string()),
        }
    }

    /// The HTTP status to answer with: 401, 400, 413; 500 for our own storage faults, so the
    /// vendor retries the delivery later and nothing is lost.
    pub fn status(&self) -> u16 {
        match self {
            IntakeError::Unauthorized(_) => 401,
            IntakeError::Malformed(_) => 400,
            IntakeError::TooLarge(_) => 413,
            IntakeError::Store(_) => 500,
        }
    }
}

/// What a delivery became: jobs to enqueue, and what was left out and why (for logs/metrics).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct IntakeOutcome {
    pub jobs: Vec<Job>,
    /// Events the delivery held, before deduplication: what chooses its lane
    /// (`ports::lane_for`, docs/architecture.md §14).
    pub events: usize,
    /// Events for accounts no connection belongs to (answered 200 and logged).
    pub unknown_tenants: Vec<String>,
    /// Events left out, each with its reason (object type not synced, our own echo, ...).
    pub ignored: Vec<String>,
}

fn check_size(body: &[u8]) -> Result<(), IntakeError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(IntakeError::TooLarge(body.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

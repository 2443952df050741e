//! Inbound HubSpot requests: signature verification (v3 once; v2/v1 only where allowed) and
//! parsing of webhook event batches into typed events with a dedupe key (docs/hubspot.md §5.3-§5.6).

pub mod events;
mod replay;
pub mod signature;

pub use events::{EventAction, WebhookEvent, parse_events};
pub use signature::{SignatureError, SignatureVersion, SignedRequest, WebhookVerifier};

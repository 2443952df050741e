//! QBO webhooks (docs/quickbooks.md §11): `intuit-signature` verification over the raw body, and
//! parsing of CloudEvents and legacy `eventNotifications` deliveries into entity changes.

pub mod events;
pub mod signature;

pub use events::{
    EntityChange, Operation, ParsedDelivery, PayloadFormat, SkippedEvent, WebhookError,
    check_content_type, parse_delivery,
};
pub use signature::{SIGNATURE_HEADER, SignatureError, verify_signature};

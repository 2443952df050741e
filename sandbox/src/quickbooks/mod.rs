//! A stateful stand-in for the QuickBooks Online Accounting API (`/v3/company/{realmId}/...`),
//! its OAuth token endpoint and webhooks, following docs/quickbooks.md (cited per behaviour).

mod app;
mod config;
pub mod entity_kind;
pub mod fault;
pub mod query;
mod routes;
mod server;
pub mod state;
pub mod tokens;
pub mod webhooks;

pub use config::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_DEV_TOKEN, DEFAULT_REALM_ID,
    DEFAULT_VERIFIER_TOKEN, InactiveEventKind, QboLimits, QuickbooksSandboxConfig,
    RequestIdConflict, WebhookPayloadFormat,
};
pub use server::QuickbooksSandbox;

//! A stateful local stand-in for `api.hubapi.com` (CRM objects, batch, search, associations,
//! properties, OAuth, signed webhooks), each behaviour citing docs/hubspot.md.

mod app;
pub mod association_types;
mod auth;
mod config;
mod demo_seed;
pub mod errors;
mod invoicing;
mod links;
mod oauth_grants;
pub mod object_types;
mod portal_settings;
mod rate_limit;
mod record;
mod routes;
mod sandbox;
pub mod schema;
pub mod scopes;
pub mod search;
mod store;
mod unique_index;
pub mod webhook_events;

pub use auth::ACTOR_HEADER;
pub use config::{DEFAULT_WEBHOOK_RETRY_MINUTES, HubspotSandboxConfig};
pub use routes::API_VERSION;
pub use sandbox::HubspotSandbox;

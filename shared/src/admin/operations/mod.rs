//! The admin API's operations on a connection's data: the initial sync's preview and start,
//! status and record search, one record's log and resync, the dead letters, and live fields.

mod connection;
pub mod dead_letters;
pub mod fields;
pub mod initial_sync;
pub mod preview;
pub mod records;

use axum::Router;
use axum::routing::{get, post};

use super::context::AdminContext;

/// The operations routes, relative to `/api` (mounted behind the session layer).
pub fn routes() -> Router<AdminContext> {
    Router::new()
        .route("/connections/{id}/preview", post(preview::preview))
        .route("/connections/{id}/fields/{kind}", get(fields::fields))
        .route(
            "/connections/{id}/initial-sync",
            post(initial_sync::start).get(initial_sync::progress),
        )
        .route("/connections/{id}/status", get(records::status))
        .route("/connections/{id}/records", get(records::search))
        .route(
            "/connections/{id}/records/{kind}/{side}/{record_id}",
            get(records::record),
        )
        .route(
            "/connections/{id}/records/{kind}/{side}/{record_id}/resync",
            post(records::resync),
        )
        .route("/dead-letters", get(dead_letters::list))
        .route("/dead-letters/redrive", post(dead_letters::redrive))
}

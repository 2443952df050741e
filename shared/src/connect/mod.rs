//! The OAuth connect flow and a connection's lifecycle: `/connect`, the vendors' callbacks,
//! disconnect, delete and Intuit's disconnect landing (docs/admin.md §3).

pub mod binding;
pub mod callback;
pub mod failure;
pub mod lifecycle;
pub mod page;
pub mod start;
pub mod state;
pub mod vendors;

use axum::Router;
use axum::routing::{get, post};

use crate::admin::AdminContext;

/// The pages and callbacks, at the top level (the connection page they end on is the console's,
/// `console/connection.rs`). Each guards itself: `/connect` needs the session cookie, the callbacks the state plus the session or its
/// binding cookie (binding.rs).
pub fn pages() -> Router<AdminContext> {
    Router::new()
        .route("/connect", get(start::start))
        .route("/oauth/hubspot/callback", get(callback::hubspot))
        .route("/oauth/quickbooks/callback", get(callback::quickbooks))
        .route(
            "/oauth/quickbooks/disconnected",
            get(lifecycle::quickbooks_disconnected),
        )
}

/// The JSON routes, nested under `/api` behind the session layer (`DELETE
/// /api/connections/{id}` shares its path with the listing's `GET` in `admin/router.rs`).
pub fn api_routes() -> Router<AdminContext> {
    Router::new().route("/connections/{id}/disconnect", post(lifecycle::disconnect))
}

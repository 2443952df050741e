//! The web console: server-rendered pages (maud) on the admin router, signed in with the admin
//! API's session, calling the API's own handlers (docs/console.md).

pub mod activity;
pub mod assets;
pub mod connection;
pub mod connections;
pub mod dead_letters;
pub mod filters;
pub mod form;
pub mod health;
pub mod initial_sync;
pub mod invoices;
pub mod layout;
pub mod mapping_editor;
pub mod mapping_form;
pub mod mapping_rows;
pub mod objects;
pub mod outcome;
pub mod record_links;
pub mod sign_in;

use axum::Router;
use axum::routing::{get, post};

use crate::admin::AdminContext;

/// Every console page path (placeholders `{id}`), for the test that opens each without a
/// session (401) and posts each form without its CSRF field (403). A new page is added here.
pub const CONSOLE_PAGES: &[&str] = &[
    "/connections/{id}/delete",
    "/connections/{id}/objects/contact",
    "/connections/{id}/objects/invoice",
    "/connections/{id}/objects/product/delete",
    "/connections/{id}/health",
    "/connections/{id}",
    "/connections/{id}/activity",
    "/connections/{id}/dead-letters",
    "/connections/{id}/invoices",
    "/connections/{id}/objects/contact/mappings",
    "/connections/{id}/objects/product/mappings",
    "/connections/{id}/initial-sync",
];
/// Every console form target (POST, CSRF field required).
pub const CONSOLE_FORMS: &[&str] = &[
    "/sign-out",
    "/connections/{id}/disconnect",
    "/connections/{id}/delete",
    "/connections/{id}/objects/contact",
    "/connections/{id}/objects/contact/disable",
    "/connections/{id}/objects/product/delete",
    "/connections/{id}/records/contact/hubspot/1/resync",
    "/connections/{id}/dead-letters/redrive",
    "/connections/{id}/objects/contact/mappings",
    "/connections/{id}/objects/contact/mappings/remove",
    "/connections/{id}/objects/contact/mappings/check",
    "/connections/{id}/objects/product/mappings/filters",
    "/connections/{id}/objects/contact/mappings/filters/remove",
    "/connections/{id}/initial-sync",
];

/// The console's routes, at the top level beside the connect pages.
pub fn routes() -> Router<AdminContext> {
    Router::new()
        .route("/", get(connections::home).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/sign-in", get(sign_in::with_link))
        .route(
            "/connections/{id}/disconnect",
            post(connections::disconnect),
        )
        .route(
            "/connections/{id}/delete",
            get(connections::confirm_delete).post(connections::delete),
        )
        .route(
            "/connections/{id}/objects/{kind}",
            get(objects::show).post(objects::save),
        )
        .route(
            "/connections/{id}/objects/{kind}/delete",
            get(objects::confirm_delete).post(objects::delete),
        )
        .route(
            "/connections/{id}/objects/{kind}/{action}",
            post(objects::change),
        )
        .route("/connections/{id}", get(connection::show))
        .route("/connections/{id}/health", get(health::show))
        .route("/connections/{id}/activity", get(activity::show))
        .route("/connections/{id}/invoices", get(invoices::show))
        .route("/connections/{id}/dead-letters", get(dead_letters::show))
        .route(
            "/connections/{id}/dead-letters/redrive",
            post(dead_letters::redrive),
        )
        .route(
            "/connections/{id}/initial-sync",
            get(initial_sync::show).post(initial_sync::start),
        )
        .route(
            "/connections/{id}/objects/{kind}/mappings",
            get(mapping_editor::show).post(mapping_editor::add),
        )
        .route(
            "/connections/{id}/objects/{kind}/mappings/check",
            post(mapping_editor::check),
        )
        .route(
            "/connections/{id}/objects/{kind}/mappings/remove",
            post(mapping_editor::remove),
        )
        .route(
            "/connections/{id}/objects/{kind}/mappings/filters",
            post(filters::add),
        )
        .route(
            "/connections/{id}/objects/{kind}/mappings/filters/remove",
            post(filters::remove),
        )
        .route(
            "/connections/{id}/records/{kind}/{side}/{record_id}/resync",
            post(health::retry),
        )
        .merge(assets::routes())
}

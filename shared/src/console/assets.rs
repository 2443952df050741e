//! `GET /assets/...`: the console's one stylesheet, embedded in the binary and served with a
//! long cache header (no build chain; docs/console.md §2).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::admin::AdminContext;

/// Where the stylesheet is served. A change to it changes the name's version, so a year-long
/// cache never serves a stale copy.
pub const STYLESHEET_PATH: &str = "/assets/console-1.css";
const STYLESHEET: &str = include_str!("console.css");

pub fn routes() -> Router<AdminContext> {
    Router::new().route(STYLESHEET_PATH, get(stylesheet))
}

async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

//! `GET /assets/...`: the console's one stylesheet, embedded in the binary and served with a
//! long cache header (no build chain; docs/console.md §2).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::admin::AdminContext;

/// Where the stylesheet is served. A change to it changes the name's version, so a year-long
/// cache never serves a stale copy.
pub const STYLESHEET_PATH: &str = "/assets/console-2.css";
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

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a over the stylesheet: stable across Rust versions, unlike `DefaultHasher`.
    fn fingerprint(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// The stylesheet [`STYLESHEET_PATH`]'s version names; a change to it fails here until the
    /// version is bumped and this fingerprint updated, so no browser keeps a stale cached copy.
    const VERSIONED: (&str, u64) = ("/assets/console-2.css", 15_050_750_232_672_536_879);

    #[test]
    fn a_changed_stylesheet_gets_a_new_name() {
        assert_eq!(
            (STYLESHEET_PATH, fingerprint(STYLESHEET)),
            VERSIONED,
            "console.css changed: bump the number in STYLESHEET_PATH and set this fingerprint"
        );
    }
}

//! The HTTP surface: `/v3/company/{realmId}/...` behind auth and rate limits, the OAuth consent,
//! token and revoke endpoints, and the QBO-specific `/_sandbox/` control routes; every answer
//! has `intuit_tid`.

mod batch;
mod cdc;
mod control;
mod entities;
mod oauth;
mod query;

use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use super::app::App;
use super::fault::Fault;
use super::tokens::BearerError;

/// The QBO API router (with state applied), without the shared control routes.
pub fn api_router(app: App) -> Router {
    let v3 = Router::new()
        .route(
            "/v3/company/{realm}/query",
            get(query::get_query).post(query::post_query),
        )
        .route("/v3/company/{realm}/cdc", get(cdc::cdc))
        .route("/v3/company/{realm}/batch", post(batch::batch))
        .route(
            "/v3/company/{realm}/preferences",
            get(entities::get_preferences).post(entities::post_entity_preferences),
        )
        .route("/v3/company/{realm}/{entity}", post(entities::post_entity))
        .route(
            "/v3/company/{realm}/{entity}/{id}",
            get(entities::get_entity),
        )
        .route(
            "/v3/company/{realm}/{entity}/{id}/send",
            post(entities::send),
        )
        .route_layer(middleware::from_fn_with_state(app.clone(), limits))
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    Router::new()
        .merge(v3)
        .route("/oauth2/v1/tokens/bearer", post(oauth::bearer))
        .route("/connect/oauth2", get(oauth::authorize))
        .route("/v2/oauth2/tokens/revoke", post(oauth::revoke))
        .merge(control::router())
        .with_state(app)
}

/// Adds the `intuit_tid` support header (§1) to every response that lacks one.
pub async fn intuit_tid(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if !response.headers().contains_key("intuit_tid") {
        let tid = uuid::Uuid::new_v4().to_string();
        if let Ok(v) = HeaderValue::from_str(&tid) {
            response.headers_mut().insert("intuit_tid", v);
        }
    }
    response
}

/// The realm in `/v3/company/{realm}/...`.
fn path_realm(path: &str) -> Option<&str> {
    let mut parts = path.trim_start_matches('/').split('/');
    (parts.next() == Some("v3") && parts.next() == Some("company"))
        .then(|| parts.next())
        .flatten()
}

/// A shortened token for error details (the capture shows `AB0173…`, §10.1); never the secret.
fn shortened(token: &str) -> String {
    let head: String = token.chars().take(6).collect();
    format!("{head}…")
}

/// Bearer authentication (§2.5, §10.1): the static dev token or an unexpired issued access
/// token; otherwise 401 with the gateway-style lowercase body. Another realm -> 403 (3100).
async fn authenticate(State(app): State<App>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let verdict = if !token.is_empty() && token == app.config.dev_token {
        Ok(())
    } else {
        app.tokens
            .lock()
            .expect("tokens lock")
            .check_bearer(&token, app.now_ms())
    };
    match verdict {
        Ok(()) => {}
        Err(BearerError::Expired) => {
            return app.fault(Fault::authentication(format!(
                "Token expired: {}",
                shortened(&token)
            )));
        }
        Err(BearerError::Unknown) => {
            return app.fault(Fault::authentication(format!(
                "Token invalid: {}",
                shortened(&token)
            )));
        }
    }
    if path_realm(req.uri().path()) != Some(app.config.realm_id.as_str()) {
        return app.fault(Fault::authorization());
    }
    next.run(req).await
}

/// §9 limits: 10/s and 500/min per realm, 40 batch/min, at most 10 in flight; 429 with the
/// documented body and no `Retry-After`.
async fn limits(State(app): State<App>, req: Request, next: Next) -> Response {
    let batch = req.uri().path().ends_with("/batch");
    if let Err(fault) = app.check_limits(batch) {
        return app.fault(fault);
    }
    let knobs = app.knobs();
    let max = u64::from(knobs.max_in_flight);
    let now_in_flight = app.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    if max > 0 && now_in_flight > max {
        app.in_flight.fetch_sub(1, Ordering::SeqCst);
        app.throttled.fetch_add(1, Ordering::Relaxed);
        return app.fault(Fault::throttled());
    }
    if knobs.slow_response_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(knobs.slow_response_ms)).await;
    }
    let response = next.run(req).await;
    app.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

/// The fault body an injected status answers with (shared fault layer).
pub fn injected_fault(status: StatusCode) -> Fault {
    match status {
        StatusCode::TOO_MANY_REQUESTS => Fault::throttled(),
        StatusCode::UNAUTHORIZED => Fault::authentication("Token expired: injected…".into()),
        StatusCode::FORBIDDEN => Fault::authorization(),
        s => Fault::system(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_comes_from_the_path() {
        assert_eq!(path_realm("/v3/company/123/customer/1"), Some("123"));
        assert_eq!(path_realm("/oauth2/v1/tokens/bearer"), None);
        assert_eq!(shortened("AB0173xyzxyz"), "AB0173…");
    }
}

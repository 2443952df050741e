//! The admin router: sign-in, then every other `/api/` route behind the session (and, for
//! writes, the CSRF token); unknown `/api/` paths also answer 401 without a session.

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::connections;
use super::context::AdminContext;
use super::error::ApiError;
use super::session::AdminSession;
use super::sign_in::{sign_in, sign_out};

/// Every admin route, with its state. The runtime serves it as is (locally beside the webhook
/// routes; on AWS through lambda_http).
pub fn router(ctx: AdminContext) -> Router {
    let api: Router<AdminContext> = Router::new()
        .route("/connections", get(connections::list))
        .route(
            "/connections/{id}",
            get(connections::get).delete(crate::connect::lifecycle::delete),
        )
        .merge(super::operations::routes())
        .merge(crate::connect::api_routes())
        .route(
            "/connections/{id}/settings",
            get(super::settings::get).put(super::settings::put),
        )
        .route(
            "/connections/{id}/objects/{kind}/{action}",
            post(super::objects::change),
        )
        .merge(super::audit::routes())
        .fallback(api_not_found)
        .route_layer(middleware::from_fn_with_state(ctx.clone(), require_session));
    Router::new()
        .route("/api/session", post(sign_in).delete(sign_out))
        .merge(crate::connect::pages())
        .merge(crate::console::routes())
        .nest("/api", api)
        .with_state(ctx)
}

/// One admin route: its method and path (`{id}`, `{kind}`, `{side}`, `{record_id}`, `{action}`
/// stand for path segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminRoute {
    pub method: &'static str,
    pub path: &'static str,
}

const fn route(method: &'static str, path: &'static str) -> AdminRoute {
    AdminRoute { method, path }
}

/// Every `/api/` route besides `POST|DELETE /api/session`. A test sends each without a session
/// (401) and each write without its CSRF token (403); a new route is added here too.
pub const ADMIN_ROUTES: &[AdminRoute] = &[
    route("GET", "/api/connections"),
    route("GET", "/api/connections/{id}"),
    route("DELETE", "/api/connections/{id}"),
    route("POST", "/api/connections/{id}/disconnect"),
    route("POST", "/api/connections/{id}/preview"),
    route("GET", "/api/connections/{id}/fields/{kind}"),
    route("POST", "/api/connections/{id}/initial-sync"),
    route("GET", "/api/connections/{id}/initial-sync"),
    route("GET", "/api/connections/{id}/status"),
    route("GET", "/api/connections/{id}/records"),
    route(
        "GET",
        "/api/connections/{id}/records/{kind}/{side}/{record_id}",
    ),
    route(
        "POST",
        "/api/connections/{id}/records/{kind}/{side}/{record_id}/resync",
    ),
    route("GET", "/api/dead-letters"),
    route("POST", "/api/dead-letters/redrive"),
    route("GET", "/api/connections/{id}/settings"),
    route("PUT", "/api/connections/{id}/settings"),
    route("POST", "/api/connections/{id}/objects/{kind}/{action}"),
    route("GET", "/api/audit"),
];

/// Refuses a request without a session (401) or, for writes, without its CSRF token (403).
async fn require_session(
    State(ctx): State<AdminContext>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match <AdminSession as axum::extract::FromRequestParts<AdminContext>>::from_request_parts(
        &mut parts, &ctx,
    )
    .await
    {
        Ok(AdminSession(session)) => {
            parts.extensions.insert(session);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(rejection) => rejection.into_response(),
    }
}

async fn api_not_found(AdminSession(_): AdminSession) -> ApiError {
    ApiError::NotFound("no such admin route".into())
}

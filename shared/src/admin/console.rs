//! `GET /` and `POST /`: the sign-in form a browser opens at the console URL (the same password
//! check, limits and cookie as `POST /api/session`), then links to connect and to each connection.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, http};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::context::AdminContext;
use super::error::ApiError;
use super::sign_in::{ClientAddress, sign_in};
use crate::connect::page::escape;

/// `GET /` and `POST /` (the form's target), at the top level.
pub fn routes() -> Router<AdminContext> {
    Router::new().route("/", get(show).post(submit))
}

#[derive(Deserialize)]
struct SignInForm {
    password: SecretString,
}

/// The console: the sign-in form without a session, the connect links with one.
pub async fn show(State(ctx): State<AdminContext>, headers: HeaderMap) -> Response {
    if ctx
        .auth
        .session_of(&headers, ctx.sync.clock.now())
        .is_none()
    {
        return form_page(StatusCode::OK, None);
    }
    signed_in_page(&ctx).await
}

/// The form's post (`application/x-www-form-urlencoded`, field `password`): signs in through
/// `POST /api/session`'s own handler and goes back to `/` with its cookie.
pub async fn submit(
    State(ctx): State<AdminContext>,
    address: Option<Extension<ClientAddress>>,
    body: Bytes,
) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<SignInForm>(&body) else {
        return form_page(StatusCode::BAD_REQUEST, Some("Enter the admin password."));
    };
    let json = serde_json::json!({ "password": form.password.expose_secret() }).to_string();
    match sign_in(State(ctx), address, Bytes::from(json)).await {
        Ok(signed_in) => {
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
            if let Some(cookie) = signed_in.headers().get(header::SET_COOKIE) {
                response
                    .headers_mut()
                    .insert(header::SET_COOKIE, cookie.clone());
            }
            with_page_headers(response)
        }
        Err(ApiError::Unauthorized) => form_page(
            StatusCode::UNAUTHORIZED,
            Some("That is not the admin password."),
        ),
        Err(ApiError::TooManyAttempts { retry_after_secs }) => form_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many failed sign-ins: try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            )),
        ),
        Err(other) => {
            tracing::error!(error = %other, "console sign-in failed");
            form_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Signing in failed on the server's side; try again shortly."),
            )
        }
    }
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title} - HQSync</title></head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title)
    )
}

fn form_page(status: StatusCode, problem: Option<&str>) -> Response {
    let mut body = String::new();
    if let Some(problem) = problem {
        body.push_str(&format!("<p><strong>{}</strong></p>\n", escape(problem)));
    }
    body.push_str(
        "<form method=\"post\" action=\"/\">\n<label>Admin password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required autofocus></label>\n<button type=\"submit\">Sign in</button>\n</form>\n",
    );
    with_page_headers((status, document("Sign in to HQSync", &body)).into_response())
}

async fn signed_in_page(ctx: &AdminContext) -> Response {
    let mut links = Vec::new();
    if ctx.vendor_urls.quickbooks_base_url.is_some() {
        links.push((
            "/connect?environment=local".to_owned(),
            "Connect the built-in sandboxes".to_owned(),
        ));
    }
    links.push((
        "/connect?environment=sandbox".to_owned(),
        "Connect a HubSpot account to a QuickBooks sandbox company".to_owned(),
    ));
    links.push((
        "/connect?environment=production".to_owned(),
        "Connect a HubSpot account to a QuickBooks company".to_owned(),
    ));
    let mut body = String::from("<p>Signed in.</p>\n<ul>\n");
    for (href, label) in &links {
        body.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\n",
            escape(href),
            escape(label)
        ));
    }
    body.push_str("</ul>\n<h2>Connections</h2>\n");
    match ctx.sync.store.list_connections().await {
        Ok(listing) if listing.records.is_empty() && listing.broken.is_empty() => {
            body.push_str("<p>None yet.</p>\n");
        }
        Ok(listing) => {
            body.push_str("<ul>\n");
            for record in &listing.records {
                let id = record.connection.id.to_string();
                body.push_str(&format!(
                    "<li><a href=\"/connections/{}\">{}</a>: HubSpot {}, QuickBooks {} ({}), {}</li>\n",
                    escape(&path_segment(&id)),
                    escape(&id),
                    escape(&record.connection.hubspot_portal_id),
                    escape(&record.connection.qbo_realm_id),
                    escape(&record.environment),
                    escape(&status_name(record.status))
                ));
            }
            for broken in &listing.broken {
                body.push_str(&format!(
                    "<li>{}: cannot be read ({})</li>\n",
                    escape(&broken.id.to_string()),
                    escape(&broken.error)
                ));
            }
            body.push_str("</ul>\n");
        }
        Err(error) => {
            tracing::error!(%error, "console: listing connections failed");
            body.push_str("<p>The connections cannot be listed right now.</p>\n");
        }
    }
    with_page_headers((StatusCode::OK, document("HQSync", &body)).into_response())
}

/// The status as the API spells it (`reconnect-required`, ...).
fn status_name(status: crate::ports::ConnectionStatus) -> String {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{status:?}"),
    }
}

/// Percent-encodes an id for a path segment (ids are letters, digits, `-` and `_` already).
fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// The connect pages' headers, except that the form may post to this origin.
fn with_page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed: [(http::HeaderName, &str); 5] = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

//! `GET /` and `POST /` without a session: the sign-in form (the same password check, limits
//! and cookie as `POST /api/session`), and `POST /sign-out` (docs/console.md §3).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::form::{NoFields, signed_form};
use super::layout::{document, respond, with_console_headers};
use crate::admin::sign_in::{ClientAddress, open_session, sign_in};
use crate::admin::sign_in_link::LinkRefusal;
use crate::admin::{AdminContext, ApiError};

#[derive(Deserialize)]
struct SignInForm {
    password: SecretString,
}

/// The sign-in form, with `problem` said above it.
pub fn form_page(status: StatusCode, problem: Option<&str>) -> Response {
    let body = html! {
        @if let Some(problem) = problem {
            p.problem id="problem" role="alert" { (problem) }
        }
        form method="post" action="/" id="sign-in-form" {
            label for="password" { "Admin password" }
            input id="password" type="password" name="password" autocomplete="current-password" required autofocus;
            p { button id="sign-in" type="submit" { "Sign in" } }
        }
    };
    respond(status, document("Sign in to HQSync", None, None, body))
}

/// `POST /` (`application/x-www-form-urlencoded`, field `password`): signs in through
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
            let cookie = signed_in.headers().get(header::SET_COOKIE).cloned();
            see_other("/", cookie)
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

#[derive(Deserialize)]
pub struct LinkQuery {
    token: Option<SecretString>,
}

/// `GET /sign-in?token=...`: the one-time link `hqsync dev` printed signs in (once, within ten
/// minutes) and goes to `/`; any other token gets the sign-in form saying why.
pub async fn with_link(
    State(ctx): State<AdminContext>,
    Query(query): Query<LinkQuery>,
) -> Response {
    let now = ctx.sync.clock.now();
    let taken = match &query.token {
        Some(token) => ctx.auth.sign_in_links.take(token.expose_secret(), now),
        None => Err(LinkRefusal::Unknown),
    };
    match taken {
        Ok(()) => {
            let detail = "signed in with the link hqsync dev printed".to_owned();
            let (_, cookie) = open_session(&ctx, detail).await;
            see_other("/", cookie)
        }
        Err(LinkRefusal::Expired) => form_page(
            StatusCode::UNAUTHORIZED,
            Some(
                "This sign-in link has expired (links last ten minutes): sign in with the admin password.",
            ),
        ),
        Err(LinkRefusal::Unknown) => form_page(
            StatusCode::UNAUTHORIZED,
            Some(
                "This sign-in link is not valid or was already used: sign in with the admin password.",
            ),
        ),
    }
}

/// `POST /sign-out` (CSRF field required): clears the session cookie, back to the form.
pub async fn sign_out(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = signed_form::<NoFields>(&ctx, &headers, &body) {
        return refused.into_response();
    }
    let cookie = HeaderValue::from_str(&ctx.auth.set_cookie(None)).ok();
    see_other("/", cookie)
}

/// 303 to `location` (a path this server chose), with a cookie to set.
pub fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    with_console_headers(response)
}

//! `GET /connect`: starts connecting a HubSpot portal and a QBO company (or reconnecting one
//! side of a connection) by sending the signed-in admin to the vendor's consent page.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::binding;
use super::failure::ConnectFailure;
use super::page::Page;
use super::state::{self, Flow};
use super::vendors::VendorAuth;
use crate::admin::AdminContext;
use crate::model::{ConnectionId, Side};
use crate::ports::QUICKBOOKS_SANDBOX_ENVIRONMENT;
use crate::tokens::LOCAL_ENVIRONMENT;

/// The QBO environments a connection can be for.
const PRODUCTION: &str = "production";

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    /// `local` (the built-in sandbox, when this runtime has one), `sandbox` or `production`.
    pub environment: Option<String>,
    /// Reconnect this connection's `side` instead of creating a connection.
    pub connection: Option<String>,
    pub side: Option<String>,
}

/// Where a vendor sends the admin back to.
pub fn callback_url(ctx: &AdminContext, side: Side) -> String {
    let vendor = match side {
        Side::Hubspot => "hubspot",
        Side::Quickbooks => "quickbooks",
    };
    format!("{}/oauth/{vendor}/callback", ctx.public_base_url)
}

/// The environment a new connection is for: the one asked for, else the built-in sandbox
/// when there is one, else Intuit's sandbox companies.
fn environment(ctx: &AdminContext, asked: Option<&str>) -> Result<String, ConnectFailure> {
    let local = ctx.vendor_urls.quickbooks_base_url.is_some();
    match asked.filter(|e| !e.is_empty()) {
        None if local => Ok(LOCAL_ENVIRONMENT.to_owned()),
        None => Ok(QUICKBOOKS_SANDBOX_ENVIRONMENT.to_owned()),
        Some(LOCAL_ENVIRONMENT) if !local => Err(ConnectFailure::BadRequest(
            "environment=local names the built-in QuickBooks sandbox of `hqsync dev`, which this server does not run; use sandbox or production.".into(),
        )),
        Some(e @ (LOCAL_ENVIRONMENT | QUICKBOOKS_SANDBOX_ENVIRONMENT | PRODUCTION)) => {
            Ok(e.to_owned())
        }
        Some(other) => Err(ConnectFailure::BadRequest(format!(
            "environment={other} is not one of local, sandbox, production."
        ))),
    }
}

pub async fn start(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Query(query): Query<StartQuery>,
) -> Response {
    let now = ctx.sync.clock.now();
    let Some(session) = ctx.auth.session_of(&headers, now) else {
        return sign_in_first().into_response();
    };
    match redirect_to_consent(&ctx, &session.hash(), &query).await {
        Ok(location) => {
            let mut response = StatusCode::FOUND.into_response();
            let headers = response.headers_mut();
            match HeaderValue::from_str(&location) {
                Ok(value) => headers.insert(header::LOCATION, value),
                Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            };
            if let Ok(cookie) =
                HeaderValue::from_str(&binding::set_cookie(&ctx.auth, &session.hash(), now))
            {
                headers.insert(header::SET_COOKIE, cookie);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        Err(failure) => failure.into_response(),
    }
}

/// The page a browser without a session gets at a connect URL.
pub fn sign_in_first() -> Page {
    Page::new(StatusCode::UNAUTHORIZED, "Sign in first")
        .says("This page needs an admin session: sign in with the admin password (POST /api/session, or `hqsync connect`), then open /connect again.")
        .link("/", "Sign in with the admin password")
}

/// Stores the authorization in progress and answers the vendor consent URL.
async fn redirect_to_consent(
    ctx: &AdminContext,
    session_hash: &str,
    query: &StartQuery,
) -> Result<String, ConnectFailure> {
    let app = ctx.vault.app_credentials().await?;
    let vendors = VendorAuth::new(ctx.vendor_urls.clone(), app);
    let (flow, side) = match (&query.connection, &query.side) {
        (None, None) => (
            Flow::Hubspot {
                environment: environment(ctx, query.environment.as_deref())?,
                reconnect: None,
            },
            Side::Hubspot,
        ),
        (Some(connection), Some(side)) => {
            let id: ConnectionId = connection
                .parse()
                .map_err(|e| ConnectFailure::BadRequest(format!("connection={connection}: {e}")))?;
            let record = ctx
                .sync
                .store
                .get_connection(&id)
                .await?
                .ok_or_else(|| ConnectFailure::NoConnection(id.clone()))?;
            match side.as_str() {
                "hubspot" => (
                    Flow::Hubspot {
                        environment: record.environment.clone(),
                        reconnect: Some(id),
                    },
                    Side::Hubspot,
                ),
                "quickbooks" => (
                    Flow::Quickbooks {
                        connection: id,
                        environment: record.environment.clone(),
                        new_portal: None,
                    },
                    Side::Quickbooks,
                ),
                other => {
                    return Err(ConnectFailure::BadRequest(format!(
                        "side={other} is not hubspot or quickbooks."
                    )));
                }
            }
        }
        _ => {
            return Err(ConnectFailure::BadRequest(
                "Reconnecting names both the connection and the side: /connect?connection=ID&side=hubspot|quickbooks.".into(),
            ));
        }
    };
    let state = state::issue(
        ctx.admin_store.as_ref(),
        session_hash,
        &flow,
        ctx.sync.clock.now(),
    )
    .await?;
    let url = match (&flow, side) {
        (Flow::Quickbooks { environment, .. }, Side::Quickbooks) => vendors
            .quickbooks_authorize_url(environment, &callback_url(ctx, side), &state)
            .map_err(ConnectFailure::vendor(side))?,
        _ => vendors
            .hubspot_authorize_url(&callback_url(ctx, side), &state)
            .map_err(ConnectFailure::vendor(side))?,
    };
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_page_is_a_401_that_says_how() {
        let page = sign_in_first();
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.html().contains("POST /api/session"));
    }
}

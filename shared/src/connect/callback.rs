//! The vendors' OAuth callbacks: take the state once, exchange the code once, store the tokens,
//! and either go on to Intuit or end on the connection's page; any failure removes what the
//! flow wrote for a connection that does not exist yet.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use secrecy::SecretString;
use serde::Deserialize;

use super::binding::Caller;
use super::failure::ConnectFailure;
use super::lifecycle;
use super::start::{callback_url, sign_in_first};
use super::state::{self, Flow, TakeError};
use super::vendors::VendorAuth;
use crate::admin::AdminContext;
use crate::admin::audit;
use crate::model::{Connection, ConnectionId, ConnectionSettings, Side};
use crate::ports::{ConnectionRecord, ConnectionStatus};

/// What a vendor puts on the callback URL (RFC 6749 §4.1.2; Intuit adds `realmId`). No
/// `Debug`: the code is a credential.
#[derive(Deserialize)]
pub struct CallbackQuery {
    pub code: Option<SecretString>,
    pub state: Option<String>,
    pub error: Option<String>,
    #[serde(rename = "realmId")]
    pub realm_id: Option<String>,
}

pub async fn hubspot(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    callback(&ctx, &headers, query, Side::Hubspot).await
}

pub async fn quickbooks(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    callback(&ctx, &headers, query, Side::Quickbooks).await
}

/// Without a session or its binding cookie a callback answers 401 before touching the state,
/// so the admin who started the flow can still finish it.
async fn callback(
    ctx: &AdminContext,
    headers: &HeaderMap,
    query: CallbackQuery,
    side: Side,
) -> Response {
    let caller = Caller::of(&ctx.auth, headers, ctx.sync.clock.now());
    if !caller.is_admin() {
        return sign_in_first().into_response();
    }
    let step = match side {
        Side::Hubspot => hubspot_step(ctx, &caller, query).await,
        Side::Quickbooks => quickbooks_step(ctx, &caller, query).await,
    };
    step.unwrap_or_else(IntoResponse::into_response)
}

/// Takes the callback's state for `side`; an expired QBO step of a new connection also
/// removes the HubSpot tokens that step had stored.
async fn take(
    ctx: &AdminContext,
    caller: &Caller,
    state: Option<&str>,
    side: Side,
) -> Result<(Flow, String), ConnectFailure> {
    let is_caller = |hash: &str| caller.is(hash);
    let taken = state::take(
        ctx.admin_store.as_ref(),
        &is_caller,
        state,
        side,
        ctx.sync.clock.now(),
    )
    .await;
    match taken {
        Ok(taken) => Ok(taken),
        Err(TakeError::Refused { why, flow }) => {
            if let Some(Flow::Quickbooks {
                connection,
                new_portal: Some(_),
                ..
            }) = flow
            {
                discard(ctx, &connection).await;
            }
            Err(ConnectFailure::State(why))
        }
        Err(TakeError::Store(error)) => Err(ConnectFailure::Store(error)),
    }
}

/// The vendor's `error` parameter as a failure.
fn refused(side: Side, error: String) -> ConnectFailure {
    if error == "access_denied" {
        ConnectFailure::Declined(side)
    } else {
        ConnectFailure::VendorRefused { side, code: error }
    }
}

async fn hubspot_step(
    ctx: &AdminContext,
    caller: &Caller,
    query: CallbackQuery,
) -> Result<Response, ConnectFailure> {
    let (flow, session_hash) = take(ctx, caller, query.state.as_deref(), Side::Hubspot).await?;
    let Flow::Hubspot {
        environment,
        reconnect,
    } = flow
    else {
        return Err(ConnectFailure::BadRequest("not a HubSpot step".into()));
    };
    if let Some(error) = query.error {
        return Err(refused(Side::Hubspot, error));
    }
    let code = query
        .code
        .ok_or_else(|| ConnectFailure::BadRequest("HubSpot sent no authorization code.".into()))?;
    let vendors = VendorAuth::new(ctx.vendor_urls.clone(), ctx.vault.app_credentials().await?);
    let now = ctx.sync.clock.now();
    let (tokens, portal) = vendors
        .hubspot_exchange(&code, &callback_url(ctx, Side::Hubspot), now)
        .await
        .map_err(ConnectFailure::vendor(Side::Hubspot))?;

    if let Some(id) = reconnect {
        let record = existing(ctx, &id).await?;
        if record.connection.hubspot_portal_id != portal {
            return Err(wrong_account(Side::Hubspot, &record, portal));
        }
        ctx.vault.store_tokens(&id, Side::Hubspot, tokens).await?;
        return reconnected(ctx, record, Side::Hubspot).await;
    }

    // A new connection: its HubSpot tokens wait in the vault under its id while the admin
    // consents at Intuit; every failure from here removes them again.
    let id = new_connection_id(now);
    ctx.vault.store_tokens(&id, Side::Hubspot, tokens).await?;
    let onward = async {
        let flow = Flow::Quickbooks {
            connection: id.clone(),
            environment: environment.clone(),
            new_portal: Some(portal),
        };
        let state = state::issue(ctx.admin_store.as_ref(), &session_hash, &flow, now).await?;
        vendors
            .quickbooks_authorize_url(&environment, &callback_url(ctx, Side::Quickbooks), &state)
            .map_err(ConnectFailure::vendor(Side::Quickbooks))
    }
    .await;
    match onward {
        Ok(url) => Ok(found(url.as_str())),
        Err(failure) => {
            discard(ctx, &id).await;
            Err(failure)
        }
    }
}

async fn quickbooks_step(
    ctx: &AdminContext,
    caller: &Caller,
    query: CallbackQuery,
) -> Result<Response, ConnectFailure> {
    let (flow, _) = take(ctx, caller, query.state.as_deref(), Side::Quickbooks).await?;
    let Flow::Quickbooks {
        connection,
        environment,
        new_portal,
    } = flow
    else {
        return Err(ConnectFailure::BadRequest("not a QuickBooks step".into()));
    };
    let finished = match &new_portal {
        Some(portal) => create(ctx, &connection, &environment, portal, query).await,
        None => reconnect_quickbooks(ctx, &connection, &environment, query).await,
    };
    if finished.is_err() && new_portal.is_some() {
        discard(ctx, &connection).await;
    }
    finished
}

/// The Intuit code exchanged once, with the company it is for.
async fn quickbooks_tokens(
    ctx: &AdminContext,
    environment: &str,
    query: CallbackQuery,
) -> Result<(crate::ports::SideTokens, String), ConnectFailure> {
    if let Some(error) = query.error {
        return Err(refused(Side::Quickbooks, error));
    }
    let code = query.code.ok_or_else(|| {
        ConnectFailure::BadRequest("QuickBooks sent no authorization code.".into())
    })?;
    let realm = query.realm_id.filter(|r| !r.is_empty()).ok_or_else(|| {
        ConnectFailure::BadRequest("QuickBooks named no company (realmId).".into())
    })?;
    let vendors = VendorAuth::new(ctx.vendor_urls.clone(), ctx.vault.app_credentials().await?);
    let tokens = vendors
        .quickbooks_exchange(environment, &code, &callback_url(ctx, Side::Quickbooks))
        .await
        .map_err(ConnectFailure::vendor(Side::Quickbooks))?;
    Ok((tokens, realm))
}

/// The last step of a new connection: stored `connected` with default settings.
async fn create(
    ctx: &AdminContext,
    id: &ConnectionId,
    environment: &str,
    portal: &str,
    query: CallbackQuery,
) -> Result<Response, ConnectFailure> {
    let (tokens, realm) = quickbooks_tokens(ctx, environment, query).await?;
    let listing = ctx.sync.store.list_connections().await?;
    if let Some(existing) = listing
        .records
        .iter()
        .find(|r| r.connection.hubspot_portal_id == portal && r.connection.qbo_realm_id == realm)
    {
        return Err(ConnectFailure::AlreadyConnected {
            portal: portal.to_owned(),
            realm,
            existing: existing.id().clone(),
        });
    }
    ctx.vault.store_tokens(id, Side::Quickbooks, tokens).await?;
    let record = ConnectionRecord {
        connection: Connection {
            id: id.clone(),
            hubspot_portal_id: portal.to_owned(),
            qbo_realm_id: realm,
            settings: ConnectionSettings::default(),
        },
        environment: environment.to_owned(),
        status: ConnectionStatus::Connected,
    };
    ctx.sync.store.put_connection(&record).await?;
    audit::append(
        ctx,
        "connection.create",
        Some(id),
        format!(
            "portal {} and company {} ({environment})",
            record.connection.hubspot_portal_id, record.connection.qbo_realm_id
        ),
    )
    .await;
    tracing::info!(connection = %id, "connected");
    Ok(see_connection(record.id()))
}

async fn reconnect_quickbooks(
    ctx: &AdminContext,
    id: &ConnectionId,
    environment: &str,
    query: CallbackQuery,
) -> Result<Response, ConnectFailure> {
    let record = existing(ctx, id).await?;
    let (tokens, realm) = quickbooks_tokens(ctx, environment, query).await?;
    if record.connection.qbo_realm_id != realm {
        return Err(wrong_account(Side::Quickbooks, &record, realm));
    }
    ctx.vault.store_tokens(id, Side::Quickbooks, tokens).await?;
    reconnected(ctx, record, Side::Quickbooks).await
}

/// One side's new tokens are stored: the connection syncs again once both sides have tokens.
async fn reconnected(
    ctx: &AdminContext,
    record: ConnectionRecord,
    side: Side,
) -> Result<Response, ConnectFailure> {
    let record = lifecycle::after_reconnect(ctx, record).await?;
    audit::append(
        ctx,
        "connection.reconnect",
        Some(record.id()),
        format!("{side} reauthorized; status {:?}", record.status),
    )
    .await;
    Ok(see_connection(record.id()))
}

async fn existing(
    ctx: &AdminContext,
    id: &ConnectionId,
) -> Result<ConnectionRecord, ConnectFailure> {
    ctx.sync
        .store
        .get_connection(id)
        .await?
        .ok_or_else(|| ConnectFailure::NoConnection(id.clone()))
}

fn wrong_account(side: Side, record: &ConnectionRecord, got: String) -> ConnectFailure {
    let expected = match side {
        Side::Hubspot => record.connection.hubspot_portal_id.clone(),
        Side::Quickbooks => record.connection.qbo_realm_id.clone(),
    };
    ConnectFailure::WrongAccount {
        side,
        connection: record.id().clone(),
        expected,
        got,
    }
}

/// Removes the tokens a connection that was never completed had stored. A failure here is
/// logged (with the id only): the tokens are under an id no listing shows.
async fn discard(ctx: &AdminContext, id: &ConnectionId) {
    if let Err(error) = ctx.vault.delete_tokens(id).await {
        tracing::error!(connection = %id, %error, "could not remove the tokens of an unfinished connect flow");
    }
}

/// A new connection's id: `c-` and the UTC time it was created (so ids sort by age), plus
/// 16 random bits so two admins connecting in the same second get different ids.
fn new_connection_id(now: chrono::DateTime<chrono::Utc>) -> ConnectionId {
    let mut suffix = [0u8; 2];
    rand::rng().fill_bytes(&mut suffix);
    let id = format!("c-{}-{}", now.format("%Y%m%d-%H%M%S"), hex::encode(suffix));
    ConnectionId::new(id).expect("letters, digits and dashes are a valid connection id")
}

/// The end of a flow: a 303 to the connection's page (the browser sends the binding cookie
/// there; a reload of that page repeats nothing, unlike a reload of the callback).
fn see_connection(id: &ConnectionId) -> Response {
    let mut response = found(&format!("/connections/{id}"));
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}

/// A 302 to a vendor's consent page.
fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_sort_by_creation_time_and_are_valid() {
        let early = chrono::DateTime::parse_from_rfc3339("2026-12-07T03:15:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let late = early + chrono::Duration::seconds(1);
        let (a, b) = (new_connection_id(early), new_connection_id(late));
        assert!(a.as_str().starts_with("c-20261207-031500-"), "{a}");
        assert!(a < b);
    }
}

//! `GET|PUT /api/connections/{id}/settings`: the connection's settings in the shape of
//! `[settings]` in `hqsync.toml`, read, and replaced from JSON or TOML after validation.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};

use super::audit;
use super::connections::load_connection;
use super::context::AdminContext;
use super::error::ApiError;
use super::objects::forget_now;
use crate::model::customer_model::switch_refusal;
use crate::model::{ConnectionSettings, ObjectKind, SettingsError, SyncState};

/// The stored settings (as stored, even when they no longer validate, so they can be fixed).
pub async fn get(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionSettings>, ApiError> {
    let record = load_connection(&ctx, &id).await?;
    Ok(Json(record.connection.settings))
}

/// Replaces the settings with the body: JSON, or TOML with `Content-Type: application/toml`.
/// Validated by `ConnectionSettings::validate` (400 `{"error", "field"}`); a kind that becomes
/// `deleted` is forgotten at once, as `POST .../objects/{kind}/delete` does. Answers what is
/// stored.
pub async fn put(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ConnectionSettings>, ApiError> {
    let settings = parse_body(&headers, &body)?;
    let mut record = load_connection(&ctx, &id).await?;
    let (from, to) = (
        record.connection.settings.customers.model,
        settings.customers.model,
    );
    if from != to {
        let links = ctx
            .sync
            .store
            .list_links(record.id(), from.customer_kind())
            .await?
            .len();
        if let Some(refusal) = switch_refusal(from, to, links) {
            return Err(ApiError::Conflict(refusal));
        }
    }
    let before = std::mem::replace(&mut record.connection.settings, settings);
    ctx.sync.store.put_connection(&record).await?;
    let after = &record.connection.settings;
    let connection_id = record.id().clone();
    let mut forgotten = Vec::new();
    for kind in ObjectKind::ALL {
        if after.state(kind) == SyncState::Deleted && before.state(kind) != SyncState::Deleted {
            let (forgot, _) = forget_now(&ctx, &connection_id, kind).await?;
            forgotten.push(format!("{kind} ({} link(s))", forgot.links));
        }
    }
    let mut detail = format!("changed: {}", changed_sections(&before, after).join(", "));
    if !forgotten.is_empty() {
        detail.push_str(&format!("; forgot {}", forgotten.join(", ")));
    }
    audit::append(&ctx, "settings.update", Some(&connection_id), detail).await;
    Ok(Json(record.connection.settings))
}

/// Whether the request says its body is TOML.
fn is_toml(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/toml" || v == "text/toml")
}

/// The body as validated settings, or 400: with `field` when it parsed but is not valid,
/// with the parser's reason when it does not parse.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<ConnectionSettings, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::bad_request(format!("the settings are not UTF-8 text: {e}")))?;
    let parsed = if is_toml(headers) {
        ConnectionSettings::from_toml_str(text)
    } else {
        if text.trim().is_empty() {
            return Err(ApiError::bad_request(
                "send the settings as a JSON object (or TOML with Content-Type: application/toml); \
                 `{}` means all defaults",
            ));
        }
        ConnectionSettings::from_json_str(text)
    };
    parsed.map_err(|error| match &error {
        SettingsError::Invalid { at, .. } => ApiError::invalid_field(at.clone(), error.to_string()),
        SettingsError::Toml(_) | SettingsError::Json(_) => ApiError::bad_request(error.to_string()),
    })
}

/// The top-level tables that differ (ids and names only, for the audit log).
fn changed_sections(before: &ConnectionSettings, after: &ConnectionSettings) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if before.customers != after.customers {
        changed.push("customers");
    }
    if before.contact != after.contact {
        changed.push("contact");
    }
    if before.company != after.company {
        changed.push("company");
    }
    if before.product != after.product {
        changed.push("product");
    }
    if before.new_items != after.new_items {
        changed.push("new_items");
    }
    if before.invoices != after.invoices {
        changed.push("invoices");
    }
    if changed.is_empty() {
        changed.push("nothing");
    }
    changed
}

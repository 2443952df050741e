//! `GET /api/connections/{id}/fields/{kind}`: both sides' live fields of a kind (HubSpot
//! properties, QBO entity and custom fields) with types, and each mapping row's verdict.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::connection::{connection_of, kind_of};
use crate::admin::{AdminContext, ApiError};
use crate::engine::field_check::{PairVerdict, check_mappings};
use crate::model::{Compatibility, FieldType, ObjectKind, Side, compatibility};
use crate::ports::{GatewayError, LiveField};

/// One cell of the type matrix: a HubSpot type against a QBO type.
#[derive(Debug, Serialize)]
pub struct TypePair {
    pub hubspot_type: FieldType,
    pub qbo_type: FieldType,
    #[serde(flatten)]
    pub compatibility: Compatibility,
}

#[derive(Debug, Serialize)]
pub struct FieldsAnswer {
    pub kind: ObjectKind,
    pub hubspot: Vec<LiveField>,
    pub quickbooks: Vec<LiveField>,
    /// The kind's mapping rows (defaults and the settings' custom ones) against the live
    /// fields; empty for mirrored kinds, which have fixed properties.
    pub mappings: Vec<PairVerdict>,
    /// Every HubSpot type present against every QBO type present: what a new row may pair.
    pub type_compatibility: Vec<TypePair>,
}

fn types(fields: &[LiveField]) -> Vec<FieldType> {
    let mut types: Vec<FieldType> = fields.iter().map(|f| f.field_type).collect();
    types.sort();
    types.dedup();
    types
}

fn unavailable(side: Side, error: GatewayError) -> ApiError {
    ApiError::Unavailable(format!("reading the {side} fields failed: {error}"))
}

pub async fn fields(
    State(ctx): State<AdminContext>,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Json<FieldsAnswer>, ApiError> {
    let connection = connection_of(&ctx, &id).await?;
    let kind = kind_of(&kind)?;
    let pair = ctx
        .sync
        .gateways
        .gateways(&connection)
        .await
        .map_err(|e| ApiError::Unavailable(format!("the connection's gateways: {e}")))?;
    let hubspot = pair
        .side(Side::Hubspot)
        .list_fields(kind)
        .await
        .map_err(|e| unavailable(Side::Hubspot, e))?;
    let quickbooks = pair
        .side(Side::Quickbooks)
        .list_fields(kind)
        .await
        .map_err(|e| unavailable(Side::Quickbooks, e))?;
    let mappings = if kind.is_two_way() {
        check_mappings(
            kind,
            connection.connection.settings.object(kind),
            &hubspot,
            &quickbooks,
        )
        .map_err(|e| ApiError::invalid_field("settings", e.to_string()))?
    } else {
        Vec::new()
    };
    let qbo_types = types(&quickbooks);
    let type_compatibility = types(&hubspot)
        .into_iter()
        .flat_map(|h| {
            qbo_types.iter().map(move |q| TypePair {
                hubspot_type: h,
                qbo_type: *q,
                compatibility: compatibility(h, *q),
            })
        })
        .collect();
    Ok(Json(FieldsAnswer {
        kind,
        hubspot,
        quickbooks,
        mappings,
        type_compatibility,
    }))
}

//! What every operations route starts from: the connection of the path (404 when unknown),
//! and path names parsed with an error naming the field.

use crate::admin::{AdminContext, ApiError};
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::ConnectionRecord;

/// The stored connection `raw`, or 404.
pub async fn connection_of(ctx: &AdminContext, raw: &str) -> Result<ConnectionRecord, ApiError> {
    let id =
        ConnectionId::new(raw).map_err(|_| ApiError::NotFound(format!("no connection {raw:?}")))?;
    ctx.sync
        .store
        .get_connection(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no connection {id}")))
}

pub fn kind_of(raw: &str) -> Result<ObjectKind, ApiError> {
    raw.parse()
        .map_err(|e: crate::model::UnknownName| ApiError::invalid_field("kind", e.to_string()))
}

pub fn side_of(raw: &str) -> Result<Side, ApiError> {
    raw.parse()
        .map_err(|e: crate::model::UnknownName| ApiError::invalid_field("side", e.to_string()))
}

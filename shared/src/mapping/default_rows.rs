//! The default mapping tables, one row per field, as each kind's descriptor lists them
//! (`model::kinds`): HubSpot contact ⇄ QBO Customer, HubSpot product ⇄ QBO Item.

use crate::model::{ObjectKind, descriptor};

pub use crate::model::kinds::DefaultRow;

/// The default rows of `kind` (none for the mirrored kinds).
pub fn default_rows(kind: ObjectKind) -> &'static [DefaultRow] {
    descriptor(kind).default_rows
}

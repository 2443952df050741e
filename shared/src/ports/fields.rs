//! The `FieldCatalog` port: the fields one vendor offers for a kind, read live (HubSpot
//! properties incl. custom ones; QBO entity fields incl. custom fields) with their types.

use async_trait::async_trait;
use serde::Serialize;

use super::GatewayError;
use crate::model::{FieldType, ObjectKind};

/// One field a mapping may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveField {
    /// What a mapping row names: a HubSpot property name, a dotted QBO field path, or a QBO
    /// custom field as `CustomField.{DefinitionId}`.
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The vendor's own type words (HubSpot `type/fieldType`, QBO JSON type).
    pub vendor_type: String,
    /// Created by the account (HubSpot custom property, QBO custom field), not the vendor.
    pub custom: bool,
    /// Only the vendor writes it (calculated and system properties).
    pub read_only: bool,
    /// Whether a mapping row may name it today (QBO custom fields are listed, not mappable).
    pub mappable: bool,
    /// Option values of an enumeration.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// The live field list of a vendor, per kind.
#[async_trait]
pub trait FieldCatalog: Send + Sync {
    async fn list_fields(&self, kind: ObjectKind) -> Result<Vec<LiveField>, GatewayError>;
}

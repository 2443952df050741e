//! HubSpot's live fields: the properties API's definitions of the kind's object type, custom
//! ones included (docs/hubspot.md §4), typed for the mapping compatibility verdict.

use async_trait::async_trait;

use super::{HubspotGateway, gateway_error, object_type};
use crate::hubspot::properties::PropertyDefinition;
use crate::model::{FieldType, ObjectKind};
use crate::ports::{FieldCatalog, GatewayError, LiveField};

/// One property definition as a live field of `kind`.
pub(crate) fn live_field(kind: ObjectKind, p: PropertyDefinition) -> LiveField {
    let read_only = p.calculated.unwrap_or(false)
        || p.modification_metadata
            .as_ref()
            .is_some_and(|m| m.read_only_value);
    LiveField {
        field_type: FieldType::from_hubspot(&p.kind),
        vendor_type: format!("{}/{}", p.kind, p.field_type),
        // Absent on some answers: only a definite `false` marks the account's own property.
        custom: p.hubspot_defined == Some(false),
        read_only,
        mappable: kind.is_two_way() && !read_only,
        options: p.options.into_iter().map(|o| o.value).collect(),
        label: p.label,
        name: p.name,
    }
}

#[async_trait]
impl FieldCatalog for HubspotGateway {
    async fn list_fields(&self, kind: ObjectKind) -> Result<Vec<LiveField>, GatewayError> {
        let mut fields: Vec<LiveField> = self
            .client
            .list_properties(object_type(kind))
            .await
            .map_err(gateway_error)?
            .into_iter()
            .map(|p| live_field(kind, p))
            .collect();
        fields.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_and_read_only_properties_are_told_apart() {
        let read = |json: &str| -> PropertyDefinition { serde_json::from_str(json).unwrap() };
        let custom = live_field(
            ObjectKind::Contact,
            read(
                r#"{"name":"tier","label":"Tier","type":"enumeration","fieldType":"select","groupName":"g",
                    "options":[{"label":"Gold","value":"gold"}],"hubspotDefined":false,
                    "modificationMetadata":{"readOnlyValue":false}}"#,
            ),
        );
        assert!(custom.custom && custom.mappable && !custom.read_only);
        assert_eq!(custom.field_type, FieldType::Enumeration);
        assert_eq!(custom.options, ["gold"]);
        assert_eq!(custom.vendor_type, "enumeration/select");
        let system = live_field(
            ObjectKind::Contact,
            read(
                r#"{"name":"hs_object_id","label":"Record ID","type":"number","fieldType":"number","groupName":"g",
                    "hubspotDefined":true,"modificationMetadata":{"readOnlyValue":true}}"#,
            ),
        );
        assert!(!system.custom && system.read_only && !system.mappable);
        let mirrored = live_field(
            ObjectKind::Invoice,
            read(r#"{"name":"x","label":"X","type":"string","fieldType":"text","groupName":"g"}"#),
        );
        assert!(!mirrored.mappable, "mirrored kinds have no mappings");
        assert!(!mirrored.custom, "unknown origin is not called custom");
    }
}

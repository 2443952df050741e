//! Mapping rows checked against both sides' live fields: each row's pair of fields with its
//! compatibility verdict (a missing or read-only field is incompatible). Pure, so the settings
//! validator and the admin API's fields route share it.

use serde::Serialize;

use crate::mapping::MappingSet;
use crate::model::{
    Compatibility, Direction, FieldType, ObjectKind, ObjectSettings, SettingsError, Side,
    TransformKind, mapping_compatibility,
};
use crate::ports::LiveField;

/// One mapping row and what the live fields say about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairVerdict {
    pub hubspot_property: String,
    pub qbo_field: String,
    pub transform: TransformKind,
    pub direction: Direction,
    /// A row of the settings' `custom_mappings` (or a default row they override).
    pub custom: bool,
    /// The live types, when the field exists.
    pub hubspot_type: Option<FieldType>,
    pub qbo_type: Option<FieldType>,
    #[serde(flatten)]
    pub compatibility: Compatibility,
}

/// Every mapping row of `kind` under `settings`, judged against the live fields.
pub fn check_mappings(
    kind: ObjectKind,
    settings: &ObjectSettings,
    hubspot: &[LiveField],
    qbo: &[LiveField],
) -> Result<Vec<PairVerdict>, SettingsError> {
    let mappings = MappingSet::build(kind, settings)?;
    // Derived rows have no HubSpot property to check (docs/admin.md §6).
    Ok(mappings
        .mapped_rows()
        .map(|row| {
            let hubspot_field = hubspot.iter().find(|f| f.name == row.hubspot_property);
            let qbo_field = qbo.iter().find(|f| f.name == row.qbo_field.path);
            let transform = row.transform.kind();
            let compatibility = match (hubspot_field, qbo_field) {
                (None, _) => Compatibility::Incompatible {
                    reason: format!("HubSpot has no {kind} property {:?}", row.hubspot_property),
                },
                (_, None) => Compatibility::Incompatible {
                    reason: format!("QBO has no field {:?}", row.qbo_field.path),
                },
                (Some(h), Some(_)) if h.read_only && row.direction.writes_to(Side::Hubspot) => {
                    Compatibility::Incompatible {
                        reason: format!(
                            "HubSpot property {:?} is read-only: only HubSpot writes it, so the \
                             row can only sync to_quickbooks",
                            h.name
                        ),
                    }
                }
                (Some(h), Some(q)) => mapping_compatibility(transform, h.field_type, q.field_type),
            };
            PairVerdict {
                hubspot_property: row.hubspot_property.clone(),
                qbo_field: row.qbo_field.path.to_owned(),
                transform,
                direction: row.direction,
                custom: row.custom,
                hubspot_type: hubspot_field.map(|f| f.field_type),
                qbo_type: qbo_field.map(|f| f.field_type),
                compatibility,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CustomMapping;

    fn field(name: &str, field_type: FieldType, read_only: bool) -> LiveField {
        LiveField {
            name: name.into(),
            label: name.into(),
            field_type,
            vendor_type: String::new(),
            custom: false,
            read_only,
            mappable: !read_only,
            options: Vec::new(),
        }
    }

    #[test]
    fn rows_are_judged_by_the_live_types_and_missing_or_read_only_fields_fail() {
        let mut settings = ObjectSettings::default();
        settings.custom_mappings.push(CustomMapping {
            hubspot_property: "seats".into(),
            qbo_field: "Notes".into(),
            transform: TransformKind::Number,
            direction: Direction::TwoWay,
            values: Default::default(),
        });
        let hubspot = vec![
            field("email", FieldType::Text, false),
            field("firstname", FieldType::Text, false),
            field("phone", FieldType::Phone, false),
            field("seats", FieldType::Number, true),
        ];
        let qbo = vec![
            field("PrimaryEmailAddr.Address", FieldType::Text, false),
            field("GivenName", FieldType::Text, false),
            field("PrimaryPhone.FreeFormNumber", FieldType::Text, false),
            field("Notes", FieldType::Text, false),
        ];
        let verdicts = check_mappings(ObjectKind::Contact, &settings, &hubspot, &qbo).unwrap();
        let of = |p: &str| verdicts.iter().find(|v| v.hubspot_property == p).unwrap();
        assert_eq!(of("email").compatibility, Compatibility::Compatible);
        assert_eq!(of("phone").compatibility, Compatibility::Compatible);
        let Compatibility::Incompatible { reason } = &of("lastname").compatibility else {
            panic!("{:?}", of("lastname"));
        };
        assert!(reason.contains("no contact property"), "{reason}");
        let seats = of("seats");
        assert!(seats.custom);
        let Compatibility::Incompatible { reason } = &seats.compatibility else {
            panic!("{seats:?}");
        };
        assert!(reason.contains("read-only"), "{reason}");
        assert_eq!(seats.hubspot_type, Some(FieldType::Number));
        let wire = serde_json::to_value(of("email")).unwrap();
        assert_eq!(wire["verdict"], "compatible");
        assert_eq!(wire["transform"], "email");
    }
}

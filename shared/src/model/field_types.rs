//! Field types of both vendors in one vocabulary, and the pure compatibility verdict of a
//! HubSpot field and a QBO field (and of a mapping row's transform) that mappings are checked by.

use serde::{Deserialize, Serialize};

use super::settings::TransformKind;

/// A field's value type, whichever vendor it lives on (HubSpot property `type`s,
/// docs/hubspot.md §4; QBO JSON types, docs/quickbooks.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    /// A number (HubSpot `number`; QBO decimal amounts and quantities).
    Number,
    Bool,
    Date,
    Datetime,
    /// A value from a fixed option list (HubSpot `enumeration`).
    Enumeration,
    Phone,
}

impl FieldType {
    /// A HubSpot property `type` (`string`, `number`, `bool`, `date`, `datetime`,
    /// `enumeration`, `phone_number`); unknown types read as text.
    pub fn from_hubspot(property_type: &str) -> Self {
        match property_type {
            "number" => FieldType::Number,
            "bool" => FieldType::Bool,
            "date" => FieldType::Date,
            "datetime" => FieldType::Datetime,
            "enumeration" => FieldType::Enumeration,
            "phone_number" => FieldType::Phone,
            _ => FieldType::Text,
        }
    }
}

/// Whether values of one field can be kept in the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Compatibility {
    /// Every value converts both ways unchanged.
    Compatible,
    /// Values convert, but some may be refused or lose detail; `note` says which.
    Lossy { note: String },
    /// No value of one can be kept in the other; `reason` says why.
    Incompatible { reason: String },
}

impl Compatibility {
    pub fn is_incompatible(&self) -> bool {
        matches!(self, Compatibility::Incompatible { .. })
    }

    fn lossy(note: &str) -> Self {
        Compatibility::Lossy {
            note: note.to_owned(),
        }
    }

    fn incompatible(reason: String) -> Self {
        Compatibility::Incompatible { reason }
    }
}

fn name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text => "text",
        FieldType::Number => "number",
        FieldType::Bool => "bool",
        FieldType::Date => "date",
        FieldType::Datetime => "datetime",
        FieldType::Enumeration => "enumeration",
        FieldType::Phone => "phone",
    }
}

/// Whether a HubSpot field of type `hubspot` and a QBO field of type `qbo` can be mapped to
/// each other, whatever the transform.
pub fn compatibility(hubspot: FieldType, qbo: FieldType) -> Compatibility {
    use FieldType as F;
    match (hubspot, qbo) {
        (a, b) if a == b => Compatibility::Compatible,
        (F::Text | F::Phone, F::Text | F::Phone) => Compatibility::Compatible,
        (F::Enumeration, F::Text) => Compatibility::lossy(
            "HubSpot takes only its option values: map them with an `enumeration` transform",
        ),
        (F::Text, F::Enumeration) => Compatibility::lossy(
            "QBO text becomes a HubSpot option only when it is one of the property's options",
        ),
        (F::Date, F::Datetime) | (F::Datetime, F::Date) => {
            Compatibility::lossy("the time of day is dropped when a date-time becomes a date")
        }
        (F::Number | F::Bool | F::Date | F::Datetime, F::Text) => {
            Compatibility::lossy("text that does not read as the HubSpot type is refused")
        }
        (F::Text, F::Number | F::Bool | F::Date) => {
            Compatibility::lossy("HubSpot text that does not read as the QBO type is refused")
        }
        (a, b) => Compatibility::incompatible(format!(
            "a HubSpot {} field cannot hold a QBO {} field's values",
            name(a),
            name(b)
        )),
    }
}

/// The field types a transform reads and writes on either side.
fn transform_accepts(transform: TransformKind, ty: FieldType) -> bool {
    use FieldType as F;
    use TransformKind as T;
    match transform {
        // Every value has a text form.
        T::Text => true,
        T::Email => matches!(ty, F::Text),
        T::Phone => matches!(ty, F::Text | F::Phone),
        T::Number | T::Decimal => matches!(ty, F::Number | F::Text),
        T::Date => matches!(ty, F::Date | F::Datetime | F::Text),
        T::Boolean => matches!(ty, F::Bool | F::Text | F::Enumeration),
        T::Enumeration => matches!(ty, F::Enumeration | F::Text | F::Bool),
    }
}

/// The verdict for a mapping row: HubSpot field of type `hubspot` ⇄ QBO field of type `qbo`
/// through `transform`. Incompatible when the transform cannot read or write either field;
/// otherwise the fields' own [`compatibility`].
pub fn mapping_compatibility(
    transform: TransformKind,
    hubspot: FieldType,
    qbo: FieldType,
) -> Compatibility {
    for (side, ty) in [("HubSpot", hubspot), ("QBO", qbo)] {
        if !transform_accepts(transform, ty) {
            return Compatibility::incompatible(format!(
                "the {} transform cannot read or write the {side} field's {} values",
                serde_json::to_value(transform)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                name(ty)
            ));
        }
    }
    compatibility(hubspot, qbo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use FieldType as F;

    #[test]
    fn same_types_and_text_like_pairs_are_compatible_others_lossy_or_not_at_all() {
        assert_eq!(
            compatibility(F::Number, F::Number),
            Compatibility::Compatible
        );
        assert_eq!(compatibility(F::Phone, F::Text), Compatibility::Compatible);
        assert!(matches!(
            compatibility(F::Enumeration, F::Text),
            Compatibility::Lossy { .. }
        ));
        assert!(matches!(
            compatibility(F::Datetime, F::Date),
            Compatibility::Lossy { .. }
        ));
        let no = compatibility(F::Bool, F::Date);
        assert!(no.is_incompatible(), "{no:?}");
        let Compatibility::Incompatible { reason } = compatibility(F::Number, F::Bool) else {
            panic!("number and bool");
        };
        assert!(
            reason.contains("number") && reason.contains("bool"),
            "{reason}"
        );
    }

    #[test]
    fn a_mapping_row_is_judged_by_its_transform_then_by_its_fields() {
        assert_eq!(
            mapping_compatibility(TransformKind::Decimal, F::Number, F::Number),
            Compatibility::Compatible
        );
        let wrong = mapping_compatibility(TransformKind::Boolean, F::Bool, F::Number);
        let Compatibility::Incompatible { reason } = wrong else {
            panic!("{wrong:?}");
        };
        assert!(
            reason.contains("boolean") && reason.contains("QBO"),
            "{reason}"
        );
        assert!(mapping_compatibility(TransformKind::Email, F::Number, F::Text).is_incompatible());
        assert!(matches!(
            mapping_compatibility(TransformKind::Enumeration, F::Enumeration, F::Text),
            Compatibility::Lossy { .. }
        ));
        assert_eq!(FieldType::from_hubspot("phone_number"), F::Phone);
        assert_eq!(FieldType::from_hubspot("something_new"), F::Text);
        let wire = serde_json::to_value(compatibility(F::Bool, F::Date)).unwrap();
        assert_eq!(wire["verdict"], "incompatible");
    }
}

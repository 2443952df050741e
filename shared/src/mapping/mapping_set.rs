//! A kind's effective mapping: the default rows plus the connection's validated custom rows, and
//! the conversions native <-> canonical per side and the record's match keys derived from them.

use serde_json::Value;
use std::collections::BTreeSet;

use super::default_rows::default_rows;
use super::match_key::MatchKey;
use super::qbo_fields::{QboField, cannot_clear, forbids_separators, qbo_field, qbo_fields};
use super::transform::{Transform, TransformError};
use crate::model::{
    CanonicalValue, CanonicalValues, Direction, MatchForm, NativeValues, ObjectKind,
    ObjectSettings, Record, SettingsError, Side, TransformKind, descriptor,
};

/// One mapping row, ready to use.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMapping {
    /// Canonical field name: the HubSpot property name.
    pub field: String,
    pub hubspot_property: String,
    pub qbo_field: &'static QboField,
    pub transform: Transform,
    /// Row direction narrowed by the object kind's direction.
    pub direction: Direction,
    /// Rank among match keys (1 first); `None` = not a match key.
    pub match_rank: Option<u8>,
    /// How a match key's value is normalised (a domain for `domain` ⇄ `WebAddr.URI`).
    pub match_form: MatchForm,
    pub custom: bool,
    /// A value the HubSpot gateway derives rather than a HubSpot property (the kind's
    /// `derived_rows`): one-way to QBO, and an absent value leaves QBO's alone.
    pub derived: bool,
}

impl FieldMapping {
    /// The native key of this row on `side` (property name or QBO field path).
    pub fn native_key(&self, side: Side) -> &str {
        match side {
            Side::Hubspot => &self.hubspot_property,
            Side::Quickbooks => self.qbo_field.path,
        }
    }

    /// Native -> canonical for this row, reading `values` of `side`.
    pub fn read(
        &self,
        side: Side,
        values: &NativeValues,
    ) -> Result<Option<CanonicalValue>, TransformError> {
        self.transform
            .to_canonical(side, values.get(self.native_key(side)))
    }

    /// Whether `a` and `b` are the same value of this row. Besides equal values, "no value"
    /// equals what QBO reads back for an unset field of this row's type (amount 0, flag
    /// false): QBO cannot hold "no value" there, so HubSpot's empty property and QBO's 0 are
    /// one state, and telling them apart would copy a 0 to HubSpot after every create.
    pub fn same_value(&self, a: Option<&CanonicalValue>, b: Option<&CanonicalValue>) -> bool {
        let unset = self.qbo_field.ty.unset_value();
        let settle = |v: Option<&CanonicalValue>| v.or(unset.as_ref()).cloned();
        a == b || settle(a) == settle(b)
    }

    /// Canonical -> native for this row on `side`, checked against QBO's limits.
    pub fn write(
        &self,
        side: Side,
        value: Option<&CanonicalValue>,
    ) -> Result<Value, TransformError> {
        if side == Side::Quickbooks && value.is_none() && cannot_clear(self.qbo_field.path) {
            return Err(TransformError::Required);
        }
        let native = self.transform.to_native(side, self.qbo_field.ty, value)?;
        if side == Side::Quickbooks
            && let Value::String(text) = &native
        {
            let len = text.chars().count();
            if let Some(max) = self.qbo_field.max_len
                && len > max
            {
                return Err(TransformError::TooLong { len, max });
            }
            // NUL and the other C0 controls (tab and line breaks aside) are refused by QBO
            // (docs/quickbooks.md §4.1): keep the field out rather than fail the whole write.
            if let Some(c) = text
                .chars()
                .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r') && (*c as u32) < 0x80)
            {
                return Err(TransformError::ControlCharacter { code: c as u32 });
            }
            if forbids_separators(self.qbo_field.path) && text.contains([':', '\t', '\n', '\r']) {
                return Err(TransformError::ForbiddenCharacter);
            }
            // QBO rejects an email without '@' and '.' (docs/quickbooks.md §4.1, code 2210 per
            // a third-party KB): keep such a value out of QBO rather than fail the whole write.
            if self.transform.kind() == TransformKind::Email
                && !(text.contains('@') && text.contains('.'))
            {
                return Err(TransformError::InvalidEmail {
                    value: text.clone(),
                });
            }
        }
        Ok(native)
    }
}

/// A field whose value could not be converted; the field is left alone and this is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    /// The side whose value could not be read, or could not be written.
    pub side: Side,
    pub error: TransformError,
}

/// Canonical values read from one record, plus the fields that could not be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Canonicalized {
    pub values: CanonicalValues,
    pub problems: Vec<FieldProblem>,
}

/// Re-ranks the default rows' match keys in `match_on`'s order (empty: the kind's order). Each
/// name must be a default row's HubSpot property, once; `[company] match_on = ["domain"]`
/// matches companies on their domain only.
fn rank_match_keys(
    kind: ObjectKind,
    match_on: &[String],
    rows: &mut [FieldMapping],
) -> Result<(), SettingsError> {
    if match_on.is_empty() {
        return Ok(());
    }
    let at = format!("{kind}.match_on");
    for (i, name) in match_on.iter().enumerate() {
        if match_on[..i].contains(name) {
            return Err(SettingsError::invalid(
                &at,
                format!("{name:?} is listed twice"),
            ));
        }
        if !rows.iter().any(|r| &r.hubspot_property == name) {
            let known: Vec<&str> = rows.iter().map(|r| r.hubspot_property.as_str()).collect();
            return Err(SettingsError::invalid(
                &at,
                format!(
                    "{name:?} is not a default {kind} mapping; match on one of: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    for row in rows.iter_mut() {
        row.match_rank = match_on
            .iter()
            .position(|name| name == &row.hubspot_property)
            .map(|i| i as u8 + 1);
    }
    Ok(())
}

/// The effective mapping rows of one object kind for one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingSet {
    kind: ObjectKind,
    rows: Vec<FieldMapping>,
}

impl MappingSet {
    /// The default rows only, two-way.
    pub fn defaults(kind: ObjectKind) -> Self {
        Self::build(kind, &ObjectSettings::default()).expect("the default rows are valid")
    }

    /// Default rows plus `settings.custom_mappings`, validated: QBO paths must exist on the
    /// kind's entity, transforms must fit the field's type, nothing may be mapped twice (a
    /// custom row repeating a default row's exact pair overrides its transform and direction),
    /// and conflict overrides must name mapped fields.
    pub fn build(kind: ObjectKind, settings: &ObjectSettings) -> Result<Self, SettingsError> {
        let mut rows = Vec::new();
        for row in default_rows(kind) {
            rows.push(FieldMapping {
                field: row.hubspot_property.to_owned(),
                hubspot_property: row.hubspot_property.to_owned(),
                qbo_field: qbo_field(kind, row.qbo_field)
                    .expect("default rows use known QBO fields"),
                transform: Transform::simple(row.transform),
                direction: settings.direction,
                match_rank: row.match_rank,
                match_form: row.match_form,
                custom: false,
                derived: false,
            });
        }
        rank_match_keys(kind, &settings.match_on, &mut rows)?;
        let entity = kind.vendor_name(Side::Quickbooks);
        for (i, custom) in settings.custom_mappings.iter().enumerate() {
            let at = format!("{kind}.custom_mappings[{i}]");
            let invalid = |field: &str, reason: String| {
                SettingsError::invalid(format!("{at}.{field}"), reason)
            };
            let Some(field) = qbo_field(kind, &custom.qbo_field) else {
                let known: Vec<&str> = qbo_fields(kind).iter().map(|f| f.path).collect();
                return Err(invalid(
                    "qbo_field",
                    format!(
                        "unknown QBO {entity} field path {:?}; writable paths are: {}",
                        custom.qbo_field,
                        known.join(", ")
                    ),
                ));
            };
            let transform = Transform::new(custom.transform, custom.values.clone());
            if !transform.fits_qbo(field.ty) {
                return Err(invalid(
                    "transform",
                    format!(
                        "transform {:?} cannot write QBO {entity}.{} (a {:?} field)",
                        custom.transform, field.path, field.ty
                    ),
                ));
            }
            let Some(direction) = custom.direction.intersect(settings.direction) else {
                return Err(invalid(
                    "direction",
                    format!(
                        "direction {:?} contradicts the {kind} direction {:?}",
                        custom.direction, settings.direction
                    ),
                ));
            };
            // A custom row naming exactly a default row's pair overrides its transform and
            // direction (e.g. make `phone` one-way); it stays a match key if it was one.
            if let Some(default) = rows.iter_mut().find(|r| {
                !r.custom
                    && r.hubspot_property == custom.hubspot_property
                    && r.qbo_field.path == field.path
            }) {
                default.transform = transform;
                default.direction = direction;
                default.custom = true;
                continue;
            }
            if let Some(taken) = rows
                .iter()
                .find(|r| r.hubspot_property == custom.hubspot_property)
            {
                return Err(invalid(
                    "hubspot_property",
                    format!(
                        "HubSpot property {:?} is already mapped (to {})",
                        custom.hubspot_property, taken.qbo_field.path
                    ),
                ));
            }
            if let Some(taken) = rows.iter().find(|r| r.qbo_field.path == field.path) {
                return Err(invalid(
                    "qbo_field",
                    format!(
                        "QBO field {} is already mapped (to HubSpot property {:?})",
                        field.path, taken.hubspot_property
                    ),
                ));
            }
            rows.push(FieldMapping {
                field: custom.hubspot_property.clone(),
                hubspot_property: custom.hubspot_property.clone(),
                qbo_field: field,
                transform,
                direction,
                match_rank: None,
                match_form: MatchForm::Text,
                custom: true,
                derived: false,
            });
        }
        // Derived rows last, where no row writes their QBO field and the kind writes to QBO
        // (docs/admin.md §6: the company mapping's own e-mail comes first).
        if let Some(direction) = Direction::ToQuickbooks.intersect(settings.direction) {
            for derived in descriptor(kind).derived_rows {
                if rows.iter().any(|r| r.qbo_field.path == derived.qbo_field) {
                    continue;
                }
                rows.push(FieldMapping {
                    field: derived.hubspot_property.to_owned(),
                    hubspot_property: derived.hubspot_property.to_owned(),
                    qbo_field: qbo_field(kind, derived.qbo_field)
                        .expect("derived rows use known QBO fields"),
                    transform: Transform::simple(derived.transform),
                    direction,
                    match_rank: None,
                    match_form: MatchForm::Text,
                    custom: false,
                    derived: true,
                });
            }
        }
        let set = Self { kind, rows };
        for field in settings.conflict.per_field.keys() {
            if set.row(field).is_none() {
                return Err(SettingsError::invalid(
                    format!("{kind}.conflict.per_field.{field}"),
                    format!(
                        "{field:?} is not a mapped field; mapped: {}",
                        set.field_names().join(", ")
                    ),
                ));
            }
        }
        Ok(set)
    }

    pub fn kind(&self) -> ObjectKind {
        self.kind
    }

    pub fn rows(&self) -> &[FieldMapping] {
        &self.rows
    }

    pub fn row(&self, field: &str) -> Option<&FieldMapping> {
        self.rows.iter().find(|r| r.field == field)
    }

    pub fn field_names(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r.field.as_str()).collect()
    }

    /// The native keys a gateway must read on `side` (HubSpot properties / QBO paths); a
    /// derived row has no HubSpot property to read.
    pub fn native_keys(&self, side: Side) -> BTreeSet<&str> {
        self.rows
            .iter()
            .filter(|r| !(r.derived && side == Side::Hubspot))
            .map(|r| r.native_key(side))
            .collect()
    }

    /// The rows a person maps (default and custom), without the derived ones.
    pub fn mapped_rows(&self) -> impl Iterator<Item = &FieldMapping> {
        self.rows.iter().filter(|r| !r.derived)
    }

    /// Whether the HubSpot gateway must derive `property` for this kind's records.
    pub fn derives(&self, property: &str) -> bool {
        self.rows
            .iter()
            .any(|r| r.derived && r.hubspot_property == property)
    }

    /// Native values of `side` -> canonical values; unreadable fields are reported, not guessed.
    pub fn to_canonical(&self, side: Side, native: &NativeValues) -> Canonicalized {
        let mut out = Canonicalized::default();
        for row in &self.rows {
            match row.read(side, native) {
                Ok(Some(value)) => {
                    out.values.insert(row.field.clone(), value);
                }
                Ok(None) => {}
                Err(error) => out.problems.push(FieldProblem {
                    field: row.field.clone(),
                    side,
                    error,
                }),
            }
        }
        out
    }

    /// Canonical values -> native values for `side`, for the rows whose direction allows
    /// writing to `side`. Fields absent from `canonical` become `null` (clear) only when
    /// `include_clears` is set (updates); creates leave them out.
    pub fn to_native(
        &self,
        side: Side,
        canonical: &CanonicalValues,
        include_clears: bool,
    ) -> (NativeValues, Vec<FieldProblem>) {
        let mut native = NativeValues::new();
        let mut problems = Vec::new();
        for row in self.rows.iter().filter(|r| r.direction.writes_to(side)) {
            let value = canonical.get(&row.field);
            if value.is_none() && !include_clears {
                continue;
            }
            match row.write(side, value) {
                Ok(v) => {
                    native.insert(row.native_key(side).to_owned(), v);
                }
                Err(error) => problems.push(FieldProblem {
                    field: row.field.clone(),
                    side,
                    error,
                }),
            }
        }
        (native, problems)
    }

    /// The match keys present in `canonical`, strongest first.
    pub fn match_keys(&self, canonical: &CanonicalValues) -> Vec<MatchKey> {
        let mut keys: Vec<MatchKey> = self
            .rows
            .iter()
            .filter_map(|row| {
                let rank = row.match_rank?;
                MatchKey::of_form(
                    row.field.clone(),
                    &canonical.get(&row.field)?.as_text(),
                    rank,
                    row.match_form,
                )
            })
            .collect();
        keys.sort_by_key(|k| k.rank);
        keys
    }

    /// The match key fields of this kind, strongest first.
    pub fn match_fields(&self) -> Vec<&str> {
        let mut rows: Vec<&FieldMapping> = self
            .rows
            .iter()
            .filter(|r| r.match_rank.is_some())
            .collect();
        rows.sort_by_key(|r| r.match_rank);
        rows.into_iter().map(|r| r.field.as_str()).collect()
    }

    /// Match keys of a record read from either side.
    pub fn record_match_keys(&self, record: &Record) -> Vec<MatchKey> {
        self.match_keys(&self.to_canonical(record.side, &record.values).values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConnectionSettings, CustomMapping, TransformKind};
    use serde_json::json;

    fn native(pairs: &[(&str, Value)]) -> NativeValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn default_contact_rows_read_both_sides_to_the_same_canonical_values() {
        let set = MappingSet::defaults(ObjectKind::Contact);
        let hubspot = native(&[
            ("email", json!("Ada@Analytical.example ")),
            ("firstname", json!("Ada")),
            ("phone", json!("(415) 555-0100")),
            ("zip", json!("")),
        ]);
        let qbo = native(&[
            ("PrimaryEmailAddr.Address", json!("ada@analytical.example")),
            ("GivenName", json!("Ada")),
            ("PrimaryPhone.FreeFormNumber", json!("+1 415 555 0100")),
            ("DisplayName", json!("Ada")),
        ]);
        let from_hubspot = set.to_canonical(Side::Hubspot, &hubspot);
        let from_qbo = set.to_canonical(Side::Quickbooks, &qbo);
        assert!(from_hubspot.problems.is_empty() && from_qbo.problems.is_empty());
        assert_eq!(from_hubspot.values, from_qbo.values);
        assert_eq!(from_hubspot.values.len(), 3);
        assert_eq!(
            set.match_keys(&from_qbo.values),
            vec![MatchKey::new("email", "ada@analytical.example", 1).unwrap()]
        );
    }

    #[test]
    fn match_on_reorders_and_narrows_the_match_keys() {
        assert_eq!(
            MappingSet::defaults(ObjectKind::Company).match_fields(),
            ["name", "domain"]
        );
        let settings = ObjectSettings {
            match_on: vec!["domain".into()],
            ..ObjectSettings::default()
        };
        let set = MappingSet::build(ObjectKind::Company, &settings).unwrap();
        assert_eq!(set.match_fields(), ["domain"]);
        let reversed = ObjectSettings {
            match_on: vec!["domain".into(), "name".into()],
            ..ObjectSettings::default()
        };
        let set = MappingSet::build(ObjectKind::Company, &reversed).unwrap();
        assert_eq!(set.match_fields(), ["domain", "name"]);
    }

    #[test]
    fn product_rows_write_typed_qbo_values_and_have_two_ranked_match_keys() {
        let set = MappingSet::defaults(ObjectKind::Product);
        let canonical = set
            .to_canonical(
                Side::Hubspot,
                &native(&[
                    ("hs_sku", json!("CONS-1")),
                    ("name", json!("Consulting Hour")),
                    ("price", json!("150.00")),
                ]),
            )
            .values;
        let (qbo, problems) = set.to_native(Side::Quickbooks, &canonical, false);
        assert!(problems.is_empty());
        assert_eq!(qbo["UnitPrice"].to_string(), "150");
        assert_eq!(qbo["Sku"], json!("CONS-1"));
        assert!(!qbo.contains_key("Description"));
        let (with_clears, _) = set.to_native(Side::Quickbooks, &canonical, true);
        assert_eq!(with_clears["Description"], Value::Null);
        // An item's Name is required: clearing it is a problem, not a write.
        let (cleared, problems) = set.to_native(Side::Quickbooks, &CanonicalValues::new(), true);
        assert!(!cleared.contains_key("Name") && cleared.contains_key("Sku"));
        assert_eq!(problems.len(), 1);
        assert_eq!(
            (problems[0].field.as_str(), &problems[0].error),
            ("name", &TransformError::Required)
        );
        let keys = set.match_keys(&canonical);
        assert_eq!(
            keys.iter().map(|k| k.field.as_str()).collect::<Vec<_>>(),
            ["hs_sku", "name"]
        );
        assert_eq!(keys[0].value, "cons-1");
    }

    #[test]
    fn qbo_limits_become_field_problems_not_writes() {
        let set = MappingSet::defaults(ObjectKind::Contact);
        let canonical: CanonicalValues = [
            (
                "firstname".to_owned(),
                CanonicalValue::text("Ada: the first").unwrap(),
            ),
            (
                "zip".to_owned(),
                CanonicalValue::text(&"9".repeat(31)).unwrap(),
            ),
            ("city".to_owned(), CanonicalValue::text("London").unwrap()),
            (
                "company".to_owned(),
                CanonicalValue::text("Analytical\u{0}Engines").unwrap(),
            ),
        ]
        .into();
        let (qbo, problems) = set.to_native(Side::Quickbooks, &canonical, false);
        assert_eq!(qbo.keys().collect::<Vec<_>>(), ["BillAddr.City"]);
        let errors: Vec<_> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.error.clone()))
            .collect();
        assert!(errors.contains(&("firstname", TransformError::ForbiddenCharacter)));
        assert!(errors.contains(&("zip", TransformError::TooLong { len: 31, max: 30 })));
        assert!(errors.contains(&("company", TransformError::ControlCharacter { code: 0 })));
        let bad_email: CanonicalValues = [(
            "email".to_owned(),
            CanonicalValue::email("ada at home").unwrap(),
        )]
        .into();
        let (qbo, problems) = set.to_native(Side::Quickbooks, &bad_email, false);
        assert!(qbo.is_empty());
        assert!(matches!(
            problems[0].error,
            TransformError::InvalidEmail { .. }
        ));
        assert!(
            !problems[0].error.to_string().contains("ada at home"),
            "the message never holds the value"
        );
        // HubSpot has no such limits.
        assert_eq!(set.to_native(Side::Hubspot, &canonical, false).1, vec![]);
    }

    #[test]
    fn every_default_row_round_trips_between_the_vendor_forms() {
        use ObjectKind::{Contact, Product};
        let number = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        // (kind, field, the HubSpot form, the QBO form) of one value as each vendor shows it.
        let cases = [
            (
                Contact,
                "email",
                json!(" Ada@Example.COM"),
                json!("ada@example.com"),
            ),
            (Contact, "firstname", json!("Ada "), json!("Ada")),
            (
                Contact,
                "lastname",
                json!("Customer 000001"),
                json!("Customer 000001"),
            ),
            (Contact, "company", json!("AE Ltd"), json!(" AE Ltd")),
            (
                Contact,
                "phone",
                json!("(415) 555-0100"),
                json!("+1 415-555-0100"),
            ),
            (Contact, "mobilephone", json!("555-0100"), json!("555-0100")),
            (Contact, "zip", json!("02134"), json!("02134")),
            (
                Contact,
                "website",
                json!("https://a.example"),
                json!("https://a.example"),
            ),
            (Product, "hs_sku", json!("HS-000001"), json!("HS-000001")),
            (
                Product,
                "name",
                json!("Bulk Item 000001"),
                json!("Bulk Item 000001"),
            ),
            (Product, "price", json!("25.00"), number("25")),
            (Product, "price", json!("10"), number("10.0")),
            (Product, "price", json!("1234.5"), number("1234.50")),
            (
                Product,
                "hs_cost_of_goods_sold",
                json!("0.75"),
                number("0.75"),
            ),
            (Product, "hs_cost_of_goods_sold", json!("0"), number("0")),
        ];
        for (kind, field, hubspot, qbo) in cases {
            let set = MappingSet::defaults(kind);
            let row = set.row(field).unwrap();
            let read = |side: Side, value: Value| {
                row.read(side, &native(&[(row.native_key(side), value)]))
                    .unwrap()
            };
            let from_hubspot = read(Side::Hubspot, hubspot.clone());
            let from_qbo = read(Side::Quickbooks, qbo.clone());
            assert!(from_hubspot.is_some(), "{field} {hubspot}");
            assert_eq!(from_hubspot, from_qbo, "{field}: {hubspot} vs {qbo}");
            // Each canonical value written to the other vendor reads back as itself.
            for side in Side::BOTH {
                let written = row.write(side, from_hubspot.as_ref()).unwrap();
                assert_eq!(
                    read(side, written.clone()),
                    from_hubspot,
                    "{field} {written}"
                );
            }
        }
    }

    #[test]
    fn an_amount_qbo_shows_as_zero_is_the_same_as_no_value_and_clearing_writes_zero() {
        let set = MappingSet::defaults(ObjectKind::Product);
        let cost = set.row("hs_cost_of_goods_sold").unwrap();
        let zero = cost
            .read(Side::Quickbooks, &native(&[("PurchaseCost", json!(0))]))
            .unwrap();
        assert_eq!(
            zero,
            Some(CanonicalValue::decimal(rust_decimal::Decimal::ZERO))
        );
        // HubSpot's empty property and QBO's 0 are one state; a real amount is not.
        assert!(cost.same_value(None, zero.as_ref()));
        assert!(cost.same_value(zero.as_ref(), None));
        let half = CanonicalValue::decimal(rust_decimal_macros::dec!(0.5));
        assert!(!cost.same_value(None, Some(&half)));
        assert!(!cost.same_value(zero.as_ref(), Some(&half)));
        // QBO holds no empty amount: clearing writes the 0 it will read back; HubSpot clears.
        assert_eq!(cost.write(Side::Quickbooks, None).unwrap().to_string(), "0");
        assert_eq!(cost.write(Side::Hubspot, None).unwrap(), Value::Null);
        // Text has an empty form on both sides: "no value" is not the text "0".
        let contacts = MappingSet::defaults(ObjectKind::Contact);
        let company = contacts.row("company").unwrap();
        assert!(!company.same_value(None, CanonicalValue::text("0").as_ref()));
        assert_eq!(company.write(Side::Quickbooks, None).unwrap(), Value::Null);
    }

    fn custom(hubspot: &str, qbo: &str, transform: TransformKind) -> CustomMapping {
        CustomMapping {
            hubspot_property: hubspot.into(),
            qbo_field: qbo.into(),
            transform,
            direction: Direction::TwoWay,
            values: Default::default(),
        }
    }

    #[test]
    fn custom_mappings_are_validated_with_clear_errors() {
        let cases = [
            (
                custom("notes", "Memo", TransformKind::Text),
                "unknown QBO Customer field path \"Memo\"",
            ),
            (custom("vip", "Notes", TransformKind::Text), ""),
            (
                custom("taxable", "Taxable", TransformKind::Text),
                "cannot write QBO Customer.Taxable",
            ),
            (
                custom("email", "Notes", TransformKind::Text),
                "\"email\" is already mapped",
            ),
            (
                custom("other", "GivenName", TransformKind::Text),
                "GivenName is already mapped",
            ),
            (
                CustomMapping {
                    direction: Direction::ToHubspot,
                    ..custom("vip", "Notes", TransformKind::Text)
                },
                "contradicts",
            ),
        ];
        for (mapping, expected) in cases {
            let mut settings = ConnectionSettings::default();
            settings.contact.direction = if expected == "contradicts" {
                Direction::ToQuickbooks
            } else {
                Direction::TwoWay
            };
            settings.contact.custom_mappings.push(mapping);
            let result = settings.validate();
            if expected.is_empty() {
                assert!(result.is_ok(), "{result:?}");
            } else {
                let err = result.unwrap_err().to_string();
                assert!(
                    err.contains(expected) && err.contains("contact.custom_mappings[0]"),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn a_companys_domain_matches_its_customers_website_in_any_form() {
        let set = MappingSet::defaults(ObjectKind::Company);
        let company = Record {
            side: Side::Hubspot,
            kind: ObjectKind::Company,
            id: "1".into(),
            version: "v".into(),
            modified_at: chrono::DateTime::UNIX_EPOCH,
            active: true,
            values: native(&[("domain", json!("example.com"))]),
        };
        let customer = Record {
            side: Side::Quickbooks,
            values: native(&[("WebAddr.URI", json!("https://www.Example.com/"))]),
            ..company.clone()
        };
        let keys = set.record_match_keys(&customer);
        assert_eq!(keys, set.record_match_keys(&company));
        assert_eq!(keys[0].claim_key(), "domain:example.com");
        // Names keep the text form: a name is no URL.
        assert_eq!(set.row("name").unwrap().match_form, MatchForm::Text);
    }

    #[test]
    fn companies_derive_their_bill_to_email_unless_a_row_writes_it() {
        use crate::model::PRIMARY_CONTACT_EMAIL;
        let set = MappingSet::defaults(ObjectKind::Company);
        let derived = set.row(PRIMARY_CONTACT_EMAIL).expect("the derived row");
        assert!(derived.derived);
        assert_eq!(derived.direction, Direction::ToQuickbooks);
        assert_eq!(derived.qbo_field.path, "PrimaryEmailAddr.Address");
        assert!(set.derives(PRIMARY_CONTACT_EMAIL));
        // Not a HubSpot property: never requested, never in the mapping editor's rows.
        assert!(
            !set.native_keys(Side::Hubspot)
                .contains(PRIMARY_CONTACT_EMAIL)
        );
        assert!(
            set.native_keys(Side::Quickbooks)
                .contains("PrimaryEmailAddr.Address")
        );
        assert!(set.mapped_rows().all(|r| !r.derived));
        assert!(!MappingSet::defaults(ObjectKind::Contact).derives(PRIMARY_CONTACT_EMAIL));

        // The company's own e-mail mapping comes first.
        let mut own = ObjectSettings::default();
        own.custom_mappings.push(custom(
            "billing_email",
            "PrimaryEmailAddr.Address",
            TransformKind::Email,
        ));
        let set = MappingSet::build(ObjectKind::Company, &own).unwrap();
        assert!(!set.derives(PRIMARY_CONTACT_EMAIL));
        assert_eq!(
            set.row("billing_email").unwrap().qbo_field.path,
            "PrimaryEmailAddr.Address"
        );
        // A kind that only writes HubSpot derives nothing for QBO.
        let to_hubspot = ObjectSettings {
            direction: Direction::ToHubspot,
            ..ObjectSettings::default()
        };
        let set = MappingSet::build(ObjectKind::Company, &to_hubspot).unwrap();
        assert!(!set.derives(PRIMARY_CONTACT_EMAIL));
    }

    #[test]
    fn a_custom_row_on_a_default_pair_overrides_its_direction() {
        let mut settings = ConnectionSettings::default();
        settings.contact.custom_mappings.push(CustomMapping {
            direction: Direction::ToHubspot,
            ..custom("phone", "PrimaryPhone.FreeFormNumber", TransformKind::Text)
        });
        let set = MappingSet::build(ObjectKind::Contact, &settings.contact).unwrap();
        let phone = set.row("phone").unwrap();
        assert_eq!(phone.direction, Direction::ToHubspot);
        assert_eq!(phone.transform.kind(), TransformKind::Text);
        assert_eq!(
            set.rows().len(),
            MappingSet::defaults(ObjectKind::Contact).rows().len()
        );
        // Twice is an error.
        settings
            .contact
            .custom_mappings
            .push(settings.contact.custom_mappings[0].clone());
        let err = settings.validate().unwrap_err().to_string();
        assert!(
            err.contains("contact.custom_mappings[1]") && err.contains("already mapped"),
            "{err}"
        );
    }

    #[test]
    fn custom_rows_join_the_set_and_conflict_overrides_must_name_mapped_fields() {
        let mut settings = ConnectionSettings::default();
        settings
            .product
            .custom_mappings
            .push(custom("taxable", "Taxable", TransformKind::Boolean));
        settings
            .product
            .conflict
            .per_field
            .insert("taxable".into(), Default::default());
        let set = MappingSet::build(ObjectKind::Product, &settings.product).unwrap();
        let canonical = set
            .to_canonical(Side::Hubspot, &native(&[("taxable", json!("true"))]))
            .values;
        assert_eq!(
            set.to_native(Side::Quickbooks, &canonical, false).0["Taxable"],
            json!(true)
        );
        // QBO shows an unset flag as false: that is "no value", and clearing writes false.
        let taxable = set.row("taxable").unwrap();
        assert!(taxable.same_value(None, Some(&CanonicalValue::boolean(false))));
        assert!(!taxable.same_value(None, Some(&CanonicalValue::boolean(true))));
        assert_eq!(taxable.write(Side::Quickbooks, None).unwrap(), json!(false));

        settings
            .product
            .conflict
            .per_field
            .insert("colour".into(), Default::default());
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("product.conflict.per_field.colour"), "{err}");
    }
}

//! Transforms: how one mapping row turns a side's native value into a canonical value and back.
//! HubSpot values are strings; QBO values are typed JSON (see `qbo_fields::QboFieldType`).

use chrono::{DateTime, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;

use super::qbo_fields::QboFieldType;
use crate::model::{CanonicalValue, Side, TransformKind};

/// A transform with its data (the enumeration table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    kind: TransformKind,
    /// HubSpot option value -> QBO value; empty unless `kind` is `Enumeration`.
    table: BTreeMap<String, String>,
}

/// Why a value cannot be converted. The row's field is left alone and this is reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    #[error("{value} is not a {expected}")]
    Unparseable {
        value: String,
        expected: &'static str,
    },
    #[error("{value:?} has no entry in the enumeration table")]
    NotInTable { value: String },
    #[error("{len} characters is more than QBO allows here ({max})")]
    TooLong { len: usize, max: usize },
    #[error("QBO does not allow ':', tab or newline in this field")]
    ForbiddenCharacter,
    #[error("QBO cannot clear this field (it is required)")]
    Required,
    // The value is record contents: kept for callers, never in the message.
    #[error("not an email address QBO accepts (it needs '@' and '.')")]
    InvalidEmail { value: String },
    #[error("QBO does not take control characters (U+{code:04X} here)")]
    ControlCharacter { code: u32 },
}

impl Transform {
    pub fn new(kind: TransformKind, table: BTreeMap<String, String>) -> Self {
        Self { kind, table }
    }

    pub fn simple(kind: TransformKind) -> Self {
        Self::new(kind, BTreeMap::new())
    }

    pub fn kind(&self) -> TransformKind {
        self.kind
    }

    /// Whether this transform's values can be stored in a QBO field of type `ty`.
    pub fn fits_qbo(&self, ty: QboFieldType) -> bool {
        use TransformKind as T;
        match ty {
            // Every canonical value has a text form that reads back to the same value.
            QboFieldType::Text => true,
            QboFieldType::Decimal => matches!(self.kind, T::Number | T::Decimal),
            QboFieldType::Bool => self.kind == T::Boolean,
            QboFieldType::Date => self.kind == T::Date,
        }
    }

    /// Native -> canonical. `Ok(None)` = no value (absent, null or blank).
    pub fn to_canonical(
        &self,
        side: Side,
        native: Option<&Value>,
    ) -> Result<Option<CanonicalValue>, TransformError> {
        let Some(native) = native else {
            return Ok(None);
        };
        let text = match native {
            Value::Null => return Ok(None),
            Value::String(s) => s.trim().to_owned(),
            other => other.to_string(),
        };
        if text.is_empty() {
            return Ok(None);
        }
        let unparseable = |expected| TransformError::Unparseable {
            value: text.clone(),
            expected,
        };
        let value = match self.kind {
            TransformKind::Text => CanonicalValue::text(&text),
            TransformKind::Email => CanonicalValue::email(&text),
            TransformKind::Phone => CanonicalValue::phone(&text),
            TransformKind::Number | TransformKind::Decimal => Some(CanonicalValue::decimal(
                parse_decimal(&text).ok_or_else(|| unparseable("number"))?,
            )),
            TransformKind::Date => Some(CanonicalValue::date(
                parse_date(&text).ok_or_else(|| unparseable("date"))?,
            )),
            TransformKind::Boolean => Some(CanonicalValue::boolean(
                parse_bool(&text).ok_or_else(|| unparseable("boolean"))?,
            )),
            TransformKind::Enumeration => Some(CanonicalValue::Text(match side {
                Side::Hubspot => self
                    .table
                    .keys()
                    .find(|k| k.as_str() == text)
                    .cloned()
                    .ok_or(TransformError::NotInTable { value: text })?,
                Side::Quickbooks => self
                    .table
                    .iter()
                    .find(|(_, qbo)| qbo.eq_ignore_ascii_case(&text))
                    .map(|(hubspot, _)| hubspot.clone())
                    .ok_or(TransformError::NotInTable { value: text })?,
            })),
        };
        Ok(value)
    }

    /// Canonical -> native for `side`. `None` (no value) becomes JSON `null`, meaning "clear
    /// this field"; the gateways turn that into the vendor's form (HubSpot `""`). A QBO amount
    /// or flag has no empty form: clearing it writes what QBO reads back for an unset one
    /// (`QboFieldType::unset_value`: 0, false), so the echo matches the cleared baseline.
    pub fn to_native(
        &self,
        side: Side,
        qbo_type: QboFieldType,
        value: Option<&CanonicalValue>,
    ) -> Result<Value, TransformError> {
        let Some(value) = value else {
            return match (side, qbo_type.unset_value()) {
                (Side::Quickbooks, Some(unset)) => self.to_native(side, qbo_type, Some(&unset)),
                _ => Ok(Value::Null),
            };
        };
        if self.kind == TransformKind::Enumeration && side == Side::Quickbooks {
            let key = value.as_text();
            return self
                .table
                .get(&key)
                .map(|qbo| Value::String(qbo.clone()))
                .ok_or(TransformError::NotInTable { value: key });
        }
        Ok(match (side, value) {
            // HubSpot date properties take midnight UTC as epoch ms (docs/hubspot.md §2.1;
            // `YYYY-MM-DD` is UNVERIFIED there, so we do not send it).
            (Side::Hubspot, CanonicalValue::Date(d)) => Value::String(
                d.and_time(NaiveTime::MIN)
                    .and_utc()
                    .timestamp_millis()
                    .to_string(),
            ),
            (Side::Hubspot, other) => Value::String(other.as_text()),
            (Side::Quickbooks, CanonicalValue::Decimal(d)) if qbo_type == QboFieldType::Decimal => {
                decimal_json(*d)
            }
            (Side::Quickbooks, CanonicalValue::Bool(b)) if qbo_type == QboFieldType::Bool => {
                Value::Bool(*b)
            }
            (Side::Quickbooks, other) => Value::String(other.as_text()),
        })
    }
}

/// A decimal as an exact JSON number (serde_json's arbitrary precision keeps the digits).
fn decimal_json(d: Decimal) -> Value {
    serde_json::from_str::<Value>(&d.to_string()).unwrap_or_else(|_| Value::String(d.to_string()))
}

fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .ok()
}

/// Dates as `YYYY-MM-DD`, RFC 3339 datetimes (date part, UTC) or epoch milliseconds (HubSpot).
fn parse_date(text: &str) -> Option<NaiveDate> {
    if let Ok(date) = NaiveDate::from_str(text) {
        return Some(date);
    }
    if let Ok(datetime) = DateTime::parse_from_rfc3339(text) {
        return Some(datetime.naive_utc().date());
    }
    let millis: i64 = text.parse().ok()?;
    DateTime::from_timestamp_millis(millis).map(|d| d.date_naive())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn roundtrip(t: &Transform, side: Side, ty: QboFieldType, native: Value) -> Option<Value> {
        let canonical = t.to_canonical(side, Some(&native)).unwrap();
        canonical.map(|c| t.to_native(side, ty, Some(&c)).unwrap())
    }

    #[test]
    fn decimals_read_strings_and_numbers_and_write_exact_numbers_to_qbo() {
        let t = Transform::simple(TransformKind::Decimal);
        let from_hubspot = t
            .to_canonical(Side::Hubspot, Some(&json!("150.00")))
            .unwrap();
        let from_qbo = t
            .to_canonical(
                Side::Quickbooks,
                Some(&serde_json::from_str("150").unwrap()),
            )
            .unwrap();
        assert_eq!(from_hubspot, Some(CanonicalValue::decimal(dec!(150))));
        assert_eq!(from_hubspot, from_qbo);
        let native = t
            .to_native(
                Side::Quickbooks,
                QboFieldType::Decimal,
                Some(&CanonicalValue::decimal(dec!(0.1))),
            )
            .unwrap();
        assert_eq!(native.to_string(), "0.1");
        assert_eq!(
            t.to_native(Side::Hubspot, QboFieldType::Decimal, from_qbo.as_ref())
                .unwrap(),
            json!("150")
        );
        assert!(matches!(
            t.to_canonical(Side::Hubspot, Some(&json!("12 dollars"))),
            Err(TransformError::Unparseable { .. })
        ));
    }

    #[test]
    fn dates_accept_iso_datetimes_and_epoch_millis_and_write_hubspot_midnight_millis() {
        let t = Transform::simple(TransformKind::Date);
        let day = Some(CanonicalValue::date(
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
        ));
        for native in ["2026-02-28", "2026-02-28T00:00:00Z", "1772236800000"] {
            assert_eq!(
                t.to_canonical(Side::Hubspot, Some(&json!(native))).unwrap(),
                day,
                "{native}"
            );
        }
        assert_eq!(
            t.to_native(Side::Hubspot, QboFieldType::Date, day.as_ref())
                .unwrap(),
            json!("1772236800000")
        );
        assert_eq!(
            t.to_native(Side::Quickbooks, QboFieldType::Date, day.as_ref())
                .unwrap(),
            json!("2026-02-28")
        );
    }

    #[test]
    fn booleans_are_strings_on_hubspot_and_json_bools_on_qbo() {
        let t = Transform::simple(TransformKind::Boolean);
        assert_eq!(
            roundtrip(&t, Side::Hubspot, QboFieldType::Bool, json!("TRUE")),
            Some(json!("true"))
        );
        assert_eq!(
            roundtrip(&t, Side::Quickbooks, QboFieldType::Bool, json!(false)),
            Some(json!(false))
        );
        assert!(
            t.to_canonical(Side::Hubspot, Some(&json!("maybe")))
                .is_err()
        );
    }

    #[test]
    fn enumerations_translate_through_the_table_both_ways() {
        let t = Transform::new(
            TransformKind::Enumeration,
            [
                ("gold".to_owned(), "1".to_owned()),
                ("silver".to_owned(), "2".to_owned()),
            ]
            .into(),
        );
        let gold = t.to_canonical(Side::Hubspot, Some(&json!("gold"))).unwrap();
        assert_eq!(gold, Some(CanonicalValue::Text("gold".into())));
        assert_eq!(
            t.to_canonical(Side::Quickbooks, Some(&json!("1"))).unwrap(),
            gold
        );
        assert_eq!(
            t.to_native(Side::Quickbooks, QboFieldType::Text, gold.as_ref())
                .unwrap(),
            json!("1")
        );
        assert_eq!(
            t.to_canonical(Side::Quickbooks, Some(&json!("9"))),
            Err(TransformError::NotInTable { value: "9".into() })
        );
    }

    #[test]
    fn blank_and_null_are_no_value_and_no_value_clears() {
        let t = Transform::simple(TransformKind::Text);
        assert_eq!(
            t.to_canonical(Side::Hubspot, Some(&json!("  "))).unwrap(),
            None
        );
        assert_eq!(
            t.to_canonical(Side::Quickbooks, Some(&Value::Null))
                .unwrap(),
            None
        );
        assert_eq!(t.to_canonical(Side::Quickbooks, None).unwrap(), None);
        assert_eq!(
            t.to_native(Side::Hubspot, QboFieldType::Text, None)
                .unwrap(),
            Value::Null
        );
    }

    #[test]
    fn compatibility_with_qbo_field_types() {
        assert!(Transform::simple(TransformKind::Decimal).fits_qbo(QboFieldType::Decimal));
        assert!(Transform::simple(TransformKind::Decimal).fits_qbo(QboFieldType::Text));
        assert!(!Transform::simple(TransformKind::Text).fits_qbo(QboFieldType::Decimal));
        assert!(!Transform::simple(TransformKind::Date).fits_qbo(QboFieldType::Bool));
        assert!(!Transform::simple(TransformKind::Boolean).fits_qbo(QboFieldType::Date));
    }
}

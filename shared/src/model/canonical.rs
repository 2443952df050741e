//! Canonical values: the normalised, side-independent form of one mapped field, which the
//! planner compares and the link stores as its baseline. Constructors do the normalising.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Canonical values of one record, by canonical field name (e.g. `"email"`). Absent = no value.
pub type CanonicalValues = BTreeMap<String, CanonicalValue>;

/// One normalised field value. Construct through the associated functions, which normalise and
/// return `None` for "no value" (empty text), so two equal meanings always compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum CanonicalValue {
    /// Trimmed, non-empty text.
    Text(String),
    /// Trimmed, lower-cased email address.
    Email(String),
    /// Money and other numbers; normalised (no trailing zeros) so `1.50` == `1.5`.
    Decimal(Decimal),
    /// A calendar date (ISO `YYYY-MM-DD` on the wire).
    Date(NaiveDate),
    Bool(bool),
    /// E.164 (`+14155550100`) where parseable, else the trimmed text as entered.
    Phone(String),
}

impl CanonicalValue {
    pub fn text(raw: &str) -> Option<Self> {
        non_empty(raw).map(|s| Self::Text(s.to_owned()))
    }

    pub fn email(raw: &str) -> Option<Self> {
        non_empty(raw).map(|s| Self::Email(s.to_lowercase()))
    }

    pub fn decimal(value: Decimal) -> Self {
        Self::Decimal(value.normalize())
    }

    pub fn date(value: NaiveDate) -> Self {
        Self::Date(value)
    }

    pub fn boolean(value: bool) -> Self {
        Self::Bool(value)
    }

    pub fn phone(raw: &str) -> Option<Self> {
        let trimmed = non_empty(raw)?;
        Some(Self::Phone(
            e164(trimmed).unwrap_or_else(|| trimmed.to_owned()),
        ))
    }

    /// The value as plain text (what a text field on either side would hold).
    pub fn as_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for CanonicalValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) | Self::Email(s) | Self::Phone(s) => f.write_str(s),
            Self::Decimal(d) => write!(f, "{d}"),
            Self::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Self::Bool(b) => write!(f, "{b}"),
        }
    }
}

fn non_empty(raw: &str) -> Option<&str> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

/// Best-effort E.164 for the numbers we meet most: `+<8..15 digits>` in any punctuation, and
/// 10-digit NANP numbers (`(555) 555-0100`, `1-555-555-0100`) as `+1...` — the QBO companies this
/// app targets are mostly US ones. Hand-written rather than the `phonenumber` crate because that
/// crate embeds the full libphonenumber metadata (size and init time of every Lambda), and a
/// wrong guess here only costs a textual difference, never data: unparseable input stays as typed.
fn e164(trimmed: &str) -> Option<String> {
    let allowed_punctuation = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')' | '/');
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || allowed_punctuation(c))
    {
        return None; // letters, extensions ("x12"), etc.: keep as text
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    match (plus, digits.len()) {
        (true, 8..=15) if !digits.starts_with('0') => Some(format!("+{digits}")),
        (false, 10) if !digits.starts_with(['0', '1']) => Some(format!("+1{digits}")),
        (false, 11) if digits.starts_with('1') && !digits[1..].starts_with(['0', '1']) => {
            Some(format!("+{digits}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn text_and_email_are_trimmed_and_empty_means_absent() {
        assert_eq!(
            CanonicalValue::text("  Ada "),
            Some(CanonicalValue::Text("Ada".into()))
        );
        assert_eq!(CanonicalValue::text("   "), None);
        assert_eq!(
            CanonicalValue::email(" Ada@Example.COM "),
            Some(CanonicalValue::Email("ada@example.com".into()))
        );
    }

    #[test]
    fn decimals_compare_by_value_after_normalising() {
        let a = CanonicalValue::decimal(dec!(1.50));
        let b = CanonicalValue::decimal(dec!(1.5));
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"type":"decimal","value":"1.5"}"#
        );
    }

    #[test]
    fn phones_become_e164_when_parseable_and_stay_text_otherwise() {
        let cases = [
            ("(415) 555-0100", "+14155550100"),
            ("1-415-555-0100", "+14155550100"),
            ("+44 20 7946 0958", "+442079460958"),
            ("555-0100", "555-0100"),
            ("415 555 0100 x12", "415 555 0100 x12"),
            ("+0 123 456 789", "+0 123 456 789"),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                CanonicalValue::phone(raw),
                Some(CanonicalValue::Phone(expected.into())),
                "{raw}"
            );
        }
        assert_eq!(CanonicalValue::phone(" "), None);
    }

    #[test]
    fn serde_round_trips_every_variant() {
        let values = vec![
            CanonicalValue::text("x").unwrap(),
            CanonicalValue::email("a@b.c").unwrap(),
            CanonicalValue::decimal(dec!(12.3)),
            CanonicalValue::date(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()),
            CanonicalValue::boolean(true),
            CanonicalValue::phone("+1 415 555 0100").unwrap(),
        ];
        let json = serde_json::to_string(&values).unwrap();
        let back: Vec<CanonicalValue> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, values);
    }
}

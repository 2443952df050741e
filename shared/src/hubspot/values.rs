//! Conversions between HubSpot's string property values and typed Rust values, at the edge:
//! numbers, `Decimal` money, booleans, dates (midnight-UTC epoch ms or `YYYY-MM-DD`), datetimes.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use rust_decimal::Decimal;

/// Sending this clears a property (docs/hubspot.md §2.1: "Clear a value by sending `\"\"`").
pub const CLEAR: &str = "";

/// A property value that is not what its type promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HubSpot value {value:?} is not a valid {expected}")]
pub struct ValueError {
    pub value: String,
    pub expected: &'static str,
}

fn bad(value: &str, expected: &'static str) -> ValueError {
    ValueError {
        value: value.chars().take(100).collect(),
        expected,
    }
}

/// `"1500.00"` -> 1500.00. Accepts scientific notation (`"1e3"`) as HubSpot may return for
/// calculated numbers; never goes through `f64`.
pub fn parse_decimal(value: &str) -> Result<Decimal, ValueError> {
    let v = value.trim();
    Decimal::from_str(v)
        .or_else(|_| Decimal::from_scientific(v))
        .map_err(|_| bad(value, "decimal number"))
}

/// Money and quantities go out in plain notation with their scale (`"6000.00"`).
pub fn format_decimal(value: Decimal) -> String {
    value.to_string()
}

pub fn parse_i64(value: &str) -> Result<i64, ValueError> {
    value.trim().parse().map_err(|_| bad(value, "integer"))
}

pub fn format_i64(value: i64) -> String {
    value.to_string()
}

/// `"true"` / `"false"` (any case).
pub fn parse_bool(value: &str) -> Result<bool, ValueError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(value, "boolean")),
    }
}

pub fn format_bool(value: bool) -> String {
    if value { "true" } else { "false" }.to_owned()
}

/// A date property: `YYYY-MM-DD`, epoch ms (midnight UTC), or an ISO datetime (its UTC date).
pub fn parse_date(value: &str) -> Result<NaiveDate, ValueError> {
    let v = value.trim();
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d);
    }
    parse_datetime(v)
        .map(|dt| dt.date_naive())
        .map_err(|_| bad(value, "date"))
}

/// Dates go out as midnight-UTC epoch milliseconds, the form every date property accepts
/// (docs/hubspot.md §2.1; `YYYY-MM-DD` on write is UNVERIFIED for every object, so not used).
pub fn format_date(date: NaiveDate) -> String {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
        .timestamp_millis()
        .to_string()
}

/// `YYYY-MM-DD`, for search filters and display.
pub fn format_date_iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A datetime property: ISO 8601 / RFC 3339 or epoch milliseconds (§2.1).
pub fn parse_datetime(value: &str) -> Result<DateTime<Utc>, ValueError> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        let ms: i64 = v.parse().map_err(|_| bad(value, "datetime"))?;
        return Utc
            .timestamp_millis_opt(ms)
            .single()
            .ok_or_else(|| bad(value, "datetime"));
    }
    DateTime::parse_from_rfc3339(v)
        .map(|dt| dt.with_timezone(&Utc))
        .map_err(|_| bad(value, "datetime"))
}

/// Datetimes go out as ISO 8601 with milliseconds (`2026-01-05T17:29:08.000Z`).
pub fn format_datetime(value: DateTime<Utc>) -> String {
    value.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Epoch milliseconds, the form search filters on date properties take (§2.4 example).
pub fn format_epoch_ms(value: DateTime<Utc>) -> String {
    value.timestamp_millis().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn decimals_round_trip_without_floats() {
        assert_eq!(parse_decimal("6000.00").unwrap(), dec!(6000.00));
        assert_eq!(format_decimal(dec!(6000.00)), "6000.00");
        assert_eq!(parse_decimal(" 0.1 ").unwrap() + dec!(0.2), dec!(0.3));
        assert_eq!(
            parse_decimal("0.90000000000000002220446049250313080847263336181640625")
                .map(|d| d.round_dp(2))
                .unwrap(),
            dec!(0.90)
        );
        assert_eq!(parse_decimal("1e3").unwrap(), dec!(1000));
        assert!(parse_decimal("abc").is_err());
        assert!(parse_decimal("").is_err());
    }

    #[test]
    fn booleans_and_integers() {
        assert!(parse_bool("TRUE").unwrap());
        assert!(!parse_bool("false").unwrap());
        assert!(parse_bool("yes").is_err());
        assert_eq!(format_bool(false), "false");
        assert_eq!(parse_i64("42").unwrap(), 42);
        assert!(parse_i64("4.2").is_err());
    }

    #[test]
    fn dates_are_midnight_utc_epoch_ms_or_iso() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(format_date(d), "1735689600000");
        assert_eq!(parse_date("1735689600000").unwrap(), d);
        assert_eq!(parse_date("2025-01-01").unwrap(), d);
        assert_eq!(parse_date("2025-01-01T00:00:00Z").unwrap(), d);
        assert_eq!(format_date_iso(d), "2025-01-01");
        assert!(parse_date("01/02/2025").is_err());
    }

    #[test]
    fn datetimes_accept_iso_and_epoch_ms() {
        let dt = parse_datetime("2026-01-05T17:29:08.000Z").unwrap();
        assert_eq!(format_datetime(dt), "2026-01-05T17:29:08.000Z");
        assert_eq!(parse_datetime(&format_epoch_ms(dt)).unwrap(), dt);
        assert!(parse_datetime("yesterday").is_err());
    }
}

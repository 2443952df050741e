//! Field-level rules shared by the entity modules: money as `Decimal` in JSON, string length
//! limits (2050), control (2040) and forbidden name characters, required fields and references.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::quickbooks::fault::Fault;

/// A JSON number or numeric string as a `Decimal` (amounts are JSON numbers, §3).
pub fn money(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// A `Decimal` as a JSON number (never via `f64`).
pub fn money_value(d: Decimal) -> Value {
    let text = d.normalize().to_string();
    serde_json::Number::from_str(&text)
        .map(Value::Number)
        .unwrap_or(Value::String(text))
}

/// `obj[field]` as a decimal, if present.
pub fn money_field(obj: &Map<String, Value>, field: &str) -> Option<Decimal> {
    obj.get(field).and_then(money)
}

/// String length limits answer 2050 (docs/quickbooks.md §4.1). `path` is a dotted path of
/// objects (`PrimaryEmailAddr.Address`); absent fields pass.
pub fn check_length(obj: &Map<String, Value>, path: &str, max: usize) -> Result<(), Fault> {
    if let Some(Value::String(s)) = get_path(obj, path) {
        let len = s.chars().count();
        if len > max {
            return Err(Fault::string_length(path, max, len));
        }
    }
    Ok(())
}

/// Several limits at once.
pub fn check_lengths(obj: &Map<String, Value>, limits: &[(&str, usize)]) -> Result<(), Fault> {
    limits
        .iter()
        .try_for_each(|(path, max)| check_length(obj, path, *max))
}

/// Name fields must not contain `:`, tab or newline (docs/quickbooks.md §4.1).
pub fn check_no_forbidden_chars(obj: &Map<String, Value>, fields: &[&str]) -> Result<(), Fault> {
    for field in fields {
        if let Some(Value::String(s)) = obj.get(*field)
            && s.contains([':', '\t', '\n', '\r'])
        {
            return Err(Fault::forbidden_characters(field));
        }
    }
    Ok(())
}

/// No string anywhere in `obj` (nested objects and arrays too) may hold a control character
/// other than tab and line breaks (2040, docs/quickbooks.md §4.1). `prefix` names the path.
pub fn check_no_control_chars(obj: &Map<String, Value>, prefix: &str) -> Result<(), Fault> {
    for (key, value) in obj {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        check_value_control_chars(value, &path)?;
    }
    Ok(())
}

fn check_value_control_chars(value: &Value, path: &str) -> Result<(), Fault> {
    match value {
        Value::String(s) if s.chars().any(is_refused_control) => Err(Fault::invalid_string(path)),
        Value::Object(inner) => check_no_control_chars(inner, path),
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| check_value_control_chars(item, path)),
        _ => Ok(()),
    }
}

/// The control characters QBO refuses in text (tab and line breaks are text).
pub fn is_refused_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) && (c as u32) < 0x80
}

/// A dotted path lookup through nested objects.
pub fn get_path<'a>(obj: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = obj.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// A non-empty string field.
pub fn text<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    obj.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `{"value": "..."}` reference id (§3), if present.
pub fn ref_id(obj: &Map<String, Value>, field: &str) -> Option<String> {
    match obj.get(field)? {
        Value::Object(r) => match r.get("value")? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// A reference object with the target's display name filled in.
pub fn ref_value(id: &str, name: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), id.into());
    if let Some(name) = name {
        m.insert("name".into(), name.into());
    }
    Value::Object(m)
}

/// `true` unless the field is the boolean `false` (e.g. `Active` defaults to true).
pub fn flag_or_true(obj: &Map<String, Value>, field: &str) -> bool {
    !matches!(obj.get(field), Some(Value::Bool(false)))
}

/// An e-mail address must contain `@` and `.` (docs/quickbooks.md §4.1).
pub fn check_email(obj: &Map<String, Value>, field: &str) -> Result<(), Fault> {
    if let Some(Value::String(addr)) = get_path(obj, &format!("{field}.Address")) {
        let ok = addr
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !ok {
            return Err(Fault::invalid_email(field));
        }
    }
    Ok(())
}

/// Drops keys whose value is JSON `null` (absent and null mean the same on input, §3).
pub fn without_nulls(mut obj: Map<String, Value>) -> Map<String, Value> {
    obj.retain(|_, v| !v.is_null());
    obj
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_anywhere_are_refused_with_2040_naming_the_field() {
        let ok = json!({"GivenName": "Ada\tLovelace", "Notes": "line\nbreak"});
        assert!(check_no_control_chars(ok.as_object().unwrap(), "").is_ok());
        let nul = json!({"BillAddr": {"Line1": "1 Main\u{0}St"}});
        let fault = check_no_control_chars(nul.as_object().unwrap(), "").unwrap_err();
        assert_eq!(fault.code(), "2040");
        assert!(format!("{fault:?}").contains("BillAddr.Line1"));
    }

    #[test]
    fn money_round_trips_without_floats() {
        let d = money(&json!(362.07)).unwrap();
        assert_eq!(d.to_string(), "362.07");
        assert_eq!(money_value(d), json!(362.07));
        assert_eq!(money(&json!("1e2")).unwrap(), Decimal::from(100));
    }

    #[test]
    fn length_and_characters_are_checked() {
        let obj = json!({"DisplayName": "a:b", "Title": "x".repeat(17)});
        let obj = obj.as_object().unwrap();
        assert_eq!(check_length(obj, "Title", 16).unwrap_err().code(), "2050");
        assert_eq!(
            check_no_forbidden_chars(obj, &["DisplayName"])
                .unwrap_err()
                .code(),
            "6000"
        );
    }
}

//! Reading and writing DynamoDB attribute maps: typed getters that turn a missing or mistyped
//! attribute into `StoreError::Corrupt`, builders for string/number/JSON attributes, and the
//! mapping of SDK failures to `StoreError::Backend` with the SDK's full error context.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::keys::{PK, SK};
use crate::ports::StoreError;

pub type Item = HashMap<String, AttributeValue>;

/// An item with its primary key set.
pub fn keyed(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    let mut item = Item::new();
    item.insert(PK.to_owned(), s(pk));
    item.insert(SK.to_owned(), s(sk));
    item
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn time(value: DateTime<Utc>) -> AttributeValue {
    s(value.to_rfc3339())
}

/// A nested value stored as a JSON string (baselines, settings, statuses, log entries).
pub fn json<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(value)
        .map(AttributeValue::S)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode value: {e}")))
}

fn describe(item: &Item) -> String {
    let key = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
            .unwrap_or("?")
    };
    format!("{} / {}", key(PK), key(SK))
}

pub fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!(
            "item {} has no string attribute {name:?}",
            describe(item)
        ))),
    }
}

pub fn get_opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

pub fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| {
            StoreError::Corrupt(format!(
                "item {} has a malformed number {name:?}: {v:?}",
                describe(item)
            ))
        }),
        _ => Err(StoreError::Corrupt(format!(
            "item {} has no number attribute {name:?}",
            describe(item)
        ))),
    }
}

pub fn get_time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    let raw = get_s(item, name)?;
    parse_time(raw).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "item {} has a malformed time {name:?}: {raw:?}",
            describe(item)
        ))
    })
}

pub fn get_opt_time(item: &Item, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    match get_opt_s(item, name) {
        None => Ok(None),
        Some(_) => get_time(item, name).map(Some),
    }
}

pub fn get_json<T: DeserializeOwned>(item: &Item, name: &str) -> Result<T, StoreError> {
    let raw = get_s(item, name)?;
    serde_json::from_str(raw).map_err(|e| {
        StoreError::Corrupt(format!(
            "item {} has malformed JSON in {name:?}: {e}",
            describe(item)
        ))
    })
}

fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Any SDK failure as a backend error, with the full context (plain `Display` is terse).
pub fn backend<E: std::error::Error + 'static>(operation: &str, err: E) -> StoreError {
    StoreError::Backend(format!(
        "DynamoDB {operation}: {}",
        DisplayErrorContext(err)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_read_back_what_builders_wrote_and_name_the_item_when_corrupt() {
        let at = Utc::now();
        let mut item = keyed("CONN#a", "META");
        item.insert("name".into(), s("x"));
        item.insert("rev".into(), n(7u64));
        item.insert("at".into(), time(at));
        item.insert("doc".into(), json(&vec![1, 2]).unwrap());
        assert_eq!(get_s(&item, "name").unwrap(), "x");
        assert_eq!(get_n::<u64>(&item, "rev").unwrap(), 7);
        assert_eq!(get_time(&item, "at").unwrap(), at);
        assert_eq!(get_json::<Vec<i32>>(&item, "doc").unwrap(), vec![1, 2]);
        assert_eq!(get_opt_time(&item, "missing").unwrap(), None);

        let err = get_n::<u64>(&item, "name").unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt(m) if m.contains("CONN#a / META") && m.contains("\"name\""))
        );
        let err = get_time(&item, "name").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)));
    }
}

//! Runs a parsed query against the company (docs/quickbooks.md §6): property checks (4001),
//! active-only default for name lists, case-insensitive values, ordering and paging.

use std::cmp::Ordering;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::parser::{Comparison, Literal, Operator, Projection, QueryError, Statement};
use crate::quickbooks::entity_kind::{EntityKind, IdKey};
use crate::quickbooks::fault::Fault;
use crate::quickbooks::state::Company;

/// §6: default page size.
pub const DEFAULT_MAX_RESULTS: u64 = 100;

impl From<QueryError> for Fault {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::Parse(d) => Fault::query_parser(&d),
            QueryError::Validation(d) => Fault::query_validation(&d),
        }
    }
}

/// The kind of values a property holds, for comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Id,
    DateTime,
    Date,
    Other,
}

fn value_kind(property: &str) -> ValueKind {
    match property {
        "Id" => ValueKind::Id,
        "MetaData.CreateTime" | "MetaData.LastUpdatedTime" => ValueKind::DateTime,
        "TxnDate" | "DueDate" => ValueKind::Date,
        _ => ValueKind::Other,
    }
}

/// Resolves a property name case-insensitively (`Metadata`/`MetaData` both work, §6) to its
/// canonical spelling, or the documented 4001 (§6.1).
fn resolve(kind: EntityKind, property: &str) -> Result<&'static str, Fault> {
    if let Some(p) = kind
        .filterable()
        .iter()
        .find(|p| p.eq_ignore_ascii_case(property))
    {
        return Ok(p);
    }
    if kind
        .other_properties()
        .iter()
        .any(|p| p.eq_ignore_ascii_case(property))
    {
        return Err(Fault::query_validation(&format!(
            "property '{property}' is not queryable"
        )));
    }
    Err(Fault::query_validation(&format!(
        "Property {property} not found for Entity {}",
        kind.name()
    )))
}

/// The comparable value of `property` in an entity: references compare by `value`,
/// e-mail by `Address` (§6 examples).
fn property_value<'a>(body: &'a Map<String, Value>, property: &str) -> Option<&'a Value> {
    let v = crate::quickbooks::state::fields::get_path(body, property)?;
    match v {
        Value::Object(o) => o.get("value").or_else(|| o.get("Address")),
        other => Some(other),
    }
}

/// A query or CDC time: RFC 3339 with an offset, or a local date-time or date without one,
/// read in the company's time zone `offset` as QBO does (docs/quickbooks.md §7).
pub(crate) fn parse_instant(text: &str, offset: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t);
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return offset.from_local_datetime(&t).single();
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    offset
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Compares a stored value with a literal (or another stored value, as text).
fn compare(
    stored: &Value,
    literal: &str,
    kind: ValueKind,
    offset: FixedOffset,
) -> Option<Ordering> {
    let text = as_text(stored)?;
    match kind {
        ValueKind::Id => match (text.parse::<u64>(), literal.trim().parse::<u64>()) {
            (Ok(a), Ok(b)) => Some(a.cmp(&b)),
            _ => Some(text.to_lowercase().cmp(&literal.trim().to_lowercase())),
        },
        ValueKind::DateTime => {
            Some(parse_instant(&text, offset)?.cmp(&parse_instant(literal, offset)?))
        }
        ValueKind::Date => Some(
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .ok()?
                .cmp(&parse_instant(literal, offset)?.date_naive()),
        ),
        ValueKind::Other => match stored {
            Value::Number(_) => {
                let a = Decimal::from_str(&text).ok()?;
                let b = Decimal::from_str(literal.trim()).ok()?;
                Some(a.cmp(&b))
            }
            Value::Bool(b) => {
                let lit = literal.trim().to_lowercase();
                (lit == "true" || lit == "false").then(|| b.cmp(&(lit == "true")))
            }
            _ => Some(text.to_lowercase().cmp(&literal.to_lowercase())),
        },
    }
}

/// `LIKE` with `%` wildcards only (§6), case-insensitive.
pub fn like(value: &str, pattern: &str) -> bool {
    let value = value.to_lowercase();
    let pattern = pattern.to_lowercase();
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return value == pattern;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

fn matches(
    body: &Map<String, Value>,
    cond: &Comparison,
    property: &str,
    offset: FixedOffset,
) -> bool {
    // An absent `Active` means active (it defaults to true).
    let default_active = Value::Bool(true);
    let stored = match property_value(body, property) {
        Some(v) => v,
        None if property == "Active" => &default_active,
        None => return false,
    };
    let kind = value_kind(property);
    let cmp = |lit: &Literal| compare(stored, &lit.as_text(), kind, offset);
    match cond.op {
        Operator::Eq => cond.values.iter().any(|l| cmp(l) == Some(Ordering::Equal)),
        Operator::In => cond.values.iter().any(|l| cmp(l) == Some(Ordering::Equal)),
        Operator::Lt => cmp(&cond.values[0]) == Some(Ordering::Less),
        Operator::Gt => cmp(&cond.values[0]) == Some(Ordering::Greater),
        Operator::Le => matches!(cmp(&cond.values[0]), Some(Ordering::Less | Ordering::Equal)),
        Operator::Ge => matches!(
            cmp(&cond.values[0]),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Operator::Like => as_text(stored).is_some_and(|s| like(&s, &cond.values[0].as_text())),
    }
}

/// Runs `statement` and returns the `QueryResponse` object (§6): `{"<Entity>": [...],
/// "startPosition", "maxResults"}`, `{}` when nothing matches, `{"totalCount"}` for COUNT.
pub fn run(company: &Company, statement: &Statement) -> Result<Value, Fault> {
    let kind = EntityKind::from_name(&statement.entity).ok_or_else(|| {
        Fault::query_validation(&format!(
            "Metadata not found for Entity: {}",
            statement.entity
        ))
    })?;
    if let Projection::Columns(_) = statement.projection {
        // §6: "projections are not supported" (Intuit); the stand-in rejects column lists.
        return Err(Fault::query_validation(
            "Projections are not supported; use SELECT * or SELECT COUNT(*)",
        ));
    }
    let mut conditions = Vec::new();
    for cond in &statement.conditions {
        let property = resolve(kind, &cond.property)?;
        // §6: Id supports only = and IN.
        if property == "Id" && !matches!(cond.op, Operator::Eq | Operator::In) {
            return Err(Fault::query_validation(
                "Id supports only the = and IN operators",
            ));
        }
        conditions.push((cond, property));
    }
    let mut order = Vec::new();
    for o in &statement.order_by {
        order.push((resolve(kind, &o.property)?, o.descending));
    }
    // §6: name lists return active records only unless the query mentions Active.
    let active_only = kind.is_name_list() && !conditions.iter().any(|(_, p)| *p == "Active");
    let offset = company.offset();
    // `Id = ` / `Id IN (...)` (the batch-read pattern) look records up instead of scanning.
    let id_condition = conditions
        .iter()
        .position(|(c, p)| *p == "Id" && matches!(c.op, Operator::Eq | Operator::In));
    let by_id = id_condition.map(|i| {
        // The lookup satisfies this condition; the filter below checks only the others.
        let (c, _) = conditions.remove(i);
        let mut ids: Vec<IdKey> = c
            .values
            .iter()
            .map(|v| IdKey::parse(&v.as_text()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    });
    let candidates: Box<dyn Iterator<Item = &Map<String, Value>>> = match by_id {
        Some(ids) => Box::new(
            ids.into_iter()
                .filter_map(move |id| company.get(kind, &id.to_string()))
                .map(|e| &e.body),
        ),
        None => Box::new(company.table(kind).map(|(_, e)| &e.body)),
    };
    let mut rows: Vec<&Map<String, Value>> = candidates
        .filter(|b| !active_only || !matches!(b.get("Active"), Some(Value::Bool(false))))
        .filter(|b| conditions.iter().all(|(c, p)| matches(b, c, p, offset)))
        .collect();
    if statement.projection == Projection::Count {
        return Ok(json!({"totalCount": rows.len()}));
    }
    if !order.is_empty() {
        rows.sort_by(|a, b| {
            for (property, descending) in &order {
                let kind = value_kind(property);
                let ord = match (property_value(a, property), property_value(b, property)) {
                    (Some(x), Some(y)) => as_text(y)
                        .and_then(|y| compare(x, &y, kind, offset))
                        .unwrap_or(Ordering::Equal),
                    (Some(_), None) => Ordering::Greater,
                    (None, Some(_)) => Ordering::Less,
                    (None, None) => Ordering::Equal,
                };
                let ord = if *descending { ord.reverse() } else { ord };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
    }
    let start = statement.start_position.unwrap_or(1);
    let max = statement.max_results.unwrap_or(DEFAULT_MAX_RESULTS);
    let page: Vec<Value> = rows
        .into_iter()
        .skip((start - 1) as usize)
        .take(max as usize)
        .map(|b| Value::Object(b.clone()))
        .collect();
    if page.is_empty() {
        return Ok(json!({}));
    }
    let mut response = Map::new();
    let count = page.len();
    response.insert(kind.name().into(), Value::Array(page));
    response.insert("startPosition".into(), start.into());
    response.insert("maxResults".into(), count.into());
    Ok(Value::Object(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_handles_leading_trailing_and_inner_wildcards() {
        assert!(like("Amy's Bird Sanctuary", "amy%"));
        assert!(like("Amy's Bird Sanctuary", "%sanctuary"));
        assert!(like("Amy's Bird Sanctuary", "%bird%"));
        assert!(like("Amy's Bird Sanctuary", "a%b%y"));
        assert!(!like("Amy's Bird Sanctuary", "%fish%"));
        assert!(like("exact", "EXACT"));
    }

    #[test]
    fn compares_by_property_kind() {
        let off = FixedOffset::west_opt(8 * 3600).unwrap();
        assert_eq!(
            compare(&json!("10"), "9", ValueKind::Id, off),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&json!(362.07), "300.00", ValueKind::Other, off),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(
                &json!("2026-03-01T10:00:00-08:00"),
                "2026-03-01T17:59:59Z",
                ValueKind::DateTime,
                off
            ),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(
                &json!("2026-03-01T10:00:00-08:00"),
                "2026-03-02",
                ValueKind::DateTime,
                off
            ),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(
                &json!("ANN@Example.com"),
                "ann@example.COM",
                ValueKind::Other,
                off
            ),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(&json!(false), "true", ValueKind::Other, off),
            Some(Ordering::Less)
        );
    }
}

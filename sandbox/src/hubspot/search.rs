//! CRM search (docs/hubspot.md §2.4) as pure functions: request limits, filter matching with
//! the documented operators and casing rules, the single sort, and offset paging.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::schema::{PropertyType, parse_datetime_ms};

/// docs/hubspot.md §2.4 limits: 5 groups, 6 filters per group, 18 in total.
pub const MAX_FILTER_GROUPS: usize = 5;
pub const MAX_FILTERS_PER_GROUP: usize = 6;
pub const MAX_FILTERS_TOTAL: usize = 18;
/// docs/hubspot.md §2.4: page size default 10, maximum 200.
pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 200;
/// docs/hubspot.md §2.4: "Attempting to page beyond 10,000 will result in a 400 error."
pub const MAX_RESULTS: usize = 10_000;
/// docs/hubspot.md §2.4: the query string is at most 3,000 characters.
pub const MAX_QUERY_CHARS: usize = 3_000;

/// `PublicObjectSearchRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    #[serde(default)]
    pub filter_groups: Vec<FilterGroup>,
    #[serde(default)]
    pub sorts: Vec<SortSpec>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub properties: Vec<String>,
    #[serde(default)]
    pub limit: Option<Value>,
    #[serde(default)]
    pub after: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterGroup {
    #[serde(default)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    pub property_name: String,
    pub operator: String,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub high_value: Option<Value>,
    #[serde(default)]
    pub values: Option<Vec<Value>>,
}

/// docs/hubspot.md §2.4: sorts are objects in the docs and strings (`"-createdate"`) in the spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SortSpec {
    Object {
        #[serde(rename = "propertyName")]
        property_name: String,
        #[serde(default)]
        direction: Option<String>,
    },
    Text(String),
}

impl SortSpec {
    /// (property, descending?)
    pub fn key(&self) -> (String, bool) {
        match self {
            Self::Object {
                property_name,
                direction,
            } => (
                property_name.clone(),
                direction
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("DESCENDING")),
            ),
            Self::Text(s) => match s.strip_prefix('-') {
                Some(p) => (p.to_owned(), true),
                None => (s.clone(), false),
            },
        }
    }
}

/// A checked request's page window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

const OPERATORS: &[&str] = &[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
];

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_count(v: &Option<Value>, name: &str) -> Result<Option<usize>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => as_text(v)
            .and_then(|t| t.trim().parse::<usize>().ok())
            .map(Some)
            // docs/hubspot.md §2.4: "You must format the value in the after parameter as an integer".
            .ok_or_else(|| format!("{name} must be formatted as an integer, got {v}")),
    }
}

/// Checks the documented limits. Error messages are UNVERIFIED (the doc gives only the
/// category, VALIDATION_ERROR, and the status, 400).
pub fn check_request(req: &SearchRequest) -> Result<Page, String> {
    if req.filter_groups.len() > MAX_FILTER_GROUPS {
        return Err(format!(
            "Too many filter groups: {} (at most {MAX_FILTER_GROUPS})",
            req.filter_groups.len()
        ));
    }
    let mut total = 0;
    for g in &req.filter_groups {
        if g.filters.len() > MAX_FILTERS_PER_GROUP {
            return Err(format!(
                "Too many filters in a group: {} (at most {MAX_FILTERS_PER_GROUP})",
                g.filters.len()
            ));
        }
        total += g.filters.len();
        for f in &g.filters {
            if !OPERATORS.contains(&f.operator.as_str()) {
                return Err(format!("Unknown filter operator {}", f.operator));
            }
            let needs_value = !matches!(
                f.operator.as_str(),
                "HAS_PROPERTY" | "NOT_HAS_PROPERTY" | "IN" | "NOT_IN"
            );
            if needs_value && f.value.as_ref().and_then(as_text).is_none() {
                return Err(format!(
                    "Filter on {} with {} needs a value",
                    f.property_name, f.operator
                ));
            }
            if f.operator == "BETWEEN" && f.high_value.as_ref().and_then(as_text).is_none() {
                return Err(format!(
                    "BETWEEN filter on {} needs a highValue",
                    f.property_name
                ));
            }
            if matches!(f.operator.as_str(), "IN" | "NOT_IN") && f.values.is_none() {
                return Err(format!(
                    "{} filter on {} needs values",
                    f.operator, f.property_name
                ));
            }
        }
    }
    if total > MAX_FILTERS_TOTAL {
        return Err(format!(
            "Too many filters: {total} (at most {MAX_FILTERS_TOTAL} in total)"
        ));
    }
    if req.sorts.len() > 1 {
        // docs/hubspot.md §2.4: only one sort rule can be applied.
        return Err(format!(
            "Only one sort is supported, got {}",
            req.sorts.len()
        ));
    }
    if req
        .query
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        return Err(format!("query is longer than {MAX_QUERY_CHARS} characters"));
    }
    let limit = as_count(&req.limit, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        // UNVERIFIED (docs/hubspot.md §2.4): 400 or a silent cap; the sandbox answers 400.
        return Err(format!(
            "The maximum number of supported objects per page is {MAX_LIMIT}, got limit {limit}"
        ));
    }
    let offset = as_count(&req.after, "after")?.unwrap_or(0);
    if offset + limit.max(1) > MAX_RESULTS {
        return Err(format!(
            "Paging beyond {MAX_RESULTS} results is not supported (after {offset}, limit {limit})"
        ));
    }
    Ok(Page {
        offset,
        limit: limit.max(1),
    })
}

/// A comparable form of a stored or filter value for a property type.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Comparable {
    Number(Decimal),
    Millis(i64),
    Text(String),
}

fn comparable(t: Option<PropertyType>, raw: &str) -> Comparable {
    match t {
        Some(PropertyType::Number) => raw
            .trim()
            .parse::<Decimal>()
            .map(Comparable::Number)
            .unwrap_or_else(|_| Comparable::Text(raw.to_lowercase())),
        Some(PropertyType::Date | PropertyType::Datetime) => parse_datetime_ms(raw)
            .map(Comparable::Millis)
            .unwrap_or_else(|| Comparable::Text(raw.to_lowercase())),
        // docs/hubspot.md §2.4: enumeration values are case-sensitive, the rest are not.
        Some(PropertyType::Enumeration) => Comparable::Text(raw.to_owned()),
        _ => Comparable::Text(raw.to_lowercase()),
    }
}

fn compare(t: Option<PropertyType>, a: &str, b: &str) -> Option<Ordering> {
    comparable(t, a).partial_cmp(&comparable(t, b))
}

/// `*` wildcard match (CONTAINS_TOKEN accepts wildcards).
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn contains_token(value: &str, token: &str) -> bool {
    let value = value.to_lowercase();
    let token = token.to_lowercase();
    glob(&token, &value) || value.split_whitespace().any(|w| glob(&token, w))
}

/// Whether one record's properties pass one filter. `type_of` gives a property's type.
pub fn filter_matches(
    props: &BTreeMap<String, String>,
    filter: &Filter,
    type_of: &dyn Fn(&str) -> Option<PropertyType>,
) -> bool {
    let t = type_of(&filter.property_name);
    let stored = props.get(&filter.property_name).filter(|v| !v.is_empty());
    let value = filter.value.as_ref().and_then(as_text).unwrap_or_default();
    let cmp = |s: &str| compare(t, s, &value);
    match filter.operator.as_str() {
        "HAS_PROPERTY" => stored.is_some(),
        "NOT_HAS_PROPERTY" => stored.is_none(),
        // UNVERIFIED: whether NEQ matches records without a value; the sandbox says yes.
        "NEQ" => stored.is_none_or(|s| cmp(s) != Some(Ordering::Equal)),
        "NOT_CONTAINS_TOKEN" => stored.is_none_or(|s| !contains_token(s, &value)),
        "NOT_IN" => {
            let values = filter.values.as_deref().unwrap_or_default();
            stored.is_none_or(|s| !in_values(t, s, values))
        }
        op => {
            let Some(s) = stored else {
                return false;
            };
            match op {
                "EQ" => cmp(s) == Some(Ordering::Equal),
                "LT" => cmp(s) == Some(Ordering::Less),
                "LTE" => matches!(cmp(s), Some(Ordering::Less | Ordering::Equal)),
                "GT" => cmp(s) == Some(Ordering::Greater),
                "GTE" => matches!(cmp(s), Some(Ordering::Greater | Ordering::Equal)),
                "BETWEEN" => {
                    let high = filter
                        .high_value
                        .as_ref()
                        .and_then(as_text)
                        .unwrap_or_default();
                    matches!(cmp(s), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(compare(t, s, &high), Some(Ordering::Less | Ordering::Equal))
                }
                "IN" => in_values(t, s, filter.values.as_deref().unwrap_or_default()),
                "CONTAINS_TOKEN" => contains_token(s, &value),
                _ => false,
            }
        }
    }
}

/// docs/hubspot.md §2.4: `IN` on strings wants lower-case values (the stored value is compared
/// lower-cased, the given values as sent); enumerations compare exactly; numbers numerically.
fn in_values(t: Option<PropertyType>, stored: &str, values: &[Value]) -> bool {
    values.iter().filter_map(as_text).any(|v| match t {
        Some(PropertyType::Number | PropertyType::Date | PropertyType::Datetime) => {
            compare(t, stored, &v) == Some(Ordering::Equal)
        }
        Some(PropertyType::Enumeration) => stored == v,
        _ => stored.to_lowercase() == v,
    })
}

/// Groups are ORed, filters in a group ANDed; no groups matches everything.
pub fn record_matches(
    props: &BTreeMap<String, String>,
    groups: &[FilterGroup],
    type_of: &dyn Fn(&str) -> Option<PropertyType>,
) -> bool {
    groups.is_empty()
        || groups
            .iter()
            .any(|g| g.filters.iter().all(|f| filter_matches(props, f, type_of)))
}

/// Free-text `query`: case-insensitive substring of any of `fields`. UNVERIFIED: HubSpot's
/// exact matching (token prefix) differs in edge cases.
pub fn query_matches(props: &BTreeMap<String, String>, query: &str, fields: &[&str]) -> bool {
    let q = query.trim().to_lowercase();
    q.is_empty()
        || fields
            .iter()
            .any(|f| props.get(*f).is_some_and(|v| v.to_lowercase().contains(&q)))
}

/// Sorts `(id, props)` rows: by the one sort (values missing go last), else by id
/// (docs/hubspot.md §2.4: without a sort, creation order, oldest first). Each row's sort key is
/// computed once.
pub fn sort_rows<T>(
    rows: Vec<(u64, T)>,
    props_of: impl Fn(&T) -> &BTreeMap<String, String>,
    sort: Option<(String, bool)>,
    type_of: &dyn Fn(&str) -> Option<PropertyType>,
) -> Vec<(u64, T)> {
    let Some((name, descending)) = sort else {
        let mut rows = rows;
        rows.sort_by_key(|r| r.0);
        return rows;
    };
    let t = type_of(&name);
    let mut keyed: Vec<(Option<Comparable>, u64, T)> = rows
        .into_iter()
        .map(|(id, row)| {
            let key = props_of(&row).get(&name).map(|v| comparable(t, v));
            (key, id, row)
        })
        .collect();
    keyed.sort_by(|a, b| {
        let ord = match (&a.0, &b.0) {
            (Some(x), Some(y)) => {
                let o = x.partial_cmp(y).unwrap_or(Ordering::Equal);
                if descending { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        ord.then(a.1.cmp(&b.1))
    });
    keyed.into_iter().map(|(_, id, row)| (id, row)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    fn types(name: &str) -> Option<PropertyType> {
        match name {
            "hs_object_id" | "price" => Some(PropertyType::Number),
            "lastmodifieddate" => Some(PropertyType::Datetime),
            "stage" => Some(PropertyType::Enumeration),
            _ => Some(PropertyType::String),
        }
    }

    fn filter(v: Value) -> Filter {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn limits_follow_the_doc() {
        let req = |v: Value| -> SearchRequest { serde_json::from_value(v).unwrap() };
        let group = json!({"filters": [{"propertyName": "a", "operator": "HAS_PROPERTY"}]});
        assert!(check_request(&req(json!({"filterGroups": vec![group.clone(); 5]}))).is_ok());
        assert!(check_request(&req(json!({"filterGroups": vec![group.clone(); 6]}))).is_err());
        let seven =
            json!({"filters": vec![json!({"propertyName": "a", "operator": "HAS_PROPERTY"}); 7]});
        assert!(check_request(&req(json!({"filterGroups": [seven]}))).is_err());
        let six =
            json!({"filters": vec![json!({"propertyName": "a", "operator": "HAS_PROPERTY"}); 6]});
        assert!(
            check_request(&req(json!({"filterGroups": vec![six.clone(); 3]}))).is_ok(),
            "18 in total"
        );
        let four =
            json!({"filters": vec![json!({"propertyName": "a", "operator": "HAS_PROPERTY"}); 4]});
        assert!(
            check_request(&req(
                json!({"filterGroups": [six.clone(), six.clone(), six, four]})
            ))
            .is_err(),
            "22 > 18"
        );
        assert!(check_request(&req(json!({"sorts": ["a", "b"]}))).is_err());
        assert!(check_request(&req(json!({"limit": 201}))).is_err());
        assert_eq!(
            check_request(&req(json!({"limit": 200, "after": "9800"}))).unwrap(),
            Page {
                offset: 9800,
                limit: 200
            }
        );
        assert!(check_request(&req(json!({"limit": 200, "after": "9900"}))).is_err());
        assert!(check_request(&req(json!({"after": "abc"}))).is_err());
        assert_eq!(
            check_request(&req(json!({}))).unwrap(),
            Page {
                offset: 0,
                limit: 10
            }
        );
    }

    #[test]
    fn operators_and_casing() {
        let p = props(&[
            ("email", "Ann@X.example"),
            ("price", "10.5"),
            ("stage", "Won"),
            ("hs_object_id", "120"),
        ]);
        let m = |f: Value| filter_matches(&p, &filter(f), &types);
        assert!(m(
            json!({"propertyName": "email", "operator": "EQ", "value": "ann@x.example"})
        ));
        assert!(
            !m(json!({"propertyName": "stage", "operator": "EQ", "value": "won"})),
            "enums are case-sensitive"
        );
        assert!(
            m(json!({"propertyName": "price", "operator": "GT", "value": "9"})),
            "numeric, not text"
        );
        assert!(m(
            json!({"propertyName": "hs_object_id", "operator": "GT", "value": "99"})
        ));
        assert!(m(
            json!({"propertyName": "price", "operator": "BETWEEN", "value": "10", "highValue": "11"})
        ));
        assert!(m(
            json!({"propertyName": "email", "operator": "IN", "values": ["ann@x.example"]})
        ));
        assert!(
            !m(json!({"propertyName": "email", "operator": "IN", "values": ["Ann@X.example"]})),
            "IN wants lower case"
        );
        assert!(m(
            json!({"propertyName": "phone", "operator": "NOT_HAS_PROPERTY"})
        ));
        assert!(m(
            json!({"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@x.example"})
        ));
        assert!(m(
            json!({"propertyName": "phone", "operator": "NEQ", "value": "1"})
        ));
    }

    #[test]
    fn datetime_filters_accept_epoch_ms_against_iso_values() {
        let p = props(&[("lastmodifieddate", "2025-01-01T00:00:01.000Z")]);
        let f = filter(
            json!({"propertyName": "lastmodifieddate", "operator": "GTE", "value": "1735689600000"}),
        );
        assert!(filter_matches(&p, &f, &types));
    }

    #[test]
    fn sort_puts_missing_last_and_breaks_ties_by_id() {
        let rows = vec![
            (3, props(&[("price", "5")])),
            (1, props(&[])),
            (2, props(&[("price", "20")])),
        ];
        let rows = sort_rows(rows, |p| p, Some(("price".into(), true)), &types);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 3, 1]);
        let rows = sort_rows(rows, |p| p, None, &types);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn groups_or_and_filters_and() {
        let p = props(&[("firstname", "Alice"), ("lastname", "Jones")]);
        let req: SearchRequest = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/hubspot/search-request-filter-groups.json"
        )))
        .unwrap();
        assert!(record_matches(&p, &req.filter_groups, &types));
        let p2 = props(&[
            ("firstname", "Alice"),
            ("lastname", "Smith"),
            ("email", "a@b.c"),
        ]);
        assert!(!record_matches(&p2, &req.filter_groups, &types));
    }
}

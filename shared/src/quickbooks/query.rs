//! `Query`: builds QBO query statements (docs/quickbooks.md §6) with escaped values, AND-only
//! filters, `Id IN (...)`, the inactive-records clause, a stable ORDERBY and paging.

use std::fmt::{self, Write as _};

use chrono::{DateTime, FixedOffset, SecondsFormat};

use super::error::QboError;
use super::limits::MAX_QUERY_RESULTS;

/// A value in a WHERE clause.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    Text(String),
    Bool(bool),
    /// Written as a quoted ISO timestamp (`MetaData.LastUpdatedTime > '...'`).
    Time(DateTime<FixedOffset>),
}

impl QueryValue {
    fn write(&self, out: &mut String) {
        match self {
            QueryValue::Text(s) => {
                out.push('\'');
                out.push_str(&escape(s));
                out.push('\'');
            }
            QueryValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            QueryValue::Time(t) => {
                let _ = write!(out, "'{}'", t.to_rfc3339_opts(SecondsFormat::Secs, false));
            }
        }
    }
}

impl From<&str> for QueryValue {
    fn from(s: &str) -> Self {
        QueryValue::Text(s.to_string())
    }
}
impl From<String> for QueryValue {
    fn from(s: String) -> Self {
        QueryValue::Text(s)
    }
}
impl From<bool> for QueryValue {
    fn from(b: bool) -> Self {
        QueryValue::Bool(b)
    }
}
impl From<DateTime<FixedOffset>> for QueryValue {
    fn from(t: DateTime<FixedOffset>) -> Self {
        QueryValue::Time(t)
    }
}

/// Escapes a string literal: `'` becomes `\'` (§6). Nothing else is documented as an escape.
pub fn escape(value: &str) -> String {
    value.replace('\'', "\\'")
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Compare {
        field: String,
        op: &'static str,
        value: QueryValue,
    },
    In {
        field: String,
        values: Vec<QueryValue>,
    },
}

/// What the statement selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Projection {
    All,
    Count,
}

/// A query statement under construction. Conditions are joined with AND (QBO has no OR).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    entity: String,
    projection: Projection,
    conditions: Vec<Condition>,
    order_by: Option<(String, bool)>,
    start_position: Option<u32>,
    max_results: Option<u32>,
}

impl Query {
    /// `SELECT * FROM <entity>`.
    pub fn select(entity: &str) -> Self {
        Self {
            entity: entity.to_string(),
            projection: Projection::All,
            conditions: Vec::new(),
            order_by: None,
            start_position: None,
            max_results: None,
        }
    }

    /// `SELECT COUNT(*) FROM <entity>`; answered with `totalCount` (§6).
    pub fn count(entity: &str) -> Self {
        Self {
            projection: Projection::Count,
            ..Self::select(entity)
        }
    }

    pub fn entity(&self) -> &str {
        &self.entity
    }

    fn compare(mut self, field: &str, op: &'static str, value: impl Into<QueryValue>) -> Self {
        self.conditions.push(Condition::Compare {
            field: field.to_string(),
            op,
            value: value.into(),
        });
        self
    }

    pub fn eq(self, field: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(field, "=", value)
    }
    pub fn gt(self, field: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(field, ">", value)
    }
    pub fn ge(self, field: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(field, ">=", value)
    }
    pub fn lt(self, field: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(field, "<", value)
    }
    pub fn le(self, field: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(field, "<=", value)
    }
    /// `LIKE` with `%` wildcards only (§6); the pattern is escaped like any value.
    pub fn like(self, field: &str, pattern: &str) -> Self {
        self.compare(field, "LIKE", pattern)
    }

    /// `<field> IN (...)`.
    pub fn is_in<V: Into<QueryValue>>(
        mut self,
        field: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.conditions.push(Condition::In {
            field: field.to_string(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Adds `Active IN (true,false)` so name lists return inactive records too (§6).
    pub fn include_inactive(self) -> Self {
        self.is_in("Active", [true, false])
    }

    /// `ORDERBY <field> [DESC]`.
    pub fn order_by(mut self, field: &str, descending: bool) -> Self {
        self.order_by = Some((field.to_string(), descending));
        self
    }

    /// `STARTPOSITION n` (1-based) and `MAXRESULTS m` (1..=1000, §6).
    pub fn page(mut self, start_position: u32, max_results: u32) -> Result<Self, QboError> {
        if start_position == 0 {
            return Err(QboError::InvalidRequest("STARTPOSITION is 1-based".into()));
        }
        if max_results == 0 || max_results > MAX_QUERY_RESULTS {
            return Err(QboError::InvalidRequest(format!(
                "MAXRESULTS must be 1..={MAX_QUERY_RESULTS}, got {max_results}"
            )));
        }
        self.start_position = Some(start_position);
        self.max_results = Some(max_results);
        Ok(self)
    }

    pub fn max_results(&self) -> Option<u32> {
        self.max_results
    }

    /// Whether an ORDERBY is set (paging needs one to be stable).
    pub fn is_ordered(&self) -> bool {
        self.order_by.is_some()
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        match self.projection {
            Projection::All => out.push_str("SELECT * FROM "),
            Projection::Count => out.push_str("SELECT COUNT(*) FROM "),
        }
        out.push_str(&self.entity);
        for (i, condition) in self.conditions.iter().enumerate() {
            out.push_str(if i == 0 { " WHERE " } else { " AND " });
            match condition {
                Condition::Compare { field, op, value } => {
                    let _ = write!(out, "{field} {op} ");
                    value.write(&mut out);
                }
                Condition::In { field, values } => {
                    let _ = write!(out, "{field} IN (");
                    for (j, v) in values.iter().enumerate() {
                        if j > 0 {
                            out.push(',');
                        }
                        v.write(&mut out);
                    }
                    out.push(')');
                }
            }
        }
        if let Some((field, descending)) = &self.order_by {
            let _ = write!(
                out,
                " ORDERBY {field}{}",
                if *descending { " DESC" } else { "" }
            );
        }
        if let Some(start) = self.start_position {
            let _ = write!(out, " STARTPOSITION {start}");
        }
        if let Some(max) = self.max_results {
            let _ = write!(out, " MAXRESULTS {max}");
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_conditions_joined_with_and() {
        let q = Query::select("Customer")
            .eq("DisplayName", "O'Brien Ltd")
            .include_inactive();
        assert_eq!(
            q.to_string(),
            r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien Ltd' AND Active IN (true,false)"
        );
    }

    #[test]
    fn paging_is_ordered_and_bounded() {
        let q = Query::select("Customer")
            .order_by("Id", false)
            .page(1001, 1000)
            .unwrap();
        assert_eq!(
            q.to_string(),
            "SELECT * FROM Customer ORDERBY Id STARTPOSITION 1001 MAXRESULTS 1000"
        );
        assert!(Query::select("Item").page(1, 1001).is_err());
        assert!(Query::select("Item").page(0, 10).is_err());
        assert!(Query::select("Item").page(1, 0).is_err());
    }

    #[test]
    fn id_in_count_and_time_filters_render_as_documented() {
        let q = Query::select("Item").is_in("Id", ["1", "2", "3"]);
        assert_eq!(
            q.to_string(),
            "SELECT * FROM Item WHERE Id IN ('1','2','3')"
        );
        let c = Query::count("Invoice").eq("CustomerRef", "123");
        assert_eq!(
            c.to_string(),
            "SELECT COUNT(*) FROM Invoice WHERE CustomerRef = '123'"
        );
        let t = DateTime::parse_from_rfc3339("2026-03-01T00:00:00-08:00").unwrap();
        let q = Query::select("Invoice")
            .gt("MetaData.LastUpdatedTime", t)
            .order_by("MetaData.LastUpdatedTime", true);
        assert_eq!(
            q.to_string(),
            "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > '2026-03-01T00:00:00-08:00' ORDERBY MetaData.LastUpdatedTime DESC"
        );
    }

    #[test]
    fn like_patterns_escape_quotes_too() {
        let q = Query::select("Customer").like("DisplayName", "Amy's%");
        assert_eq!(
            q.to_string(),
            r"SELECT * FROM Customer WHERE DisplayName LIKE 'Amy\'s%'"
        );
    }
}

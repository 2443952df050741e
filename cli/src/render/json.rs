//! Admin API answers as tables: an array of JSON objects becomes one row per object with a
//! column per key (in first-seen order), so a new field in an answer shows without a CLI change.

use comfy_table::Table;
use serde_json::Value;

use super::table;

/// A scalar as people read it (strings unquoted, null empty); arrays and objects as compact JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// The keys of `rows` in first-seen order.
fn columns(rows: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(map) = row {
            for key in map.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    columns
}

/// One row per object of `rows`; `None` when there are none (or they are not objects).
pub fn objects_table(rows: &[Value]) -> Option<Table> {
    let columns = columns(rows);
    if columns.is_empty() {
        return None;
    }
    let header: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut t = table(&header);
    for row in rows {
        t.add_row(
            columns
                .iter()
                .map(|c| row.get(c).map(cell).unwrap_or_default())
                .collect::<Vec<_>>(),
        );
    }
    Some(t)
}

/// An answer object as text: its scalar fields as `key: value` lines, then each field that is
/// an array of objects (or an object of objects, keyed) as a titled table.
pub fn document(value: &Value) -> String {
    let Value::Object(map) = value else {
        return match value {
            Value::Array(rows) => objects_table(rows)
                .map(|t| t.to_string())
                .unwrap_or_else(|| "(none)".into()),
            other => cell(other),
        };
    };
    let mut lines = Vec::new();
    let mut tables = Vec::new();
    for (key, field) in map {
        match field {
            Value::Array(rows) if rows.iter().all(Value::is_object) => {
                let body = objects_table(rows)
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "(none)".into());
                tables.push(format!("{key}:\n{body}"));
            }
            Value::Object(inner) if !inner.is_empty() && inner.values().all(Value::is_object) => {
                let rows: Vec<Value> = inner
                    .iter()
                    .map(|(name, v)| {
                        let mut row = serde_json::Map::new();
                        row.insert("name".into(), Value::String(name.clone()));
                        if let Value::Object(fields) = v {
                            row.extend(fields.clone());
                        }
                        Value::Object(row)
                    })
                    .collect();
                if let Some(t) = objects_table(&rows) {
                    tables.push(format!("{key}:\n{t}"));
                }
            }
            other => lines.push(format!("{key}: {}", cell(other))),
        }
    }
    lines.extend(tables);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_become_rows_with_every_key_as_a_column() {
        let rows = vec![
            json!({"id": "a", "lane": "live"}),
            json!({"id": "b", "reason": "boom", "attempts": 3}),
        ];
        let text = objects_table(&rows).unwrap().to_string();
        for word in ["id", "lane", "reason", "attempts", "boom", "live", "3"] {
            assert!(text.contains(word), "{word} in {text}");
        }
        assert!(objects_table(&[]).is_none());
    }

    #[test]
    fn a_document_lists_scalars_then_tables() {
        let text = document(&json!({
            "run_id": "r1",
            "kinds": [{"kind": "contact", "listed": 4}],
            "objects": {"contact": {"state": "enabled"}},
        }));
        assert!(text.starts_with("run_id: r1"), "{text}");
        assert!(text.contains("kinds:\n"), "{text}");
        assert!(text.contains("contact"), "{text}");
        assert!(text.contains("objects:\n"), "{text}");
        assert!(text.contains("enabled"), "{text}");
    }
}

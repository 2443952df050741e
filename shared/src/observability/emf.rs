//! CloudWatch Embedded Metric Format documents: one JSON object per line on stdout, which
//! CloudWatch Logs turns into metrics (no PutMetricData call, no extra IAM permission).
//!
//! Hand-written because the format is one small JSON shape and no maintained Rust EMF crate
//! exists; the shape follows the AWS "Specification: Embedded metric format".

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// Most metrics one EMF document may declare (the format's limit).
pub const MAX_METRICS_PER_DOCUMENT: usize = 100;
/// Most values one metric may carry in one document (the format's limit).
pub const MAX_VALUES_PER_METRIC: usize = 100;

/// The `level` every EMF line carries. With the JSON log format Lambda filters application logs
/// by their `"level"` key and treats a line without one as INFO, so an `ApplicationLogLevel` of
/// WARN or above would drop level-less metric lines and silence every alarm built on them
/// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
/// FATAL is the most severe level and so the one no `ApplicationLogLevel` drops. The lines are
/// written straight to stdout, outside the `tracing` filter, so `RUST_LOG` cannot drop them
/// either. (The dashboard's "warnings and errors" query selects WARN and ERROR only.)
pub const EMF_LOG_LEVEL: &str = "FATAL";

/// A CloudWatch unit for the metrics we publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF document: a namespace, one set of dimension values, and metrics with their values.
/// Each metric is published both with the dimensions and without any (the roll-up alarms use).
#[derive(Debug, Clone, PartialEq)]
pub struct EmfDocument {
    pub namespace: String,
    pub timestamp: DateTime<Utc>,
    /// Dimension name -> value, e.g. `Kind = contact`.
    pub dimensions: BTreeMap<String, String>,
    /// Metric name -> (unit, values). Values of counters are usually one summed number.
    pub metrics: BTreeMap<String, (Unit, Vec<f64>)>,
}

impl EmfDocument {
    /// The document as the JSON object CloudWatch expects. Metrics beyond the format's limits
    /// must be split by the caller (see [`crate::observability::Metrics::take_documents`]).
    pub fn to_json(&self) -> Value {
        let dimension_names: Vec<&str> = self.dimensions.keys().map(String::as_str).collect();
        let dimension_sets: Vec<Vec<&str>> = if dimension_names.is_empty() {
            vec![vec![]]
        } else {
            vec![dimension_names, vec![]]
        };
        let declared: Vec<Value> = self
            .metrics
            .iter()
            .map(|(name, (unit, _))| json!({"Name": name, "Unit": unit.as_str()}))
            .collect();
        let mut root = Map::new();
        root.insert("level".into(), Value::String(EMF_LOG_LEVEL.into()));
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": self.timestamp.timestamp_millis(),
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": dimension_sets,
                    "Metrics": declared,
                }],
            }),
        );
        for (name, value) in &self.dimensions {
            root.insert(name.clone(), Value::String(value.clone()));
        }
        for (name, (_, values)) in &self.metrics {
            let value = match values.as_slice() {
                [one] => json!(one),
                many => json!(many),
            };
            root.insert(name.clone(), value);
        }
        Value::Object(root)
    }

    /// Writes the document as one line (EMF needs exactly one JSON object per log event).
    pub fn write_line(&self, out: &mut impl Write) -> std::io::Result<()> {
        let line = serde_json::to_string(&self.to_json()).map_err(std::io::Error::other)?;
        writeln!(out, "{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_declares_each_metric_and_carries_dimensions_and_values_at_the_root() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let doc = EmfDocument {
            namespace: "HQSync".into(),
            timestamp: at,
            dimensions: BTreeMap::from([("Kind".into(), "contact".into())]),
            metrics: BTreeMap::from([
                ("RecordsSynced".into(), (Unit::Count, vec![3.0])),
                ("SyncLag".into(), (Unit::Milliseconds, vec![120.0, 80.0])),
            ]),
        };
        let json = doc.to_json();
        assert_eq!(json["_aws"]["Timestamp"], json!(at.timestamp_millis()));
        let directive = &json["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "HQSync");
        assert_eq!(directive["Dimensions"], json!([["Kind"], []]));
        assert_eq!(
            directive["Metrics"],
            json!([
                {"Name": "RecordsSynced", "Unit": "Count"},
                {"Name": "SyncLag", "Unit": "Milliseconds"}
            ])
        );
        assert_eq!(json["Kind"], "contact");
        assert_eq!(
            json["level"], "FATAL",
            "a level no ApplicationLogLevel drops"
        );
        assert_eq!(json["RecordsSynced"], json!(3.0));
        assert_eq!(json["SyncLag"], json!([120.0, 80.0]));

        let mut out = Vec::new();
        doc.write_line(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.ends_with('\n'));
        let reparsed: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(reparsed, json);
    }

    #[test]
    fn document_without_dimensions_uses_one_empty_dimension_set() {
        let doc = EmfDocument {
            namespace: "HQSync".into(),
            timestamp: Utc::now(),
            dimensions: BTreeMap::new(),
            metrics: BTreeMap::from([("ReconnectRequired".into(), (Unit::Count, vec![1.0]))]),
        };
        let json = doc.to_json();
        assert_eq!(
            json["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert_eq!(json["ReconnectRequired"], json!(1.0));
    }
}

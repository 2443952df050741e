//! The HQSync metrics (one place for their names, units and dimensions): records synced,
//! failed and conflicted per kind and direction, API calls and throttles per vendor, sync lag,
//! reconnect-required (events and the poller's state gauge), broken connections; accumulated per
//! invocation and flushed as EMF documents. The series emitted on every sync (records synced,
//! API calls, sync lag) are "detail" metrics, published only when the stack asks for them
//! (`METRICS_DETAIL`, infra/DEPLOY.md "Cost"); the alarm metrics are always published.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::emf::{EmfDocument, MAX_METRICS_PER_DOCUMENT, MAX_VALUES_PER_METRIC, Unit};
use crate::model::{ObjectKind, Side};
use crate::ports::SyncOutcome;

/// The CloudWatch namespace of every HQSync metric (alarms and the dashboard in template.yaml
/// refer to it).
pub const METRICS_NAMESPACE: &str = "HQSync";

/// Every metric HQSync publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricName {
    /// Records that reached agreement (dimensions: Kind, Direction).
    RecordsSynced,
    /// Records whose sync attempt failed (dimensions: Kind, Direction).
    RecordsFailed,
    /// Records synced after settling a conflict (dimensions: Kind, Direction).
    RecordsConflicted,
    /// Calls made to a vendor API (dimension: Vendor).
    ApiCalls,
    /// 429 answers from a vendor API (dimension: Vendor).
    ApiThrottles,
    /// Time from a change being seen (job `seen_at`) to it being synced (no dimensions).
    SyncLag,
    /// A connection's tokens could not be refreshed; the user must reconnect (dimension: Vendor).
    ReconnectRequired,
    /// Stored connections that cannot be read (malformed record or settings); the poller skips
    /// them and polls the others (no dimensions).
    BrokenConnections,
    /// A gauge the poller sets on every poll while any connection is in the reconnect-required
    /// state: how many are (no dimensions). Unlike the `ReconnectRequired` event it stays up
    /// as long as a connection stays paused, so its alarm does not return to OK on its own.
    ReconnectRequiredConnections,
}

impl MetricName {
    /// Every metric, for the template cross-check (tests/integration/template_metrics.rs).
    pub const ALL: [MetricName; 9] = [
        MetricName::RecordsSynced,
        MetricName::RecordsFailed,
        MetricName::RecordsConflicted,
        MetricName::ApiCalls,
        MetricName::ApiThrottles,
        MetricName::SyncLag,
        MetricName::ReconnectRequired,
        MetricName::BrokenConnections,
        MetricName::ReconnectRequiredConnections,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricName::RecordsSynced => "RecordsSynced",
            MetricName::RecordsFailed => "RecordsFailed",
            MetricName::RecordsConflicted => "RecordsConflicted",
            MetricName::ApiCalls => "ApiCalls",
            MetricName::ApiThrottles => "ApiThrottles",
            MetricName::SyncLag => "SyncLag",
            MetricName::ReconnectRequired => "ReconnectRequired",
            MetricName::BrokenConnections => "BrokenConnections",
            MetricName::ReconnectRequiredConnections => "ReconnectRequiredConnections",
        }
    }

    /// Detail metrics: emitted on (nearly) every invocation, so each of their series costs a
    /// custom metric every hour; no alarm reads them, only the optional dashboard.
    pub fn is_detail(self) -> bool {
        matches!(
            self,
            MetricName::RecordsSynced | MetricName::ApiCalls | MetricName::SyncLag
        )
    }

    pub fn unit(self) -> Unit {
        match self {
            MetricName::SyncLag => Unit::Milliseconds,
            _ => Unit::Count,
        }
    }

    /// Counters are summed within a flush; distributions keep every value.
    fn is_counter(self) -> bool {
        self.unit() == Unit::Count
    }
}

/// How one record's sync ended, as the record metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Synced,
    Failed,
    Conflicted,
}

impl Outcome {
    /// The metric of an engine outcome; `None` for records excluded by filters.
    pub fn of(outcome: &SyncOutcome) -> Option<Outcome> {
        match outcome {
            SyncOutcome::Synced { .. } => Some(Outcome::Synced),
            SyncOutcome::Conflict { .. } => Some(Outcome::Conflicted),
            SyncOutcome::Failed(_) => Some(Outcome::Failed),
            SyncOutcome::Excluded { .. } => None,
        }
    }

    fn metric(self) -> MetricName {
        match self {
            Outcome::Synced => MetricName::RecordsSynced,
            Outcome::Failed => MetricName::RecordsFailed,
            Outcome::Conflicted => MetricName::RecordsConflicted,
        }
    }
}

type Dimensions = BTreeMap<String, String>;
type Series = BTreeMap<MetricName, Vec<f64>>;

/// Metrics of one invocation, shared by cheap clones; `take_documents`/`flush` drain them.
#[derive(Debug, Clone)]
pub struct Metrics {
    pending: Arc<Mutex<BTreeMap<Dimensions, Series>>>,
    /// Whether [`MetricName::is_detail`] metrics are published (they are always counted).
    detail: bool,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            pending: Arc::default(),
            detail: true,
        }
    }
}

impl Metrics {
    /// Metrics that publish everything (the local runtime, tests).
    pub fn new() -> Self {
        Self::default()
    }

    /// Metrics that publish the detail metrics only if `detail` (the stack's `METRICS_DETAIL`);
    /// the alarm metrics are published either way.
    pub fn publishing_detail(detail: bool) -> Self {
        Metrics {
            detail,
            ..Self::default()
        }
    }

    /// Counts the outcomes of sync log entries: each entry is about a record on `entry.side`,
    /// synced towards the other side.
    pub fn record_log(&self, entries: &[crate::ports::SyncLogEntry]) {
        for entry in entries {
            if let Some(outcome) = Outcome::of(&entry.outcome) {
                self.record(entry.kind, entry.side.other(), outcome);
            }
        }
    }

    /// One record's outcome; `target` is the side written to (the Direction dimension is
    /// `to_hubspot` / `to_quickbooks`, the names the settings use).
    pub fn record(&self, kind: ObjectKind, target: Side, outcome: Outcome) {
        self.add(outcome.metric(), kind_direction(kind, target), 1.0);
    }

    pub fn api_call(&self, vendor: Side) {
        self.add(MetricName::ApiCalls, vendor_dimension(vendor), 1.0);
    }

    pub fn api_throttled(&self, vendor: Side) {
        self.add(MetricName::ApiThrottles, vendor_dimension(vendor), 1.0);
    }

    /// Change seen at `seen_at`, synced at `synced_at` (negative lags from clock skew count as 0).
    /// One series for every kind: a dimension per kind would be four more custom metrics paid
    /// for every hour (infra/DEPLOY.md §17), for a number whose alarm is the queue's age.
    pub fn sync_lag(&self, seen_at: DateTime<Utc>, synced_at: DateTime<Utc>) {
        let lag = (synced_at - seen_at)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .as_millis() as f64;
        self.add(MetricName::SyncLag, Dimensions::new(), lag);
    }

    /// The alarm metric: a connection needs the user to reconnect `vendor`.
    pub fn reconnect_required(&self, vendor: Side) {
        self.add(MetricName::ReconnectRequired, vendor_dimension(vendor), 1.0);
    }

    /// The poller's gauge: `count` connections are waiting for a reconnect. Called on every
    /// poll with a count above zero; a poll that finds none emits nothing, so the alarm's
    /// missing data (not breaching) returns it to OK and no series is paid for meanwhile.
    pub fn reconnect_required_connections(&self, count: usize) {
        if count > 0 {
            self.add(
                MetricName::ReconnectRequiredConnections,
                Dimensions::new(),
                count as f64,
            );
        }
    }

    /// `count` stored connections could not be read this run.
    pub fn broken_connections(&self, count: usize) {
        self.add(
            MetricName::BrokenConnections,
            Dimensions::new(),
            count as f64,
        );
    }

    /// The current total of a counter (or the number of values of a distribution) for the
    /// given dimensions, without draining. For tests and local status output.
    pub fn count(&self, name: MetricName, dimensions: &[(&str, &str)]) -> f64 {
        let dims: Dimensions = dimensions
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        match pending.get(&dims).and_then(|series| series.get(&name)) {
            Some(values) if name.is_counter() => values.iter().sum(),
            Some(values) => values.len() as f64,
            None => 0.0,
        }
    }

    /// Drains everything recorded so far into EMF documents (one per dimension set, split at
    /// the format's limits), stamped with `at`.
    pub fn take_documents(&self, at: DateTime<Utc>) -> Vec<EmfDocument> {
        let drained =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        let mut documents = Vec::new();
        for (dimensions, series) in drained {
            let mut current = BTreeMap::new();
            for (name, values) in series {
                if name.is_detail() && !self.detail {
                    continue;
                }
                for chunk in values.chunks(MAX_VALUES_PER_METRIC) {
                    if current.len() == MAX_METRICS_PER_DOCUMENT
                        || current.contains_key(name.as_str())
                    {
                        documents.push(document(&dimensions, std::mem::take(&mut current), at));
                    }
                    current.insert(name.as_str().to_owned(), (name.unit(), chunk.to_vec()));
                }
            }
            if !current.is_empty() {
                documents.push(document(&dimensions, current, at));
            }
        }
        documents
    }

    /// Drains and writes the documents to stdout, where Lambda's log pipeline extracts them.
    /// A failed write is reported on stderr: metrics must never fail an invocation.
    pub fn flush(&self, at: DateTime<Utc>) {
        let documents = self.take_documents(at);
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for doc in documents {
            if let Err(err) = doc.write_line(&mut out) {
                eprintln!("hqsync: could not write EMF metrics: {err}");
                return;
            }
        }
    }

    fn add(&self, name: MetricName, dimensions: Dimensions, value: f64) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let values = pending
            .entry(dimensions)
            .or_default()
            .entry(name)
            .or_default();
        if name.is_counter() {
            match values.first_mut() {
                Some(total) => *total += value,
                None => values.push(value),
            }
        } else {
            values.push(value);
        }
    }
}

fn document(
    dimensions: &Dimensions,
    metrics: BTreeMap<String, (Unit, Vec<f64>)>,
    at: DateTime<Utc>,
) -> EmfDocument {
    EmfDocument {
        namespace: METRICS_NAMESPACE.to_owned(),
        timestamp: at,
        dimensions: dimensions.clone(),
        metrics,
    }
}

fn kind_direction(kind: ObjectKind, target: Side) -> Dimensions {
    Dimensions::from([
        ("Kind".to_owned(), kind.as_str().to_owned()),
        ("Direction".to_owned(), format!("to_{}", target.as_str())),
    ])
}

fn vendor_dimension(vendor: Side) -> Dimensions {
    Dimensions::from([("Vendor".to_owned(), vendor.as_str().to_owned())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::FailureDetail;
    use serde_json::json;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn counters_sum_per_dimension_set_and_drain_on_take() {
        let metrics = Metrics::new();
        let clone = metrics.clone();
        metrics.record(ObjectKind::Contact, Side::Quickbooks, Outcome::Synced);
        clone.record(ObjectKind::Contact, Side::Quickbooks, Outcome::Synced);
        metrics.record(ObjectKind::Contact, Side::Hubspot, Outcome::Failed);
        metrics.api_call(Side::Quickbooks);
        metrics.api_call(Side::Quickbooks);
        metrics.api_throttled(Side::Quickbooks);
        assert_eq!(
            metrics.count(
                MetricName::RecordsSynced,
                &[("Kind", "contact"), ("Direction", "to_quickbooks")]
            ),
            2.0
        );

        let docs = metrics.take_documents(at());
        let jsons: Vec<_> = docs.iter().map(EmfDocument::to_json).collect();
        let to_qbo = jsons
            .iter()
            .find(|d| d["Direction"] == "to_quickbooks")
            .unwrap();
        assert_eq!(to_qbo["RecordsSynced"], json!(2.0));
        assert_eq!(to_qbo["Kind"], "contact");
        let to_hs = jsons
            .iter()
            .find(|d| d["Direction"] == "to_hubspot")
            .unwrap();
        assert_eq!(to_hs["RecordsFailed"], json!(1.0));
        assert!(to_hs.get("RecordsSynced").is_none());
        let vendor = jsons.iter().find(|d| d["Vendor"] == "quickbooks").unwrap();
        assert_eq!(vendor["ApiCalls"], json!(2.0));
        assert_eq!(vendor["ApiThrottles"], json!(1.0));
        assert_eq!(jsons.len(), 3);

        assert!(metrics.take_documents(at()).is_empty(), "take drains");
    }

    #[test]
    fn sync_lag_keeps_each_value_in_milliseconds_and_clamps_negative_lag() {
        let metrics = Metrics::new();
        let seen = at();
        metrics.sync_lag(seen, seen + chrono::Duration::milliseconds(1500));
        metrics.sync_lag(seen, seen - chrono::Duration::seconds(2));
        let docs = metrics.take_documents(at());
        assert_eq!(docs.len(), 1);
        let json = docs[0].to_json();
        assert_eq!(json["SyncLag"], json!([1500.0, 0.0]));
        assert_eq!(
            json["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Milliseconds"
        );
    }

    #[test]
    fn more_values_than_the_format_allows_are_split_across_documents() {
        let metrics = Metrics::new();
        let seen = at();
        for ms in 0..(MAX_VALUES_PER_METRIC as i64 + 5) {
            metrics.sync_lag(seen, seen + chrono::Duration::milliseconds(ms));
        }
        let docs = metrics.take_documents(at());
        assert_eq!(docs.len(), 2);
        let sizes: Vec<usize> = docs.iter().map(|d| d.metrics["SyncLag"].1.len()).collect();
        assert_eq!(sizes, vec![MAX_VALUES_PER_METRIC, 5]);
    }

    #[test]
    fn engine_outcomes_map_to_record_metrics_and_exclusions_to_none() {
        assert_eq!(
            Outcome::of(&SyncOutcome::Synced {
                note: None,
                warnings: Vec::new(),
            }),
            Some(Outcome::Synced)
        );
        assert_eq!(
            Outcome::of(&SyncOutcome::Conflict { conflicts: vec![] }),
            Some(Outcome::Conflicted)
        );
        let failed = SyncOutcome::Failed(FailureDetail {
            code: None,
            message: "x".into(),
            suggested_fix: None,
        });
        assert_eq!(Outcome::of(&failed), Some(Outcome::Failed));
        assert_eq!(
            Outcome::of(&SyncOutcome::Excluded { filter: "f".into() }),
            None
        );
    }

    #[test]
    fn without_detail_only_the_alarm_metrics_are_published() {
        let metrics = Metrics::publishing_detail(false);
        metrics.record(ObjectKind::Contact, Side::Quickbooks, Outcome::Synced);
        metrics.record(ObjectKind::Contact, Side::Quickbooks, Outcome::Failed);
        metrics.api_call(Side::Hubspot);
        metrics.api_throttled(Side::Hubspot);
        metrics.sync_lag(at(), at());
        assert_eq!(
            metrics.count(MetricName::ApiCalls, &[("Vendor", "hubspot")]),
            1.0,
            "still counted"
        );
        let names: Vec<String> = metrics
            .take_documents(at())
            .iter()
            .flat_map(|d| d.metrics.keys().cloned().collect::<Vec<_>>())
            .collect();
        assert_eq!(names, ["RecordsFailed", "ApiThrottles"]);

        let detailed = Metrics::publishing_detail(true);
        detailed.api_call(Side::Hubspot);
        assert_eq!(detailed.take_documents(at()).len(), 1);
    }

    #[test]
    fn the_reconnect_gauge_is_emitted_only_while_a_connection_waits() {
        let metrics = Metrics::new();
        metrics.reconnect_required_connections(0);
        assert!(metrics.take_documents(at()).is_empty());
        metrics.reconnect_required_connections(2);
        let json = metrics.take_documents(at())[0].to_json();
        assert_eq!(json["ReconnectRequiredConnections"], json!(2.0));
        assert_eq!(
            json["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
    }

    #[test]
    fn reconnect_required_is_published_per_vendor_with_a_roll_up() {
        let metrics = Metrics::new();
        metrics.reconnect_required(Side::Quickbooks);
        let json = metrics.take_documents(at())[0].to_json();
        assert_eq!(json["ReconnectRequired"], json!(1.0));
        assert_eq!(json["Vendor"], "quickbooks");
        assert_eq!(
            json["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Vendor"], []])
        );
    }
}

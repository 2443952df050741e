//! `template.yaml` against the metrics code: every alarm and dashboard line on the HQSync
//! namespace names a metric `shared/src/observability/metrics.rs` defines, every alarmed metric
//! is published without the dashboard's detail switch, and the EMF lines' level is one no
//! `ApplicationLogLevel` choice drops (docs/aws.md §10).
//!
//! Read line by line, as tests/integration/template_binaries.rs does: CloudFormation tags are not
//! plain YAML, and these are one-line facts.

use std::path::Path;

use hqsync::observability::MetricName;
use hqsync::observability::emf::EMF_LOG_LEVEL;

/// Lambda's application log levels, least to most severe
/// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
const LAMBDA_LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

fn template() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository root");
    std::fs::read_to_string(root.join("template.yaml")).expect("template.yaml")
}

fn metric(name: &str) -> Option<MetricName> {
    MetricName::ALL.into_iter().find(|m| m.as_str() == name)
}

/// `MetricName: X` lines of alarms whose previous `Namespace:` line is HQSync.
fn alarmed_metrics(template: &str) -> Vec<String> {
    let mut namespace = String::new();
    let mut names = Vec::new();
    for line in template.lines().map(str::trim) {
        if let Some(ns) = line.strip_prefix("Namespace:") {
            namespace = ns.trim().to_owned();
        } else if let Some(name) = line.strip_prefix("MetricName:")
            && namespace == "HQSync"
        {
            names.push(name.trim().to_owned());
        }
    }
    names
}

#[test]
fn every_alarmed_metric_exists_and_is_published_without_the_dashboard() {
    let alarmed = alarmed_metrics(&template());
    assert!(
        alarmed.len() >= 3,
        "expected the throttle, reconnect and broken-connection alarms, got {alarmed:?}"
    );
    for name in &alarmed {
        let metric = metric(name).unwrap_or_else(|| {
            panic!("template.yaml alarms on HQSync {name}, which no code emits")
        });
        assert!(
            !metric.is_detail(),
            "{name} is a detail metric (published only with Dashboard=true): its alarm would never fire"
        );
    }
    assert!(alarmed.iter().any(|n| n == "ReconnectRequiredConnections"));
}

#[test]
fn every_hqsync_metric_on_the_dashboard_exists() {
    let template = template();
    for (at, _) in template.match_indices("[\"HQSync\", \"") {
        let rest = &template[at + "[\"HQSync\", \"".len()..];
        let name = &rest[..rest.find('"').expect("closing quote")];
        assert!(
            metric(name).is_some(),
            "the dashboard graphs unknown HQSync {name}"
        );
    }
    for (at, _) in template.match_indices("MetricName=\\\"") {
        let rest = &template[at + "MetricName=\\\"".len()..];
        let name = &rest[..rest.find('\\').expect("closing quote")];
        assert!(
            metric(name).is_some(),
            "a dashboard SEARCH names unknown HQSync {name}"
        );
    }
}

#[test]
fn the_emf_level_is_kept_at_every_application_log_level() {
    let template = template();
    let allowed = template
        .lines()
        .skip_while(|l| l.trim() != "ApplicationLogLevel:")
        .find_map(|l| l.trim().strip_prefix("AllowedValues:"))
        .expect("ApplicationLogLevel has AllowedValues");
    let emf = LAMBDA_LEVELS
        .iter()
        .position(|l| *l == EMF_LOG_LEVEL)
        .expect("the EMF level is a Lambda level (an unknown one counts as INFO)");
    for level in allowed.trim().trim_matches(['[', ']']).split(',') {
        let level = level.trim();
        let at = LAMBDA_LEVELS
            .iter()
            .position(|l| *l == level)
            .unwrap_or_else(|| panic!("ApplicationLogLevel allows unknown level {level}"));
        assert!(
            emf >= at,
            "ApplicationLogLevel {level} would drop EMF lines logged at {EMF_LOG_LEVEL}"
        );
    }
}

//! Observability shared by the Lambda functions and the local runtime: CloudWatch metrics in
//! Embedded Metric Format (EMF), written as JSON lines that CloudWatch Logs turns into metrics.

pub mod emf;
pub mod metrics;

pub use emf::{EmfDocument, Unit};
pub use metrics::{METRICS_NAMESPACE, MetricName, Metrics, Outcome};

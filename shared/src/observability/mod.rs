//! Observability shared by the Lambda functions and the local runtime: CloudWatch metrics in
//! Embedded Metric Format (EMF), written as JSON lines that CloudWatch Logs turns into metrics.

pub mod emf;
pub mod metered_gateway;
pub mod metrics;

pub use emf::{EmfDocument, Unit};
pub use metered_gateway::MeteredGateway;
pub use metrics::{METRICS_NAMESPACE, MetricName, Metrics, Outcome};

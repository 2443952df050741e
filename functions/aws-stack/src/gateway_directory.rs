//! The engine's `GatewayDirectory` on AWS: `hqsync::tokens::RefreshingGateways` (shared with
//! the local runtime) on this stack's endpoints, every call metered for EMF.

use std::sync::Arc;

use hqsync::observability::Metrics;
use hqsync::ports::Clock;
pub use hqsync::tokens::LOCAL_ENVIRONMENT;
use hqsync::tokens::{RefreshingGateways, TokenRefresher};

use crate::config::VendorEndpoints;
use crate::vendor_oauth::vendor_urls;

/// The Lambdas' directory (the shared refreshing one).
pub type AwsGateways = RefreshingGateways;

/// Per-connection gateways on `vendors`, tokens from `refresher`, calls metered into `metrics`.
pub fn aws_gateways(
    refresher: TokenRefresher,
    vendors: &VendorEndpoints,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
) -> AwsGateways {
    RefreshingGateways::new(refresher, vendor_urls(vendors), clock).with_metrics(metrics)
}

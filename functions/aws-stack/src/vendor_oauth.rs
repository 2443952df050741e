//! The vendors' OAuth refresh for the Lambdas: `hqsync::tokens::VendorOAuth` (shared with the
//! local runtime) pointed at the endpoints this stack's configuration names.

use std::sync::Arc;

use hqsync::ports::Clock;
pub use hqsync::tokens::VendorOAuth;
use hqsync::tokens::VendorUrls;

use crate::config::VendorEndpoints;

/// The shared form of the stack's endpoint overrides.
pub fn vendor_urls(endpoints: &VendorEndpoints) -> VendorUrls {
    VendorUrls {
        hubspot_base_url: endpoints.hubspot_base_url.clone(),
        quickbooks_base_url: endpoints.quickbooks_base_url.clone(),
        quickbooks_token_url: endpoints.quickbooks_token_url.clone(),
    }
}

/// Refreshes at the vendors (or where `endpoints` points), expiry counted on `clock`.
pub fn vendor_oauth(endpoints: &VendorEndpoints, clock: Arc<dyn Clock>) -> VendorOAuth {
    VendorOAuth::new(vendor_urls(endpoints), clock)
}

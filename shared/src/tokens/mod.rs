//! OAuth token upkeep for every runtime (Lambda and local): the lease-guarded refresher, the
//! vendors' token endpoints behind it, and the gateway directory that follows refreshed tokens.

pub mod refresher;
pub mod refreshing_gateways;
pub mod vendor_oauth;
pub mod vendor_urls;

pub use refresher::{
    OAuthRefresh, REFRESH_LEASE_TTL, REFRESH_MARGIN, RefreshError, RefreshFailure, TokenRefresher,
};
pub use refreshing_gateways::{RefreshingGateways, gateway_error};
pub use vendor_oauth::VendorOAuth;
pub use vendor_urls::{LOCAL_ENVIRONMENT, VendorUrls, quickbooks_token_url_at};

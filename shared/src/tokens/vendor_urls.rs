//! Where the vendors' APIs and token endpoints are when not at their public addresses (the
//! local sandboxes, a local cloud), as one value both the refresher and the directory read.

use url::Url;

use crate::quickbooks::environment::TOKEN_ENDPOINT;

/// The `environment` of a connection whose QBO company is at [`VendorUrls::quickbooks_base_url`]
/// (the local sandbox); the others are `production` and `sandbox` (Intuit's hosts).
pub const LOCAL_ENVIRONMENT: &str = "local";

/// Overrides of the vendors' public addresses; `None` = the real one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorUrls {
    /// The HubSpot API, which also serves its token endpoint (`/oauth/...`).
    pub hubspot_base_url: Option<String>,
    /// The API base of connections whose environment is [`LOCAL_ENVIRONMENT`].
    pub quickbooks_base_url: Option<Url>,
    /// Intuit's token endpoint replacement.
    pub quickbooks_token_url: Option<Url>,
}

/// The token endpoint of a QBO stand-in at `base`: Intuit's path on that host (the sandbox
/// serves `/oauth2/v1/tokens/bearer` beside the API).
pub fn quickbooks_token_url_at(base: &Url) -> Url {
    let path = Url::parse(TOKEN_ENDPOINT).expect("constant URL");
    let mut url = base.clone();
    url.set_path(path.path());
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stand_ins_token_endpoint_is_intuits_path_on_its_host() {
        let base = Url::parse("http://127.0.0.1:4020").unwrap();
        assert_eq!(
            quickbooks_token_url_at(&base).as_str(),
            "http://127.0.0.1:4020/oauth2/v1/tokens/bearer"
        );
    }
}

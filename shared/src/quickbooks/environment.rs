//! Where a QuickBooks company lives (production, Intuit sandbox, or a custom base such as the
//! local sandbox) and the vendor constants every request carries (minor version, OAuth URLs).

use url::Url;

/// Minor version sent on every call. Since 2025-08-01 anything below 75 is ignored and omitted
/// means 75 (docs/quickbooks.md §1).
pub const MINOR_VERSION: &str = "75";

/// Production API host (docs/quickbooks.md §1).
pub const PRODUCTION_BASE_URL: &str = "https://quickbooks.api.intuit.com";
/// Intuit's development (sandbox company) API host (docs/quickbooks.md §1).
pub const SANDBOX_BASE_URL: &str = "https://sandbox-quickbooks.api.intuit.com";
/// QBO's web app for production and sandbox companies (record pages such as
/// `/app/invoice?txnId=`; the console's links and the mirror's `qbo_invoice_url`).
pub const PRODUCTION_WEB_APP: &str = "https://app.qbo.intuit.com";
pub const SANDBOX_WEB_APP: &str = "https://app.sandbox.qbo.intuit.com";
/// Token endpoint for code exchange and refresh; the same for both environments (§2.1).
pub const TOKEN_ENDPOINT: &str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer";

/// Where the user consents to connect a company; the same for both environments (§2.1).
pub const AUTHORIZE_ENDPOINT: &str = "https://appcenter.intuit.com/connect/oauth2";
/// Revokes a refresh or access token, disconnecting the app from the company (§2.1, §2.6).
pub const REVOKE_ENDPOINT: &str = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke";
/// The scope that grants the Accounting API (§2.2).
pub const ACCOUNTING_SCOPE: &str = "com.intuit.quickbooks.accounting";

/// Response header carrying Intuit's trace id; kept with every error (§1).
pub const INTUIT_TID_HEADER: &str = "intuit_tid";

/// Which API host a company is reached at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QboEnvironment {
    Production,
    Sandbox,
    /// Any other base URL (the local sandbox, a recording proxy). Paths are appended as on the
    /// real hosts: `{base}/v3/company/{realmId}/...`.
    Custom(Url),
}

impl QboEnvironment {
    /// The base URL without a trailing slash.
    pub fn base_url(&self) -> Url {
        match self {
            QboEnvironment::Production => Url::parse(PRODUCTION_BASE_URL).expect("constant URL"),
            QboEnvironment::Sandbox => Url::parse(SANDBOX_BASE_URL).expect("constant URL"),
            QboEnvironment::Custom(url) => url.clone(),
        }
    }

    /// The web app people open the company's records in; a custom base (the local sandbox)
    /// has none.
    pub fn web_app_base(&self) -> Option<&'static str> {
        match self {
            QboEnvironment::Production => Some(PRODUCTION_WEB_APP),
            QboEnvironment::Sandbox => Some(SANDBOX_WEB_APP),
            QboEnvironment::Custom(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_environment_has_its_documented_host() {
        assert_eq!(
            QboEnvironment::Production.base_url().host_str(),
            Some("quickbooks.api.intuit.com")
        );
        assert_eq!(
            QboEnvironment::Sandbox.base_url().host_str(),
            Some("sandbox-quickbooks.api.intuit.com")
        );
        let local = Url::parse("http://127.0.0.1:4010").unwrap();
        assert_eq!(QboEnvironment::Custom(local.clone()).base_url(), local);
    }
}

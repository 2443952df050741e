//! The `hqsync sync` configuration file (`hqsync.toml`, documented in `hqsync.example.toml`):
//! both accounts, tokens and OAuth app credentials (from the file or environment variables),
//! state and the settings.

use std::path::{Path, PathBuf};

use hqsync::local::{HubspotEndpoint, QuickbooksEndpoint, VendorBudgets, VendorEndpoints};
use hqsync::model::{ConnectionId, ConnectionSettings, Side};
use hqsync::quickbooks::QboEnvironment;
use secrecy::SecretString;
use serde::Deserialize;

/// Environment variables that supply (and override) the tokens, so they need not be in a file.
pub const ENV_HUBSPOT_TOKEN: &str = "HQSYNC_HUBSPOT_TOKEN";
pub const ENV_QBO_ACCESS_TOKEN: &str = "HQSYNC_QBO_ACCESS_TOKEN";
pub const ENV_QBO_REFRESH_TOKEN: &str = "HQSYNC_QBO_REFRESH_TOKEN";
pub const ENV_HUBSPOT_REFRESH_TOKEN: &str = "HQSYNC_HUBSPOT_REFRESH_TOKEN";
pub const ENV_HUBSPOT_CLIENT_SECRET: &str = "HQSYNC_HUBSPOT_CLIENT_SECRET";
pub const ENV_QBO_CLIENT_SECRET: &str = "HQSYNC_QBO_CLIENT_SECRET";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Directory of the SQLite state. Default `.hqsync`.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// Id of the connection in the state. Default `main`.
    #[serde(default = "default_connection_id")]
    pub connection_id: String,
    /// Seconds between polls when running continuously. Default 60.
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: u64,
    pub hubspot: HubspotSection,
    pub quickbooks: QuickbooksSection,
    /// The connection settings (same shape as on AWS); all defaults when absent.
    #[serde(default)]
    pub settings: ConnectionSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubspotSection {
    /// Omit for the real API (https://api.hubapi.com).
    pub base_url: Option<String>,
    pub portal_id: String,
    /// Or `HQSYNC_HUBSPOT_TOKEN`. Optional with `refresh_token`.
    pub access_token: Option<SecretString>,
    /// Or `HQSYNC_HUBSPOT_REFRESH_TOKEN`; refreshing also needs `client_id`, `client_secret`.
    pub refresh_token: Option<SecretString>,
    /// The OAuth app's client id.
    pub client_id: Option<String>,
    /// Or `HQSYNC_HUBSPOT_CLIENT_SECRET`.
    pub client_secret: Option<SecretString>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum QboEnvironmentName {
    Production,
    Sandbox,
    /// A custom base URL (`base_url`), e.g. the built-in sandbox.
    Local,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuickbooksSection {
    pub environment: QboEnvironmentName,
    /// Required for `local`; ignored otherwise.
    pub base_url: Option<String>,
    pub realm_id: String,
    /// Or `HQSYNC_QBO_ACCESS_TOKEN`. Optional with `refresh_token`.
    pub access_token: Option<SecretString>,
    /// Or `HQSYNC_QBO_REFRESH_TOKEN`; refreshing also needs `client_id`, `client_secret`.
    pub refresh_token: Option<SecretString>,
    /// The OAuth app's client id.
    pub client_id: Option<String>,
    /// Or `HQSYNC_QBO_CLIENT_SECRET`.
    pub client_secret: Option<SecretString>,
}

fn default_state_dir() -> PathBuf {
    PathBuf::from(".hqsync")
}
fn default_connection_id() -> String {
    "main".into()
}
fn default_poll_interval() -> u64 {
    60
}

/// `value` from the environment variable `name` if set and not empty, else `fallback`.
fn from_env(name: &str, fallback: Option<SecretString>) -> Option<SecretString> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Some(SecretString::from(v.trim().to_owned())),
        _ => fallback,
    }
}

/// The section of `side` in the file.
fn side_key(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "hubspot",
        Side::Quickbooks => "quickbooks",
    }
}

impl SyncConfig {
    /// Reads and validates `path`; tokens from the environment override the file's.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let mut config: SyncConfig = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        config
            .settings
            .validate()
            .map_err(|e| invalid(format!("settings: {e}")))?;
        ConnectionId::new(config.connection_id.clone()).map_err(|e| invalid(e.to_string()))?;
        config.hubspot.access_token = from_env(ENV_HUBSPOT_TOKEN, config.hubspot.access_token);
        config.quickbooks.access_token =
            from_env(ENV_QBO_ACCESS_TOKEN, config.quickbooks.access_token);
        config.quickbooks.refresh_token =
            from_env(ENV_QBO_REFRESH_TOKEN, config.quickbooks.refresh_token);
        config.hubspot.refresh_token =
            from_env(ENV_HUBSPOT_REFRESH_TOKEN, config.hubspot.refresh_token);
        config.hubspot.client_secret =
            from_env(ENV_HUBSPOT_CLIENT_SECRET, config.hubspot.client_secret);
        config.quickbooks.client_secret =
            from_env(ENV_QBO_CLIENT_SECRET, config.quickbooks.client_secret);
        Ok(config)
    }

    pub fn connection_id(&self) -> ConnectionId {
        ConnectionId::new(self.connection_id.clone()).expect("validated in parse")
    }

    /// The accounts, with an error naming what is missing (a token, a base URL).
    pub fn endpoints(&self, path: &Path) -> Result<VendorEndpoints, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        // With a refresh token the access token may be left out: a fresh one is fetched first.
        let access_token = |token: &Option<SecretString>,
                            refresh: &Option<SecretString>,
                            what: &str,
                            env: &str|
         -> Result<SecretString, ConfigError> {
            match (token, refresh) {
                (Some(token), _) => Ok(token.clone()),
                (None, Some(_)) => Ok(SecretString::from(String::new())),
                (None, None) => Err(invalid(format!(
                    "no {what} token: set {what_key}.access_token (or {what_key}.refresh_token) or {env}",
                    what_key = what.to_lowercase()
                ))),
            }
        };
        let hubspot_token = access_token(
            &self.hubspot.access_token,
            &self.hubspot.refresh_token,
            "HubSpot",
            ENV_HUBSPOT_TOKEN,
        )?;
        let qbo_token = access_token(
            &self.quickbooks.access_token,
            &self.quickbooks.refresh_token,
            "QuickBooks",
            ENV_QBO_ACCESS_TOKEN,
        )?;
        let environment = match self.quickbooks.environment {
            QboEnvironmentName::Production => QboEnvironment::Production,
            QboEnvironmentName::Sandbox => QboEnvironment::Sandbox,
            QboEnvironmentName::Local => {
                let base = self.quickbooks.base_url.as_deref().ok_or_else(|| {
                    invalid("quickbooks.environment = \"local\" needs quickbooks.base_url".into())
                })?;
                QboEnvironment::Custom(
                    url::Url::parse(base)
                        .map_err(|e| invalid(format!("quickbooks.base_url {base:?}: {e}")))?,
                )
            }
        };
        let endpoints = VendorEndpoints {
            hubspot: HubspotEndpoint {
                base_url: self.hubspot.base_url.clone(),
                portal_id: self.hubspot.portal_id.clone(),
                access_token: hubspot_token,
                refresh_token: self.hubspot.refresh_token.clone(),
                client_id: self.hubspot.client_id.clone(),
                client_secret: self.hubspot.client_secret.clone(),
                app_id: None,
            },
            quickbooks: QuickbooksEndpoint {
                environment,
                realm_id: self.quickbooks.realm_id.clone(),
                access_token: qbo_token,
                refresh_token: self.quickbooks.refresh_token.clone(),
                client_id: self.quickbooks.client_id.clone(),
                client_secret: self.quickbooks.client_secret.clone(),
                verifier_token: None,
            },
            budgets: VendorBudgets::default(),
        };
        endpoints.check_refresh().map_err(|e| {
            invalid(format!(
                "{e}: set {}.client_id and {}.client_secret",
                side_key(e.side),
                side_key(e.side)
            ))
        })?;
        Ok(endpoints)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../hqsync.example.toml"
        ))
        .expect("the example config at the repository root")
    }

    #[test]
    fn the_example_config_parses_and_points_at_the_local_sandboxes() {
        let config = SyncConfig::parse(Path::new("hqsync.example.toml"), &example()).unwrap();
        let endpoints = config.endpoints(Path::new("x")).unwrap();
        assert_eq!(
            endpoints.hubspot.base_url.as_deref(),
            Some("http://127.0.0.1:4010")
        );
        assert_eq!(
            endpoints.quickbooks.environment,
            QboEnvironment::Custom(url::Url::parse("http://127.0.0.1:4020").unwrap())
        );
        assert_eq!(config.connection_id().as_str(), "main");
    }

    #[test]
    fn unknown_keys_and_missing_tokens_are_clear_errors() {
        let err = SyncConfig::parse(Path::new("c.toml"), "colour = 1\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("c.toml:"), "{err}");
        let text = "[hubspot]\nportal_id = \"1\"\n[quickbooks]\nenvironment = \"production\"\nrealm_id = \"2\"\n";
        let config = SyncConfig::parse(Path::new("c.toml"), text).unwrap();
        if std::env::var(ENV_HUBSPOT_TOKEN).is_err() {
            let err = config
                .endpoints(Path::new("c.toml"))
                .err()
                .unwrap()
                .to_string();
            assert!(err.contains(ENV_HUBSPOT_TOKEN), "{err}");
        }
    }

    #[test]
    fn local_environment_needs_a_base_url() {
        let text = "[hubspot]\nportal_id = \"1\"\naccess_token = \"t\"\n[quickbooks]\nenvironment = \"local\"\nrealm_id = \"2\"\naccess_token = \"t\"\n";
        let config = SyncConfig::parse(Path::new("c.toml"), text).unwrap();
        let err = config
            .endpoints(Path::new("c.toml"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("base_url"), "{err}");
    }

    #[test]
    fn refresh_tokens_with_app_credentials_make_the_access_tokens_optional() {
        let text = "[hubspot]\nportal_id = \"1\"\nrefresh_token = \"hr\"\nclient_id = \"hc\"\nclient_secret = \"hs\"\n[quickbooks]\nenvironment = \"local\"\nbase_url = \"http://127.0.0.1:4020\"\nrealm_id = \"2\"\nrefresh_token = \"qr\"\nclient_id = \"qc\"\nclient_secret = \"qs\"\n";
        let config = SyncConfig::parse(Path::new("c.toml"), text).unwrap();
        if [
            ENV_HUBSPOT_TOKEN,
            ENV_QBO_ACCESS_TOKEN,
            ENV_HUBSPOT_REFRESH_TOKEN,
            ENV_QBO_REFRESH_TOKEN,
        ]
        .iter()
        .any(|name| std::env::var(name).is_ok())
        {
            return;
        }
        let endpoints = config.endpoints(Path::new("c.toml")).unwrap();
        assert!(endpoints.refreshes(Side::Hubspot) && endpoints.refreshes(Side::Quickbooks));
        let app = endpoints.app_credentials();
        assert_eq!(app.hubspot_client_id.as_deref(), Some("hc"));
        assert_eq!(app.quickbooks_client_id.as_deref(), Some("qc"));
        assert_eq!(
            endpoints
                .vendor_urls()
                .quickbooks_token_url
                .map(|u| u.to_string()),
            Some("http://127.0.0.1:4020/oauth2/v1/tokens/bearer".to_owned())
        );
    }

    #[test]
    fn a_refresh_token_without_the_app_credentials_is_a_clear_error() {
        let text = "[hubspot]\nportal_id = \"1\"\naccess_token = \"t\"\n[quickbooks]\nenvironment = \"production\"\nrealm_id = \"2\"\naccess_token = \"t\"\nrefresh_token = \"r\"\nclient_id = \"qc\"\n";
        let config = SyncConfig::parse(Path::new("c.toml"), text).unwrap();
        if std::env::var(ENV_QBO_CLIENT_SECRET).is_ok() {
            return;
        }
        let err = config
            .endpoints(Path::new("c.toml"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("quickbooks.client_secret"), "{err}");
    }
}

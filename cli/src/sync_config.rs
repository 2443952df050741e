//! The `hqsync sync` configuration file (`hqsync.toml`, documented in `hqsync.example.toml`):
//! both accounts, tokens (from the file or environment variables), state and the settings.

use std::path::{Path, PathBuf};

use hqsync::local::{HubspotEndpoint, QuickbooksEndpoint, VendorBudgets, VendorEndpoints};
use hqsync::model::{ConnectionId, ConnectionSettings};
use hqsync::quickbooks::QboEnvironment;
use secrecy::SecretString;
use serde::Deserialize;

/// Environment variables that supply (and override) the tokens, so they need not be in a file.
pub const ENV_HUBSPOT_TOKEN: &str = "HQSYNC_HUBSPOT_TOKEN";
pub const ENV_QBO_ACCESS_TOKEN: &str = "HQSYNC_QBO_ACCESS_TOKEN";
pub const ENV_QBO_REFRESH_TOKEN: &str = "HQSYNC_QBO_REFRESH_TOKEN";

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
    /// Or `HQSYNC_HUBSPOT_TOKEN`.
    pub access_token: Option<SecretString>,
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
    /// Or `HQSYNC_QBO_ACCESS_TOKEN`.
    pub access_token: Option<SecretString>,
    /// Or `HQSYNC_QBO_REFRESH_TOKEN`.
    pub refresh_token: Option<SecretString>,
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
        let hubspot_token = self.hubspot.access_token.clone().ok_or_else(|| {
            invalid(format!(
                "no HubSpot token: set hubspot.access_token or {ENV_HUBSPOT_TOKEN}"
            ))
        })?;
        let qbo_token = self.quickbooks.access_token.clone().ok_or_else(|| {
            invalid(format!(
                "no QuickBooks token: set quickbooks.access_token or {ENV_QBO_ACCESS_TOKEN}"
            ))
        })?;
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
        Ok(VendorEndpoints {
            hubspot: HubspotEndpoint {
                base_url: self.hubspot.base_url.clone(),
                portal_id: self.hubspot.portal_id.clone(),
                access_token: hubspot_token,
                client_secret: None,
                app_id: None,
            },
            quickbooks: QuickbooksEndpoint {
                environment,
                realm_id: self.quickbooks.realm_id.clone(),
                access_token: qbo_token,
                refresh_token: self.quickbooks.refresh_token.clone(),
                verifier_token: None,
            },
            budgets: VendorBudgets::default(),
        })
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
}

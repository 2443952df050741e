//! The stack's configuration, read once per cold start from the environment template.yaml sets
//! (names in one place here), plus optional vendor endpoint overrides for local stacks and tests.

use std::collections::HashMap;

use hqsync::tokens::VendorUrls;
use url::Url;

pub const TABLE_NAME: &str = "TABLE_NAME";
pub const LIVE_QUEUE_URL: &str = "LIVE_QUEUE_URL";
pub const BULK_QUEUE_URL: &str = "BULK_QUEUE_URL";
/// Worker only.
pub const LIVE_DLQ_URL: &str = "LIVE_DLQ_URL";
/// Worker only.
pub const BULK_DLQ_URL: &str = "BULK_DLQ_URL";
pub const APP_SECRET_ARN: &str = "APP_SECRET_ARN";
pub const CONNECTION_SECRET_PREFIX: &str = "CONNECTION_SECRET_PREFIX";
/// Admin function only: the generated admin secret (`{"password": ...}`, template.yaml).
pub const ADMIN_SECRET_ARN: &str = "ADMIN_SECRET_ARN";
/// The https URL the vendors call, without a trailing slash (HubSpot signs the full URL).
pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
/// The queues' `maxReceiveCount`: on the last receive the worker dead-letters a failing job
/// itself, with its reason. Optional; without it SQS's redrive moves the job (no reason).
pub const MAX_RECEIVE_COUNT: &str = "MAX_RECEIVE_COUNT";
/// `true` publishes the detail metrics (records synced, API calls, sync lag) besides the alarm
/// metrics; template.yaml sets it with the dashboard, which is what reads them. Default false.
pub const METRICS_DETAIL: &str = "METRICS_DETAIL";
/// Local stacks and tests only: where the HubSpot API (and its token endpoint) lives.
pub const HUBSPOT_BASE_URL: &str = "HQSYNC_HUBSPOT_BASE_URL";
/// Local stacks and tests only: the API base for connections whose environment is `local`.
pub const QUICKBOOKS_BASE_URL: &str = "HQSYNC_QUICKBOOKS_BASE_URL";
/// Local stacks and tests only: Intuit's token endpoint replacement.
pub const QUICKBOOKS_TOKEN_URL: &str = "HQSYNC_QUICKBOOKS_TOKEN_URL";

/// Everything a function needs to find its resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackConfig {
    pub table_name: String,
    pub live_queue_url: String,
    pub bulk_queue_url: String,
    pub live_dlq_url: Option<String>,
    pub bulk_dlq_url: Option<String>,
    pub app_secret: String,
    pub connection_secret_prefix: String,
    pub public_base_url: Option<String>,
    /// The admin secret (admin function only).
    pub admin_secret: Option<String>,
    pub max_receive_count: Option<u32>,
    /// Publish the detail metrics (METRICS_DETAIL).
    pub metrics_detail: bool,
    /// Where the vendors are, when not at their public addresses (local stacks and tests).
    pub vendors: VendorUrls,
}

/// A missing or malformed setting, named so the fix is obvious.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set (template.yaml sets it for every function)")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl StackConfig {
    /// From the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From a map (tests, `hqsync dev`).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| vars.get(name).cloned())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let optional = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| optional(name).ok_or(ConfigError::Missing(name));
        let url = |name: &'static str| -> Result<Option<Url>, ConfigError> {
            optional(name)
                .map(|raw| {
                    Url::parse(&raw).map_err(|e| ConfigError::Invalid {
                        name,
                        reason: e.to_string(),
                    })
                })
                .transpose()
        };
        let max_receive_count = optional(MAX_RECEIVE_COUNT)
            .map(|raw| {
                raw.parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| ConfigError::Invalid {
                        name: MAX_RECEIVE_COUNT,
                        reason: format!("{raw:?} is not a count >= 1"),
                    })
            })
            .transpose()?;
        let metrics_detail = match optional(METRICS_DETAIL).as_deref().map(str::trim) {
            None => false,
            Some(raw) if raw.eq_ignore_ascii_case("true") => true,
            Some(raw) if raw.eq_ignore_ascii_case("false") => false,
            Some(raw) => {
                return Err(ConfigError::Invalid {
                    name: METRICS_DETAIL,
                    reason: format!("{raw:?} is neither true nor false"),
                });
            }
        };
        let public_base_url = optional(PUBLIC_BASE_URL)
            .map(|raw| {
                let trimmed = raw.trim_end_matches('/').to_owned();
                Url::parse(&trimmed)
                    .map(|_| trimmed)
                    .map_err(|e| ConfigError::Invalid {
                        name: PUBLIC_BASE_URL,
                        reason: e.to_string(),
                    })
            })
            .transpose()?;
        Ok(StackConfig {
            table_name: required(TABLE_NAME)?,
            live_queue_url: required(LIVE_QUEUE_URL)?,
            bulk_queue_url: required(BULK_QUEUE_URL)?,
            live_dlq_url: optional(LIVE_DLQ_URL),
            bulk_dlq_url: optional(BULK_DLQ_URL),
            app_secret: required(APP_SECRET_ARN)?,
            connection_secret_prefix: required(CONNECTION_SECRET_PREFIX)?,
            public_base_url,
            admin_secret: optional(ADMIN_SECRET_ARN),
            max_receive_count,
            metrics_detail,
            vendors: VendorUrls {
                hubspot_base_url: url(HUBSPOT_BASE_URL)?
                    .map(|u| u.as_str().trim_end_matches('/').to_owned()),
                quickbooks_base_url: url(QUICKBOOKS_BASE_URL)?,
                quickbooks_token_url: url(QUICKBOOKS_TOKEN_URL)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HashMap<String, String> {
        [
            (TABLE_NAME, "t"),
            (LIVE_QUEUE_URL, "https://sqs/live"),
            (BULK_QUEUE_URL, "https://sqs/bulk"),
            (APP_SECRET_ARN, "arn:app"),
            (CONNECTION_SECRET_PREFIX, "hqsync/connection/"),
            (
                PUBLIC_BASE_URL,
                "https://abc.execute-api.us-east-1.amazonaws.com/",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn reads_the_template_variables_and_trims_the_public_url() {
        let config = StackConfig::from_map(&base()).unwrap();
        assert_eq!(config.table_name, "t");
        assert_eq!(
            config.public_base_url.as_deref(),
            Some("https://abc.execute-api.us-east-1.amazonaws.com")
        );
        assert_eq!(config.live_dlq_url, None);
        assert_eq!(config.max_receive_count, None);
        assert!(!config.metrics_detail, "detail metrics are opt-in");
        assert_eq!(config.vendors, VendorUrls::default());
        let mut vars = base();
        vars.insert(METRICS_DETAIL.into(), "True".into());
        assert!(StackConfig::from_map(&vars).unwrap().metrics_detail);
    }

    #[test]
    fn names_the_missing_or_invalid_variable() {
        let mut vars = base();
        vars.remove(TABLE_NAME);
        assert_eq!(
            StackConfig::from_map(&vars),
            Err(ConfigError::Missing(TABLE_NAME))
        );
        let mut vars = base();
        vars.insert(MAX_RECEIVE_COUNT.into(), "0".into());
        assert!(matches!(
            StackConfig::from_map(&vars),
            Err(ConfigError::Invalid {
                name: MAX_RECEIVE_COUNT,
                ..
            })
        ));
        let mut vars = base();
        vars.insert(METRICS_DETAIL.into(), "yes".into());
        assert!(matches!(
            StackConfig::from_map(&vars),
            Err(ConfigError::Invalid {
                name: METRICS_DETAIL,
                ..
            })
        ));
        let mut vars = base();
        vars.insert(QUICKBOOKS_BASE_URL.into(), "not a url".into());
        assert!(matches!(
            StackConfig::from_map(&vars),
            Err(ConfigError::Invalid {
                name: QUICKBOOKS_BASE_URL,
                ..
            })
        ));
    }
}

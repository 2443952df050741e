//! Where the two vendor accounts of a local connection are and how to authenticate: base URLs,
//! account ids, tokens (and what refreshes them) and webhook secrets; and the gateway pair
//! built from them.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::adapters::hubspot_gateway::HubspotGateway;
use crate::adapters::quickbooks_gateway::QuickbooksGateway;
use crate::engine::sync::GatewayPair;
use crate::http::RetryPolicy;
use crate::hubspot::{HubspotBudgets, HubspotClient};
use crate::model::{ConnectionSettings, Side};
use crate::ports::{AppCredentials, Clock};
use crate::quickbooks::{CompanyBudgets, QboClient, QboEnvironment, RealmId};
use crate::tokens::{LOCAL_ENVIRONMENT, VendorUrls, quickbooks_token_url_at};

/// One HubSpot account.
#[derive(Clone)]
pub struct HubspotEndpoint {
    /// `None` = the real `https://api.hubapi.com`.
    pub base_url: Option<String>,
    pub portal_id: String,
    /// A private-app token (never expires), or an OAuth access token (refreshed when
    /// `refresh_token` is set; may then be empty).
    pub access_token: SecretString,
    /// The OAuth refresh token; with `client_id` and `client_secret` the runtime refreshes
    /// the access token before it expires. `None` = the access token does not expire.
    pub refresh_token: Option<SecretString>,
    /// The OAuth app's client id (needed only to refresh tokens).
    pub client_id: Option<String>,
    /// The app's client secret, which signs webhooks and authenticates token refreshes.
    pub client_secret: Option<SecretString>,
    /// The id of the app whose token we write with: webhook events it caused are our own
    /// echoes and are dropped. `None` keeps them all — needed where people's edits are made
    /// with the same token (a private app, or the sandbox without its actor header), since
    /// filtering would then drop their edits too.
    pub app_id: Option<String>,
}

/// One QuickBooks Online company.
#[derive(Clone)]
pub struct QuickbooksEndpoint {
    pub environment: QboEnvironment,
    pub realm_id: String,
    /// The OAuth access token (may be empty when `refresh_token` is set).
    pub access_token: SecretString,
    /// The OAuth refresh token; with `client_id` and `client_secret` the runtime refreshes the
    /// access token before it expires (and keeps each rotated refresh token in the vault).
    /// `None` = the access token is used as given (the sandbox's static dev token).
    pub refresh_token: Option<SecretString>,
    /// The OAuth app's client id and secret (needed only to refresh tokens).
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// The webhook verifier token (needed only to serve webhooks).
    pub verifier_token: Option<SecretString>,
}

/// Both accounts of a connection, and the rate budgets every client built from them shares
/// (clones share the budgets: the engine's clients and any other client of the same accounts
/// then stay together under the vendors' per-account limits).
#[derive(Clone)]
pub struct VendorEndpoints {
    pub hubspot: HubspotEndpoint,
    pub quickbooks: QuickbooksEndpoint,
    pub budgets: VendorBudgets,
}

/// The per-account rate budgets of both vendors (real limits by default).
#[derive(Clone, Default)]
pub struct VendorBudgets {
    pub hubspot: HubspotBudgets,
    pub quickbooks: CompanyBudgets,
    /// Replaces both clients' retry policy (`None`: each vendor's own). The chaos harness runs
    /// on a simulated clock and sets one without backoff or throttle waits, so a retry never
    /// sleeps on wall time and a throttled call goes back to the queue (docs/chaos.md §1).
    pub retry: Option<RetryPolicy>,
}

/// Errors building clients from endpoints (bad URL or realm id).
#[derive(Debug, thiserror::Error)]
#[error("{side} endpoint: {message}")]
pub struct EndpointError {
    pub side: Side,
    pub message: String,
}

impl QuickbooksEndpoint {
    /// The environment name stored with the connection: production, sandbox or local.
    pub fn environment_name(&self) -> &'static str {
        match self.environment {
            QboEnvironment::Production => "production",
            QboEnvironment::Sandbox => "sandbox",
            QboEnvironment::Custom(_) => LOCAL_ENVIRONMENT,
        }
    }
}

/// The accounts of the built-in sandboxes (or any local stand-in), by plain values so the
/// `hqsync` CLI and the tests build them the same way from the sandboxes' configurations.
#[derive(Clone)]
pub struct LocalSandboxAccounts {
    pub hubspot_base_url: String,
    pub portal_id: String,
    pub hubspot_token: SecretString,
    pub hubspot_client_secret: SecretString,
    pub quickbooks_base_url: String,
    pub realm_id: String,
    pub quickbooks_token: SecretString,
    pub quickbooks_verifier_token: SecretString,
}

impl VendorEndpoints {
    /// Endpoints on local sandboxes: static dev tokens, webhook secrets for verification.
    pub fn local(accounts: LocalSandboxAccounts) -> Result<Self, EndpointError> {
        let url = url::Url::parse(&accounts.quickbooks_base_url).map_err(|e| EndpointError {
            side: Side::Quickbooks,
            message: format!("base URL {:?}: {e}", accounts.quickbooks_base_url),
        })?;
        Ok(VendorEndpoints {
            hubspot: HubspotEndpoint {
                base_url: Some(accounts.hubspot_base_url),
                portal_id: accounts.portal_id,
                access_token: accounts.hubspot_token,
                refresh_token: None,
                client_id: None,
                client_secret: Some(accounts.hubspot_client_secret),
                app_id: None,
            },
            quickbooks: QuickbooksEndpoint {
                environment: QboEnvironment::Custom(url),
                realm_id: accounts.realm_id,
                access_token: accounts.quickbooks_token,
                refresh_token: None,
                client_id: None,
                client_secret: None,
                verifier_token: Some(accounts.quickbooks_verifier_token),
            },
            budgets: VendorBudgets::default(),
        })
    }

    /// The same endpoints, dropping webhook echoes of writes by HubSpot app `app_id` (see
    /// [`HubspotEndpoint::app_id`]).
    pub fn with_hubspot_app_id(mut self, app_id: impl Into<String>) -> Self {
        self.hubspot.app_id = Some(app_id.into());
        self
    }

    /// The same endpoints, refreshing HubSpot tokens with `refresh_token` as OAuth app
    /// `client_id` (whose secret is [`HubspotEndpoint::client_secret`]).
    pub fn with_hubspot_refresh(
        mut self,
        refresh_token: SecretString,
        client_id: impl Into<String>,
    ) -> Self {
        self.hubspot.refresh_token = Some(refresh_token);
        self.hubspot.client_id = Some(client_id.into());
        self
    }

    /// The same endpoints, refreshing QBO tokens with `refresh_token` as OAuth app
    /// `client_id`/`client_secret`.
    pub fn with_quickbooks_refresh(
        mut self,
        refresh_token: SecretString,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        self.quickbooks.refresh_token = Some(refresh_token);
        self.quickbooks.client_id = Some(client_id.into());
        self.quickbooks.client_secret = Some(client_secret);
        self
    }

    /// Whether `side` has a refresh token (its access token then expires and is refreshed).
    pub fn refreshes(&self, side: Side) -> bool {
        let token = match side {
            Side::Hubspot => &self.hubspot.refresh_token,
            Side::Quickbooks => &self.quickbooks.refresh_token,
        };
        token
            .as_ref()
            .is_some_and(|t| !t.expose_secret().is_empty())
    }

    /// A side that refreshes without the OAuth app credentials to do it, named.
    pub fn check_refresh(&self) -> Result<(), EndpointError> {
        let missing = |side: Side| EndpointError {
            side,
            message: "a refresh token needs the OAuth app's client_id and client_secret".into(),
        };
        if self.refreshes(Side::Hubspot)
            && (self.hubspot.client_id.is_none() || self.hubspot.client_secret.is_none())
        {
            return Err(missing(Side::Hubspot));
        }
        if self.refreshes(Side::Quickbooks)
            && (self.quickbooks.client_id.is_none() || self.quickbooks.client_secret.is_none())
        {
            return Err(missing(Side::Quickbooks));
        }
        Ok(())
    }

    /// Where the APIs and token endpoints are, for the refresher and the refreshing directory
    /// (a custom QBO base also serves Intuit's token path, as the sandbox does).
    pub fn vendor_urls(&self) -> VendorUrls {
        let custom = match &self.quickbooks.environment {
            QboEnvironment::Custom(url) => Some(url.clone()),
            QboEnvironment::Production | QboEnvironment::Sandbox => None,
        };
        VendorUrls {
            hubspot_base_url: self.hubspot.base_url.clone(),
            quickbooks_token_url: custom.as_ref().map(quickbooks_token_url_at),
            quickbooks_base_url: custom,
        }
    }

    /// The app credentials the vault hands out: webhook secrets, and the OAuth apps' ids and
    /// secrets that refresh tokens.
    pub fn app_credentials(&self) -> AppCredentials {
        AppCredentials {
            hubspot_app_id: self.hubspot.app_id.clone(),
            hubspot_client_id: self.hubspot.client_id.clone(),
            hubspot_client_secret: self.hubspot.client_secret.clone(),
            quickbooks_client_id: self.quickbooks.client_id.clone(),
            quickbooks_client_secret: self.quickbooks.client_secret.clone(),
            quickbooks_sandbox: None,
            quickbooks_webhook_verifier: self.quickbooks.verifier_token.clone(),
            hubspot_legacy_signatures: false,
        }
    }

    pub fn hubspot_client(&self) -> Result<HubspotClient, EndpointError> {
        let mut builder = HubspotClient::builder(self.hubspot.access_token.clone())
            .budgets(self.budgets.hubspot.clone());
        if let Some(policy) = self.budgets.retry {
            builder = builder.retry_policy(policy);
        }
        if let Some(base) = &self.hubspot.base_url {
            builder = builder.base_url(base.clone());
        }
        builder.build().map_err(|e| EndpointError {
            side: Side::Hubspot,
            message: e.to_string(),
        })
    }

    pub fn quickbooks_client(&self) -> Result<QboClient, EndpointError> {
        let error = |message: String| EndpointError {
            side: Side::Quickbooks,
            message,
        };
        let realm =
            RealmId::new(self.quickbooks.realm_id.clone()).map_err(|e| error(e.to_string()))?;
        QboClient::new(
            &self.quickbooks.environment,
            realm,
            self.quickbooks.access_token.clone(),
        )
        .map(|client| {
            let client = client.with_budgets(self.budgets.quickbooks.clone());
            match self.budgets.retry {
                Some(policy) => client.with_retry_policy(policy),
                None => client,
            }
        })
        .map_err(|e| error(e.to_string()))
    }

    /// The engine's gateways on both accounts, reading the properties `settings` map.
    pub fn gateways(
        &self,
        settings: &ConnectionSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<GatewayPair, EndpointError> {
        let hubspot =
            HubspotGateway::new(self.hubspot_client()?, clock.clone()).with_settings(settings);
        let mut quickbooks = QuickbooksGateway::new(self.quickbooks_client()?, clock);
        if let Some(account) = &settings.new_items.income_account_id {
            quickbooks = quickbooks.with_income_account(account.clone());
        }
        Ok(GatewayPair::new(Arc::new(hubspot), Arc::new(quickbooks)))
    }
}

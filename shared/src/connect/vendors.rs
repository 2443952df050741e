//! The connect flow's calls to the vendors' OAuth endpoints: the consent URLs, the one code
//! exchange per authorization, and the revoke at disconnect, with the app's credentials (the
//! Intuit key pair of the connection's environment) and the sandboxes' hosts when set.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use url::Url;

use crate::hubspot::{HubspotClient, HubspotError, OAuthApp, app_scopes};
use crate::model::Side;
use crate::ports::{AppCredentials, SideTokens};
use crate::quickbooks::environment::ACCOUNTING_SCOPE;
use crate::quickbooks::{OAuthClient, OAuthError};
use crate::tokens::VendorUrls;

/// Why a vendor call of the connect flow failed. Never carries a token, code or secret.
#[derive(Debug, thiserror::Error)]
pub enum VendorFailure {
    /// The app secret lacks what this call needs.
    #[error("the app credentials have no {0}")]
    NotConfigured(String),
    /// `invalid_grant`: the code was already used, expired, or issued for another app.
    #[error("the authorization code was refused ({0})")]
    CodeRefused(String),
    /// Any other answer or transport failure.
    #[error("{0}")]
    Failed(String),
}

/// How a revoke went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Revoked,
    /// The vendor no longer knew the token (revoked or expired already).
    AlreadyInvalid,
}

impl Revoked {
    pub fn as_str(self) -> &'static str {
        match self {
            Revoked::Revoked => "revoked",
            Revoked::AlreadyInvalid => "already invalid",
        }
    }
}

/// The vendors' OAuth endpoints for one request, with the app credentials read once.
pub struct VendorAuth {
    urls: VendorUrls,
    app: AppCredentials,
}

impl VendorAuth {
    pub fn new(urls: VendorUrls, app: AppCredentials) -> Self {
        VendorAuth { urls, app }
    }

    fn hubspot_app(&self) -> Result<OAuthApp, VendorFailure> {
        match (&self.app.hubspot_client_id, &self.app.hubspot_client_secret) {
            (Some(client_id), Some(client_secret)) => Ok(OAuthApp {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            }),
            _ => Err(VendorFailure::NotConfigured(
                "hubspot client_id/client_secret".into(),
            )),
        }
    }

    /// A client for HubSpot's OAuth endpoints (they need no bearer token).
    fn hubspot_client(&self) -> Result<HubspotClient, VendorFailure> {
        let mut builder = HubspotClient::builder(SecretString::from(String::new()));
        if let Some(base) = &self.urls.hubspot_base_url {
            builder = builder.base_url(base.clone());
        }
        builder
            .build()
            .map_err(|e| VendorFailure::Failed(e.to_string()))
    }

    /// Intuit's OAuth endpoints with `environment`'s key pair (docs/aws.md §8); the stand-in's
    /// when a token URL override is set, like the token refresh.
    fn quickbooks_client(&self, environment: &str) -> Result<OAuthClient, VendorFailure> {
        let keys = self.app.quickbooks_keys(environment).ok_or_else(|| {
            VendorFailure::NotConfigured(format!(
                "quickbooks client_id/client_secret for the {environment} environment"
            ))
        })?;
        Ok(match &self.urls.quickbooks_token_url {
            Some(url) => {
                OAuthClient::with_token_url(url.clone(), keys.client_id, keys.client_secret)
            }
            None => OAuthClient::new(keys.client_id, keys.client_secret),
        })
    }

    /// HubSpot's install page asking for exactly the app config's scopes.
    pub fn hubspot_authorize_url(
        &self,
        redirect_uri: &str,
        state: &str,
    ) -> Result<Url, VendorFailure> {
        let scopes = app_scopes();
        Ok(self.hubspot_client()?.authorize_url(
            &self.hubspot_app()?,
            redirect_uri,
            &scopes.required,
            &scopes.optional,
            state,
        ))
    }

    /// Intuit's consent page for a company of `environment`.
    pub fn quickbooks_authorize_url(
        &self,
        environment: &str,
        redirect_uri: &str,
        state: &str,
    ) -> Result<Url, VendorFailure> {
        Ok(self.quickbooks_client(environment)?.authorize_url(
            redirect_uri,
            &[ACCOUNTING_SCOPE],
            state,
        ))
    }

    /// Exchanges a HubSpot code once: the tokens and the portal (hub id) they work on.
    pub async fn hubspot_exchange(
        &self,
        code: &SecretString,
        redirect_uri: &str,
        now: DateTime<Utc>,
    ) -> Result<(SideTokens, String), VendorFailure> {
        let client = self.hubspot_client()?;
        let app = self.hubspot_app()?;
        let set = client
            .exchange_code(&app, code, redirect_uri)
            .await
            .map_err(hubspot_failure)?;
        let hub_id = match set.hub_id {
            Some(hub_id) => hub_id,
            None => client
                .access_token_info(&app, &set.access_token)
                .await
                .map_err(hubspot_failure)?
                .hub_id
                .ok_or_else(|| VendorFailure::Failed("HubSpot named no portal (hub_id)".into()))?,
        };
        let tokens = SideTokens {
            access_expires_at: now + chrono::Duration::from_std(set.expires_in).unwrap_or_default(),
            access_token: set.access_token,
            refresh_token: set.refresh_token,
            refresh_expires_at: None,
        };
        Ok((tokens, hub_id.to_string()))
    }

    /// Exchanges an Intuit code once with `environment`'s key pair.
    pub async fn quickbooks_exchange(
        &self,
        environment: &str,
        code: &SecretString,
        redirect_uri: &str,
    ) -> Result<SideTokens, VendorFailure> {
        let set = self
            .quickbooks_client(environment)?
            .exchange_code(code, redirect_uri)
            .await
            .map_err(quickbooks_failure)?;
        Ok(SideTokens {
            access_expires_at: set.access_token_expires_at(),
            refresh_expires_at: set.refresh_token_expires_at(),
            access_token: set.access_token,
            refresh_token: set.refresh_token,
        })
    }

    /// Revokes one side's refresh token at the vendor (which ends its access tokens too).
    pub async fn revoke(
        &self,
        side: Side,
        environment: &str,
        refresh_token: &SecretString,
    ) -> Result<Revoked, VendorFailure> {
        let outcome = match side {
            Side::Hubspot => self
                .hubspot_client()?
                .revoke_refresh_token(&self.hubspot_app()?, refresh_token)
                .await
                .map_err(hubspot_failure),
            Side::Quickbooks => self
                .quickbooks_client(environment)?
                .revoke(refresh_token)
                .await
                .map_err(quickbooks_failure),
        };
        match outcome {
            Ok(()) => Ok(Revoked::Revoked),
            Err(VendorFailure::CodeRefused(_)) => Ok(Revoked::AlreadyInvalid),
            Err(other) => Err(other),
        }
    }
}

fn hubspot_failure(error: HubspotError) -> VendorFailure {
    match &error {
        HubspotError::OAuth { error: code, .. } if code == "invalid_grant" => {
            VendorFailure::CodeRefused(code.clone())
        }
        _ => VendorFailure::Failed(format!("HubSpot: {error}")),
    }
}

fn quickbooks_failure(error: OAuthError) -> VendorFailure {
    match &error {
        OAuthError::InvalidGrant { .. } => VendorFailure::CodeRefused("invalid_grant".into()),
        _ => VendorFailure::Failed(format!("Intuit: {error}")),
    }
}

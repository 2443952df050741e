//! The vendors' OAuth refresh behind the refresher's `OAuthRefresh` port: HubSpot's
//! `/oauth/.../token` through `HubspotClient`, Intuit's bearer endpoint through `OAuthClient`,
//! with `invalid_grant` told apart from failures worth retrying.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;

use super::refresher::{OAuthRefresh, RefreshFailure};
use super::vendor_urls::VendorUrls;
use crate::hubspot::{HubspotClient, HubspotError, OAuthApp};
use crate::model::Side;
use crate::ports::{AppCredentials, Clock, SideTokens};
use crate::quickbooks::{OAuthClient, OAuthError};

/// The RFC 6749 error a token endpoint answers for a dead refresh token.
const INVALID_GRANT: &str = "invalid_grant";

/// Refreshes tokens at the vendors (or where `VendorUrls` points). Expiry times are counted
/// on `clock` from the moment the answer arrived, the same clock the refresher compares with.
pub struct VendorOAuth {
    urls: VendorUrls,
    clock: Arc<dyn Clock>,
}

impl VendorOAuth {
    pub fn new(urls: VendorUrls, clock: Arc<dyn Clock>) -> Self {
        VendorOAuth { urls, clock }
    }

    async fn refresh_hubspot(
        &self,
        refresh_token: &SecretString,
        app: &AppCredentials,
    ) -> Result<SideTokens, RefreshFailure> {
        let (Some(client_id), Some(client_secret)) =
            (&app.hubspot_client_id, &app.hubspot_client_secret)
        else {
            return Err(RefreshFailure::Other(
                "the app credentials have no hubspot client_id/client_secret".into(),
            ));
        };
        // The token endpoint needs no bearer token; the client is only its transport.
        let mut builder = HubspotClient::builder(SecretString::from(String::new()));
        if let Some(base) = &self.urls.hubspot_base_url {
            builder = builder.base_url(base.clone());
        }
        let client = builder
            .build()
            .map_err(|e| RefreshFailure::Other(e.to_string()))?;
        let app = OAuthApp {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
        };
        let now = self.clock.now();
        let set = client
            .refresh_tokens(&app, refresh_token)
            .await
            .map_err(hubspot_failure)?;
        Ok(SideTokens {
            access_token: set.access_token,
            refresh_token: set.refresh_token,
            access_expires_at: now + chrono::Duration::from_std(set.expires_in).unwrap_or_default(),
            refresh_expires_at: None,
        })
    }

    async fn refresh_quickbooks(
        &self,
        refresh_token: &SecretString,
        app: &AppCredentials,
    ) -> Result<SideTokens, RefreshFailure> {
        let (Some(client_id), Some(client_secret)) =
            (&app.quickbooks_client_id, &app.quickbooks_client_secret)
        else {
            return Err(RefreshFailure::Other(
                "the app credentials have no quickbooks client_id/client_secret".into(),
            ));
        };
        let client = match &self.urls.quickbooks_token_url {
            Some(url) => {
                OAuthClient::with_token_url(url.clone(), client_id.clone(), client_secret.clone())
            }
            None => OAuthClient::new(client_id.clone(), client_secret.clone()),
        };
        let now = self.clock.now();
        let set = client
            .refresh(refresh_token)
            .await
            .map_err(quickbooks_failure)?;
        let after =
            |d: std::time::Duration| now + chrono::Duration::from_std(d).unwrap_or_default();
        Ok(SideTokens {
            access_expires_at: after(set.access_token_expires_in),
            refresh_expires_at: set.refresh_token_expires_in.map(after),
            access_token: set.access_token,
            refresh_token: set.refresh_token,
        })
    }
}

#[async_trait]
impl OAuthRefresh for VendorOAuth {
    async fn refresh(
        &self,
        side: Side,
        refresh_token: &SecretString,
        app: &AppCredentials,
    ) -> Result<SideTokens, RefreshFailure> {
        match side {
            Side::Hubspot => self.refresh_hubspot(refresh_token, app).await,
            Side::Quickbooks => self.refresh_quickbooks(refresh_token, app).await,
        }
    }
}

fn hubspot_failure(error: HubspotError) -> RefreshFailure {
    match &error {
        HubspotError::OAuth { error: code, .. } if code == INVALID_GRANT => {
            RefreshFailure::InvalidGrant
        }
        HubspotError::RateLimited { .. }
        | HubspotError::Transient { .. }
        | HubspotError::Transport { .. } => RefreshFailure::Transient(error.to_string()),
        _ => RefreshFailure::Other(error.to_string()),
    }
}

fn quickbooks_failure(error: OAuthError) -> RefreshFailure {
    match &error {
        OAuthError::InvalidGrant { .. } => RefreshFailure::InvalidGrant,
        OAuthError::Transport(_) => RefreshFailure::Transient(error.to_string()),
        OAuthError::Rejected { status, .. } if *status == 429 || *status >= 500 => {
            RefreshFailure::Transient(error.to_string())
        }
        _ => RefreshFailure::Other(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_grant_is_told_apart_from_retryable_failures() {
        assert!(matches!(
            hubspot_failure(HubspotError::OAuth {
                error: "invalid_grant".into(),
                description: "refresh token is invalid".into(),
            }),
            RefreshFailure::InvalidGrant
        ));
        assert!(matches!(
            hubspot_failure(HubspotError::OAuth {
                error: "invalid_client".into(),
                description: String::new(),
            }),
            RefreshFailure::Other(_)
        ));
        assert!(matches!(
            quickbooks_failure(OAuthError::InvalidGrant {
                description: "Token invalid".into()
            }),
            RefreshFailure::InvalidGrant
        ));
        assert!(matches!(
            quickbooks_failure(OAuthError::Rejected {
                status: 503,
                error: "server_error".into(),
                description: String::new(),
            }),
            RefreshFailure::Transient(_)
        ));
        assert!(matches!(
            quickbooks_failure(OAuthError::InvalidClient {
                description: String::new()
            }),
            RefreshFailure::Other(_)
        ));
    }
}

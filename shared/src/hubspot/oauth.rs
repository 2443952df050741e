//! OAuth token refresh (and code exchange) against `/oauth/2026-03/token`: form body, secrets in
//! the body only, new tokens returned as `SecretString`s (docs/hubspot.md §1.2, §1.3).

use std::time::Duration;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::client::{Call, HubspotClient, Repeat};
use super::error::{HubspotError, Result};
use super::version;

/// The app's OAuth credentials.
#[derive(Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// Tokens from the token endpoint (`AccessTokenResponse`, §1.2). Debug output redacts them.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretString,
    /// Store whatever comes back: whether refresh rotates it is UNVERIFIED (§1.3).
    pub refresh_token: SecretString,
    /// Honour this rather than a fixed 30 minutes (§1.3).
    pub expires_in: Duration,
    /// The HubSpot account (portal) id.
    pub hub_id: Option<u64>,
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: SecretString,
    refresh_token: Option<SecretString>,
    expires_in: u64,
    #[serde(default)]
    hub_id: Option<u64>,
    #[serde(default)]
    scopes: Vec<String>,
}

impl HubspotClient {
    /// `POST /oauth/2026-03/token` with `grant_type=refresh_token`. Does not install the new
    /// access token: store the set first, then call [`HubspotClient::set_access_token`].
    pub async fn refresh_tokens(
        &self,
        app: &OAuthApp,
        refresh_token: &SecretString,
    ) -> Result<TokenSet> {
        let answer = self
            .token_request(vec![
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", app.client_id.clone()),
                (
                    "client_secret",
                    app.client_secret.expose_secret().to_owned(),
                ),
                ("refresh_token", refresh_token.expose_secret().to_owned()),
            ])
            .await?;
        Ok(TokenSet {
            refresh_token: answer
                .refresh_token
                .unwrap_or_else(|| refresh_token.clone()),
            access_token: answer.access_token,
            expires_in: Duration::from_secs(answer.expires_in),
            hub_id: answer.hub_id,
            scopes: answer.scopes,
        })
    }

    /// `POST /oauth/2026-03/token` with `grant_type=authorization_code` (install flow, §1.1).
    pub async fn exchange_code(
        &self,
        app: &OAuthApp,
        code: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenSet> {
        let answer = self
            .token_request(vec![
                ("grant_type", "authorization_code".to_owned()),
                ("client_id", app.client_id.clone()),
                (
                    "client_secret",
                    app.client_secret.expose_secret().to_owned(),
                ),
                ("redirect_uri", redirect_uri.to_owned()),
                ("code", code.expose_secret().to_owned()),
            ])
            .await?;
        Ok(TokenSet {
            refresh_token: answer.refresh_token.ok_or_else(|| {
                HubspotError::InvalidRequest("token answer without refresh_token".into())
            })?,
            access_token: answer.access_token,
            expires_in: Duration::from_secs(answer.expires_in),
            hub_id: answer.hub_id,
            scopes: answer.scopes,
        })
    }

    async fn token_request(&self, form: Vec<(&str, String)>) -> Result<TokenAnswer> {
        let mut call = Call::new("oauth.token", Method::POST, version::oauth_token())
            // A refresh may rotate the refresh token (UNVERIFIED, §1.3): never repeat one whose
            // outcome is unknown.
            .repeat(Repeat::OnlyIfNotProcessed);
        call.auth = false;
        call.form = Some(form.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        self.send(call).await.map_err(|err| match err.body() {
            Some(body) if body.oauth_error.is_some() => HubspotError::OAuth {
                error: body.oauth_error.clone().unwrap_or_default(),
                description: body
                    .oauth_error_description
                    .clone()
                    .or_else(|| body.message.clone())
                    .unwrap_or_default(),
            },
            _ => err,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_answers_parse_into_secrets_that_do_not_print() {
        let answer: TokenAnswer = serde_json::from_str(
            r#"{"token_type":"bearer","access_token":"at-123","refresh_token":"na1-ab12","expires_in":1800,
                "hub_id":62515,"scopes":["oauth"],"token_use":"access_token","user_id":123,"id_token":"x"}"#,
        )
        .unwrap();
        let set = TokenSet {
            access_token: answer.access_token,
            refresh_token: answer.refresh_token.unwrap(),
            expires_in: Duration::from_secs(answer.expires_in),
            hub_id: answer.hub_id,
            scopes: answer.scopes,
        };
        assert_eq!(set.access_token.expose_secret(), "at-123");
        assert_eq!(set.hub_id, Some(62515));
        let debug = format!("{set:?}");
        assert!(
            !debug.contains("at-123") && !debug.contains("na1-ab12"),
            "{debug}"
        );
    }

    #[test]
    fn oauth_error_bodies_keep_their_rfc_fields() {
        let body = crate::hubspot::error::ApiErrorBody::parse(
            br#"{"error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked","status":"BAD_REFRESH_TOKEN","message":"refresh token is invalid, expired or revoked"}"#,
        );
        assert_eq!(body.oauth_error.as_deref(), Some("invalid_grant"));
        assert_eq!(
            body.oauth_error_description.as_deref(),
            Some("refresh token is invalid, expired or revoked")
        );
    }
}

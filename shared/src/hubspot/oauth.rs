//! OAuth against HubSpot: the authorize URL of the install flow, code exchange and refresh at
//! `/oauth/2026-03/token`, token introspection and revoke (docs/hubspot.md §1.1-§1.3, §1.6).

use std::time::Duration;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

pub use super::app_scopes::{AppScopes, app_scopes};
use super::client::{Call, HubspotClient, Repeat};
use super::error::{HubspotError, Result};
use super::version;

/// Where the install flow sends the user (docs/hubspot.md §1.1). A client pointed at another
/// base URL (the local sandbox) uses `{base}/oauth/authorize` instead.
pub const AUTHORIZE_URL: &str = "https://app.hubspot.com/oauth/authorize";

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

/// What introspecting an access token tells (docs/hubspot.md §1.6). `active` is false for an
/// expired or unknown token; the other fields are then usually absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AccessTokenInfo {
    #[serde(default)]
    pub active: bool,
    /// The portal the token works on.
    #[serde(default)]
    pub hub_id: Option<u64>,
    #[serde(default)]
    pub app_id: Option<u64>,
    /// The installing user's email.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub user_id: Option<u64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Seconds the token still lives.
    #[serde(default)]
    pub expires_in: Option<u64>,
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
    /// The URL that asks a HubSpot super admin to install the app (docs/hubspot.md §1.1):
    /// `client_id`, `redirect_uri`, `scope` and `optional_scope` (space-separated) and `state`.
    /// HubSpot's own host unless this client has another base URL (a sandbox), then that
    /// host's `/oauth/authorize`.
    pub fn authorize_url<S: AsRef<str>>(
        &self,
        app: &OAuthApp,
        redirect_uri: &str,
        scopes: &[S],
        optional_scopes: &[S],
        state: &str,
    ) -> Url {
        let base = if self.base_url() == version::DEFAULT_BASE_URL {
            AUTHORIZE_URL.to_owned()
        } else {
            format!("{}/oauth/authorize", self.base_url())
        };
        let mut url = Url::parse(&base).unwrap_or_else(|_| {
            // The builder only takes URLs the HTTP client accepted; fall back to HubSpot's.
            Url::parse(AUTHORIZE_URL).expect("constant URL")
        });
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("client_id", &app.client_id);
            query.append_pair("redirect_uri", redirect_uri);
            query.append_pair("scope", &join(scopes));
            if !optional_scopes.is_empty() {
                query.append_pair("optional_scope", &join(optional_scopes));
            }
            query.append_pair("state", state);
        }
        url
    }

    /// `POST /oauth/2026-03/token/introspect` for an access token: its portal (`hub_id`),
    /// scopes and remaining life (docs/hubspot.md §1.6). The token travels in the form body.
    pub async fn access_token_info(
        &self,
        app: &OAuthApp,
        access_token: &SecretString,
    ) -> Result<AccessTokenInfo> {
        let mut call = Call::new(
            "oauth.introspect",
            Method::POST,
            format!("{}/introspect", version::oauth_token()),
        );
        call.auth = false;
        call.form = Some(token_form(app, access_token, "access_token"));
        self.send(call).await.map_err(oauth_error)
    }

    /// `POST /oauth/2026-03/token/revoke` for a refresh token (disconnect, docs/hubspot.md
    /// §1.6): the refresh token stops working; the app stays installed.
    pub async fn revoke_refresh_token(
        &self,
        app: &OAuthApp,
        refresh_token: &SecretString,
    ) -> Result<()> {
        let mut call = Call::new(
            "oauth.revoke",
            Method::POST,
            format!("{}/revoke", version::oauth_token()),
        );
        call.auth = false;
        call.form = Some(token_form(app, refresh_token, "refresh_token"));
        self.send_no_content(call).await.map_err(oauth_error)
    }

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
        self.send(call).await.map_err(oauth_error)
    }
}

/// The form of the introspect and revoke calls.
fn token_form(app: &OAuthApp, token: &SecretString, hint: &str) -> Vec<(String, String)> {
    vec![
        ("client_id".into(), app.client_id.clone()),
        (
            "client_secret".into(),
            app.client_secret.expose_secret().to_owned(),
        ),
        ("token".into(), token.expose_secret().to_owned()),
        ("token_type_hint".into(), hint.into()),
    ]
}

/// An RFC 6749 error body becomes [`HubspotError::OAuth`]; anything else stays as it was.
fn oauth_error(err: HubspotError) -> HubspotError {
    match err.body() {
        Some(body) if body.oauth_error.is_some() => HubspotError::OAuth {
            error: body.oauth_error.clone().unwrap_or_default(),
            description: body
                .oauth_error_description
                .clone()
                .or_else(|| body.message.clone())
                .unwrap_or_default(),
        },
        _ => err,
    }
}

fn join<S: AsRef<str>>(scopes: &[S]) -> String {
    scopes
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(" ")
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
    fn the_authorize_url_is_hubspots_unless_the_client_points_elsewhere() {
        let app = OAuthApp {
            client_id: "cid".into(),
            client_secret: SecretString::from("secret"),
        };
        let real = HubspotClient::new(SecretString::from(String::new())).unwrap();
        let url = real.authorize_url(
            &app,
            "https://x.example/cb",
            &["oauth", "crm.objects.contacts.read"],
            &["automation"],
            "st8",
        );
        assert_eq!(url.host_str(), Some("app.hubspot.com"));
        assert_eq!(url.path(), "/oauth/authorize");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("scope".into(), "oauth crm.objects.contacts.read".into())));
        assert!(pairs.contains(&("optional_scope".into(), "automation".into())));
        assert!(pairs.contains(&("state".into(), "st8".into())));
        assert!(pairs.contains(&("redirect_uri".into(), "https://x.example/cb".into())));
        assert!(!url.as_str().contains("secret"));

        let local = HubspotClient::builder(SecretString::from(String::new()))
            .base_url("http://127.0.0.1:4010/")
            .build()
            .unwrap();
        let none: [&str; 0] = [];
        let url = local.authorize_url(&app, "http://cb", &["oauth"], &none, "s");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:4010/oauth/authorize?client_id=cid&redirect_uri=http%3A%2F%2Fcb&scope=oauth&state=s"
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

//! OAuth 2.0 with Intuit: the consent URL, code exchange and refresh at the bearer endpoint (Basic
//! client auth, form body), and revoke (docs/quickbooks.md §2.1-§2.6).

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::environment::{AUTHORIZE_ENDPOINT, REVOKE_ENDPOINT, TOKEN_ENDPOINT};
use super::limits::REQUEST_TIMEOUT;

/// Opt-in request header that makes the refresh answer carry the 5-year hard expiry (§2.4).
const HARD_EXPIRY_HEADER: &str = "x-include-refresh-token-hard-expires-in";

/// Why a token request failed. Token values never appear here.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// `invalid_grant`: the refresh token (or code) is expired, revoked, rotated away or from
    /// the other environment. Re-read the stored token once, then ask the user to reconnect.
    #[error("invalid_grant: {description}")]
    InvalidGrant { description: String },
    /// `invalid_client`: wrong client id/secret.
    #[error("invalid_client: {description}")]
    InvalidClient { description: String },
    /// Another error answer from the token endpoint.
    #[error("token endpoint answered HTTP {status}: {error} {description}")]
    Rejected {
        status: u16,
        error: String,
        description: String,
    },
    #[error("token request failed: {0}")]
    Transport(#[source] reqwest::Error),
    #[error("unexpected token response: {0}")]
    Decode(String),
}

/// A fresh token set. Store `refresh_token` (and the expiries) before using `access_token`:
/// the previous refresh token may stop working now (§2.5).
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub access_token_expires_in: Duration,
    /// Rolling refresh-token life (`x_refresh_token_expires_in`, ~100 days).
    pub refresh_token_expires_in: Option<Duration>,
    /// Absolute refresh-token life (`x_refresh_token_hard_expires_in`), when returned.
    pub refresh_token_hard_expires_in: Option<Duration>,
    /// When the answer was received; add the durations to it for absolute expiries.
    pub received_at: DateTime<Utc>,
}

impl TokenSet {
    pub fn access_token_expires_at(&self) -> DateTime<Utc> {
        self.received_at
            + chrono::Duration::from_std(self.access_token_expires_in).unwrap_or_default()
    }

    pub fn refresh_token_expires_at(&self) -> Option<DateTime<Utc>> {
        self.refresh_token_expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| self.received_at + d)
    }

    pub fn refresh_token_hard_expires_at(&self) -> Option<DateTime<Utc>> {
        self.refresh_token_hard_expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| self.received_at + d)
    }
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("access_token_expires_in", &self.access_token_expires_in)
            .field("refresh_token_expires_in", &self.refresh_token_expires_in)
            .field(
                "refresh_token_hard_expires_in",
                &self.refresh_token_hard_expires_in,
            )
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    refresh_token: SecretString,
    expires_in: u64,
    #[serde(default)]
    x_refresh_token_expires_in: Option<u64>,
    #[serde(default)]
    x_refresh_token_hard_expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Talks to Intuit's OAuth endpoints with the app's credentials (one environment's key pair).
pub struct OAuthClient {
    http: reqwest::Client,
    token_url: Url,
    authorize_url: Url,
    revoke_url: Url,
    client_id: String,
    client_secret: SecretString,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("token_url", &self.token_url.as_str())
            .field("authorize_url", &self.authorize_url.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// A client for Intuit's real endpoints.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self::with_urls(
            Url::parse(TOKEN_ENDPOINT).expect("constant URL"),
            Url::parse(AUTHORIZE_ENDPOINT).expect("constant URL"),
            Url::parse(REVOKE_ENDPOINT).expect("constant URL"),
            client_id.into(),
            client_secret,
        )
    }

    /// A client for a stand-in whose token endpoint is `token_url` (the local sandbox): its
    /// consent page and revoke endpoint are Intuit's paths on the same host.
    pub fn with_token_url(
        token_url: Url,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        let on_same_host = |real: &str| {
            let mut url = token_url.clone();
            url.set_path(Url::parse(real).expect("constant URL").path());
            url.set_query(None);
            url
        };
        let authorize_url = on_same_host(AUTHORIZE_ENDPOINT);
        let revoke_url = on_same_host(REVOKE_ENDPOINT);
        Self::with_urls(
            token_url,
            authorize_url,
            revoke_url,
            client_id.into(),
            client_secret,
        )
    }

    fn with_urls(
        token_url: Url,
        authorize_url: Url,
        revoke_url: Url,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("a client with a timeout builds");
        Self {
            http,
            token_url,
            authorize_url,
            revoke_url,
            client_id,
            client_secret,
        }
    }

    /// The consent URL (docs/quickbooks.md §2.3): `client_id`, `response_type=code`, `scope`
    /// (space-separated; [`super::environment::ACCOUNTING_SCOPE`] is all HQSync needs),
    /// `redirect_uri` and `state`. The callback gets `code`, `state` and `realmId`.
    pub fn authorize_url<S: AsRef<str>>(
        &self,
        redirect_uri: &str,
        scopes: &[S],
        state: &str,
    ) -> Url {
        let mut url = self.authorize_url.clone();
        let scope = scopes
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(" ");
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", &scope)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        url
    }

    /// Revokes `token` (refresh or access token), which disconnects the app from the company
    /// (docs/quickbooks.md §2.6): Basic client auth, JSON `{"token": ...}`.
    pub async fn revoke(&self, token: &SecretString) -> Result<(), OAuthError> {
        let response = self
            .http
            .post(self.revoke_url.clone())
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&serde_json::json!({ "token": token.expose_secret() }))
            .send()
            .await
            .map_err(OAuthError::Transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await.map_err(OAuthError::Transport)?;
        Err(parse_error_response(status.as_u16(), &bytes))
    }

    /// `grant_type=refresh_token`. Not retried here: if an answer was lost after Intuit rotated
    /// the token, a blind retry would present a dead token; the caller re-reads its store.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, OAuthError> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
        ])
        .await
    }

    /// `grant_type=authorization_code`; exchange each code exactly once (§2.3).
    pub async fn exchange_code(
        &self,
        code: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenSet, OAuthError> {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code.expose_secret()),
            ("redirect_uri", redirect_uri),
        ])
        .await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenSet, OAuthError> {
        let response = self
            .http
            .post(self.token_url.clone())
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(HARD_EXPIRY_HEADER, "true")
            .form(form)
            .send()
            .await
            .map_err(OAuthError::Transport)?;
        let status = response.status();
        let received_at = Utc::now();
        let bytes = response.bytes().await.map_err(OAuthError::Transport)?;
        if status.is_success() {
            parse_token_response(&bytes, received_at)
        } else {
            Err(parse_error_response(status.as_u16(), &bytes))
        }
    }
}

/// Parses a 2xx token answer.
pub fn parse_token_response(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<TokenSet, OAuthError> {
    let t: TokenResponse = serde_json::from_slice(body)
        // The serde message can quote the offending input, which may be a token: keep only
        // its position.
        .map_err(|e| OAuthError::Decode(format!("line {} column {}", e.line(), e.column())))?;
    Ok(TokenSet {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        access_token_expires_in: Duration::from_secs(t.expires_in),
        refresh_token_expires_in: t.x_refresh_token_expires_in.map(Duration::from_secs),
        refresh_token_hard_expires_in: t.x_refresh_token_hard_expires_in.map(Duration::from_secs),
        received_at,
    })
}

/// Turns a non-2xx token answer into its error.
pub fn parse_error_response(status: u16, body: &[u8]) -> OAuthError {
    match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(e) => {
            let description = e.error_description.unwrap_or_default();
            match e.error.as_str() {
                "invalid_grant" => OAuthError::InvalidGrant { description },
                "invalid_client" => OAuthError::InvalidClient { description },
                _ => OAuthError::Rejected {
                    status,
                    error: e.error,
                    description,
                },
            }
        }
        Err(_) => OAuthError::Rejected {
            status,
            error: String::new(),
            description: String::from_utf8_lossy(body).chars().take(200).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../tests/fixtures/quickbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).unwrap()
    }

    #[test]
    fn token_responses_parse_with_and_without_the_hard_expiry() {
        let at = Utc::now();
        let t = parse_token_response(&fixture("oauth-token-response.json"), at).unwrap();
        assert_eq!(t.access_token.expose_secret(), "sample_access_token");
        assert_eq!(t.refresh_token.expose_secret(), "sample_refresh_token");
        assert_eq!(t.access_token_expires_in, Duration::from_secs(3600));
        assert_eq!(
            t.refresh_token_expires_in,
            Some(Duration::from_secs(8_726_400))
        );
        assert_eq!(t.refresh_token_hard_expires_in, None);
        assert_eq!(
            t.access_token_expires_at(),
            at + chrono::Duration::seconds(3600)
        );

        let hard =
            parse_token_response(&fixture("oauth-refresh-response-with-hard-expiry.json"), at)
                .unwrap();
        assert_eq!(
            hard.refresh_token_hard_expires_in,
            Some(Duration::from_secs(156_032_154))
        );
        assert!(
            hard.refresh_token_hard_expires_at().unwrap()
                > hard.refresh_token_expires_at().unwrap()
        );
        let shown = format!("{hard:?}");
        assert!(!shown.contains("sample_"), "{shown}");
    }

    #[test]
    fn the_consent_url_is_intuits_or_on_the_stand_ins_host() {
        let real = OAuthClient::new("cid", SecretString::from("secret"));
        let url = real.authorize_url(
            "https://x.example/cb",
            &[crate::quickbooks::environment::ACCOUNTING_SCOPE],
            "st8",
        );
        assert_eq!(
            url.as_str(),
            "https://appcenter.intuit.com/connect/oauth2?client_id=cid&response_type=code&scope=com.intuit.quickbooks.accounting&redirect_uri=https%3A%2F%2Fx.example%2Fcb&state=st8"
        );
        assert_eq!(real.revoke_url.as_str(), REVOKE_ENDPOINT);
        let local = OAuthClient::with_token_url(
            Url::parse("http://127.0.0.1:4020/oauth2/v1/tokens/bearer").unwrap(),
            "cid",
            SecretString::from("secret"),
        );
        let url = local.authorize_url("http://cb", &["a", "b"], "s");
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        assert_eq!(url.port(), Some(4020));
        assert_eq!(url.path(), "/connect/oauth2");
        assert!(url.query_pairs().any(|(k, v)| k == "scope" && v == "a b"));
        assert_eq!(
            local.revoke_url.as_str(),
            "http://127.0.0.1:4020/v2/oauth2/tokens/revoke"
        );
    }

    #[test]
    fn invalid_grant_is_its_own_error() {
        let e = parse_error_response(400, &fixture("oauth-error-invalid-grant.json"));
        assert!(
            matches!(&e, OAuthError::InvalidGrant { description } if description == "Token invalid")
        );
        let e = parse_error_response(401, br#"{"error":"invalid_client"}"#);
        assert!(matches!(e, OAuthError::InvalidClient { .. }));
        let e = parse_error_response(500, b"oops");
        assert!(matches!(e, OAuthError::Rejected { status: 500, .. }));
    }

    #[test]
    fn decode_errors_do_not_quote_the_body() {
        let Err(e) = parse_token_response(
            br#"{"access_token":"secret-value","expires_in":"x"}"#,
            Utc::now(),
        ) else {
            panic!("must fail")
        };
        assert!(!e.to_string().contains("secret-value"));
    }
}

//! OAuth tokens the sandbox issues and accepts (docs/quickbooks.md §2.4, §2.5): 1-hour access
//! tokens, rolling 100-day refresh tokens that rotate on every refresh (strict: the previous one
//! dies at once; lenient: it keeps working for 24 hours), one-time authorization codes bound to
//! the consent's redirect URI, and revoke (§2.6).

use std::collections::HashMap;

use serde_json::{Value, json};

/// §2.5: access tokens live 3600 s.
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// §2.4: `x_refresh_token_expires_in` right after issue (~101 days, rolling).
pub const REFRESH_TOKEN_SECONDS: i64 = 8_726_400;
/// §2.5: the 5-year absolute cap (`x_refresh_token_hard_expires_in`).
pub const REFRESH_HARD_SECONDS: i64 = 5 * 365 * 24 * 3600;
/// Lenient rotation: the previous refresh token keeps working this long (oauth-jsclient README).
pub const ROTATION_GRACE_SECONDS: i64 = 24 * 3600;
/// How long a consent's code stays exchangeable. UNVERIFIED: Intuit's code life (§2.3);
/// five minutes keeps tests of expiry short.
pub const CODE_SECONDS: i64 = 300;

#[derive(Clone)]
struct RefreshState {
    expires_ms: i64,
    hard_expires_ms: i64,
}

/// A code waiting for its one exchange: the consent's redirect URI (`None` for codes from the
/// control API, which any redirect URI may exchange) and its expiry.
#[derive(Clone)]
struct CodeGrant {
    redirect_uri: Option<String>,
    expires_ms: Option<i64>,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    Expired,
    Unknown,
}

/// Why a grant failed: the `error` member of the token endpoint's 400 body (§2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantError {
    pub error: &'static str,
    pub description: &'static str,
}

impl GrantError {
    /// Body as in fixture `oauth-error-invalid-grant.json`.
    pub fn body(&self) -> Value {
        json!({"error_description": self.description, "error": self.error})
    }
}

/// The token store. Tokens are opaque random strings; `Debug` shows counts only.
#[derive(Default)]
pub struct TokenStore {
    access: HashMap<String, i64>,
    refresh: HashMap<String, RefreshState>,
    /// Access token -> the refresh token issued with it (revoking one ends both).
    pairs: HashMap<String, String>,
    codes: HashMap<String, CodeGrant>,
    /// Refresh tokens issued so far (for stats).
    pub refreshes: u64,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("access_tokens", &self.access.len())
            .field("refresh_tokens", &self.refresh.len())
            .field("refreshes", &self.refreshes)
            .finish()
    }
}

fn random_token(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl TokenStore {
    /// Checks a bearer token at sandbox time `now_ms`.
    pub fn check_bearer(&self, token: &str, now_ms: i64) -> Result<(), BearerError> {
        match self.access.get(token) {
            Some(expires) if *expires > now_ms => Ok(()),
            Some(_) => Err(BearerError::Expired),
            None => Err(BearerError::Unknown),
        }
    }

    /// A one-time authorization code (as the consent redirect would carry, §2.3), for any
    /// redirect URI and without expiry (control API).
    pub fn new_code(&mut self) -> String {
        self.insert_code(CodeGrant {
            redirect_uri: None,
            expires_ms: None,
        })
    }

    /// The code of a consent at `now_ms` for `redirect_uri`: exchangeable once, with that
    /// redirect URI, for [`CODE_SECONDS`].
    pub fn consent_code(&mut self, redirect_uri: &str, now_ms: i64) -> String {
        self.insert_code(CodeGrant {
            redirect_uri: Some(redirect_uri.to_owned()),
            expires_ms: Some(now_ms + CODE_SECONDS * 1000),
        })
    }

    fn insert_code(&mut self, grant: CodeGrant) -> String {
        let code = random_token("AB11");
        self.codes.insert(code.clone(), grant);
        code
    }

    /// Revokes a refresh or access token and the other half of its pair (§2.6); false when
    /// the token is not live.
    pub fn revoke(&mut self, token: &str) -> bool {
        if self.refresh.remove(token).is_some() {
            let dead: Vec<String> = self
                .pairs
                .iter()
                .filter(|(_, r)| r.as_str() == token)
                .map(|(a, _)| a.clone())
                .collect();
            for access in dead {
                self.access.remove(&access);
                self.pairs.remove(&access);
            }
            return true;
        }
        if self.access.remove(token).is_some() {
            if let Some(refresh) = self.pairs.remove(token) {
                self.refresh.remove(&refresh);
            }
            return true;
        }
        false
    }

    /// Issues a fresh token pair (a new connection). `hard_expires_ms` carries over on refresh.
    fn issue(&mut self, now_ms: i64, hard_expires_ms: i64, include_hard: bool) -> Value {
        let access = random_token("eyJ");
        let refresh = random_token("AB11");
        self.access
            .insert(access.clone(), now_ms + ACCESS_TOKEN_SECONDS * 1000);
        self.pairs.insert(access.clone(), refresh.clone());
        self.refresh.insert(
            refresh.clone(),
            RefreshState {
                expires_ms: now_ms + REFRESH_TOKEN_SECONDS * 1000,
                hard_expires_ms,
            },
        );
        let mut body = json!({
            "token_type": "bearer",
            "access_token": access,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "refresh_token": refresh,
            "x_refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
        });
        if include_hard {
            body["x_refresh_token_hard_expires_in"] = ((hard_expires_ms - now_ms) / 1000).into();
        }
        body
    }

    /// Issues a token pair for a new connection (control API shortcut).
    pub fn connect(&mut self, now_ms: i64, include_hard: bool) -> Value {
        self.issue(now_ms, now_ms + REFRESH_HARD_SECONDS * 1000, include_hard)
    }

    /// `grant_type=authorization_code`: each code works once (§2.3), for the redirect URI
    /// of its consent, until it expires. The first attempt uses the code up either way.
    pub fn exchange_code(
        &mut self,
        code: &str,
        redirect_uri: &str,
        now_ms: i64,
        include_hard: bool,
    ) -> Result<Value, GrantError> {
        let refused = GrantError {
            error: "invalid_grant",
            description: "Token invalid",
        };
        let grant = self.codes.remove(code).ok_or(refused.clone())?;
        if grant.expires_ms.is_some_and(|e| e <= now_ms)
            || grant
                .redirect_uri
                .as_deref()
                .is_some_and(|r| r != redirect_uri)
        {
            return Err(refused);
        }
        Ok(self.connect(now_ms, include_hard))
    }

    /// `grant_type=refresh_token` (§2.4, §2.5): a new pair; the old refresh token dies at once
    /// (`strict`) or after 24 hours.
    pub fn refresh(
        &mut self,
        token: &str,
        now_ms: i64,
        strict: bool,
        include_hard: bool,
    ) -> Result<Value, GrantError> {
        let Some(state) = self.refresh.get(token).cloned() else {
            return Err(GrantError {
                error: "invalid_grant",
                description: "Token invalid",
            });
        };
        if state.expires_ms <= now_ms || state.hard_expires_ms <= now_ms {
            self.refresh.remove(token);
            return Err(GrantError {
                error: "invalid_grant",
                description: "Token has been expired or revoked.",
            });
        }
        if strict {
            self.refresh.remove(token);
        } else if let Some(old) = self.refresh.get_mut(token) {
            old.expires_ms = old.expires_ms.min(now_ms + ROTATION_GRACE_SECONDS * 1000);
        }
        self.refreshes += 1;
        Ok(self.issue(now_ms, state.hard_expires_ms, include_hard))
    }

    /// Expires every access token now (tests of the 401 path).
    pub fn expire_access_tokens(&mut self, now_ms: i64) {
        for expires in self.access.values_mut() {
            *expires = (*expires).min(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_expire_after_an_hour() {
        let mut store = TokenStore::default();
        let pair = store.connect(0, false);
        let access = pair["access_token"].as_str().unwrap();
        assert_eq!(store.check_bearer(access, 3_599_999), Ok(()));
        assert_eq!(
            store.check_bearer(access, 3_600_000),
            Err(BearerError::Expired)
        );
        assert_eq!(store.check_bearer("nope", 0), Err(BearerError::Unknown));
        assert!(pair.get("x_refresh_token_hard_expires_in").is_none());
    }

    #[test]
    fn strict_rotation_kills_the_previous_refresh_token() {
        let mut store = TokenStore::default();
        let first = store.connect(0, true)["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let second = store.refresh(&first, 1000, true, false).unwrap();
        assert_ne!(second["refresh_token"].as_str().unwrap(), first);
        assert_eq!(
            store.refresh(&first, 2000, true, false).unwrap_err().error,
            "invalid_grant"
        );
    }

    #[test]
    fn lenient_rotation_keeps_the_previous_token_for_a_day() {
        let mut store = TokenStore::default();
        let first = store.connect(0, false)["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        store.refresh(&first, 0, false, false).unwrap();
        assert!(store.refresh(&first, 1000, false, false).is_ok());
        let day = ROTATION_GRACE_SECONDS * 1000;
        assert!(store.refresh(&first, day + 1, false, false).is_err());
    }

    #[test]
    fn codes_work_once() {
        let mut store = TokenStore::default();
        let code = store.new_code();
        assert!(store.exchange_code(&code, "https://any", 0, false).is_ok());
        assert!(store.exchange_code(&code, "https://any", 0, false).is_err());
        let code = store.consent_code("https://cb", 0);
        assert!(
            store
                .exchange_code(&code, "https://other", 0, false)
                .is_err()
        );
        assert!(
            store.exchange_code(&code, "https://cb", 0, false).is_err(),
            "used up"
        );
        let late = store.consent_code("https://cb", 0);
        assert!(
            store
                .exchange_code(&late, "https://cb", CODE_SECONDS * 1000, false)
                .is_err()
        );
        let fresh = store.consent_code("https://cb", 0);
        assert!(
            store
                .exchange_code(&fresh, "https://cb", 1000, false)
                .is_ok()
        );
    }

    #[test]
    fn revoking_a_refresh_token_ends_its_access_token_too() {
        let mut store = TokenStore::default();
        let pair = store.connect(0, false);
        let access = pair["access_token"].as_str().unwrap().to_owned();
        let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
        let other = store.connect(0, false);
        assert!(store.revoke(&refresh));
        assert!(!store.revoke(&refresh));
        assert_eq!(store.check_bearer(&access, 1), Err(BearerError::Unknown));
        assert!(store.refresh(&refresh, 1, true, false).is_err());
        let other_access = other["access_token"].as_str().unwrap();
        assert_eq!(store.check_bearer(other_access, 1), Ok(()));
    }
}

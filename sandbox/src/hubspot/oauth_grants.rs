//! What the HubSpot sandbox's OAuth has handed out (docs/hubspot.md §1.1-§1.3, §1.6):
//! single-use codes bound to client and redirect URI, refresh tokens with their granted scopes
//! (revocable), and access tokens with expiry and scopes.

use std::collections::{BTreeSet, HashMap};

/// The scopes a token carries: every scope (the static dev token and the configured refresh
/// token, so tests that predate scopes keep working) or exactly the granted set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Granted {
    All,
    Only(BTreeSet<String>),
}

impl Granted {
    /// Whether any of `alternatives` is granted ("One or more of the following scopes are
    /// required", docs/hubspot.md §9.4).
    pub fn any_of(&self, alternatives: &[&str]) -> bool {
        match self {
            Granted::All => true,
            Granted::Only(set) => alternatives.iter().any(|s| set.contains(*s)),
        }
    }

    /// The list for token answers (`All` lists `known`).
    pub fn list(&self, known: &[&str]) -> Vec<String> {
        match self {
            Granted::All => known.iter().map(|s| (*s).to_owned()).collect(),
            Granted::Only(set) => set.iter().cloned().collect(),
        }
    }
}

/// A code handed to the redirect, waiting for its one exchange.
#[derive(Debug, Clone)]
struct Code {
    client_id: String,
    redirect_uri: String,
    scopes: BTreeSet<String>,
    expires_ms: i64,
}

#[derive(Debug, Clone)]
struct AccessGrant {
    expires_ms: i64,
    scopes: Granted,
}

/// Why a code or refresh token was refused; the token endpoint answers `invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantRefusal {
    /// Unknown, used, expired, or issued for another client or redirect URI.
    BadCode,
    /// Unknown or revoked.
    BadRefreshToken,
}

/// The ledger. `Debug` shows counts only (never a token).
#[derive(Default)]
pub struct Grants {
    codes: HashMap<String, Code>,
    refresh: HashMap<String, Granted>,
    access: HashMap<String, AccessGrant>,
}

impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grants")
            .field("codes", &self.codes.len())
            .field("refresh_tokens", &self.refresh.len())
            .field("access_tokens", &self.access.len())
            .finish()
    }
}

impl Grants {
    /// A ledger in which `static_refresh_token` grants every scope.
    pub fn new(static_refresh_token: &str) -> Self {
        let mut g = Grants::default();
        g.refresh
            .insert(static_refresh_token.to_owned(), Granted::All);
        g
    }

    /// A code for the consent redirect.
    pub fn issue_code(
        &mut self,
        client_id: &str,
        redirect_uri: &str,
        scopes: BTreeSet<String>,
        expires_ms: i64,
    ) -> String {
        let code = format!("sandbox-code-{}", uuid::Uuid::new_v4().simple());
        self.codes.insert(
            code.clone(),
            Code {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scopes,
                expires_ms,
            },
        );
        code
    }

    /// Exchanges `code` once: the first attempt consumes it whatever the outcome, as a code
    /// presented with the wrong redirect URI must not stay usable. Returns a new refresh token
    /// and its scopes.
    pub fn redeem_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        now_ms: i64,
    ) -> Result<(String, Granted), GrantRefusal> {
        let grant = self.codes.remove(code).ok_or(GrantRefusal::BadCode)?;
        if grant.expires_ms <= now_ms
            || grant.client_id != client_id
            || grant.redirect_uri != redirect_uri
        {
            return Err(GrantRefusal::BadCode);
        }
        let refresh = format!("sandbox-rt-{}", uuid::Uuid::new_v4().simple());
        let scopes = Granted::Only(grant.scopes);
        self.refresh.insert(refresh.clone(), scopes.clone());
        Ok((refresh, scopes))
    }

    /// The scopes of a live refresh token.
    pub fn refresh_scopes(&self, token: &str) -> Result<Granted, GrantRefusal> {
        self.refresh
            .get(token)
            .cloned()
            .ok_or(GrantRefusal::BadRefreshToken)
    }

    /// Revokes a refresh token; false if it was not live.
    pub fn revoke_refresh(&mut self, token: &str) -> bool {
        self.refresh.remove(token).is_some()
    }

    /// Mints an access token.
    pub fn mint_access(&mut self, scopes: Granted, expires_ms: i64) -> String {
        let token = format!("sandbox-at-{}", uuid::Uuid::new_v4());
        self.access
            .insert(token.clone(), AccessGrant { expires_ms, scopes });
        token
    }

    /// A live access token's scopes and expiry.
    pub fn access(&self, token: &str, now_ms: i64) -> Option<(Granted, i64)> {
        self.access
            .get(token)
            .filter(|g| g.expires_ms > now_ms)
            .map(|g| (g.scopes.clone(), g.expires_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_code_works_once_for_its_client_and_redirect_until_it_expires() {
        let mut g = Grants::new("static");
        let code = g.issue_code("cid", "http://cb", scopes(&["oauth"]), 1000);
        assert_eq!(
            g.redeem_code(&code, "cid", "http://other", 0).unwrap_err(),
            GrantRefusal::BadCode
        );
        // Consumed by the failed attempt.
        assert!(g.redeem_code(&code, "cid", "http://cb", 0).is_err());

        let code = g.issue_code("cid", "http://cb", scopes(&["oauth"]), 1000);
        let (refresh, granted) = g.redeem_code(&code, "cid", "http://cb", 10).unwrap();
        assert_eq!(granted, Granted::Only(scopes(&["oauth"])));
        assert!(g.redeem_code(&code, "cid", "http://cb", 10).is_err());
        assert_eq!(g.refresh_scopes(&refresh).unwrap(), granted);
        assert!(g.revoke_refresh(&refresh));
        assert!(g.refresh_scopes(&refresh).is_err());

        let late = g.issue_code("cid", "http://cb", scopes(&[]), 1000);
        assert!(g.redeem_code(&late, "cid", "http://cb", 1000).is_err());
        assert_eq!(g.refresh_scopes("static").unwrap(), Granted::All);
    }

    #[test]
    fn access_tokens_carry_scopes_until_they_expire() {
        let mut g = Grants::new("static");
        let t = g.mint_access(Granted::Only(scopes(&["a"])), 100);
        let (granted, _) = g.access(&t, 99).unwrap();
        assert!(granted.any_of(&["b", "a"]));
        assert!(!granted.any_of(&["b"]));
        assert!(g.access(&t, 100).is_none());
        assert!(Granted::All.any_of(&["anything"]));
    }
}

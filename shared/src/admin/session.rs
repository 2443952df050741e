//! Admin sessions: the password check, signed session cookies (HttpOnly, Secure, SameSite=
//! Strict) and the CSRF token derived from the session, plus the axum extractor that requires one.
//!
//! Sessions are stateless (an HMAC-signed id and expiry), so the Lambda needs no session table;
//! signing-key rotation (a new deploy secret) signs everyone out.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::context::AdminContext;
use super::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hqsync_session";
/// The header state-changing `/api/` requests carry the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

type HmacSha256 = Hmac<Sha256>;

/// The admin password and the key sessions are signed with. Never printed (no `Debug` fields).
pub struct AdminAuth {
    password: SecretString,
    signing_key: SecretString,
    /// `Secure` on the cookie; off only for plain-http tests that inspect cookies by hand
    /// (browsers accept Secure cookies from `http://localhost` anyway).
    secure_cookies: bool,
    /// One-time sign-in links issued by this process (`hqsync dev` prints one).
    pub sign_in_links: super::sign_in_link::SignInLinks,
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminAuth([REDACTED])")
    }
}

/// One signed-in admin session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// 128 random bits, hex.
    pub id: String,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// SHA-256 (hex) of the id: what is stored where the session must be recognised again
    /// (an OAuth authorization in progress), so the store never holds a usable cookie.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.id.as_bytes()))
    }
}

impl AdminAuth {
    pub fn new(password: SecretString, signing_key: SecretString) -> Self {
        AdminAuth {
            password,
            signing_key,
            secure_cookies: true,
            sign_in_links: Default::default(),
        }
    }

    /// A signing key of 256 random bits (a local runtime's, valid until it stops).
    pub fn random_signing_key() -> SecretString {
        SecretString::from(random_hex(32))
    }

    /// A password of 20 random characters for `hqsync dev` when none is given.
    pub fn generate_password() -> SecretString {
        SecretString::from(random_hex(10))
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(self.signing_key.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length");
        for part in parts {
            mac.update(part);
            mac.update(b"\x1f");
        }
        mac
    }

    /// Whether `candidate` is the admin password, compared in constant time (both sides are
    /// MACed first, so the comparison does not leak the length either).
    pub fn password_matches(&self, candidate: &str) -> bool {
        let expected = self
            .mac(&[b"password", self.password.expose_secret().as_bytes()])
            .finalize()
            .into_bytes();
        self.mac(&[b"password", candidate.as_bytes()])
            .verify_slice(&expected)
            .is_ok()
    }

    /// A new session from `now`, and its cookie value.
    pub fn issue(&self, now: DateTime<Utc>) -> (Session, String) {
        let session = Session {
            id: random_hex(16),
            // Whole seconds: what the cookie carries.
            expires_at: DateTime::from_timestamp((now + SESSION_LIFETIME).timestamp(), 0)
                .unwrap_or(now + SESSION_LIFETIME),
        };
        let expires = session.expires_at.timestamp().to_string();
        let signature = hex::encode(
            self.mac(&[b"session", session.id.as_bytes(), expires.as_bytes()])
                .finalize()
                .into_bytes(),
        );
        let value = format!("{}.{expires}.{signature}", session.id);
        (session, value)
    }

    /// The session of a cookie value, when its signature holds and it has not expired.
    pub fn verify(&self, cookie_value: &str, now: DateTime<Utc>) -> Option<Session> {
        let mut parts = cookie_value.split('.');
        let (id, expires, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let signature = hex::decode(signature).ok()?;
        self.mac(&[b"session", id.as_bytes(), expires.as_bytes()])
            .verify_slice(&signature)
            .ok()?;
        let expires_at = DateTime::from_timestamp(expires.parse().ok()?, 0)?;
        (now < expires_at).then(|| Session {
            id: id.to_owned(),
            expires_at,
        })
    }

    /// The session's CSRF token (returned at sign-in, expected in [`CSRF_HEADER`]).
    pub fn csrf_token(&self, session: &Session) -> String {
        hex::encode(
            self.mac(&[b"csrf", session.id.as_bytes()])
                .finalize()
                .into_bytes(),
        )
    }

    /// Whether `token` is `session`'s CSRF token (constant time).
    pub fn csrf_matches(&self, session: &Session, token: &str) -> bool {
        let Ok(token) = hex::decode(token) else {
            return false;
        };
        self.mac(&[b"csrf", session.id.as_bytes()])
            .verify_slice(&token)
            .is_ok()
    }

    /// A MAC only this server can compute over a session hash and an expiry (unix seconds):
    /// what the connect flow's callback cookie carries (see `connect/binding.rs`).
    pub fn binding_for(&self, session_hash: &str, expires: i64) -> String {
        hex::encode(
            self.mac(&[
                b"oauth-binding",
                session_hash.as_bytes(),
                expires.to_string().as_bytes(),
            ])
            .finalize()
            .into_bytes(),
        )
    }

    /// Whether `mac` is [`Self::binding_for`] `session_hash` and `expires` (constant time).
    pub fn binding_matches(&self, session_hash: &str, expires: i64, mac: &str) -> bool {
        let Ok(mac) = hex::decode(mac) else {
            return false;
        };
        self.mac(&[
            b"oauth-binding",
            session_hash.as_bytes(),
            expires.to_string().as_bytes(),
        ])
        .verify_slice(&mac)
        .is_ok()
    }

    /// Whether cookies this server sets carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// `Set-Cookie` for a session value (`None`: a cookie that clears it).
    pub fn set_cookie(&self, value: Option<&str>) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        match value {
            Some(value) => format!(
                "{SESSION_COOKIE}={value}; Path=/; Max-Age={}; HttpOnly{secure}; SameSite=Strict",
                SESSION_LIFETIME.num_seconds()
            ),
            None => {
                format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly{secure}; SameSite=Strict")
            }
        }
    }

    /// The session of a request's `Cookie` headers, if a valid one is there.
    pub fn session_of(
        &self,
        headers: &axum::http::HeaderMap,
        now: DateTime<Utc>,
    ) -> Option<Session> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == SESSION_COOKIE)
            .find_map(|(_, value)| self.verify(value, now))
    }
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// Extractor: the request's admin session, or a 401. State-changing methods also need the
/// CSRF token in [`CSRF_HEADER`], or a 403.
pub struct AdminSession(pub Session);

impl FromRequestParts<AdminContext> for AdminSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AdminContext,
    ) -> Result<Self, Self::Rejection> {
        let now = ctx.sync.clock.now();
        let session = ctx
            .auth
            .session_of(&parts.headers, now)
            .ok_or(ApiError::Unauthorized)?;
        if !parts.method.is_safe() {
            let token = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !ctx.auth.csrf_matches(&session, token) {
                return Err(ApiError::CsrfRejected);
            }
        }
        Ok(AdminSession(session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> AdminAuth {
        AdminAuth::new(
            SecretString::from("hunter2".to_owned()),
            SecretString::from("key".to_owned()),
        )
    }

    #[test]
    fn only_the_password_matches() {
        let auth = auth();
        assert!(auth.password_matches("hunter2"));
        assert!(!auth.password_matches("hunter3"));
        assert!(!auth.password_matches(""));
    }

    #[test]
    fn a_session_cookie_verifies_until_it_expires_and_not_when_tampered_with() {
        let auth = auth();
        let now = Utc::now();
        let (session, cookie) = auth.issue(now);
        assert_eq!(auth.verify(&cookie, now), Some(session.clone()));
        assert_eq!(auth.verify(&cookie, session.expires_at), None, "expired");
        let (id, rest) = cookie.split_once('.').unwrap();
        let flipped = if id.ends_with('a') { 'b' } else { 'a' };
        let forged = format!("{}{flipped}.{rest}", &id[..id.len() - 1]);
        assert_eq!(auth.verify(&forged, now), None);
        let other_key = AdminAuth::new(
            SecretString::from("hunter2".to_owned()),
            SecretString::from("other".to_owned()),
        );
        assert_eq!(other_key.verify(&cookie, now), None);
    }

    #[test]
    fn the_csrf_token_belongs_to_its_session() {
        let auth = auth();
        let (a, _) = auth.issue(Utc::now());
        let (b, _) = auth.issue(Utc::now());
        let token = auth.csrf_token(&a);
        assert!(auth.csrf_matches(&a, &token));
        assert!(!auth.csrf_matches(&b, &token));
        assert!(!auth.csrf_matches(&a, "not-hex"));
    }

    #[test]
    fn the_cookie_is_http_only_secure_and_strict() {
        let cookie = auth().set_cookie(Some("v"));
        for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(part), "{cookie}");
        }
    }
}

//! Who may finish an authorization: the admin session that started it, recognised at the
//! vendors' callbacks by its session cookie or, in a browser, by the connect flow's own cookie.
//!
//! The session cookie is `SameSite=Strict`, so a browser does not send it on the vendor's
//! cross-site redirect back to `/oauth/.../callback`. `GET /connect` therefore also sets
//! `hqsync_oauth`: `SameSite=Lax` (sent on that top-level GET redirect), HttpOnly, limited to
//! `/oauth/` and to the state's lifetime, carrying an HMAC of the session's hash that only this
//! server can compute. It opens nothing by itself: a callback still needs a state we issued.

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};

use super::state::STATE_LIFETIME;
use crate::admin::{AdminAuth, Session};

/// The callback cookie's name.
pub const BINDING_COOKIE: &str = "hqsync_oauth";

/// The caller of a callback, as far as its cookies say.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The signed-in session, when the session cookie came along (same-site, or a client that
    /// ignores SameSite such as the CLI).
    pub session: Option<Session>,
    /// The `hqsync_oauth` value, when present.
    pub binding: Option<String>,
}

impl Caller {
    /// Reads both cookies of a request.
    pub fn of(auth: &AdminAuth, headers: &HeaderMap, now: DateTime<Utc>) -> Self {
        Caller {
            session: auth.session_of(headers, now),
            binding: cookie(headers, BINDING_COOKIE).map(str::to_owned),
        }
    }

    /// Whether this caller is the session whose hash is `session_hash`.
    pub fn is(&self, auth: &AdminAuth, session_hash: &str) -> bool {
        if let Some(session) = &self.session {
            return session.hash() == session_hash;
        }
        self.binding
            .as_deref()
            .is_some_and(|value| auth.binding_matches(session_hash, value))
    }
}

/// `Set-Cookie` binding the browser to `session_hash` for the callbacks.
pub fn set_cookie(auth: &AdminAuth, session_hash: &str) -> String {
    let secure = if auth.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{BINDING_COOKIE}={}; Path=/oauth/; Max-Age={}; HttpOnly{secure}; SameSite=Lax",
        auth.binding_for(session_hash),
        STATE_LIFETIME.num_seconds()
    )
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use secrecy::SecretString;

    fn auth(key: &str) -> AdminAuth {
        AdminAuth::new(
            SecretString::from("pw".to_owned()),
            SecretString::from(key.to_owned()),
        )
    }

    #[test]
    fn the_binding_cookie_names_its_session_only_for_the_server_that_set_it() {
        let server = auth("k1");
        let now = Utc::now();
        let (session, _) = server.issue(now);
        let set = set_cookie(&server, &session.hash());
        assert!(
            set.contains("SameSite=Lax") && set.contains("Path=/oauth/"),
            "{set}"
        );
        assert!(set.contains("HttpOnly"), "{set}");
        let value = set.split(';').next().unwrap().to_owned();

        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        let caller = Caller::of(&server, &headers, now);
        assert!(caller.session.is_none());
        assert!(caller.is(&server, &session.hash()));
        let (other, _) = server.issue(now);
        assert!(
            !caller.is(&server, &other.hash()),
            "another session's state"
        );
        assert!(
            !Caller::of(&auth("k2"), &headers, now).is(&auth("k2"), &session.hash()),
            "a cookie from another signing key"
        );
        assert!(!Caller::default().is(&server, &session.hash()), "no cookie");
    }

    #[test]
    fn a_session_cookie_decides_over_a_binding_cookie() {
        let server = auth("k1");
        let now = Utc::now();
        let (mine, _) = server.issue(now);
        let (_, other_cookie) = server.issue(now);
        let binding = set_cookie(&server, &mine.hash());
        let mut headers = HeaderMap::new();
        let cookies = format!(
            "hqsync_session={other_cookie}; {}",
            binding.split(';').next().unwrap()
        );
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookies).unwrap());
        let caller = Caller::of(&server, &headers, now);
        assert!(!caller.is(&server, &mine.hash()));
    }
}

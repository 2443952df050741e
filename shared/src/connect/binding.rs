//! Who may finish an authorization: the admin session that started it, recognised at the
//! vendors' callbacks by its session cookie or, in a browser, by the connect flow's own cookie.
//!
//! The session cookie is `SameSite=Strict`, so a browser does not send it on the vendor's
//! cross-site redirect back to `/oauth/.../callback`, nor on the redirect from there to the
//! connection page. `GET /connect` therefore also sets `hqsync_oauth`: `SameSite=Lax` (sent on
//! those top-level GET navigations), HttpOnly, for the state's lifetime, carrying the session's
//! hash, an expiry and an HMAC over both that only this server can compute. It lets a browser
//! finish the flow it started and read the connection page it lands on; it opens no `/api/`
//! route, and a callback still needs a state we issued to that session.

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};

use super::state::STATE_LIFETIME;
use crate::admin::{AdminAuth, Session};

/// The callback cookie's name.
pub const BINDING_COOKIE: &str = "hqsync_oauth";

/// A verified `hqsync_oauth` value: the session it was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub session_hash: String,
}

impl Binding {
    /// The binding of a cookie value, when its MAC holds and it has not expired.
    pub fn verify(auth: &AdminAuth, value: &str, now: DateTime<Utc>) -> Option<Binding> {
        let mut parts = value.split('.');
        let (hash, expires, mac) = (parts.next()?, parts.next()?, parts.next()?);
        let expires: i64 = expires.parse().ok()?;
        let valid = parts.next().is_none()
            && now.timestamp() < expires
            && auth.binding_matches(hash, expires, mac);
        valid.then(|| Binding {
            session_hash: hash.to_owned(),
        })
    }
}

/// The caller of a callback or connect page, as far as its cookies say.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The signed-in session, when the session cookie came along (same-site, or a client that
    /// ignores SameSite such as the CLI).
    pub session: Option<Session>,
    /// A valid `hqsync_oauth` cookie, when present.
    pub binding: Option<Binding>,
}

impl Caller {
    /// Reads both cookies of a request.
    pub fn of(auth: &AdminAuth, headers: &HeaderMap, now: DateTime<Utc>) -> Self {
        Caller {
            session: auth.session_of(headers, now),
            binding: cookies(headers, BINDING_COOKIE).find_map(|v| Binding::verify(auth, v, now)),
        }
    }

    /// Whether this caller is the session whose hash is `session_hash`: its session cookie
    /// decides when present, else its binding cookie.
    pub fn is(&self, session_hash: &str) -> bool {
        match (&self.session, &self.binding) {
            (Some(session), _) => session.hash() == session_hash,
            (None, Some(binding)) => binding.session_hash == session_hash,
            (None, None) => false,
        }
    }

    /// Whether an admin session stands behind this request (to read a connect page).
    pub fn is_admin(&self) -> bool {
        self.session.is_some() || self.binding.is_some()
    }
}

/// `Set-Cookie` binding the browser to `session_hash` until the state expires.
pub fn set_cookie(auth: &AdminAuth, session_hash: &str, now: DateTime<Utc>) -> String {
    let secure = if auth.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let expires = (now + STATE_LIFETIME).timestamp();
    format!(
        "{BINDING_COOKIE}={session_hash}.{expires}.{}; Path=/; Max-Age={}; HttpOnly{secure}; SameSite=Lax",
        auth.binding_for(session_hash, expires),
        STATE_LIFETIME.num_seconds()
    )
}

fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(n, _)| *n == name)
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

    fn headers(cookies: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookies).unwrap());
        headers
    }

    #[test]
    fn the_binding_cookie_names_its_session_only_for_the_server_that_set_it_until_it_expires() {
        let server = auth("k1");
        let now = Utc::now();
        let (session, _) = server.issue(now);
        let set = set_cookie(&server, &session.hash(), now);
        assert!(
            set.contains("SameSite=Lax") && set.contains("HttpOnly"),
            "{set}"
        );
        let value = set.split(';').next().unwrap().to_owned();

        let caller = Caller::of(&server, &headers(&value), now);
        assert!(caller.session.is_none());
        assert!(caller.is(&session.hash()) && caller.is_admin());
        let (other, _) = server.issue(now);
        assert!(!caller.is(&other.hash()), "another session's state");
        let foreign = Caller::of(&auth("k2"), &headers(&value), now);
        assert!(
            !foreign.is(&session.hash()) && !foreign.is_admin(),
            "another signing key"
        );
        let late = Caller::of(&server, &headers(&value), now + STATE_LIFETIME);
        assert!(!late.is_admin(), "expired");
        let (hash, rest) = value.split_once('.').unwrap();
        let swapped = format!("{}.{rest}", hash.replace(&session.hash(), &other.hash()));
        assert!(
            !Caller::of(&server, &headers(&swapped), now).is(&other.hash()),
            "forged hash"
        );
        assert!(!Caller::default().is(&session.hash()), "no cookie");
    }

    #[test]
    fn a_session_cookie_decides_over_a_binding_cookie() {
        let server = auth("k1");
        let now = Utc::now();
        let (mine, _) = server.issue(now);
        let (_, other_cookie) = server.issue(now);
        let binding = set_cookie(&server, &mine.hash(), now);
        let cookies = format!(
            "hqsync_session={other_cookie}; {}",
            binding.split(';').next().unwrap()
        );
        let caller = Caller::of(&server, &headers(&cookies), now);
        assert!(!caller.is(&mine.hash()));
    }
}

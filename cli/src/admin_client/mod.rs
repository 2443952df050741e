//! The admin API client of the `hqsync` commands: signs in with the admin password, keeps the
//! session cookie (by hand) and sends the CSRF token on writes; errors say what to do.
//!
//! The cookie is kept by hand because reqwest's cookie jar does not send a `Secure` cookie over
//! plain http, which is what a local `hqsync dev` serves. It goes to the API's own origin only.

mod error;
pub mod redirects;

pub use error::AdminError;

use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderValue, RETRY_AFTER, SET_COOKIE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

/// Where `hqsync dev` serves the admin API unless told otherwise (its `--listen` default).
pub const DEFAULT_API: &str = "http://127.0.0.1:4030";
/// The session cookie's name (`hqsync::admin::SESSION_COOKIE`).
pub const SESSION_COOKIE: &str = "hqsync_session";
/// The header writes carry the CSRF token in (`hqsync::admin::CSRF_HEADER`).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// A signed-in admin session against one admin API.
pub struct AdminClient {
    http: reqwest::Client,
    api: Url,
    session: SecretString,
    csrf: SecretString,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AdminClient({}, [session REDACTED])", self.api)
    }
}

/// `api` as a base URL (http or https, no query), without a trailing slash in its path.
pub fn parse_api(api: &str) -> Result<Url, AdminError> {
    let url = Url::parse(api.trim()).map_err(|_| AdminError::BadApiUrl(api.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(AdminError::BadApiUrl(api.to_owned()));
    }
    let mut url = url;
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Whether `api` is this machine (a local `hqsync dev`), not a deployed stack.
pub fn is_loopback(api: &Url) -> bool {
    match api.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The value of the `hqsync_session` cookie in a response's `Set-Cookie` headers.
fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

fn transport(path: &str, api: &Url, e: reqwest::Error) -> AdminError {
    if e.is_connect() {
        AdminError::Unreachable {
            api: api.to_string(),
        }
    } else {
        AdminError::Transport {
            path: path.to_owned(),
            // Without the URL: it may carry an OAuth code or state.
            reason: e.without_url().to_string(),
        }
    }
}

/// The `error` of a JSON error body, else the start of the body.
fn error_message(body: &str) -> (String, Option<String>) {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
        field: Option<String>,
    }
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(b) => (b.error, b.field),
        Err(_) => {
            let text: String = body.trim().chars().take(300).collect();
            (
                if text.is_empty() {
                    "(no body)".into()
                } else {
                    text
                },
                None,
            )
        }
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> u64 {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(60)
}

/// A non-success answer as an error (401 on sign-in is the caller's).
fn refusal(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    path: &str,
    body: &str,
) -> AdminError {
    let (message, field) = error_message(body);
    match status {
        StatusCode::UNAUTHORIZED => AdminError::SessionRefused {
            path: path.to_owned(),
        },
        StatusCode::TOO_MANY_REQUESTS => AdminError::TooManyAttempts {
            wait_secs: retry_after(headers),
        },
        StatusCode::BAD_REQUEST if field.is_some() => AdminError::InvalidField {
            field: field.unwrap_or_default(),
            message,
        },
        _ => AdminError::Api {
            status,
            path: path.to_owned(),
            message,
        },
    }
}

impl AdminClient {
    /// Signs in at `api` with the admin password (`POST /api/session`).
    pub async fn sign_in(api: &str, password: &SecretString) -> Result<Self, AdminError> {
        let api = parse_api(api)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| transport("/api/session", &api, e))?;
        let path = "/api/session";
        let body = serde_json::json!({ "password": password.expose_secret() });
        let response = http
            .post(join(&api, path))
            .json(&body)
            .send()
            .await
            .map_err(|e| transport(path, &api, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| transport(path, &api, e))?;
        match status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => return Err(AdminError::WrongPassword),
            _ => return Err(refusal(status, &headers, path, &text)),
        }
        let unexpected = |reason: &str| AdminError::Unexpected {
            path: path.into(),
            reason: reason.into(),
        };
        let session = session_cookie(&headers)
            .ok_or_else(|| unexpected("no hqsync_session cookie in the sign-in answer"))?;
        #[derive(serde::Deserialize)]
        struct SignedIn {
            csrf_token: String,
        }
        let signed_in: SignedIn = serde_json::from_str(&text)
            .map_err(|_| unexpected("no csrf_token in the sign-in answer"))?;
        Ok(AdminClient {
            http,
            api,
            session: SecretString::from(session),
            csrf: SecretString::from(signed_in.csrf_token),
        })
    }

    /// The admin API's base URL.
    pub fn api(&self) -> &Url {
        &self.api
    }

    /// `path` (starting with `/`, may carry a query) under the API's base URL.
    pub fn url(&self, path: &str) -> Url {
        join(&self.api, path)
    }

    /// Whether `url` is the admin API's own origin (scheme, host and port): the only place the
    /// session cookie is sent, as a browser would.
    pub fn is_own_origin(&self, url: &Url) -> bool {
        url.origin() == self.api.origin()
    }

    /// A request with the session cookie, and the CSRF token when `method` changes state.
    fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        let mut builder = self.http.request(method, url);
        if let Ok(mut cookie) = HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={}",
            self.session.expose_secret()
        )) {
            cookie.set_sensitive(true);
            builder = builder.header(COOKIE, cookie);
        }
        if !safe && let Ok(mut token) = HeaderValue::from_str(self.csrf.expose_secret()) {
            token.set_sensitive(true);
            builder = builder.header(CSRF_HEADER, token);
        }
        builder
    }

    /// Sends `method path` with an optional JSON body; a 2xx answer's JSON as `T` (an empty
    /// body reads as `null`), anything else as the matching [`AdminError`].
    pub async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, AdminError> {
        let mut builder = self.request(method, self.url(path));
        if let Some(body) = body {
            let json = serde_json::to_vec(body).map_err(|e| AdminError::Unexpected {
                path: path.into(),
                reason: e.to_string(),
            })?;
            builder = builder.header(CONTENT_TYPE, "application/json").body(json);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| transport(path, &self.api, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| transport(path, &self.api, e))?;
        if !status.is_success() {
            return Err(refusal(status, &headers, path, &text));
        }
        let text = if text.trim().is_empty() {
            "null"
        } else {
            &text
        };
        serde_json::from_str(text).map_err(|e| AdminError::Unexpected {
            path: path.into(),
            reason: e.to_string(),
        })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdminError> {
        self.call::<T, ()>(Method::GET, path, None).await
    }

    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AdminError> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AdminError> {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// One GET of any URL, redirects not followed; the session cookie only goes along to the
    /// API's own origin.
    pub(crate) async fn fetch(&self, url: &Url) -> Result<reqwest::Response, AdminError> {
        let builder = if self.is_own_origin(url) {
            self.request(Method::GET, url.clone())
        } else {
            self.http.get(url.clone())
        };
        builder.send().await.map_err(|e| {
            if e.is_connect() {
                AdminError::Unreachable {
                    api: url.origin().ascii_serialization(),
                }
            } else {
                AdminError::Transport {
                    path: url.path().to_owned(),
                    reason: e.without_url().to_string(),
                }
            }
        })
    }
}

fn join(api: &Url, path: &str) -> Url {
    let base = api.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}{path}")).unwrap_or_else(|_| api.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_url_must_be_http_and_loses_its_trailing_slash() {
        assert_eq!(
            parse_api("http://127.0.0.1:4030/").unwrap().as_str(),
            "http://127.0.0.1:4030/"
        );
        assert_eq!(
            join(
                &parse_api("https://x.example/prod/").unwrap(),
                "/api/session"
            )
            .as_str(),
            "https://x.example/prod/api/session"
        );
        assert!(parse_api("ftp://x.example").is_err());
        assert!(parse_api("127.0.0.1:4030").is_err());
    }

    #[test]
    fn loopback_means_this_machine() {
        for local in [
            "http://127.0.0.1:4030",
            "http://localhost:1",
            "http://[::1]:2",
        ] {
            assert!(is_loopback(&parse_api(local).unwrap()), "{local}");
        }
        assert!(!is_loopback(
            &parse_api("https://abc.execute-api.example").unwrap()
        ));
    }

    #[test]
    fn the_session_cookie_is_read_from_set_cookie() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.append(SET_COOKIE, HeaderValue::from_static("other=1; Path=/"));
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("hqsync_session=abc.1.ff; Path=/; HttpOnly; Secure"),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some("abc.1.ff"));
        let mut cleared = reqwest::header::HeaderMap::new();
        cleared.append(
            SET_COOKIE,
            HeaderValue::from_static("hqsync_session=; Max-Age=0"),
        );
        assert_eq!(session_cookie(&cleared), None);
    }

    #[test]
    fn a_bad_request_names_its_field() {
        let headers = reqwest::header::HeaderMap::new();
        let err = refusal(
            StatusCode::BAD_REQUEST,
            &headers,
            "/api/x",
            r#"{"error":"must not be empty","field":"contact.custom_mappings[0]"}"#,
        );
        assert_eq!(
            err.to_string(),
            "invalid `contact.custom_mappings[0]`: must not be empty"
        );
    }
}

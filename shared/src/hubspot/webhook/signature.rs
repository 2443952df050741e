//! Verifies `X-HubSpot-Signature-v3` (HMAC-SHA256 over method + URL + body + timestamp, base64,
//! 5-minute window, clock injected); the v2 and v1 SHA-256 signatures only when allowed (§5.5).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::digest::CtOutput;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::sync::Arc;

use crate::adapters::memory::MemoryReplayGuard;
use crate::ports::ReplayGuard;

/// Requests older than this are rejected (§5.5 step 1: 300,000 ms).
pub const MAX_AGE_MS: i64 = 300_000;

pub const HEADER_V3: &str = "x-hubspot-signature-v3";
pub const HEADER_TIMESTAMP: &str = "x-hubspot-request-timestamp";
pub const HEADER_LEGACY: &str = "x-hubspot-signature";
pub const HEADER_LEGACY_VERSION: &str = "x-hubspot-signature-version";

/// The parts of an inbound request a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `POST`, `GET` (upper-cased before hashing).
    pub method: &'a str,
    /// The full URL HubSpot called: scheme, host, path, query (§5.5 step 2). Behind API
    /// Gateway, rebuild it as configured in HubSpot.
    pub url: &'a str,
    /// The raw body, never re-serialised.
    pub body: &'a [u8],
    pub signature_v3: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    /// `X-HubSpot-Signature` (v1 or v2) and `X-HubSpot-Signature-Version`.
    pub signature_legacy: Option<&'a str>,
    pub legacy_version: Option<&'a str>,
}

impl<'a> SignedRequest<'a> {
    /// Picks the signature headers out of `(name, value)` pairs (names case-insensitive).
    pub fn from_headers<I>(method: &'a str, url: &'a str, body: &'a [u8], headers: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut req = SignedRequest {
            method,
            url,
            body,
            signature_v3: None,
            timestamp: None,
            signature_legacy: None,
            legacy_version: None,
        };
        for (name, value) in headers {
            match name.to_ascii_lowercase().as_str() {
                HEADER_V3 => req.signature_v3 = Some(value),
                HEADER_TIMESTAMP => req.timestamp = Some(value),
                HEADER_LEGACY => req.signature_legacy = Some(value),
                HEADER_LEGACY_VERSION => req.legacy_version = Some(value),
                _ => {}
            }
        }
        req
    }
}

/// Which signature a request was accepted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    V1,
    V2,
    V3,
}

/// Why a request was rejected. Never carries the secret or the signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no HubSpot signature header")]
    Missing,
    #[error("X-HubSpot-Signature-v3 without a valid X-HubSpot-Request-Timestamp")]
    BadTimestamp,
    #[error("HubSpot request timestamp is {age_ms} ms from now (limit {MAX_AGE_MS} ms)")]
    Stale { age_ms: i64 },
    #[error("HubSpot signature {0:?} does not match")]
    Mismatch(SignatureVersion),
    #[error("unknown X-HubSpot-Signature-Version {0:?}")]
    UnknownVersion(String),
    #[error(
        "legacy (v1/v2) signatures carry no timestamp and are refused (set hubspot.legacy_signatures in the app secret for an app that still sends only them)"
    )]
    LegacyNotAllowed,
    /// The same v3 signature was accepted before, within its 5-minute window.
    #[error("this HubSpot request was already received (a replay)")]
    Replayed,
    /// The replay guard could not be asked: answered 500 so HubSpot delivers again.
    #[error("could not check for a replay: {0}")]
    ReplayUnchecked(String),
}

/// Verifies inbound HubSpot requests with the app's client secret.
#[derive(Clone)]
pub struct WebhookVerifier {
    secret: SecretString,
    allow_legacy: bool,
    /// Where accepted v3 signatures are remembered ([`WebhookVerifier::verify_fresh`]).
    pub(super) replays: Arc<dyn ReplayGuard>,
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("secret", &"[redacted]")
            .field("allow_legacy", &self.allow_legacy)
            .finish()
    }
}

type HmacSha256 = Hmac<Sha256>;

impl WebhookVerifier {
    /// Accepts only v3: the legacy signatures carry no timestamp, so a captured request would
    /// verify forever. Accepted v3 signatures are remembered in this process's
    /// [`MemoryReplayGuard`] unless [`Self::with_replay_guard`] gives another one.
    pub fn new(client_secret: SecretString) -> Self {
        WebhookVerifier {
            secret: client_secret,
            allow_legacy: false,
            replays: MemoryReplayGuard::process_wide(),
        }
    }

    /// Also accepts v2/v1 when v3 is absent, for an app that still sends only those (the app
    /// secret's `hubspot.legacy_signatures`, docs/hubspot.md §5.5).
    pub fn allowing_legacy(mut self, allow: bool) -> Self {
        self.allow_legacy = allow;
        self
    }

    /// Remembers accepted v3 signatures in `replays` (a shared table across containers).
    pub fn with_replay_guard(mut self, replays: Arc<dyn ReplayGuard>) -> Self {
        self.replays = replays;
        self
    }

    /// Checks `request` as of `now` (injected so tests and replays control the clock).
    /// A present but wrong v3 signature is rejected outright, never retried as v1/v2.
    pub fn verify(
        &self,
        request: &SignedRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<SignatureVersion, SignatureError> {
        if let Some(signature) = request.signature_v3 {
            return self.verify_v3(request, signature, now);
        }
        let Some(signature) = request.signature_legacy else {
            return Err(SignatureError::Missing);
        };
        if !self.allow_legacy {
            return Err(SignatureError::LegacyNotAllowed);
        }
        let version = match request.legacy_version.map(str::trim) {
            None | Some("v1") | Some("V1") => SignatureVersion::V1,
            Some("v2") | Some("V2") => SignatureVersion::V2,
            Some(other) => return Err(SignatureError::UnknownVersion(other.to_owned())),
        };
        let mut hasher = Sha256::new();
        hasher.update(self.secret.expose_secret().as_bytes());
        if version == SignatureVersion::V2 {
            hasher.update(request.method.to_ascii_uppercase().as_bytes());
            hasher.update(request.url.as_bytes());
        }
        hasher.update(request.body);
        let computed = hasher.finalize();
        let Ok(given) = hex::decode(signature.trim()) else {
            return Err(SignatureError::Mismatch(version));
        };
        if given.len() != computed.len() {
            return Err(SignatureError::Mismatch(version));
        }
        // Constant-time comparison via digest's `CtOutput` (backed by `subtle`).
        let given = CtOutput::<Sha256>::new(
            *sha2::digest::generic_array::GenericArray::from_slice(&given),
        );
        if CtOutput::<Sha256>::new(computed) == given {
            Ok(version)
        } else {
            Err(SignatureError::Mismatch(version))
        }
    }

    fn verify_v3(
        &self,
        request: &SignedRequest<'_>,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<SignatureVersion, SignatureError> {
        let timestamp = request.timestamp.ok_or(SignatureError::BadTimestamp)?;
        let ts_ms: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        // Saturating: a forged timestamp near i64::MIN or MAX must be refused, not overflow.
        let age_ms = now.timestamp_millis().saturating_sub(ts_ms);
        // Older than 5 minutes is rejected (§5.5); so is more than 5 minutes in the future,
        // which only a wrong clock or a forged header produces.
        if age_ms.saturating_abs() > MAX_AGE_MS {
            return Err(SignatureError::Stale { age_ms });
        }
        let Ok(given) = BASE64.decode(signature.trim()) else {
            return Err(SignatureError::Mismatch(SignatureVersion::V3));
        };
        let method = request.method.to_ascii_uppercase();
        // The SDKs hash the URL as passed; HubSpot's page says 12 escapes are decoded first
        // (§5.5, [2nd]). Accept either reading.
        let decoded = decode_reserved_escapes(request.url);
        let urls: &[&str] = if decoded == request.url {
            &[request.url]
        } else {
            &[request.url, decoded.as_str()]
        };
        for url in urls {
            let mut mac = HmacSha256::new_from_slice(self.secret.expose_secret().as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(method.as_bytes());
            mac.update(url.as_bytes());
            mac.update(request.body);
            mac.update(timestamp.as_bytes());
            if mac.verify_slice(&given).is_ok() {
                return Ok(SignatureVersion::V3);
            }
        }
        Err(SignatureError::Mismatch(SignatureVersion::V3))
    }
}

/// Decodes the 12 percent-escapes HubSpot's request-validation page lists (§5.5), leaving
/// every other escape (`%20`, `%23`, `%26`, `%2B`, `%3D`, `%25`, ...) as it is.
pub fn decode_reserved_escapes(url: &str) -> String {
    const MAP: [(&str, char); 12] = [
        ("3A", ':'),
        ("2F", '/'),
        ("3F", '?'),
        ("40", '@'),
        ("21", '!'),
        ("24", '$'),
        ("27", '\''),
        ("28", '('),
        ("29", ')'),
        ("2A", '*'),
        ("2C", ','),
        ("3B", ';'),
    ];
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let code = rest.get(pos + 1..pos + 3).map(str::to_ascii_uppercase);
        match code.and_then(|c| MAP.iter().find(|(k, _)| *k == c)) {
            Some((_, ch)) => {
                out.push(*ch);
                rest = &rest[pos + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[pos + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Computes a v3 signature (for the sandbox-facing tests and tools that sign requests).
pub fn sign_v3(
    secret: &SecretString,
    method: &str,
    url: &str,
    body: &[u8],
    timestamp: &str,
) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(method.to_ascii_uppercase().as_bytes());
    mac.update(url.as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::Value;

    fn vectors() -> Value {
        let path = format!(
            "{}/../tests/fixtures/hubspot/webhook-signature-test-vectors.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn s(v: &Value, k: &str) -> String {
        v[k].as_str().unwrap().to_owned()
    }

    fn at_ms(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).unwrap()
    }

    fn verifier(v: &Value) -> WebhookVerifier {
        WebhookVerifier::new(SecretString::from(s(v, "clientSecret")))
    }

    #[test]
    fn v3_vector_verifies_within_five_minutes_only() {
        let all = vectors();
        let v = &all["v3_post"];
        let (method, uri, body, ts, sig) = (
            s(v, "method"),
            s(v, "uri"),
            s(v, "requestBody"),
            s(v, "timestamp"),
            s(v, "expectedSignature"),
        );
        let req = SignedRequest::from_headers(
            &method,
            &uri,
            body.as_bytes(),
            [
                ("X-HubSpot-Signature-v3", sig.as_str()),
                ("X-HubSpot-Request-Timestamp", ts.as_str()),
            ],
        );
        let ts_ms: i64 = ts.parse().unwrap();
        assert_eq!(
            verifier(v).verify(&req, at_ms(ts_ms + 1_000)),
            Ok(SignatureVersion::V3)
        );
        assert_eq!(
            verifier(v).verify(&req, at_ms(ts_ms + MAX_AGE_MS)),
            Ok(SignatureVersion::V3)
        );
        assert!(matches!(
            verifier(v).verify(&req, at_ms(ts_ms + MAX_AGE_MS + 1)),
            Err(SignatureError::Stale { .. })
        ));
        let tampered = SignedRequest {
            body: b"{\"example_field\":\"other\"}",
            ..req
        };
        assert_eq!(
            verifier(v).verify(&tampered, at_ms(ts_ms)),
            Err(SignatureError::Mismatch(SignatureVersion::V3))
        );
        let other_url = SignedRequest {
            url: "https://www.example.com/other",
            ..req
        };
        assert!(verifier(v).verify(&other_url, at_ms(ts_ms)).is_err());
        assert_eq!(
            sign_v3(
                &SecretString::from(s(v, "clientSecret")),
                &method,
                &uri,
                body.as_bytes(),
                &ts
            ),
            sig
        );
    }

    #[test]
    fn v1_and_v2_vectors_verify_only_where_allowed() {
        let all = vectors();
        let now = at_ms(0);
        let v = &all["v1"];
        let body = s(v, "requestBody");
        let sig = s(v, "expectedSignature");
        let req = SignedRequest::from_headers(
            "POST",
            "https://x/y",
            body.as_bytes(),
            [("X-HubSpot-Signature", sig.as_str())],
        );
        assert_eq!(
            verifier(v).allowing_legacy(true).verify(&req, now),
            Ok(SignatureVersion::V1)
        );
        assert_eq!(
            verifier(v).verify(&req, now),
            Err(SignatureError::LegacyNotAllowed)
        );
        for name in ["v2_get", "v2_post"] {
            let v = &all[name];
            let (method, uri, body, sig) = (
                s(v, "method"),
                s(v, "uri"),
                s(v, "requestBody"),
                s(v, "expectedSignature"),
            );
            let req = SignedRequest::from_headers(
                &method,
                &uri,
                body.as_bytes(),
                [
                    ("X-HubSpot-Signature", sig.as_str()),
                    ("X-HubSpot-Signature-Version", "v2"),
                ],
            );
            assert_eq!(
                verifier(v).verify(&req, now),
                Err(SignatureError::LegacyNotAllowed),
                "{name}: refused by default"
            );
            assert_eq!(
                verifier(v).allowing_legacy(true).verify(&req, now),
                Ok(SignatureVersion::V2),
                "{name}"
            );
            let wrong = SignedRequest {
                method: "PUT",
                ..req
            };
            assert_eq!(
                verifier(v).allowing_legacy(true).verify(&wrong, now),
                Err(SignatureError::Mismatch(SignatureVersion::V2))
            );
        }
    }

    #[test]
    fn missing_malformed_and_unknown_signatures_are_rejected() {
        let v = WebhookVerifier::new(SecretString::from("secret")).allowing_legacy(true);
        let req = SignedRequest::from_headers("POST", "https://x", b"[]", []);
        assert_eq!(v.verify(&req, at_ms(0)), Err(SignatureError::Missing));
        let req = SignedRequest::from_headers(
            "POST",
            "https://x",
            b"[]",
            [("x-hubspot-signature-v3", "AAAA")],
        );
        assert_eq!(v.verify(&req, at_ms(0)), Err(SignatureError::BadTimestamp));
        let req = SignedRequest::from_headers(
            "POST",
            "https://x",
            b"[]",
            [("x-hubspot-signature", "zz")],
        );
        assert_eq!(
            v.verify(&req, at_ms(0)),
            Err(SignatureError::Mismatch(SignatureVersion::V1))
        );
        let req = SignedRequest::from_headers(
            "POST",
            "https://x",
            b"[]",
            [
                ("x-hubspot-signature", "00"),
                ("x-hubspot-signature-version", "v9"),
            ],
        );
        assert_eq!(
            v.verify(&req, at_ms(0)),
            Err(SignatureError::UnknownVersion("v9".into()))
        );
        assert!(!format!("{v:?}").contains("secret\""));
    }

    #[test]
    fn timestamps_at_the_integer_limits_are_stale_not_a_panic() {
        let v = WebhookVerifier::new(SecretString::from("secret"));
        for ts in ["-9223372036854775808", "9223372036854775807"] {
            let req = SignedRequest::from_headers(
                "POST",
                "https://x",
                b"[]",
                [
                    ("x-hubspot-signature-v3", "AAAA"),
                    ("x-hubspot-request-timestamp", ts),
                ],
            );
            assert!(matches!(
                v.verify(&req, at_ms(1_790_000_000_000)),
                Err(SignatureError::Stale { .. })
            ));
        }
    }

    #[test]
    fn encoded_urls_verify_in_either_reading() {
        let secret = SecretString::from("s3cret");
        let encoded = "https://hooks.example.com/hubspot?portal=1%3A2&x=%20y";
        let decoded = decode_reserved_escapes(encoded);
        assert_eq!(
            decoded,
            "https://hooks.example.com/hubspot?portal=1:2&x=%20y"
        );
        let ts = "1700000000000";
        let v = WebhookVerifier::new(secret.clone());
        for signed_over in [encoded, decoded.as_str()] {
            let sig = sign_v3(&secret, "post", signed_over, b"[]", ts);
            let req = SignedRequest::from_headers(
                "POST",
                encoded,
                b"[]",
                [
                    ("X-HubSpot-Signature-v3", sig.as_str()),
                    ("X-HubSpot-Request-Timestamp", ts),
                ],
            );
            assert_eq!(
                v.verify(&req, at_ms(1_700_000_000_000)),
                Ok(SignatureVersion::V3)
            );
        }
    }
}

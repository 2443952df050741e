//! `intuit-signature` verification: base64(HMAC-SHA256(key = verifier token, message = raw
//! body)), compared in constant time (docs/quickbooks.md §11.2); same for both payload formats.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "intuit-signature";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the intuit-signature header is missing")]
    Missing,
    #[error("the intuit-signature header is not base64")]
    NotBase64,
    #[error("the intuit-signature does not match the body")]
    Mismatch,
}

fn mac(verifier_token: &SecretString, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(verifier_token.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    mac
}

/// Checks `signature` (the header value, if any) against the exact bytes received.
pub fn verify_signature(
    verifier_token: &SecretString,
    body: &[u8],
    signature: Option<&str>,
) -> Result<(), SignatureError> {
    let signature = signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::Missing)?;
    let expected = STANDARD
        .decode(signature)
        .map_err(|_| SignatureError::NotBase64)?;
    mac(verifier_token, body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The signature QBO would send for `body` (for tests and tools that post deliveries).
pub fn sign(verifier_token: &SecretString, body: &[u8]) -> String {
    STANDARD.encode(mac(verifier_token, body).finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent vector, computed once outside this code with Python's standard library:
    /// python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(
    ///   b"verifier-token-123", open("tests/fixtures/quickbooks/webhook-cloudevents-account-created.json","rb").read(),
    ///   hashlib.sha256).digest()).decode())'
    const FIXTURE_SIGNATURE: &str = "KPcKpKDVpOgzGnsnmt+LGYk4lMUYere8kP+K8HrIm38=";

    /// Same tool, body `[]` and key `k`:
    /// python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b"k",b"[]",hashlib.sha256).digest()).decode())'
    const SHORT_SIGNATURE: &str = "lju79I016q8DfKbPNH5rQcHK3zZvFZPsA0BXJaDl8vQ=";

    fn body() -> Vec<u8> {
        std::fs::read(format!(
            "{}/../tests/fixtures/quickbooks/webhook-cloudevents-account-created.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn token() -> SecretString {
        "verifier-token-123".to_string().into()
    }

    #[test]
    fn an_independently_computed_signature_verifies() {
        assert_eq!(
            verify_signature(&token(), &body(), Some(FIXTURE_SIGNATURE)),
            Ok(())
        );
        let k: SecretString = "k".to_string().into();
        assert_eq!(verify_signature(&k, b"[]", Some(SHORT_SIGNATURE)), Ok(()));
        assert_eq!(sign(&k, b"[]"), SHORT_SIGNATURE);
    }

    #[test]
    fn any_change_to_body_key_or_signature_is_rejected() {
        let mut changed = body();
        changed[10] ^= 1;
        assert_eq!(
            verify_signature(&token(), &changed, Some(FIXTURE_SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
        let other: SecretString = "other".to_string().into();
        assert_eq!(
            verify_signature(&other, &body(), Some(FIXTURE_SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&token(), &body(), None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(&token(), &body(), Some("")),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(&token(), &body(), Some("not base64!")),
            Err(SignatureError::NotBase64)
        );
    }
}

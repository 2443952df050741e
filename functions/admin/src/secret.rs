//! The admin secret template.yaml generates at deploy (`{"password": "..."}`), read once per
//! cold start, and the session signing key derived from it.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;

/// What the session signing key is derived for (HMAC-SHA256 keyed by the password).
const SIGNING_KEY_CONTEXT: &[u8] = b"hqsync admin session signing key v1";
/// Shorter passwords are refused: the generated one has 32 characters.
pub const MIN_PASSWORD_LEN: usize = 16;

/// Why the admin secret cannot be used. Never contains the secret's value.
#[derive(Debug, thiserror::Error)]
pub enum AdminSecretError {
    #[error("cannot read the admin secret {arn}: {reason}")]
    Read { arn: String, reason: String },
    #[error(
        "the admin secret is not JSON of the form {{\"password\": \"...\"}} (serde: {0}); infra/DEPLOY.md §6"
    )]
    Malformed(String),
    #[error("the admin secret's password is shorter than {MIN_PASSWORD_LEN} characters")]
    TooShort,
}

#[derive(Deserialize)]
struct Stored {
    password: SecretString,
    /// Optional: an explicit signing key instead of the derived one.
    #[serde(default)]
    signing_key: Option<SecretString>,
}

/// The admin password and the key sessions are signed with.
pub struct AdminSecret {
    pub password: SecretString,
    pub signing_key: SecretString,
}

impl std::fmt::Debug for AdminSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminSecret([REDACTED])")
    }
}

impl AdminSecret {
    /// From the secret's JSON. Without `signing_key`, the key is HMAC-SHA256(password, a fixed
    /// context): one generated value serves both, and a new password signs every session out.
    pub fn parse(json: &str) -> Result<AdminSecret, AdminSecretError> {
        let stored: Stored = serde_json::from_str(json).map_err(|e| {
            // serde's message may quote the input: keep only where it failed.
            AdminSecretError::Malformed(format!("line {} column {}", e.line(), e.column()))
        })?;
        if stored.password.expose_secret().chars().count() < MIN_PASSWORD_LEN {
            return Err(AdminSecretError::TooShort);
        }
        let signing_key = match stored.signing_key {
            Some(key) if !key.expose_secret().is_empty() => key,
            _ => derive_signing_key(&stored.password),
        };
        Ok(AdminSecret {
            password: stored.password,
            signing_key,
        })
    }

    /// Reads and parses the secret `arn`.
    pub async fn read(
        client: &aws_sdk_secretsmanager::Client,
        arn: &str,
    ) -> Result<AdminSecret, AdminSecretError> {
        let out = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| AdminSecretError::Read {
                arn: arn.to_owned(),
                reason: aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
            })?;
        let json = out.secret_string().ok_or_else(|| AdminSecretError::Read {
            arn: arn.to_owned(),
            reason: "the secret has no string value".into(),
        })?;
        AdminSecret::parse(json)
    }
}

fn derive_signing_key(password: &SecretString) -> SecretString {
    let mut mac = Hmac::<Sha256>::new_from_slice(password.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(SIGNING_KEY_CONTEXT);
    let bytes = mac.finalize().into_bytes();
    SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_key_is_derived_from_the_password_unless_given() {
        let a = AdminSecret::parse(r#"{"password": "0123456789abcdefXYZ"}"#).unwrap();
        let again = AdminSecret::parse(r#"{"password": "0123456789abcdefXYZ"}"#).unwrap();
        let other = AdminSecret::parse(r#"{"password": "0123456789abcdefXYW"}"#).unwrap();
        assert_eq!(a.password.expose_secret(), "0123456789abcdefXYZ");
        assert_eq!(a.signing_key.expose_secret().len(), 64);
        assert_eq!(
            a.signing_key.expose_secret(),
            again.signing_key.expose_secret()
        );
        assert_ne!(
            a.signing_key.expose_secret(),
            other.signing_key.expose_secret()
        );
        assert_ne!(a.signing_key.expose_secret(), a.password.expose_secret());
        let explicit =
            AdminSecret::parse(r#"{"password": "0123456789abcdefXYZ", "signing_key": "k1"}"#)
                .unwrap();
        assert_eq!(explicit.signing_key.expose_secret(), "k1");
    }

    #[test]
    fn malformed_or_short_secrets_are_refused_without_echoing_them() {
        let err = AdminSecret::parse(r#"{"pasword": "0123456789abcdefXYZ"}"#).unwrap_err();
        assert!(matches!(err, AdminSecretError::Malformed(_)));
        assert!(!err.to_string().contains("0123456789abcdef"), "{err}");
        assert!(matches!(
            AdminSecret::parse(r#"{"password": "short"}"#),
            Err(AdminSecretError::TooShort)
        ));
        assert_eq!(
            format!(
                "{:?}",
                AdminSecret::parse(r#"{"password": "0123456789abcdefXYZ"}"#).unwrap()
            ),
            "AdminSecret([REDACTED])"
        );
    }
}

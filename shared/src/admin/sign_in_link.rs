//! One-time sign-in links: a token `hqsync dev` prints for the person who started it, good once
//! and for ten minutes, kept only as its SHA-256 and only in this process (docs/console.md §3).

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// How long a printed link signs in.
pub const LINK_LIFETIME: Duration = Duration::minutes(10);

/// Why a link did not sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Never issued here, or already used.
    Unknown,
    Expired,
}

/// The links issued and not yet used, by the SHA-256 of their token.
#[derive(Default)]
pub struct SignInLinks {
    pending: Mutex<Vec<([u8; 32], DateTime<Utc>)>>,
}

impl std::fmt::Debug for SignInLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignInLinks([REDACTED])")
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl SignInLinks {
    /// A new token (256 random bits, hex), good until `now + LINK_LIFETIME`, once.
    pub fn issue(&self, now: DateTime<Utc>) -> SecretString {
        let token = super::session::random_hex(32);
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|(_, expires)| *expires > now);
        pending.push((digest(&token), now + LINK_LIFETIME));
        SecretString::from(token)
    }

    /// Uses `token` up: `Ok` the first time within its lifetime, refused after.
    pub fn take(&self, token: &str, now: DateTime<Utc>) -> Result<(), LinkRefusal> {
        let wanted = digest(token);
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let index = pending
            .iter()
            .position(|(hash, _)| *hash == wanted)
            .ok_or(LinkRefusal::Unknown)?;
        let (_, expires) = pending.swap_remove(index);
        if expires <= now {
            return Err(LinkRefusal::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn a_link_signs_in_once() {
        let links = SignInLinks::default();
        let token = links.issue(at(0));
        assert_eq!(token.expose_secret().len(), 64);
        assert_eq!(links.take(token.expose_secret(), at(1)), Ok(()));
        assert_eq!(
            links.take(token.expose_secret(), at(1)),
            Err(LinkRefusal::Unknown)
        );
    }

    #[test]
    fn a_link_expires_after_ten_minutes_and_others_are_unknown() {
        let links = SignInLinks::default();
        let token = links.issue(at(0));
        assert_eq!(
            links.take("0".repeat(64).as_str(), at(1)),
            Err(LinkRefusal::Unknown)
        );
        assert_eq!(
            links.take(token.expose_secret(), at(10)),
            Err(LinkRefusal::Expired)
        );
        let second = links.issue(at(0));
        let third = links.issue(at(0));
        assert_ne!(second.expose_secret(), third.expose_secret());
        assert_eq!(links.take(third.expose_secret(), at(9)), Ok(()));
        assert_eq!(links.take(second.expose_secret(), at(9)), Ok(()));
    }
}

//! What a vendor client does when the vendor refuses its access token (HTTP 401) before the
//! token's stored expiry: ask its renewal for another token once, then repeat the call once.

use async_trait::async_trait;
use secrecy::SecretString;

/// A source of a replacement access token for one side of one connection (the lease-guarded
/// refresher, docs/architecture.md §7; fakes in tests).
#[async_trait]
pub trait TokenRenewal: Send + Sync {
    /// A token to use instead of `rejected`: one another caller stored meanwhile, or a new
    /// one refreshed now. `None` when there is none; the renewal has recorded why (a rejected
    /// refresh token marks the connection reconnect-required).
    async fn renew(&self, rejected: &SecretString) -> Option<SecretString>;
}

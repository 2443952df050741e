//! The `Leases` contract: a lease is exclusive until it expires, its holder may extend it, and
//! only its holder may release it.

use std::time::Duration;

use super::{conn, t};
use crate::ports::Leases;

const TTL: Duration = Duration::from_secs(30);
const NAME: &str = "token-refresh";

/// Refused to others until expiry, per name; the holder's re-acquire extends it.
pub async fn leases_are_exclusive_until_expiry_and_extendable(store: &dyn Leases) {
    let c = conn("contract-lease");
    let lease = store
        .acquire_lease(&c, NAME, "worker-a", TTL, t(0))
        .await
        .expect("acquire");
    assert_eq!(lease.map(|l| l.expires_at), Some(t(30)));
    assert!(
        store
            .acquire_lease(&c, NAME, "worker-b", TTL, t(10))
            .await
            .expect("acquire")
            .is_none()
    );
    assert!(
        store
            .acquire_lease(&c, "backfill", "worker-b", TTL, t(10))
            .await
            .expect("acquire")
            .is_some()
    );
    assert!(
        store
            .acquire_lease(&conn("contract-lease-2"), NAME, "worker-b", TTL, t(10))
            .await
            .expect("acquire")
            .is_some()
    );
    let extended = store
        .acquire_lease(&c, NAME, "worker-a", TTL, t(20))
        .await
        .expect("extend");
    assert_eq!(extended.map(|l| l.expires_at), Some(t(50)));
    assert!(
        store
            .acquire_lease(&c, NAME, "worker-b", TTL, t(49))
            .await
            .expect("acquire")
            .is_none()
    );
    let taken = store
        .acquire_lease(&c, NAME, "worker-b", TTL, t(51))
        .await
        .expect("after expiry");
    assert_eq!(
        taken.map(|l| (l.holder, l.expires_at)),
        Some(("worker-b".to_string(), t(81)))
    );
}

/// A release by anyone else changes nothing; the holder's release frees the lease at once.
pub async fn leases_are_released_only_by_their_holder(store: &dyn Leases) {
    let c = conn("contract-lease");
    store
        .acquire_lease(&c, NAME, "worker-a", TTL, t(0))
        .await
        .expect("acquire");
    store
        .release_lease(&c, NAME, "worker-b")
        .await
        .expect("release by non-holder");
    assert!(
        store
            .acquire_lease(&c, NAME, "worker-b", TTL, t(1))
            .await
            .expect("acquire")
            .is_none()
    );
    store
        .release_lease(&c, NAME, "worker-a")
        .await
        .expect("release");
    assert!(
        store
            .acquire_lease(&c, NAME, "worker-b", TTL, t(2))
            .await
            .expect("acquire")
            .is_some()
    );
}

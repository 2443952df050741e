//! The admin contract (audit log, failed sign-ins, pending OAuth authorizations) and
//! `admin_contract_tests!`, which makes one test per check for an adapter.

use chrono::Duration;

use super::store::{conn, t};
use crate::ports::{
    AuditEntry, AuditLog, LoginAttempts, PendingAuthorization, PendingAuthorizations,
};

fn entry(seconds: i64, action: &str, connection: Option<&str>) -> AuditEntry {
    AuditEntry {
        at: t(seconds),
        actor: "admin".into(),
        action: action.into(),
        connection: connection.map(conn),
        detail: format!("{action} at {seconds}"),
    }
}

/// Entries come back newest first, as written (with or without a connection), at most `limit`.
pub async fn audit_reads_newest_first_up_to_the_limit(store: &dyn AuditLog) {
    assert!(store.recent_audit(10).await.expect("read").is_empty());
    let written = [
        entry(1, "session.sign_in", None),
        entry(2, "settings.update", Some("contract-audit")),
        entry(3, "object.disable", Some("contract-audit-2")),
    ];
    for e in &written {
        store.append_audit(e).await.expect("append");
    }
    let newest_first: Vec<_> = written.iter().rev().cloned().collect();
    assert_eq!(store.recent_audit(10).await.expect("read"), newest_first);
    assert_eq!(
        store.recent_audit(2).await.expect("read"),
        newest_first[..2].to_vec()
    );
    assert!(store.recent_audit(0).await.expect("read").is_empty());
}

/// Entries with the same instant keep the order they were appended in.
pub async fn audit_keeps_append_order_within_one_instant(store: &dyn AuditLog) {
    for action in ["a.first", "a.second", "a.third"] {
        store
            .append_audit(&entry(7, action, None))
            .await
            .expect("append");
    }
    let actions: Vec<_> = store
        .recent_audit(3)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["a.third", "a.second", "a.first"]);
}

/// Failures count per source inside a window that starts at the first failure; a failure at
/// or after the window's end starts a new window at 1, and a closed window reads 0.
pub async fn failed_logins_count_per_source_in_a_fixed_window(store: &dyn LoginAttempts) {
    let window = Duration::minutes(15);
    let (a, b) = ("client:10.0.0.1", "client:10.0.0.2");
    assert_eq!(store.failed_logins(a, t(0), window).await.expect("read"), 0);
    assert_eq!(
        store
            .record_failed_login(a, t(0), window)
            .await
            .expect("record"),
        1
    );
    assert_eq!(
        store
            .record_failed_login(a, t(60), window)
            .await
            .expect("record"),
        2
    );
    assert_eq!(
        store
            .record_failed_login(b, t(60), window)
            .await
            .expect("record"),
        1
    );
    assert_eq!(
        store.failed_logins(a, t(899), window).await.expect("read"),
        2
    );
    assert_eq!(
        store.failed_logins(a, t(900), window).await.expect("read"),
        0,
        "the window of the first failure ended"
    );
    assert_eq!(
        store
            .record_failed_login(a, t(900), window)
            .await
            .expect("record"),
        1,
        "a failure after the window starts a new one"
    );
    assert_eq!(
        store.failed_logins(a, t(1000), window).await.expect("read"),
        1
    );
    assert_eq!(
        store.failed_logins(b, t(100), window).await.expect("read"),
        1
    );
}

/// Clearing forgets one source's failures and no other's.
pub async fn clearing_failed_logins_forgets_only_that_source(store: &dyn LoginAttempts) {
    let window = Duration::minutes(15);
    for source in ["client:a", "*"] {
        for at in [1, 2] {
            store
                .record_failed_login(source, t(at), window)
                .await
                .expect("record");
        }
    }
    store.clear_failed_logins("client:a").await.expect("clear");
    store
        .clear_failed_logins("client:never-failed")
        .await
        .expect("clearing an unknown source is fine");
    assert_eq!(
        store
            .failed_logins("client:a", t(3), window)
            .await
            .expect("read"),
        0
    );
    assert_eq!(
        store.failed_logins("*", t(3), window).await.expect("read"),
        2
    );
    assert_eq!(
        store
            .record_failed_login("client:a", t(4), window)
            .await
            .expect("record"),
        1
    );
}

fn pending(state_hash: &str, expires_in: i64) -> PendingAuthorization {
    PendingAuthorization {
        state_hash: state_hash.into(),
        session_hash: format!("session-of-{state_hash}"),
        created_at: t(0),
        expires_at: t(expires_in),
        flow: serde_json::json!({"step": "hubspot", "environment": "sandbox", "n": [1, 2]}),
    }
}

/// A pending authorization comes back whole exactly once, expired or not; unknown ones are
/// `None`, and taking one leaves the others.
pub async fn pending_authorizations_are_taken_once(store: &dyn PendingAuthorizations) {
    let (live, expired) = (pending("state-live", 600), pending("state-expired", -1));
    store.put_pending(&live).await.expect("put");
    store.put_pending(&expired).await.expect("put");
    assert_eq!(
        store.take_pending("state-unknown").await.expect("take"),
        None
    );
    assert_eq!(
        store.take_pending("state-live").await.expect("take"),
        Some(live)
    );
    assert_eq!(
        store.take_pending("state-live").await.expect("take"),
        None,
        "single use"
    );
    assert_eq!(
        store.take_pending("state-expired").await.expect("take"),
        Some(expired),
        "the caller tells the user it expired"
    );
}

/// Of many concurrent takes of one authorization exactly one gets it.
pub async fn concurrent_takes_get_a_pending_authorization_at_most_once(
    store: &dyn PendingAuthorizations,
) {
    store
        .put_pending(&pending("state-raced", 600))
        .await
        .expect("put");
    let takes = (0..8).map(|_| store.take_pending("state-raced"));
    let taken = futures::future::join_all(takes)
        .await
        .into_iter()
        .map(|r| r.expect("take"))
        .filter(Option::is_some)
        .count();
    assert_eq!(taken, 1);
}

/// One `#[tokio::test]` per admin contract check, each on a fresh store from `$fresh`, an
/// `async fn(test_name: &str) -> Option<S>` (`None` skips, e.g. without moto).
#[macro_export]
macro_rules! admin_contract_tests {
    ($fresh:path) => {
        $crate::admin_contract_tests!(@checks $fresh;
            audit_reads_newest_first_up_to_the_limit,
            audit_keeps_append_order_within_one_instant,
            failed_logins_count_per_source_in_a_fixed_window,
            clearing_failed_logins_forgets_only_that_source,
            pending_authorizations_are_taken_once,
            concurrent_takes_get_a_pending_authorization_at_most_once,
        );
    };
    (@checks $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let Some(store) = $fresh(stringify!($check)).await else {
                    return;
                };
                $crate::ports::contract::admin::$check(&store).await;
            }
        )*
    };
}

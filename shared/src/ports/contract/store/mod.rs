//! The store contract, one suite per capability, and `store_contract_tests!`, which makes one
//! test per check for an adapter (memory and SQLite in their unit tests, DynamoDB on moto).

pub mod claims;
pub mod connections;
pub mod cursors;
pub mod forget_kind;
pub mod initial_sync_runs;
pub mod leases;
pub mod links;
pub mod pending_creates;
pub mod status_log;

use chrono::{DateTime, Utc};

use crate::model::{CanonicalValue, CanonicalValues, ConnectionId, Link, ObjectKind, Side};
use crate::ports::{SyncOutcome, SyncStatus};

/// The log capacity stores under [`status_log::log_keeps_only_the_newest`] are built with.
pub const LOG_CAPACITY: usize = 5;

/// An instant `seconds` after the suites' epoch.
pub(crate) fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(1_800_000_000 + seconds)
}

pub(crate) fn conn(name: &str) -> ConnectionId {
    ConnectionId::new(name).expect("valid test connection id")
}

/// A fresh link (revision 0) between `hubspot_id` and `qbo_id`.
pub fn sample_link(
    connection: &ConnectionId,
    kind: ObjectKind,
    hubspot_id: &str,
    qbo_id: &str,
) -> Link {
    let mut baseline = CanonicalValues::new();
    baseline.insert(
        "email".into(),
        CanonicalValue::Email(format!("{hubspot_id}@example.com")),
    );
    Link {
        connection: connection.clone(),
        kind,
        hubspot_id: hubspot_id.into(),
        qbo_id: qbo_id.into(),
        baseline,
        hubspot_version: "v1".into(),
        qbo_version: "0".into(),
        updated_at: t(0),
        revision: 0,
    }
}

pub(crate) fn status(
    kind: ObjectKind,
    side: Side,
    id: &str,
    outcome: SyncOutcome,
    attempts: u32,
) -> SyncStatus {
    SyncStatus {
        kind,
        side,
        id: id.into(),
        counterpart_id: None,
        outcome,
        attempts,
        next_retry_at: None,
        needs_attention: false,
        updated_at: t(attempts.into()),
    }
}

/// One `#[tokio::test]` per store contract check, each on a fresh store from `$fresh`, an
/// `async fn(test_name: &str) -> Option<S>` (`None` skips, e.g. without moto). The bounded log
/// ([`status_log::log_keeps_only_the_newest`]) is left to stores with a capacity.
#[macro_export]
macro_rules! store_contract_tests {
    ($fresh:path) => {
        $crate::store_contract_tests!(@checks $fresh;
            links::create_is_conditional_on_both_ids_being_free,
            links::update_is_conditional_on_the_revision,
            links::batch_reads_find_links_by_either_side,
            links::relink_and_delete_are_conditional_and_free_the_ids,
            claims::the_first_claimer_wins_per_kind_and_connection,
            claims::the_owner_sees_what_it_created_and_extends_its_claim,
            claims::claims_expire_and_are_released_only_by_their_owner,
            cursors::cursors_round_trip_per_side_and_kind_and_overwrite,
            status_log::statuses_round_trip_and_overwrite,
            status_log::log_reads_newest_first_per_connection,
            status_log::log_keeps_conflicts_with_both_values_and_the_rule,
            leases::leases_are_exclusive_until_expiry_and_extendable,
            leases::leases_are_released_only_by_their_holder,
            connections::connections_round_trip_and_route_by_portal_and_realm,
            connections::a_moved_connection_is_routed_anew,
            connections::a_deleted_connection_is_gone_with_its_routing,
            forget_kind::forgetting_a_kind_drops_its_state_and_nothing_else,
            initial_sync_runs::runs_replace_conditionally_and_count_per_kind,
            pending_creates::pending_creates_round_trip_and_a_later_attempt_replaces,
            pending_creates::pending_creates_are_per_kind_and_cleared_per_source,
        );
    };
    (@checks $fresh:path; $($suite:ident :: $check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let Some(store) = $fresh(stringify!($check)).await else {
                    return;
                };
                $crate::ports::contract::store::$suite::$check(&store).await;
            }
        )*
    };
}

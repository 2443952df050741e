//! The connections of a chaos run (docs/chaos.md §9): each one's own HubSpot portal and QBO
//! company (a sandbox pair), the gateway routing by connection id, and the isolation check.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use hqsync::engine::jobs::{GatewayDirectory, Invoicing};
use hqsync::engine::sync::GatewayPair;
use hqsync::local::{LocalState, VendorEndpoints};
use hqsync::model::ConnectionId;
use hqsync::observability::Metrics;
use hqsync::ports::{Clock, ConnectionRecord, GatewayError};
use hqsync::tokens::{RefreshingGateways, TokenRefresher, VendorOAuth};

use hqsync::ports::ConnectionStatus;

use super::checker::Verdict;
use super::history::PersonEdit;
use super::snapshot::Snapshot;

/// The id of connection `index`: the first keeps the one-connection run's `chaos`.
pub fn connection_name(index: usize) -> String {
    match index {
        0 => "chaos".to_owned(),
        n => format!("chaos-{}", (b'a' + n as u8) as char),
    }
}

/// The engine's gateways per connection: the real runtime builds each connection's clients
/// from the same vendor URLs (one HubSpot API, one Intuit API, the token choosing the portal
/// or company); the sandboxes hold one portal or company each, so each connection's clients
/// point at its own pair. Connections not listed use `default` (the first one's).
pub struct ConnectionRoutes {
    pub default: Arc<dyn GatewayDirectory>,
    pub routes: BTreeMap<ConnectionId, Arc<dyn GatewayDirectory>>,
}

impl ConnectionRoutes {
    fn of(&self, connection: &ConnectionRecord) -> &Arc<dyn GatewayDirectory> {
        self.routes.get(connection.id()).unwrap_or(&self.default)
    }
}

#[async_trait]
impl GatewayDirectory for ConnectionRoutes {
    async fn gateways(&self, connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError> {
        self.of(connection).gateways(connection).await
    }

    async fn invoicing(
        &self,
        connection: &ConnectionRecord,
    ) -> Result<Arc<Invoicing>, GatewayError> {
        self.of(connection).invoicing(connection).await
    }
}

/// The gateways of a connection whose accounts are at `endpoints` (its own sandbox pair):
/// refreshed from its tokens in `state`'s vault, a rejected refresh token marking it
/// reconnect-required in `state`'s store, exactly as the runtime's own directory does.
pub fn connection_gateways(
    state: &LocalState,
    endpoints: &VendorEndpoints,
    clock: Arc<dyn Clock>,
) -> Arc<dyn GatewayDirectory> {
    let urls = endpoints.vendor_urls();
    let refresher = TokenRefresher::new(
        state.vault.clone(),
        state.store.clone(),
        Arc::new(VendorOAuth::new(urls.clone(), clock.clone())),
        clock.clone(),
        Metrics::new(),
    );
    Arc::new(
        RefreshingGateways::new(refresher, urls, clock)
            .with_budgets(
                endpoints.budgets.hubspot.clone(),
                endpoints.budgets.quickbooks.clone(),
            )
            .with_retry_policy(endpoints.budgets.retry),
    )
}

/// Every value a connection's person edits wrote (canonical text).
fn written<'a>(edits: impl IntoIterator<Item = &'a PersonEdit>) -> BTreeSet<String> {
    edits
        .into_iter()
        .flat_map(|e| e.fields.values().flatten().cloned())
        .collect()
}

/// Records of one connection's accounts holding a value only another connection's person
/// wrote: a job of that connection wrote into these accounts. Values come from one counter
/// (ops.rs), so emails, SKUs and names are never shared; a value both connections wrote (a
/// price drawn twice) proves nothing and is left out. One detail line per record.
pub fn crossed_records<'a>(
    snapshot: &Snapshot,
    own: impl IntoIterator<Item = &'a PersonEdit>,
    others: impl IntoIterator<Item = &'a PersonEdit>,
) -> Vec<String> {
    let own = written(own);
    let foreign: BTreeSet<String> = written(others).difference(&own).cloned().collect();
    snapshot
        .records
        .iter()
        .filter_map(|r| {
            let leaked: Vec<&String> = r.fields.values().filter(|v| foreign.contains(*v)).collect();
            (!leaked.is_empty()).then(|| {
                format!(
                    "crossed: {} {} {} holds another connection's {leaked:?}",
                    r.kind, r.side, r.id
                )
            })
        })
        .collect()
}

/// How one connection of a multi-connection run ended, and what the checker made of it.
#[derive(Debug, Clone)]
pub struct ConnectionEnd {
    pub name: String,
    pub status: ConnectionStatus,
    /// The engine's reason for not running its jobs (empty while it can).
    pub reason: String,
    /// Whether the run revoked its QBO refresh token partway (docs/chaos.md §9).
    pub faulted: bool,
    /// The checker over its own snapshot and its own person edits.
    pub verdict: Verdict,
    /// Its records holding another connection's values ([`crossed_records`]).
    pub crossed: Vec<String>,
}

impl ConnectionEnd {
    /// Whether it ended where it should: the healthy one active, the faulted one
    /// reconnect-required with a reason.
    pub fn expected_state(&self) -> bool {
        if self.faulted {
            self.status == ConnectionStatus::ReconnectRequired && !self.reason.is_empty()
        } else {
            self.status == ConnectionStatus::Active
        }
    }

    /// What it adds to the last line: (duplicates, lost updates, unconverged). A crossed
    /// record is a duplicate (a copy in the wrong account), a wrong end state unconverged.
    /// The faulted connection's edits after the fault cannot sync, so its lost updates and
    /// unconverged pairs are expected and reported on its line only ("behind").
    pub fn counted(&self) -> (usize, usize, usize) {
        let duplicates = self.verdict.duplicates + self.crossed.len();
        let wrong_end = usize::from(!self.expected_state());
        if self.faulted {
            (duplicates, 0, wrong_end)
        } else {
            (
                duplicates,
                self.verdict.lost_updates,
                self.verdict.unconverged + wrong_end,
            )
        }
    }

    /// Its summary line, printed before the last line.
    pub fn line(&self) -> String {
        let (duplicates, lost_updates, unconverged) = self.counted();
        let status = serde_json::to_value(self.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut line = format!(
            "connection={} status={status} duplicates={duplicates} lost_updates={lost_updates} unconverged={unconverged} failures={} unaccounted_failures={}",
            self.name, self.verdict.accounted, self.verdict.unaccounted
        );
        if self.faulted {
            line.push_str(&format!(
                " fault=qbo-refresh-token-revoked behind={} expected_state={}",
                self.verdict.lost_updates + self.verdict.unconverged,
                self.expected_state()
            ));
        }
        if !self.reason.is_empty() {
            line.push_str(&format!(" reason={:?}", self.reason));
        }
        line
    }
}

/// The run's verdict over every connection: the counts summed as [`ConnectionEnd::counted`]
/// says, each detail line named by its connection.
pub fn combined(ends: &[ConnectionEnd]) -> Verdict {
    let mut verdict = Verdict::default();
    for end in ends {
        let (duplicates, lost_updates, unconverged) = end.counted();
        verdict.duplicates += duplicates;
        verdict.lost_updates += lost_updates;
        verdict.unconverged += unconverged;
        verdict.unaccounted += end.verdict.unaccounted;
        verdict.accounted += end.verdict.accounted;
        let counted_details = !end.faulted;
        verdict.details.extend(
            end.verdict
                .details
                .iter()
                .filter(|_| counted_details)
                .chain(&end.crossed)
                .map(|d| format!("{}: {d}", end.name)),
        );
        if !end.expected_state() {
            verdict.details.push(format!(
                "{}: ended {:?} (reason {:?}), expected {}",
                end.name,
                end.status,
                end.reason,
                if end.faulted {
                    "reconnect-required with a reason"
                } else {
                    "active"
                }
            ));
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::history::EditOp;
    use crate::chaos::snapshot::RecordView;
    use hqsync::model::{ObjectKind, Side};

    fn edit(id: &str, email: &str) -> PersonEdit {
        PersonEdit {
            at_ms: 0,
            connection: 0,
            kind: ObjectKind::Contact,
            side: Side::Hubspot,
            id: id.into(),
            op: EditOp::Create,
            fields: BTreeMap::from([
                ("email".into(), Some(email.into())),
                ("price".into(), Some("5.00".into())),
            ]),
        }
    }

    fn record(id: &str, email: &str) -> RecordView {
        RecordView {
            kind: ObjectKind::Contact,
            side: Side::Quickbooks,
            id: id.into(),
            active: true,
            key: Some(email.into()),
            fields: BTreeMap::from([
                ("email".into(), email.into()),
                ("price".into(), "5.00".into()),
            ]),
        }
    }

    #[test]
    fn a_record_with_the_other_connections_value_is_crossed_and_a_shared_value_is_not() {
        let own = [edit("1", "p1@chaos.test")];
        let others = [edit("1", "p2@chaos.test")];
        let snapshot = Snapshot {
            records: vec![record("7", "p1@chaos.test"), record("8", "p2@chaos.test")],
            ..Snapshot::default()
        };
        let crossed = crossed_records(&snapshot, &own, &others);
        assert_eq!(crossed.len(), 1, "{crossed:?}");
        assert!(crossed[0].contains(" 8 "), "{crossed:?}");
    }

    fn end(faulted: bool, status: ConnectionStatus, reason: &str) -> ConnectionEnd {
        ConnectionEnd {
            name: connection_name(usize::from(faulted)),
            status,
            reason: reason.into(),
            faulted,
            verdict: Verdict {
                lost_updates: 2,
                unconverged: 3,
                ..Verdict::default()
            },
            crossed: Vec::new(),
        }
    }

    #[test]
    fn the_faulted_connection_counts_only_a_wrong_end_and_the_healthy_one_counts_everything() {
        let healthy = end(false, ConnectionStatus::Active, "");
        assert_eq!(healthy.counted(), (0, 2, 3));
        let paused = end(
            true,
            ConnectionStatus::ReconnectRequired,
            "must be reconnected",
        );
        assert_eq!(paused.counted(), (0, 0, 0));
        assert!(paused.line().contains("behind=5"), "{}", paused.line());
        let still_active = end(true, ConnectionStatus::Active, "");
        assert_eq!(still_active.counted(), (0, 0, 1));
        let no_reason = end(true, ConnectionStatus::ReconnectRequired, "");
        assert_eq!(no_reason.counted(), (0, 0, 1));
        let sum = combined(&[healthy, still_active]);
        assert_eq!(
            (sum.duplicates, sum.lost_updates, sum.unconverged),
            (0, 2, 4)
        );
        assert!(
            sum.details.iter().any(|d| d.starts_with("chaos-b: ended")),
            "{:?}",
            sum.details
        );
    }

    #[test]
    fn the_first_connection_keeps_the_one_connection_name() {
        assert_eq!(connection_name(0), "chaos");
        assert_eq!(connection_name(1), "chaos-b");
    }
}

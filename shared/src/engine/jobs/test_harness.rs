//! Test-only wiring of the engine on memory adapters and two `MemoryGateway` fake vendors, with
//! helpers to seed records, run jobs and drain the queue on a manual clock.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::adapters::memory::{ManualClock, MemoryGateway, MemoryJobQueue, MemoryStore};
use crate::model::{
    Connection, ConnectionId, ConnectionSettings, NativeValues, ObjectKind, Record, Side,
};
use crate::ports::{
    ConnectionRecord, ConnectionStatus, Connections, Job, JobQueue, JobReason, Lane, Links,
    StatusLog, SyncStatus,
};

use crate::engine::sync::GatewayPair;

use super::gateways::FixedGateways;
use super::{JobResult, QueueRun, SyncContext, process_jobs, run_queue_once};

pub(crate) struct Harness {
    pub clock: Arc<ManualClock>,
    pub store: Arc<MemoryStore>,
    pub queue: Arc<MemoryJobQueue>,
    pub hubspot: Arc<MemoryGateway>,
    pub qbo: Arc<MemoryGateway>,
    pub ctx: SyncContext,
    pub conn: ConnectionId,
}

pub(crate) fn values(pairs: &[(&str, serde_json::Value)]) -> NativeValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_settings(ConnectionSettings::default()).await
    }

    pub async fn with_settings(settings: ConnectionSettings) -> Self {
        let clock = Arc::new(ManualClock::fixed());
        let store = Arc::new(MemoryStore::new());
        let queue = Arc::new(MemoryJobQueue::new(clock.clone()));
        let hubspot = Arc::new(MemoryGateway::hubspot(clock.clone()));
        let qbo = Arc::new(MemoryGateway::quickbooks(clock.clone()));
        let conn = ConnectionId::new("test-conn").unwrap();
        store
            .put_connection(&ConnectionRecord {
                connection: Connection {
                    id: conn.clone(),
                    hubspot_portal_id: "111".into(),
                    qbo_realm_id: "222".into(),
                    settings,
                },
                environment: "local".into(),
                status: ConnectionStatus::Active,
            })
            .await
            .unwrap();
        let ctx = SyncContext {
            store: store.clone(),
            queue: queue.clone(),
            clock: clock.clone(),
            gateways: Arc::new(FixedGateways::new(GatewayPair::new(
                hubspot.clone(),
                qbo.clone(),
            ))),
        };
        Harness {
            clock,
            store,
            queue,
            hubspot,
            qbo,
            ctx,
            conn,
        }
    }

    pub fn job(&self, kind: ObjectKind, side: Side, id: &str) -> Job {
        Job::new(
            self.conn.clone(),
            kind,
            side,
            id,
            JobReason::Webhook,
            self.clock_now(),
        )
    }

    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use crate::ports::Clock;
        self.clock.now()
    }

    /// A HubSpot contact as a user would create it.
    pub fn hubspot_contact(&self, email: &str, first: &str, last: &str) -> Record {
        self.hubspot.insert(
            ObjectKind::Contact,
            values(&[
                ("email", json!(email)),
                ("firstname", json!(first)),
                ("lastname", json!(last)),
            ]),
        )
    }

    /// A QBO customer as a user would create it.
    pub fn qbo_customer(&self, email: &str, first: &str, last: &str) -> Record {
        self.qbo.insert(
            ObjectKind::Contact,
            values(&[
                ("PrimaryEmailAddr.Address", json!(email)),
                ("GivenName", json!(first)),
                ("FamilyName", json!(last)),
                ("DisplayName", json!(format!("{first} {last}"))),
            ]),
        )
    }

    pub async fn run(&self, jobs: Vec<Job>) -> Vec<JobResult> {
        process_jobs(&self.ctx, jobs).await
    }

    /// Runs one record's job and returns its result.
    pub async fn sync(&self, kind: ObjectKind, side: Side, id: &str) -> JobResult {
        self.run(vec![self.job(kind, side, id)]).await.remove(0)
    }

    /// Drains the live lane, moving the clock past delays, at most `passes` receives.
    pub async fn drain(&self, passes: usize) -> QueueRun {
        let mut total = QueueRun::default();
        for _ in 0..passes {
            let run = run_queue_once(&self.ctx, Lane::Live, 100).await.unwrap();
            total.received += run.received;
            total.done += run.done;
            total.retried += run.retried;
            total.dropped += run.dropped;
            total.dead_lettered += run.dead_lettered;
            if run.received == 0 {
                if self.queue.pending(Lane::Live).await.unwrap() == 0 {
                    break;
                }
                self.clock.advance(Duration::from_secs(3600));
            }
        }
        total
    }

    pub async fn status(&self, kind: ObjectKind, side: Side, id: &str) -> Option<SyncStatus> {
        self.store
            .get_status(&self.conn, kind, side, id)
            .await
            .unwrap()
    }

    pub async fn links(&self, kind: ObjectKind) -> Vec<crate::model::Link> {
        self.store.list_links(&self.conn, kind).await.unwrap()
    }
}

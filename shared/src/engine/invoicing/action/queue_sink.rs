//! The action endpoint's sink everywhere (Lambda and `hqsync dev`): choose the ONE connection
//! of the execution's portal that invoices (`action_connection`) and put its job on the live lane.

use std::sync::Arc;

use async_trait::async_trait;

use super::intake::ActionJobSink;
use super::request::DocActionJob;
use crate::model::ConnectionId;
use crate::ports::{Clock, ConnectionStatus, Connections, JobQueue, StoreError};
use crate::ports::{Origin, lane_for};

/// The connection a workflow execution of `portal_id` invoices in, when the portal is linked
/// to several QBO companies: its ACTIVE connection whose id sorts first (connect-flow ids
/// start with their creation time, so that is the oldest one); when none is active, the
/// first by id, so the job is still recorded and the worker reports why it cannot run.
/// `None` when no connection serves the portal. A record that cannot be read counts as not
/// active. One invoice per execution, never one per company.
pub async fn action_connection(
    store: &dyn Connections,
    portal_id: &str,
) -> Result<Option<ConnectionId>, StoreError> {
    let mut ids = store.connections_for_portal(portal_id).await?;
    ids.sort();
    for id in &ids {
        match store.get_connection(id).await {
            Ok(Some(record)) if record.status == ConnectionStatus::Active => {
                return Ok(Some(id.clone()));
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(connection = %id, %error, "connection unreadable; not chosen for the workflow action");
            }
        }
    }
    Ok(ids.into_iter().next())
}

/// Enqueues accepted executions; the worker runs them (`engine::mirror_jobs`).
pub struct QueuedActions {
    store: Arc<dyn Connections>,
    queue: Arc<dyn JobQueue>,
    clock: Arc<dyn Clock>,
}

impl QueuedActions {
    pub fn new(
        store: Arc<dyn Connections>,
        queue: Arc<dyn JobQueue>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        QueuedActions {
            store,
            queue,
            clock,
        }
    }
}

#[async_trait]
impl ActionJobSink for QueuedActions {
    async fn submit(&self, job: DocActionJob) -> Result<(), String> {
        let Some(connection) = action_connection(self.store.as_ref(), &job.portal_id.to_string())
            .await
            .map_err(|e| e.to_string())?
        else {
            // HubSpot retries a failed request, so an unknown portal is an error worth seeing.
            return Err(format!(
                "no connection serves HubSpot portal {}",
                job.portal_id
            ));
        };
        let now = self.clock.now();
        self.queue
            .enqueue(
                lane_for(Origin::Single),
                vec![job.to_job(connection, now)],
                None,
            )
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::{MemoryJobQueue, MemoryStore};
    use crate::model::{ActionInputs, Connection, ConnectionId, ObjectKind, Side};
    use crate::ports::Lane;
    use crate::ports::{ConnectionRecord, ConnectionStatus, SystemClock};

    fn execution(portal: u64, callback: &str) -> DocActionJob {
        DocActionJob {
            callback_id: callback.into(),
            portal_id: portal,
            deal_id: "55".into(),
            doc_kind: crate::model::DocKind::Invoice,
            inputs: ActionInputs::default(),
        }
    }

    #[tokio::test]
    async fn executions_become_action_jobs_of_the_portals_connection() {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(MemoryStore::new());
        let queue = Arc::new(MemoryJobQueue::new(clock.clone()));
        let id = ConnectionId::new("acme").unwrap();
        store
            .put_connection(&ConnectionRecord {
                connection: Connection {
                    id: id.clone(),
                    hubspot_portal_id: "7".into(),
                    qbo_realm_id: "9341".into(),
                    settings: Default::default(),
                },
                environment: "local".into(),
                status: ConnectionStatus::Active,
            })
            .await
            .unwrap();
        let sink = QueuedActions::new(store, queue.clone(), clock);
        sink.submit(execution(7, "cb-1")).await.unwrap();
        sink.submit(execution(7, "cb-2")).await.unwrap();
        let err = sink.submit(execution(8, "cb-3")).await.unwrap_err();
        assert!(err.contains("portal 8"), "{err}");

        let got = queue.receive(Lane::Live, 10).await.unwrap();
        assert_eq!(got.len(), 2, "two executions on one deal are two jobs");
        for delivery in &got {
            assert_eq!(delivery.job.connection, id);
            assert_eq!(
                (delivery.job.kind, delivery.job.side),
                (ObjectKind::Invoice, Side::Hubspot)
            );
            assert_eq!(delivery.job.id, "55");
        }
        let callbacks: Vec<_> = got
            .iter()
            .map(|d| d.job.action.as_ref().unwrap().callback_id.as_str())
            .collect();
        assert_eq!(callbacks, ["cb-1", "cb-2"]);
    }

    fn record(id: &str, portal: &str, realm: &str, status: ConnectionStatus) -> ConnectionRecord {
        ConnectionRecord {
            connection: Connection {
                id: ConnectionId::new(id).unwrap(),
                hubspot_portal_id: portal.into(),
                qbo_realm_id: realm.into(),
                settings: Default::default(),
            },
            environment: "local".into(),
            status,
        }
    }

    #[tokio::test]
    async fn a_portal_linked_to_two_companies_gets_one_invoice_job_in_its_oldest_active_connection()
    {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(MemoryStore::new());
        let queue = Arc::new(MemoryJobQueue::new(clock.clone()));
        // Ids sort by creation; the oldest is paused, so the next active one invoices.
        for (id, realm, status) in [
            ("20261101-a", "r1", ConnectionStatus::Paused),
            ("20261203-c", "r3", ConnectionStatus::Active),
            ("20261102-b", "r2", ConnectionStatus::Active),
        ] {
            store
                .put_connection(&record(id, "7", realm, status))
                .await
                .unwrap();
        }
        assert_eq!(
            action_connection(store.as_ref(), "7").await.unwrap(),
            Some(ConnectionId::new("20261102-b").unwrap())
        );
        let sink = QueuedActions::new(store.clone(), queue.clone(), clock);
        sink.submit(execution(7, "cb-1")).await.unwrap();
        let got = queue.receive(Lane::Live, 10).await.unwrap();
        assert_eq!(
            got.len(),
            1,
            "one invoice per execution, not one per company"
        );
        assert_eq!(got[0].job.connection.as_str(), "20261102-b");

        // No active connection: the first by id still gets the job (the worker says why not).
        let only_paused = Arc::new(MemoryStore::new());
        for (id, realm) in [("b-conn", "r5"), ("a-conn", "r4")] {
            only_paused
                .put_connection(&record(id, "8", realm, ConnectionStatus::ReconnectRequired))
                .await
                .unwrap();
        }
        assert_eq!(
            action_connection(only_paused.as_ref(), "8").await.unwrap(),
            Some(ConnectionId::new("a-conn").unwrap())
        );
        assert_eq!(
            action_connection(only_paused.as_ref(), "9").await.unwrap(),
            None
        );
    }
}

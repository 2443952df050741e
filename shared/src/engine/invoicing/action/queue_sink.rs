//! The action endpoint's sink everywhere (Lambda and `hqsync dev`): route the execution's
//! portal to its connections and put one action job per connection on the live lane.

use std::sync::Arc;

use async_trait::async_trait;

use super::intake::ActionJobSink;
use super::request::CreateInvoiceJob;
use crate::ports::{Clock, Connections, JobQueue, Lane};

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
    async fn submit(&self, job: CreateInvoiceJob) -> Result<(), String> {
        let connections = self
            .store
            .connections_for_portal(&job.portal_id.to_string())
            .await
            .map_err(|e| e.to_string())?;
        if connections.is_empty() {
            // HubSpot retries a failed request, so an unknown portal is an error worth seeing.
            return Err(format!(
                "no connection serves HubSpot portal {}",
                job.portal_id
            ));
        }
        let now = self.clock.now();
        let jobs = connections
            .into_iter()
            .map(|connection| job.to_job(connection, now))
            .collect();
        self.queue
            .enqueue(Lane::Live, jobs, None)
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
    use crate::ports::{ConnectionRecord, ConnectionStatus, SystemClock};

    fn execution(portal: u64, callback: &str) -> CreateInvoiceJob {
        CreateInvoiceJob {
            callback_id: callback.into(),
            portal_id: portal,
            deal_id: "55".into(),
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
}

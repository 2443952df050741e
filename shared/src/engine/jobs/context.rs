//! The context the engine runs on (store, queue, clock, gateway directory) and the ports it
//! hands the two-way sync for one run.

use std::sync::Arc;

use async_trait::async_trait;

use crate::engine::sync::{GatewayPair, PairDirectory, SyncPorts};
use crate::ports::{Clock, ConnectionRecord, GatewayError, JobQueue, Store};

use super::gateways::GatewayDirectory;
use super::outcomes::UnitOutcomes;

/// The ports the engine runs on.
#[derive(Clone)]
pub struct SyncContext {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn JobQueue>,
    pub clock: Arc<dyn Clock>,
    pub gateways: Arc<dyn GatewayDirectory>,
}

impl SyncContext {
    /// The two-way sync's ports: this context's store, queue and clock, its gateway directory,
    /// and the jobs' outcome recorder.
    pub fn sync_ports(&self) -> SyncPorts<'_> {
        SyncPorts {
            store: self.store.as_ref(),
            queue: self.queue.as_ref(),
            clock: self.clock.as_ref(),
            gateways: self,
            outcomes: &UnitOutcomes,
        }
    }
}

#[async_trait]
impl PairDirectory for SyncContext {
    async fn pair(&self, connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError> {
        self.gateways.gateways(connection).await
    }
}

//! What the two-way sync needs from the runtime that calls it: the stores, queue and clock, the
//! gateways of a connection, and where finished units are recorded (`jobs` provides all of them).

use async_trait::async_trait;

use crate::ports::{Clock, ConnectionRecord, GatewayError, JobQueue, Store, StoreError};

use super::gateway_pair::GatewayPair;
use super::session::Session;
use super::unit::UnitReport;

/// Finds (or builds, with the connection's tokens) the two vendor gateways of a connection.
#[async_trait]
pub trait PairDirectory: Send + Sync {
    async fn pair(&self, connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError>;
}

/// Stores the outcomes of finished units: statuses, attempts, retry jobs and the sync log.
#[async_trait]
pub(crate) trait RecordOutcomes: Send + Sync {
    async fn record(
        &self,
        session: &Session<'_>,
        queue: &dyn JobQueue,
        reports: &[UnitReport],
    ) -> Result<(), StoreError>;
}

/// The ports one run of the two-way sync works through.
#[derive(Clone, Copy)]
pub struct SyncPorts<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) queue: &'a dyn JobQueue,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) gateways: &'a dyn PairDirectory,
    pub(crate) outcomes: &'a dyn RecordOutcomes,
}

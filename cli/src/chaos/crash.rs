//! Injected process crashes and post-write timeouts, through the engine's gateway port: the
//! vendor applies the write, then the worker "dies" (its step never returns and is dropped,
//! so the job stays in flight until the queue's visibility timeout redelivers it) or sees a
//! timeout as if the answer was lost (docs/chaos.md §3).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hqsync::engine::jobs::{GatewayDirectory, Invoicing};
use hqsync::engine::sync::GatewayPair;
use hqsync::model::{ObjectKind, Record, Side};
use hqsync::ports::{
    Changes, ConnectionRecord, CreateRequest, DeactivateRequest, FieldCatalog, FieldTimes,
    GatewayError, LiveField, Page, RecordError, RecordGateway, UpdateRequest,
};
use tokio::sync::Notify;

/// Which write the next fault follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStep {
    /// After a create: between the create and its link write.
    Create,
    /// After an update: between the vendor write and the baseline update.
    Update,
    /// After an archive or deactivation.
    Deactivate,
}

/// What happens once the armed write has been applied by the vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterWrite {
    /// The process dies: the step is dropped mid-flight.
    Crash,
    /// The answer is lost: the engine sees a timeout although the write happened.
    Timeout,
}

/// One armed fault: on `side`, after the next `step` write, do `then`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Armed {
    pub side: Side,
    pub step: WriteStep,
    pub then: AfterWrite,
}

/// The crash switch shared by the gateways and the run loop.
#[derive(Default)]
pub struct CrashPlan {
    armed: Mutex<Option<Armed>>,
    /// Told when a crash happens; the run loop then drops the step.
    pub crashed: Notify,
    fired: Mutex<Vec<Armed>>,
}

impl CrashPlan {
    pub fn arm(&self, armed: Armed) {
        *self.armed.lock().unwrap_or_else(|e| e.into_inner()) = Some(armed);
    }

    pub fn disarm(&self) -> Option<Armed> {
        self.armed.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// The faults that fired since the last call.
    pub fn take_fired(&self) -> Vec<Armed> {
        std::mem::take(&mut *self.fired.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Takes the armed fault if it is for `side` and `step`.
    fn trigger(&self, side: Side, step: WriteStep) -> Option<AfterWrite> {
        let mut armed = self.armed.lock().unwrap_or_else(|e| e.into_inner());
        let hit = armed.filter(|a| a.side == side && a.step == step)?;
        *armed = None;
        self.fired
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(hit);
        Some(hit.then)
    }

    /// After a write on `side`: passes `result` on, or crashes (never returns), or turns it
    /// into a timeout.
    async fn after<T>(
        &self,
        side: Side,
        step: WriteStep,
        result: Result<T, GatewayError>,
    ) -> Result<T, GatewayError> {
        let value = result?;
        match self.trigger(side, step) {
            None => Ok(value),
            Some(AfterWrite::Timeout) => Err(GatewayError::Transient {
                message: "chaos: the answer was lost after the vendor applied the write".into(),
            }),
            Some(AfterWrite::Crash) => {
                self.crashed.notify_one();
                std::future::pending().await
            }
        }
    }
}

/// The engine's gateways with the crash switch on every write.
pub struct ChaosGateways {
    pub inner: Arc<dyn GatewayDirectory>,
    pub plan: Arc<CrashPlan>,
}

#[async_trait]
impl GatewayDirectory for ChaosGateways {
    async fn gateways(&self, connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError> {
        let pair = self.inner.gateways(connection).await?;
        Ok(GatewayPair::new(
            Arc::new(CrashingGateway {
                inner: pair.hubspot,
                plan: self.plan.clone(),
            }),
            Arc::new(CrashingGateway {
                inner: pair.quickbooks,
                plan: self.plan.clone(),
            }),
        ))
    }

    async fn invoicing(
        &self,
        connection: &ConnectionRecord,
    ) -> Result<Arc<Invoicing>, GatewayError> {
        self.inner.invoicing(connection).await
    }
}

struct CrashingGateway {
    inner: Arc<dyn RecordGateway>,
    plan: Arc<CrashPlan>,
}

#[async_trait]
impl FieldCatalog for CrashingGateway {
    async fn list_fields(&self, kind: ObjectKind) -> Result<Vec<LiveField>, GatewayError> {
        self.inner.list_fields(kind).await
    }
}

#[async_trait]
impl RecordGateway for CrashingGateway {
    fn side(&self) -> Side {
        self.inner.side()
    }

    async fn ensure_schema(&self, kinds: &[ObjectKind]) -> Result<(), GatewayError> {
        self.inner.ensure_schema(kinds).await
    }

    async fn read(&self, kind: ObjectKind, ids: &[String]) -> Result<Vec<Record>, GatewayError> {
        self.inner.read(kind, ids).await
    }

    async fn field_times(
        &self,
        kind: ObjectKind,
        ids: &[String],
        fields: &[String],
    ) -> Result<std::collections::BTreeMap<String, FieldTimes>, GatewayError> {
        self.inner.field_times(kind, ids, fields).await
    }

    async fn find_by_field(
        &self,
        kind: ObjectKind,
        field_path: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        self.inner.find_by_field(kind, field_path, values).await
    }

    async fn create(
        &self,
        kind: ObjectKind,
        requests: Vec<CreateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        let result = self.inner.create(kind, requests).await;
        self.plan
            .after(self.side(), WriteStep::Create, result)
            .await
    }

    async fn update(
        &self,
        kind: ObjectKind,
        requests: Vec<UpdateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        let result = self.inner.update(kind, requests).await;
        self.plan
            .after(self.side(), WriteStep::Update, result)
            .await
    }

    async fn deactivate(
        &self,
        kind: ObjectKind,
        requests: Vec<DeactivateRequest>,
    ) -> Result<Vec<Result<(), RecordError>>, GatewayError> {
        let result = self.inner.deactivate(kind, requests).await;
        self.plan
            .after(self.side(), WriteStep::Deactivate, result)
            .await
    }

    async fn list_page(
        &self,
        kind: ObjectKind,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        self.inner.list_page(kind, cursor).await
    }

    async fn list_form_page(
        &self,
        form: &'static hqsync::model::kinds::QboOnlyForm,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        self.inner.list_form_page(form, cursor).await
    }

    async fn changed_since(
        &self,
        kind: ObjectKind,
        since: DateTime<Utc>,
    ) -> Result<Changes, GatewayError> {
        self.inner.changed_since(kind, since).await
    }
}

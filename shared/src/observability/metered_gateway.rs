//! A `RecordGateway` decorator that counts vendor API calls and the 429s that reach the engine
//! (per vendor), for the `ApiCalls` / `ApiThrottles` metrics. 429s a client absorbs by its own
//! retries are not seen here; those show up as time, not as failures.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::metrics::Metrics;
use crate::model::kinds::QboOnlyForm;
use crate::model::{ObjectKind, Record, Side};
use crate::ports::{
    Changes, CreateRequest, DeactivateRequest, FieldCatalog, FieldTimes, GatewayError, LiveField,
    Page, RecordError, RecordGateway, UpdateRequest,
};

/// Wraps a gateway; every call counts once, whatever its outcome.
pub struct MeteredGateway {
    inner: Arc<dyn RecordGateway>,
    metrics: Metrics,
}

impl MeteredGateway {
    pub fn new(inner: Arc<dyn RecordGateway>, metrics: Metrics) -> Self {
        MeteredGateway { inner, metrics }
    }

    fn count<T>(&self, result: Result<T, GatewayError>) -> Result<T, GatewayError> {
        let vendor = self.inner.side();
        self.metrics.api_call(vendor);
        if matches!(result, Err(GatewayError::Throttled { .. })) {
            self.metrics.api_throttled(vendor);
        }
        result
    }
}

#[async_trait]
impl FieldCatalog for MeteredGateway {
    async fn list_fields(&self, kind: ObjectKind) -> Result<Vec<LiveField>, GatewayError> {
        self.count(self.inner.list_fields(kind).await)
    }
}

#[async_trait]
impl RecordGateway for MeteredGateway {
    fn side(&self) -> Side {
        self.inner.side()
    }

    async fn ensure_schema(&self, kinds: &[ObjectKind]) -> Result<(), GatewayError> {
        self.count(self.inner.ensure_schema(kinds).await)
    }

    async fn read(&self, kind: ObjectKind, ids: &[String]) -> Result<Vec<Record>, GatewayError> {
        self.count(self.inner.read(kind, ids).await)
    }

    async fn field_times(
        &self,
        kind: ObjectKind,
        ids: &[String],
        fields: &[String],
    ) -> Result<std::collections::BTreeMap<String, FieldTimes>, GatewayError> {
        self.count(self.inner.field_times(kind, ids, fields).await)
    }

    async fn find_by_field(
        &self,
        kind: ObjectKind,
        field_path: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        self.count(self.inner.find_by_field(kind, field_path, values).await)
    }

    async fn create(
        &self,
        kind: ObjectKind,
        requests: Vec<CreateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        self.count(self.inner.create(kind, requests).await)
    }

    async fn update(
        &self,
        kind: ObjectKind,
        requests: Vec<UpdateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        self.count(self.inner.update(kind, requests).await)
    }

    async fn deactivate(
        &self,
        kind: ObjectKind,
        requests: Vec<DeactivateRequest>,
    ) -> Result<Vec<Result<(), RecordError>>, GatewayError> {
        self.count(self.inner.deactivate(kind, requests).await)
    }

    async fn list_page(
        &self,
        kind: ObjectKind,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        self.count(self.inner.list_page(kind, cursor).await)
    }

    async fn list_form_page(
        &self,
        form: &'static QboOnlyForm,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        self.count(self.inner.list_form_page(form, cursor).await)
    }

    async fn changed_since(
        &self,
        kind: ObjectKind,
        since: DateTime<Utc>,
    ) -> Result<Changes, GatewayError> {
        self.count(self.inner.changed_since(kind, since).await)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::adapters::memory::{ManualClock, MemoryGateway};
    use crate::observability::MetricName;

    #[tokio::test]
    async fn counts_every_call_and_the_throttled_ones_per_vendor() {
        let clock = Arc::new(ManualClock::fixed());
        let inner = Arc::new(MemoryGateway::quickbooks(clock));
        inner.fail_next_calls([GatewayError::Throttled {
            wait: Duration::from_secs(60),
        }]);
        let metrics = Metrics::new();
        let gateway = MeteredGateway::new(inner.clone(), metrics.clone());
        assert_eq!(gateway.side(), Side::Quickbooks);
        let ids = vec!["1".to_owned()];
        assert!(matches!(
            gateway.read(ObjectKind::Contact, &ids).await,
            Err(GatewayError::Throttled { .. })
        ));
        gateway.read(ObjectKind::Contact, &ids).await.unwrap();
        gateway.list_page(ObjectKind::Product, None).await.unwrap();
        let vendor = [("Vendor", "quickbooks")];
        assert_eq!(metrics.count(MetricName::ApiCalls, &vendor), 3.0);
        assert_eq!(metrics.count(MetricName::ApiThrottles, &vendor), 1.0);
        assert_eq!(
            metrics.count(MetricName::ApiCalls, &[("Vendor", "hubspot")]),
            0.0
        );
    }
}

//! Which vendor gateways serve a connection: a pair (HubSpot, QBO) per connection, looked up
//! through `GatewayDirectory` so one worker can serve many connections with their own tokens.

use std::sync::Arc;

use async_trait::async_trait;

use crate::engine::invoicing::invoices::InvoiceMirror;
use crate::engine::invoicing::payments::PaymentRecordsCapability;
use crate::engine::invoicing::receivables::ReceivablesSchema;
use crate::engine::sync::GatewayPair;
use crate::ports::{Clock, ConnectionRecord, GatewayError};

/// A connection's invoice flows: the mirror (vendor clients + invoice settings) and what the
/// portal was found to allow for payment records. Kept per connection and container, so the
/// schema check and the payment-records probe run once, not once per job.
#[derive(Debug)]
pub struct Invoicing {
    pub mirror: InvoiceMirror,
    pub payment_records: PaymentRecordsCapability,
    /// Whether the receivables properties were ensured (docs/hubspot.md §4.1).
    pub receivables: ReceivablesSchema,
}

impl Invoicing {
    pub fn new(mirror: InvoiceMirror, clock: Arc<dyn Clock>) -> Self {
        Invoicing {
            mirror,
            payment_records: PaymentRecordsCapability::new(clock),
            receivables: ReceivablesSchema::default(),
        }
    }
}

/// Finds (or builds, with the connection's tokens) the gateways of a connection.
#[async_trait]
pub trait GatewayDirectory: Send + Sync {
    async fn gateways(&self, connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError>;

    /// The connection's invoice flows.
    async fn invoicing(
        &self,
        connection: &ConnectionRecord,
    ) -> Result<Arc<Invoicing>, GatewayError>;
}

/// The same gateways for every connection: the local runtime's single connection, and tests.
/// Without an invoice mirror, invoice and payment jobs fail with a clear error.
pub struct FixedGateways {
    pub pair: GatewayPair,
    pub invoicing: Option<Arc<Invoicing>>,
}

impl FixedGateways {
    pub fn new(pair: GatewayPair) -> Self {
        FixedGateways {
            pair,
            invoicing: None,
        }
    }

    pub fn with_invoicing(mut self, invoicing: Arc<Invoicing>) -> Self {
        self.invoicing = Some(invoicing);
        self
    }
}

#[async_trait]
impl GatewayDirectory for FixedGateways {
    async fn gateways(&self, _connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError> {
        Ok(self.pair.clone())
    }

    async fn invoicing(
        &self,
        connection: &ConnectionRecord,
    ) -> Result<Arc<Invoicing>, GatewayError> {
        self.invoicing.clone().ok_or_else(|| GatewayError::Other {
            message: format!(
                "connection {} has no invoice clients configured",
                connection.id()
            ),
        })
    }
}

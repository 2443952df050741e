//! Which vendor gateways serve a connection: a pair (HubSpot, QBO) per connection, looked up
//! through `GatewayDirectory` so one worker can serve many connections with their own tokens.

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::Side;
use crate::ports::{ConnectionRecord, GatewayError, RecordGateway};

/// Both sides' gateways of one connection.
#[derive(Clone)]
pub struct GatewayPair {
    pub hubspot: Arc<dyn RecordGateway>,
    pub quickbooks: Arc<dyn RecordGateway>,
}

impl GatewayPair {
    pub fn new(hubspot: Arc<dyn RecordGateway>, quickbooks: Arc<dyn RecordGateway>) -> Self {
        GatewayPair {
            hubspot,
            quickbooks,
        }
    }

    pub fn side(&self, side: Side) -> &dyn RecordGateway {
        match side {
            Side::Hubspot => self.hubspot.as_ref(),
            Side::Quickbooks => self.quickbooks.as_ref(),
        }
    }
}

/// Finds (or builds, with the connection's tokens) the gateways of a connection.
#[async_trait]
pub trait GatewayDirectory: Send + Sync {
    async fn gateways(&self, connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError>;
}

/// The same pair for every connection: the local runtime's single connection, and tests.
pub struct FixedGateways(pub GatewayPair);

#[async_trait]
impl GatewayDirectory for FixedGateways {
    async fn gateways(&self, _connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError> {
        Ok(self.0.clone())
    }
}

//! The two vendor gateways of one connection (HubSpot, QBO) that the two-way sync reads and
//! writes through; the jobs' gateway directory finds them per connection.

use std::sync::Arc;

use crate::model::Side;
use crate::ports::RecordGateway;

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

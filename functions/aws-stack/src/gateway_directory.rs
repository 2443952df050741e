//! The engine's `GatewayDirectory` on AWS: per connection, HubSpot and QBO gateways built with
//! tokens from the lease-guarded refresher, kept per container (clients keep their rate budgets)
//! and handed a new access token when it was refreshed; every call metered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hqsync::adapters::hubspot_gateway::HubspotGateway;
use hqsync::adapters::quickbooks_gateway::QuickbooksGateway;
use hqsync::adapters::secretsmanager::{RefreshError, RefreshFailure, TokenRefresher};
use hqsync::engine::gateways::{GatewayDirectory, GatewayPair, Invoicing};
use hqsync::engine::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::hubspot::HubspotClient;
use hqsync::mapping::MappingSet;
use hqsync::model::{ConnectionId, ObjectKind, Side};
use hqsync::observability::{MeteredGateway, Metrics};
use hqsync::ports::{Clock, ConnectionRecord, GatewayError, SideTokens};
use hqsync::quickbooks::{QboClient, QboEnvironment, RealmId};

use crate::config::VendorEndpoints;

/// The `environment` of a connection whose QBO company is the local sandbox.
pub const LOCAL_ENVIRONMENT: &str = "local";

struct Built {
    /// The connection as the gateways were built for (settings decide the HubSpot properties).
    record: ConnectionRecord,
    hubspot: HubspotClient,
    quickbooks: QboClient,
    hubspot_expiry: DateTime<Utc>,
    quickbooks_expiry: DateTime<Utc>,
    pair: GatewayPair,
    /// Shares the clients (and their rate budgets and tokens) with `pair`.
    invoicing: Arc<Invoicing>,
}

/// Builds and keeps each connection's gateways.
pub struct AwsGateways {
    refresher: TokenRefresher,
    vendors: VendorEndpoints,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    built: Mutex<HashMap<ConnectionId, Built>>,
}

impl AwsGateways {
    pub fn new(
        refresher: TokenRefresher,
        vendors: VendorEndpoints,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
    ) -> Self {
        AwsGateways {
            refresher,
            vendors,
            clock,
            metrics,
            built: Mutex::default(),
        }
    }

    async fn tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<SideTokens, GatewayError> {
        self.refresher
            .tokens(connection, side)
            .await
            .map_err(gateway_error)
    }

    fn build(
        &self,
        record: &ConnectionRecord,
        hubspot_tokens: &SideTokens,
        quickbooks_tokens: &SideTokens,
    ) -> Result<Built, GatewayError> {
        let other = |message: String| GatewayError::Other { message };
        let mut builder = HubspotClient::builder(hubspot_tokens.access_token.clone());
        if let Some(base) = &self.vendors.hubspot_base_url {
            builder = builder.base_url(base.clone());
        }
        let hubspot = builder.build().map_err(|e| other(e.to_string()))?;
        let environment = match record.environment.as_str() {
            "production" => QboEnvironment::Production,
            "sandbox" => QboEnvironment::Sandbox,
            LOCAL_ENVIRONMENT => match &self.vendors.quickbooks_base_url {
                Some(url) => QboEnvironment::Custom(url.clone()),
                None => {
                    return Err(other(format!(
                        "connection {} uses the local QBO sandbox but {} is not set",
                        record.id(),
                        crate::config::QUICKBOOKS_BASE_URL
                    )));
                }
            },
            unknown => {
                return Err(other(format!(
                    "connection {} has unknown QBO environment {unknown:?} (production, sandbox or local)",
                    record.id()
                )));
            }
        };
        let realm = RealmId::new(record.connection.qbo_realm_id.clone())
            .map_err(|e| other(e.to_string()))?;
        let quickbooks =
            QboClient::new(&environment, realm, quickbooks_tokens.access_token.clone())
                .map_err(|e| other(e.to_string()))?;

        let settings = &record.connection.settings;
        let mut hubspot_gateway = HubspotGateway::new(hubspot.clone(), self.clock.clone());
        for kind in ObjectKind::TWO_WAY {
            // Invalid settings are reported by the worker per job; defaults stay in place here.
            if let Ok(mappings) = MappingSet::build(kind, settings.object(kind)) {
                let keys = mappings
                    .native_keys(Side::Hubspot)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                hubspot_gateway = hubspot_gateway.with_properties(kind, keys);
            }
        }
        let mut quickbooks_gateway = QuickbooksGateway::new(quickbooks.clone(), self.clock.clone());
        if let Some(account) = &settings.new_items.income_account_id {
            quickbooks_gateway = quickbooks_gateway.with_income_account(account.clone());
        }
        let pair = GatewayPair::new(
            Arc::new(MeteredGateway::new(
                Arc::new(hubspot_gateway),
                self.metrics.clone(),
            )),
            Arc::new(MeteredGateway::new(
                Arc::new(quickbooks_gateway),
                self.metrics.clone(),
            )),
        );
        let invoicing = Arc::new(Invoicing::new(
            InvoiceMirror::new(
                hubspot.clone(),
                quickbooks.clone(),
                InvoiceSyncSettings::from_settings(settings),
            ),
            self.clock.clone(),
        ));
        Ok(Built {
            record: record.clone(),
            invoicing,
            hubspot,
            quickbooks,
            hubspot_expiry: hubspot_tokens.access_expires_at,
            quickbooks_expiry: quickbooks_tokens.access_expires_at,
            pair,
        })
    }
}

impl AwsGateways {
    /// The connection's entry, built or brought up to date with the current tokens.
    async fn entry<T>(
        &self,
        connection: &ConnectionRecord,
        pick: impl Fn(&Built) -> T,
    ) -> Result<T, GatewayError> {
        let id = connection.id();
        let hubspot_tokens = self.tokens(id, Side::Hubspot).await?;
        let quickbooks_tokens = self.tokens(id, Side::Quickbooks).await?;
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = built.get_mut(id)
            && entry.record == *connection
        {
            // Refreshed since: same clients (and budgets), new bearer token.
            if entry.hubspot_expiry != hubspot_tokens.access_expires_at {
                entry
                    .hubspot
                    .set_access_token(hubspot_tokens.access_token.clone());
                entry.hubspot_expiry = hubspot_tokens.access_expires_at;
            }
            if entry.quickbooks_expiry != quickbooks_tokens.access_expires_at {
                entry
                    .quickbooks
                    .set_access_token(quickbooks_tokens.access_token.clone());
                entry.quickbooks_expiry = quickbooks_tokens.access_expires_at;
            }
            return Ok(pick(entry));
        }
        let fresh = self.build(connection, &hubspot_tokens, &quickbooks_tokens)?;
        let picked = pick(&fresh);
        built.insert(id.clone(), fresh);
        Ok(picked)
    }
}

#[async_trait]
impl GatewayDirectory for AwsGateways {
    async fn gateways(&self, connection: &ConnectionRecord) -> Result<GatewayPair, GatewayError> {
        self.entry(connection, |built| built.pair.clone()).await
    }

    async fn invoicing(
        &self,
        connection: &ConnectionRecord,
    ) -> Result<Arc<Invoicing>, GatewayError> {
        self.entry(connection, |built| built.invoicing.clone())
            .await
    }
}

/// What the engine should make of a token problem.
fn gateway_error(error: RefreshError) -> GatewayError {
    match error {
        RefreshError::Missing { .. } | RefreshError::ReconnectRequired { .. } => {
            GatewayError::Unauthorized {
                message: error.to_string(),
            }
        }
        RefreshError::Vendor(RefreshFailure::InvalidGrant) => GatewayError::Unauthorized {
            message: error.to_string(),
        },
        RefreshError::Vendor(RefreshFailure::Other(_)) => GatewayError::Other {
            message: error.to_string(),
        },
        RefreshError::Busy { .. }
        | RefreshError::Vendor(RefreshFailure::Transient(_))
        | RefreshError::Vault(_)
        | RefreshError::Store(_) => GatewayError::Transient {
            message: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_problems_map_to_what_the_engine_does_about_them() {
        let c = ConnectionId::new("acme").unwrap();
        assert!(matches!(
            gateway_error(RefreshError::ReconnectRequired {
                connection: c.clone(),
                side: Side::Quickbooks
            }),
            GatewayError::Unauthorized { .. }
        ));
        assert!(matches!(
            gateway_error(RefreshError::Busy {
                connection: c.clone(),
                side: Side::Hubspot
            }),
            GatewayError::Transient { .. }
        ));
        assert!(matches!(
            gateway_error(RefreshError::Vendor(RefreshFailure::Transient(
                "503".into()
            ))),
            GatewayError::Transient { .. }
        ));
        assert!(matches!(
            gateway_error(RefreshError::Missing {
                connection: c,
                side: Side::Hubspot
            }),
            GatewayError::Unauthorized { .. }
        ));
    }
}

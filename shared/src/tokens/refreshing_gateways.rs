//! `RefreshingGateways`, the engine's `GatewayDirectory` wherever tokens expire (Lambda and the
//! local runtime): per connection, HubSpot and QBO gateways built with tokens from the
//! lease-guarded refresher, kept (clients keep their rate budgets) and handed each new access
//! token after a refresh; rebuilt when the connection record changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::refresher::{RefreshError, RefreshFailure, TokenRefresher};
use super::vendor_urls::{LOCAL_ENVIRONMENT, VendorUrls};
use crate::adapters::hubspot_gateway::HubspotGateway;
use crate::adapters::quickbooks_gateway::QuickbooksGateway;
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use crate::engine::jobs::{GatewayDirectory, Invoicing};
use crate::engine::sync::GatewayPair;
use crate::http::RetryPolicy;
use crate::http::TokenRenewal;
use crate::hubspot::{HubspotBudgets, HubspotClient};
use crate::model::{ConnectionId, Side};
use crate::observability::{MeteredGateway, Metrics};
use crate::ports::{
    Clock, ConnectionRecord, ConnectionStatus, GatewayError, RecordGateway, SideTokens,
    TokenBuckets,
};
use crate::quickbooks::{CompanyBudgets, QboClient, QboEnvironment, RealmId};

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
pub struct RefreshingGateways {
    refresher: Arc<TokenRefresher>,
    urls: VendorUrls,
    clock: Arc<dyn Clock>,
    /// Every call metered when set (the Lambdas flush them as EMF).
    metrics: Option<Metrics>,
    /// Budgets every client shares when set (the local runtime's one pair of accounts, whose
    /// other clients use them too); otherwise each connection's clients get their own.
    budgets: Option<(HubspotBudgets, CompanyBudgets)>,
    /// When set (AWS), each connection's main budgets also draw on these buckets, shared by
    /// every container: one per portal and one per realm (docs/aws.md §11).
    shared_buckets: Option<Arc<dyn TokenBuckets>>,
    /// Replaces both clients' retry policy when set (a simulated clock: docs/chaos.md §1).
    retry: Option<RetryPolicy>,
    built: Mutex<HashMap<ConnectionId, Built>>,
}

impl RefreshingGateways {
    pub fn new(refresher: TokenRefresher, urls: VendorUrls, clock: Arc<dyn Clock>) -> Self {
        RefreshingGateways {
            refresher: Arc::new(refresher),
            urls,
            clock,
            metrics: None,
            budgets: None,
            shared_buckets: None,
            retry: None,
            built: Mutex::default(),
        }
    }

    /// Meters every gateway call into `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Builds every client on these budgets (clones share them).
    pub fn with_budgets(mut self, hubspot: HubspotBudgets, quickbooks: CompanyBudgets) -> Self {
        self.budgets = Some((hubspot, quickbooks));
        self
    }

    /// Builds every client with this retry policy instead of each vendor's own.
    pub fn with_retry_policy(mut self, policy: Option<RetryPolicy>) -> Self {
        self.retry = policy;
        self
    }

    /// Shares each connection's vendor budgets across containers through `buckets`.
    pub fn with_shared_buckets(mut self, buckets: Arc<dyn TokenBuckets>) -> Self {
        self.shared_buckets = Some(buckets);
        self
    }

    pub fn refresher(&self) -> &TokenRefresher {
        &self.refresher
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

    fn environment(&self, record: &ConnectionRecord) -> Result<QboEnvironment, GatewayError> {
        let other = |message: String| GatewayError::Other { message };
        match record.environment.as_str() {
            "production" => Ok(QboEnvironment::Production),
            "sandbox" => Ok(QboEnvironment::Sandbox),
            LOCAL_ENVIRONMENT => match &self.urls.quickbooks_base_url {
                Some(url) => Ok(QboEnvironment::Custom(url.clone())),
                None => Err(other(format!(
                    "connection {} uses a local QBO company but no QBO base URL is configured",
                    record.id()
                ))),
            },
            unknown => Err(other(format!(
                "connection {} has unknown QBO environment {unknown:?} (production, sandbox or local)",
                record.id()
            ))),
        }
    }

    fn metered(&self, gateway: Arc<dyn RecordGateway>) -> Arc<dyn RecordGateway> {
        match &self.metrics {
            Some(metrics) => Arc::new(MeteredGateway::new(gateway, metrics.clone())),
            None => gateway,
        }
    }

    fn build(
        &self,
        record: &ConnectionRecord,
        hubspot_tokens: &SideTokens,
        quickbooks_tokens: &SideTokens,
    ) -> Result<Built, GatewayError> {
        let other = |message: String| GatewayError::Other { message };
        let renewal = |side| -> Arc<dyn TokenRenewal> {
            Arc::new(RefresherRenewal {
                refresher: self.refresher.clone(),
                connection: record.id().clone(),
                side,
            })
        };
        let mut builder = HubspotClient::builder(hubspot_tokens.access_token.clone())
            .token_renewal(renewal(Side::Hubspot));
        if let Some(base) = &self.urls.hubspot_base_url {
            builder = builder.base_url(base.clone());
        }
        if let Some((budgets, _)) = &self.budgets {
            builder = builder.budgets(budgets.clone());
        } else if let Some(buckets) = &self.shared_buckets {
            builder = builder.budgets(HubspotBudgets::shared_across(
                buckets.clone(),
                &record.connection.hubspot_portal_id,
            ));
        }
        if let Some(policy) = self.retry {
            builder = builder.retry_policy(policy);
        }
        let hubspot = builder.build().map_err(|e| other(e.to_string()))?;
        let realm = RealmId::new(record.connection.qbo_realm_id.clone())
            .map_err(|e| other(e.to_string()))?;
        let environment = self.environment(record)?;
        let mut quickbooks =
            QboClient::new(&environment, realm, quickbooks_tokens.access_token.clone())
                .map_err(|e| other(e.to_string()))?
                .with_token_renewal(renewal(Side::Quickbooks));
        if let Some(policy) = self.retry {
            quickbooks = quickbooks.with_retry_policy(policy);
        }
        if let Some((_, budgets)) = &self.budgets {
            quickbooks = quickbooks.with_budgets(budgets.clone());
        } else if let Some(buckets) = &self.shared_buckets {
            quickbooks = quickbooks.with_budgets(CompanyBudgets::shared_across(
                buckets.clone(),
                &record.connection.qbo_realm_id,
            ));
        }

        let settings = &record.connection.settings;
        let hubspot_gateway =
            HubspotGateway::new(hubspot.clone(), self.clock.clone()).with_settings(settings);
        let mut quickbooks_gateway = QuickbooksGateway::new(quickbooks.clone(), self.clock.clone());
        if let Some(account) = &settings.new_items.income_account_id {
            quickbooks_gateway = quickbooks_gateway.with_income_account(account.clone());
        }
        let pair = GatewayPair::new(
            self.metered(Arc::new(hubspot_gateway)),
            self.metered(Arc::new(quickbooks_gateway)),
        );
        let invoicing = Arc::new(Invoicing::new(
            InvoiceMirror::new(
                Arc::new(hubspot.clone()),
                Arc::new(quickbooks.clone()),
                InvoiceSyncSettings::from_settings(settings).for_environment(&environment),
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

    /// The connection's entry, built or brought up to date with the current tokens.
    async fn entry<T>(
        &self,
        connection: &ConnectionRecord,
        pick: impl Fn(&Built) -> T,
    ) -> Result<T, GatewayError> {
        let id = connection.id();
        // Its refresh token was rejected: asking the vendor again would only be refused again.
        if connection.status == ConnectionStatus::ReconnectRequired {
            return Err(GatewayError::Unauthorized {
                message: format!(
                    "connection {id} must be reconnected (a vendor rejected its refresh token)"
                ),
            });
        }
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
impl GatewayDirectory for RefreshingGateways {
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

/// One side of one connection's renewal after a vendor refused its access token: the
/// refresher's [`TokenRefresher::renew_rejected`], its failure logged (never the token).
struct RefresherRenewal {
    refresher: Arc<TokenRefresher>,
    connection: ConnectionId,
    side: Side,
}

#[async_trait]
impl TokenRenewal for RefresherRenewal {
    async fn renew(&self, rejected: &SecretString) -> Option<SecretString> {
        match self
            .refresher
            .renew_rejected(&self.connection, self.side, rejected)
            .await
        {
            Ok(tokens) => Some(tokens.access_token),
            Err(error) => {
                tracing::warn!(connection = %self.connection, side = %self.side, %error, "could not renew a refused access token");
                None
            }
        }
    }
}

/// What the engine should make of a token problem.
pub fn gateway_error(error: RefreshError) -> GatewayError {
    match error {
        RefreshError::Missing { .. }
        | RefreshError::ReconnectRequired { .. }
        | RefreshError::NotRenewable { .. } => GatewayError::Unauthorized {
            message: error.to_string(),
        },
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

//! One function's view of the deployed stack, built once per cold start: the DynamoDB link
//! store, the SQS job queue, the Secrets Manager vault, the clock and the metrics of the
//! current invocation, and from them the engine's `SyncContext`.

use std::sync::Arc;

use aws_config::SdkConfig;
use hqsync::adapters::dynamodb::{DynamoStore, DynamoTokenBuckets, aws_sdk_config};
use hqsync::adapters::secretsmanager::{SecretNames, SecretsManagerVault};
use hqsync::adapters::sqs::{QueueUrls, SqsJobQueue};
use hqsync::engine::jobs::SyncContext;
use hqsync::observability::Metrics;
use hqsync::ports::{Clock, SystemClock};
use hqsync::tokens::{RefreshingGateways, TokenRefresher, VendorOAuth};

use crate::config::{ConfigError, StackConfig};

/// The stack's adapters. Cheap to share: the SDK clients are handles.
#[derive(Clone)]
pub struct AwsStack {
    pub config: StackConfig,
    pub store: Arc<DynamoStore>,
    pub queue: Arc<SqsJobQueue>,
    pub vault: Arc<SecretsManagerVault>,
    pub clock: Arc<dyn Clock>,
    /// The vendor rate buckets every container shares (docs/aws.md §11).
    pub buckets: Arc<DynamoTokenBuckets>,
    /// Flushed as EMF at the end of every invocation.
    pub metrics: Metrics,
}

impl AwsStack {
    /// From the Lambda environment and the default AWS credential chain.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = StackConfig::from_env()?;
        Ok(Self::new(&aws_sdk_config().await, config))
    }

    pub fn new(sdk: &SdkConfig, config: StackConfig) -> Self {
        Self::with_clock(sdk, config, Arc::new(SystemClock))
    }

    pub fn with_clock(sdk: &SdkConfig, config: StackConfig, clock: Arc<dyn Clock>) -> Self {
        let metrics = Metrics::publishing_detail(config.metrics_detail);
        let buckets = DynamoTokenBuckets::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config.table_name.clone(),
        );
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config.table_name.clone(),
        )
        .with_clock(clock.clone())
        .with_metrics(metrics.clone());
        let queue = SqsJobQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            QueueUrls {
                live: config.live_queue_url.clone(),
                bulk: config.bulk_queue_url.clone(),
                live_dead_letter: config.live_dlq_url.clone(),
                bulk_dead_letter: config.bulk_dlq_url.clone(),
            },
        );
        let vault = SecretsManagerVault::new(
            aws_sdk_secretsmanager::Client::new(sdk),
            SecretNames {
                app_secret: config.app_secret.clone(),
                connection_prefix: config.connection_secret_prefix.clone(),
            },
        );
        AwsStack {
            config,
            store: Arc::new(store),
            queue: Arc::new(queue),
            vault: Arc::new(vault),
            clock,
            buckets: Arc::new(buckets),
            metrics,
        }
    }

    /// Tokens that are refreshed under the connection's lease when they are about to expire.
    pub fn refresher(&self) -> TokenRefresher {
        TokenRefresher::new(
            self.vault.clone(),
            self.store.clone(),
            Arc::new(VendorOAuth::new(
                self.config.vendors.clone(),
                self.clock.clone(),
            )),
            self.clock.clone(),
            self.metrics.clone(),
        )
    }

    /// What the engine runs on: this stack's store, queue and clock, and gateways built per
    /// connection with fresh tokens (the refreshing directory the local runtime uses too),
    /// every vendor call metered for EMF and drawing on the stack's shared rate buckets.
    pub fn sync_context(&self) -> SyncContext {
        SyncContext {
            store: self.store.clone(),
            queue: self.queue.clone(),
            clock: self.clock.clone(),
            gateways: Arc::new(
                RefreshingGateways::new(
                    self.refresher(),
                    self.config.vendors.clone(),
                    self.clock.clone(),
                )
                .with_metrics(self.metrics.clone())
                .with_shared_buckets(self.buckets.clone()),
            ),
        }
    }

    /// Writes this invocation's metrics to stdout as EMF (call at the end of each invocation).
    pub fn flush_metrics(&self) {
        self.metrics.flush(self.clock.now());
    }
}

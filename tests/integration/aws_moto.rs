//! The moto server the AWS tests talk to (real SDK calls, real wire protocol): its endpoint from
//! `HQSYNC_MOTO_ENDPOINT` (set by infra/scripts/with-moto.sh), clients, and unique resource names.
//!
//! Without the variable a test prints why and returns (skipped), except under `CI=true`, where
//! a missing moto must fail the run rather than pass it silently.

use std::sync::atomic::{AtomicUsize, Ordering};

use hqsync::adapters::dynamodb::{DynamoStore, ensure_table, local_sdk_config};
use hqsync::adapters::secretsmanager::{SecretNames, SecretsManagerVault};
use hqsync::adapters::sqs::{QueueSettings, QueueUrls, SqsJobQueue, ensure_queues};

pub const MOTO_ENDPOINT_VAR: &str = "HQSYNC_MOTO_ENDPOINT";

/// A connection to the moto server, shared by the tests that ask for it.
pub struct Moto {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

/// The moto endpoint, or `None` (after printing why) when the test should be skipped.
/// Panics under `CI=true` when no endpoint is configured.
pub fn moto_endpoint(test: &str) -> Option<String> {
    let endpoint = std::env::var(MOTO_ENDPOINT_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    if endpoint.is_none() {
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !in_ci,
            "{test}: {MOTO_ENDPOINT_VAR} is not set; under CI the AWS tests must run against moto \
             (run them through infra/scripts/with-moto.sh)"
        );
        eprintln!(
            "SKIPPED {test}: {MOTO_ENDPOINT_VAR} is not set (run through infra/scripts/with-moto.sh)"
        );
    }
    endpoint
}

/// Clients of the moto server, or `None` when the test should be skipped (see
/// [`moto_endpoint`]).
pub async fn moto(test: &str) -> Option<Moto> {
    let endpoint = moto_endpoint(test)?;
    let config = local_sdk_config(&endpoint).await;
    Some(Moto {
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        sqs: aws_sdk_sqs::Client::new(&config),
        secrets: aws_sdk_secretsmanager::Client::new(&config),
    })
}

/// A name no other test (or earlier run against the same server) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{n}-{}", &id[..12])
}

impl Moto {
    /// A link store on a new table of its own.
    pub async fn fresh_store(&self) -> DynamoStore {
        let table = unique("hqsync-test");
        ensure_table(&self.dynamodb, &table)
            .await
            .expect("create table on moto");
        DynamoStore::new(self.dynamodb.clone(), table)
    }

    /// A job queue on new queues of its own (live, bulk and their DLQs).
    pub async fn fresh_queue(&self, settings: impl FnOnce(&mut QueueSettings)) -> SqsJobQueue {
        let mut queue_settings = QueueSettings::new(unique("hqsync-test"));
        settings(&mut queue_settings);
        let urls: QueueUrls = ensure_queues(&self.sqs, &queue_settings)
            .await
            .expect("create queues on moto");
        SqsJobQueue::new(self.sqs.clone(), urls)
    }

    /// Secret names of their own: an app secret name and a connection prefix nobody else uses.
    pub fn fresh_secret_names(&self) -> SecretNames {
        let base = unique("hqsync-test");
        SecretNames {
            app_secret: format!("{base}/app"),
            connection_prefix: format!("{base}/connection/"),
        }
    }

    /// A vault on fresh secret names, with the app secret holding `app_json`.
    pub async fn fresh_vault(&self, app_json: &str) -> SecretsManagerVault {
        let names = self.fresh_secret_names();
        self.secrets
            .create_secret()
            .name(&names.app_secret)
            .secret_string(app_json)
            .send()
            .await
            .expect("create app secret on moto");
        SecretsManagerVault::new(self.secrets.clone(), names)
    }
}

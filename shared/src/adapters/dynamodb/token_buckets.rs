//! `DynamoTokenBuckets`: the shared rate buckets in the stack's table (`BUDGET#{key}` / `META`),
//! one read and one conditional write per take (a read only when empty), so every container
//! draws on the same bucket.
//!
//! The write is conditional on the version it read (`v`, or no item yet): two containers
//! taking at once cannot both spend the same tokens; the loser retries from the winner's item,
//! which the failed condition returns (`ReturnValuesOnConditionCheckFailure::AllOld`).

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Utc};

use super::item::{Item, backend, get_n, keyed, n};
use super::keys::{EXPIRES_AT, META, PK};
use crate::ports::{BucketSpec, BucketState, Grant, StoreError, TokenBuckets, take_from};

const TOKENS: &str = "tokens";
const AT_MS: &str = "at_ms";
/// Bumped by every write: what the conditional write compares.
const VERSION: &str = "v";
/// An idle bucket's item is removed a day after its last take (it starts full again).
const CLEANUP_AFTER_S: i64 = 24 * 3600;
/// Conditional writes lost to other containers before a take gives up (fails open upstream).
const MAX_RACES: usize = 4;

/// The key of bucket `key` (e.g. `BUDGET#hubspot#12345`).
pub fn bucket_pk(key: &str) -> String {
    format!("BUDGET#{key}")
}

/// Buckets in the stack's table; counts its DynamoDB calls (for the calls-per-vendor-call
/// measure, tests/integration/aws_token_buckets.rs).
pub struct DynamoTokenBuckets {
    client: Client,
    table: String,
    calls: AtomicU64,
}

impl DynamoTokenBuckets {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoTokenBuckets {
            client,
            table: table.into(),
            calls: AtomicU64::new(0),
        }
    }

    /// DynamoDB calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    async fn read(&self, key: &str) -> Result<Option<(BucketState, u64)>, StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keyed(bucket_pk(key), META)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e.into_service_error()))?;
        out.item.as_ref().map(state_of).transpose()
    }
}

fn state_of(item: &Item) -> Result<(BucketState, u64), StoreError> {
    let state = BucketState {
        tokens: get_n(item, TOKENS)?,
        at_ms: get_n(item, AT_MS)?,
    };
    Ok((state, get_n(item, VERSION)?))
}

#[async_trait]
impl TokenBuckets for DynamoTokenBuckets {
    async fn take_tokens(
        &self,
        key: &str,
        spec: BucketSpec,
        want: u32,
        now: DateTime<Utc>,
    ) -> Result<Grant, StoreError> {
        let mut seen = self.read(key).await?;
        for _ in 0..MAX_RACES {
            let (grant, next) = take_from(seen.map(|(s, _)| s), spec, want, now.timestamp_millis());
            // Nothing to spend: the stored state refills to the same tokens later, so the
            // write is skipped (an empty bucket costs one read per try).
            if grant.granted == 0 && seen.is_some() {
                return Ok(grant);
            }
            let mut item = keyed(bucket_pk(key), META);
            item.insert(TOKENS.into(), n(next.tokens));
            item.insert(AT_MS.into(), n(next.at_ms));
            item.insert(VERSION.into(), n(seen.map_or(1, |(_, v)| v + 1)));
            item.insert(
                EXPIRES_AT.into(),
                n(now.timestamp().saturating_add(CLEANUP_AFTER_S)),
            );
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            let put = match seen {
                None => put
                    .condition_expression("attribute_not_exists(#pk)")
                    .expression_attribute_names("#pk", PK),
                Some((_, version)) => put
                    .condition_expression("#v = :seen")
                    .expression_attribute_names("#v", VERSION)
                    .expression_attribute_values(":seen", n(version)),
            };
            self.calls.fetch_add(1, Ordering::Relaxed);
            match put.send().await {
                Ok(_) => return Ok(grant),
                Err(err) => match err.into_service_error() {
                    PutItemError::ConditionalCheckFailedException(lost) => {
                        seen = match lost.item {
                            Some(item) => Some(state_of(&item)?),
                            None => self.read(key).await?,
                        };
                    }
                    other => return Err(backend("PutItem", other)),
                },
            }
        }
        Err(StoreError::Backend(format!(
            "rate bucket {key}: lost {MAX_RACES} conditional writes in a row to other containers"
        )))
    }
}

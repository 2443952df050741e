//! The DynamoDB calls the store is built from: consistent point reads, prefix queries with
//! pagination, batch reads/writes that resend unprocessed keys, and transactions whose
//! cancellation reasons are returned per item.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, TransactWriteItem, WriteRequest,
};

use super::DynamoStore;
use super::item::{Item, backend, keyed, s};
use super::keys::{PK, SK};
use crate::ports::StoreError;

/// DynamoDB's limit of keys per BatchGetItem.
const BATCH_GET_MAX: usize = 100;
/// DynamoDB's limit of requests per BatchWriteItem.
const BATCH_WRITE_MAX: usize = 25;
/// Rounds of resending unprocessed batch items before giving up (with a growing pause).
const UNPROCESSED_ROUNDS: u32 = 8;

/// Why a transaction did not happen.
pub(super) enum TransactFailure {
    /// A condition failed; one entry per transaction item, `true` where its condition failed.
    ConditionsFailed(Vec<bool>),
    Store(StoreError),
}

impl DynamoStore {
    /// One item by key, strongly consistent (the engine reads then writes conditionally).
    pub(super) async fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keyed(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        Ok(out.item)
    }

    /// Every item of partition `pk` whose sort key starts with `prefix` (all pages), in
    /// ascending (or, with `newest_first`, descending) sort-key order, up to `limit` items.
    pub(super) async fn query_prefix(
        &self,
        pk: &str,
        prefix: &str,
        newest_first: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .scan_index_forward(!newest_first)
                .set_exclusive_start_key(start.take());
            // An empty prefix means the whole partition (begins_with rejects empty strings).
            request = if prefix.is_empty() {
                request.key_condition_expression("#pk = :pk")
            } else {
                request
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_names("#sk", SK)
                    .expression_attribute_values(":prefix", s(prefix))
            };
            if let Some(limit) = limit {
                let wanted = limit.saturating_sub(items.len()).clamp(1, 1000);
                request = request.limit(wanted as i32);
            }
            let out = request.send().await.map_err(|e| backend("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            if limit.is_some_and(|limit| items.len() >= limit) {
                items.truncate(limit.unwrap_or(usize::MAX));
                break;
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(items)
    }

    /// Items by key, in no particular order; missing keys are absent.
    pub(super) async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut pending = chunk.to_vec();
            let mut round = 0;
            while !pending.is_empty() {
                round += 1;
                if round > UNPROCESSED_ROUNDS {
                    return Err(StoreError::Backend(format!(
                        "DynamoDB BatchGetItem: {} keys still unprocessed after {UNPROCESSED_ROUNDS} rounds",
                        pending.len()
                    )));
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| backend("BatchGetItem", e))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(self.table.as_ref(), request)
                    .send()
                    .await
                    .map_err(|e| backend("BatchGetItem", e))?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(self.table.as_ref()).unwrap_or_default());
                }
                if let Some(mut unprocessed) = out.unprocessed_keys
                    && let Some(left) = unprocessed.remove(self.table.as_ref())
                {
                    pending = left.keys;
                    pause_before_resend(round).await;
                }
            }
        }
        Ok(found)
    }

    /// Puts `items` (no conditions), resending unprocessed ones.
    pub(super) async fn batch_put(&self, items: Vec<Item>) -> Result<(), StoreError> {
        let requests = items
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| backend("BatchWriteItem", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_write(requests).await
    }

    /// Deletes the items with these keys (no conditions), resending unprocessed ones.
    pub(super) async fn batch_delete(&self, keys: Vec<Item>) -> Result<(), StoreError> {
        let requests = keys
            .into_iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|e| backend("BatchWriteItem", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_write(requests).await
    }

    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(BATCH_WRITE_MAX) {
            let mut pending = chunk.to_vec();
            let mut round = 0;
            while !pending.is_empty() {
                round += 1;
                if round > UNPROCESSED_ROUNDS {
                    return Err(StoreError::Backend(format!(
                        "DynamoDB BatchWriteItem: {} writes still unprocessed after {UNPROCESSED_ROUNDS} rounds",
                        pending.len()
                    )));
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(self.table.as_ref(), std::mem::take(&mut pending))
                    .send()
                    .await
                    .map_err(|e| backend("BatchWriteItem", e))?;
                if let Some(mut unprocessed) = out.unprocessed_items
                    && let Some(left) = unprocessed.remove(self.table.as_ref())
                {
                    pending = left;
                    pause_before_resend(round).await;
                }
            }
        }
        Ok(())
    }

    /// Runs `items` as one all-or-nothing transaction.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), TransactFailure> {
        let count = items.len();
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons();
                    let failed: Vec<bool> = (0..count)
                        .map(|i| {
                            reasons
                                .get(i)
                                .and_then(|r| r.code())
                                .is_some_and(|code| code == "ConditionalCheckFailed")
                        })
                        .collect();
                    if failed.iter().any(|f| *f) {
                        Err(TransactFailure::ConditionsFailed(failed))
                    } else {
                        Err(TransactFailure::Store(backend(
                            "TransactWriteItems",
                            cancelled,
                        )))
                    }
                }
                other => Err(TransactFailure::Store(backend("TransactWriteItems", other))),
            },
        }
    }

    /// One unconditional PutItem.
    pub(super) async fn put_plain_item(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| backend("PutItem", e))
    }

    pub(super) fn table(&self) -> String {
        self.table.to_string()
    }
}

/// Exponential pause (10 ms doubling, capped at 1 s) before resending unprocessed batch items,
/// as the DynamoDB docs ask.
async fn pause_before_resend(round: u32) {
    let millis = 10u64.saturating_mul(1 << round.min(7)).min(1000);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

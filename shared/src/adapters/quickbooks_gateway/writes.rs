//! The gateway's QBO writes (creates, sparse updates, `Active=false`): runs of 10..=30 records
//! go through `/batch` (§8) as one request each; single records and short tails go singly.
//!
//! Idempotency of batched creates (docs/quickbooks.md §1, §8). A single create sends
//! `requestid` = the request's idempotency key. A batch carries ONE `requestid` (≤ 36 chars)
//! for all its items and no per-item id (a `bId` only names an item within its request), so:
//! - creates are sorted by idempotency key before chunking, so the same set of creates always
//!   forms the same chunks, whatever order the engine lists them in;
//! - a chunk's `requestid` is derived from the realm, entity and its sorted keys only (not from
//!   the body), and each item's `bId` is its rank in that order: a retried chunk (lost answer,
//!   a failed later chunk, a re-run job) sends the same `requestid` and the replayed answer
//!   maps back to the right records even if their values or order changed;
//! - a chunk below `MIN_BATCH_ITEMS` goes as single creates, each with its key as `requestid`
//!   (as a lone create always did), so those replay one by one.
//!
//! A retry whose key SET differs (some records finished in between) gets a new `requestid`,
//! so QBO runs those creates again. That is caught downstream, not here: customer DisplayName
//! and item Name are unique (6240), the engine re-plans a unit after a duplicate-name answer
//! and its prepare step matches unlinked records by their natural keys (e-mail, SKU, name:
//! engine/prepare.rs `match_unlinked`) before creating, so the first copy is found and linked;
//! natural keys are also claimed before any create (engine/apply.rs `claim_keys`), so two
//! workers never create the same key at once.
//! UNVERIFIED (docs/quickbooks.md §1): how long QBO remembers a requestid, and whether a replayed
//! batch answers with the original response (Intuit's documented behaviour, which the sandbox
//! implements) or with per-item 6000 faults (one 2016 third-party report). In the second case
//! the replayed items fail as validation errors and nothing is created twice; the engine's next
//! match by natural key links the records the first attempt created.
//!
//! Updates and deactivations are versioned by SyncToken: a batch re-run after a lost answer is
//! replayed (`requestid` derived from the chunk's content, `QboClient::batch`), and a re-run
//! that is not replayed fails per record with 5010 instead of writing twice.

use futures::StreamExt;
use serde_json::{Map, Value};

use super::{QuickbooksGateway, gateway_error, has_text, invalid, per_record, write_body};
use crate::model::{ObjectKind, Record, descriptor};
use crate::ports::{
    CreateRequest, DeactivateRequest, GatewayError, RecordError, RecordErrorKind, UpdateRequest,
};
use crate::quickbooks::limits::{MAX_BATCH_ITEMS, MAX_IN_FLIGHT};
use crate::quickbooks::{
    BatchItem, BatchItemResult, Entity, NameListEntity, QboError, RequestId, ThrottleScope,
};

/// Fewest records worth a batch request. The 40/min batch budget (§8, §9) is the scarce one:
/// a batch slot is worth 500/40 = 12.5 single calls of the 500/min request budget, so a run of
/// 1..9 records (a small call, or the tail of a call chunked by 30) is cheaper as single calls,
/// which go out at once (10 in flight, 10/s) and keep each create's own `requestid`. A live
/// edit (one record) stays a single call. (The engine_sync initial sync hands the gateway ~25
/// records per call, so it is not affected; this is budget arithmetic, not a measurement.)
const MIN_BATCH_ITEMS: usize = 10;

/// One record's outcome, or the whole-call failure it turned out to be.
type Outcome<T> = Result<Result<T, RecordError>, GatewayError>;

/// A create ready to send: its position in the call, its `requestid` and the entity.
struct ReadyCreate<E> {
    index: usize,
    request_id: RequestId,
    entity: E,
}

impl QuickbooksGateway {
    pub(super) async fn create_as<E: Entity>(
        &self,
        kind: ObjectKind,
        requests: Vec<CreateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        let income_ref = descriptor(kind).qbo.income_account_ref;
        let income = if let Some(member) = income_ref
            && requests
                .iter()
                .any(|r| !has_text(&r.values, &format!("{member}.value")))
        {
            Some(self.income_account().await?)
        } else {
            None
        };
        let mut results: Vec<Option<Result<Record, RecordError>>> = vec![None; requests.len()];
        let mut ready = Vec::with_capacity(requests.len());
        for (index, request) in requests.iter().enumerate() {
            match create_entity::<E>(kind, request, income.as_deref()) {
                Ok((request_id, entity)) => ready.push(ReadyCreate {
                    index,
                    request_id,
                    entity,
                }),
                Err(e) => results[index] = Some(Err(e)),
            }
        }
        if ready.len() < MIN_BATCH_ITEMS {
            self.create_singly(kind, ready, &mut results).await?;
            return Ok(results.into_iter().flatten().collect());
        }
        // Same set of keys -> same chunks (module comment).
        ready.sort_by(|a, b| a.request_id.as_str().cmp(b.request_id.as_str()));
        for chunk in owned_chunks(ready, MAX_BATCH_ITEMS) {
            if chunk.len() < MIN_BATCH_ITEMS {
                self.create_singly(kind, chunk, &mut results).await?;
                continue;
            }
            let request_id = chunk_request_id(
                self.client.realm_id().as_str(),
                E::NAME,
                chunk.iter().map(|c| c.request_id.as_str()),
            );
            // bId = rank by key (stable across retries); items go out in request order.
            let mut keyed: Vec<(usize, String, BatchItem)> = Vec::with_capacity(chunk.len());
            for (rank, create) in chunk.iter().enumerate() {
                match BatchItem::create(&create.entity) {
                    Ok(item) => keyed.push((create.index, rank.to_string(), item)),
                    Err(e) => results[create.index] = Some(per_record(e).map(Err)?),
                }
            }
            keyed.sort_by_key(|(index, _, _)| *index);
            let (indexes, items): (Vec<usize>, Vec<(String, BatchItem)>) = keyed
                .into_iter()
                .map(|(index, bid, item)| (index, (bid, item)))
                .unzip();
            let answers = self
                .client
                .batch_request(&items, &request_id)
                .await
                .map_err(gateway_error)?;
            for (index, answer) in indexes.into_iter().zip(answers) {
                let entity = self.item_outcome(answer.and_then(|v| v.entity::<E>()))?;
                results[index] = Some(match entity {
                    Ok(entity) => Ok(self.to_record(kind, &entity)?),
                    Err(e) => Err(e),
                });
            }
        }
        Ok(results.into_iter().flatten().collect())
    }

    /// Single creates (`requestid` = the idempotency key), up to 10 at once, in the given order.
    async fn create_singly<E: Entity>(
        &self,
        kind: ObjectKind,
        creates: Vec<ReadyCreate<E>>,
        results: &mut [Option<Result<Record, RecordError>>],
    ) -> Result<(), GatewayError> {
        let answers = futures::stream::iter(creates.into_iter().map(|c| async move {
            let result = self.client.create(&c.entity, &c.request_id).await;
            (c.index, self.record_result(kind, result))
        }))
        .buffered(MAX_IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
        for (index, answer) in answers {
            results[index] = Some(answer?);
        }
        Ok(())
    }

    pub(super) async fn update_as<E: Entity>(
        &self,
        kind: ObjectKind,
        requests: Vec<UpdateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        let patches: Vec<Result<E, RecordError>> =
            requests.iter().map(|r| update_patch(kind, r)).collect();
        self.write_chunked(
            patches,
            |patch| BatchItem::sparse_update(patch),
            |patch: E| async move { self.record_result(kind, self.client.sparse_update(&patch).await) },
            |answer| match self.item_outcome(answer.and_then(|v| v.entity::<E>()))? {
                Ok(entity) => Ok(Ok(self.to_record(kind, &entity)?)),
                Err(e) => Ok(Err(e)),
            },
        )
        .await
    }

    pub(super) async fn deactivate_as<E: NameListEntity>(
        &self,
        requests: Vec<DeactivateRequest>,
    ) -> Result<Vec<Result<(), RecordError>>, GatewayError> {
        self.write_chunked(
            requests.into_iter().map(Ok).collect(),
            |r: &DeactivateRequest| Ok(BatchItem::deactivate::<E>(&r.id, &r.expected_version)),
            |r: DeactivateRequest| async move {
                match self
                    .client
                    .deactivate::<E>(&r.id, &r.expected_version)
                    .await
                {
                    Ok(_) => Ok(Ok(())),
                    Err(e) => per_record(e).map(Err),
                }
            },
            |answer| {
                Ok(self
                    .item_outcome(answer.and_then(|v| v.entity::<E>()))?
                    .map(|_| ()))
            },
        )
        .await
    }

    /// Versioned writes (updates, deactivations) in request order: chunks of 30 of at least
    /// `MIN_BATCH_ITEMS` go as one batch request (`requestid` from the chunk's content,
    /// `QboClient::batch`), smaller calls and tails as single calls, 10 at once. Results keep
    /// the order of `writes`; writes that failed before sending keep their error.
    async fn write_chunked<W, T, Fut>(
        &self,
        writes: Vec<Result<W, RecordError>>,
        to_item: impl Fn(&W) -> Result<BatchItem, QboError>,
        single: impl Fn(W) -> Fut,
        from_answer: impl Fn(BatchItemResult) -> Outcome<T>,
    ) -> Result<Vec<Result<T, RecordError>>, GatewayError>
    where
        Fut: std::future::Future<Output = Outcome<T>>,
    {
        let mut results: Vec<Option<Result<T, RecordError>>> =
            writes.iter().map(|_| None).collect();
        let mut ready: Vec<(usize, W)> = Vec::with_capacity(writes.len());
        for (index, write) in writes.into_iter().enumerate() {
            match write {
                Ok(write) => ready.push((index, write)),
                Err(e) => results[index] = Some(Err(e)),
            }
        }
        let chunk_len = if ready.len() < MIN_BATCH_ITEMS {
            ready.len().max(1)
        } else {
            MAX_BATCH_ITEMS
        };
        for chunk in owned_chunks(ready, chunk_len) {
            if chunk.len() < MIN_BATCH_ITEMS {
                let answers = futures::stream::iter(chunk.into_iter().map(|(index, write)| {
                    let answer = single(write);
                    async move { (index, answer.await) }
                }))
                .buffered(MAX_IN_FLIGHT)
                .collect::<Vec<_>>()
                .await;
                for (index, answer) in answers {
                    results[index] = Some(answer?);
                }
                continue;
            }
            let mut indexes = Vec::with_capacity(chunk.len());
            let mut items = Vec::with_capacity(chunk.len());
            for (index, write) in &chunk {
                match to_item(write) {
                    Ok(item) => {
                        indexes.push(*index);
                        items.push(item);
                    }
                    Err(e) => results[*index] = Some(Err(invalid(e.to_string()))),
                }
            }
            let answers = self.client.batch(&items).await.map_err(gateway_error)?;
            if answers.len() != indexes.len() {
                return Err(GatewayError::Other {
                    message: "QuickBooks batch answered a different number of items than were sent"
                        .into(),
                });
            }
            for (index, answer) in indexes.into_iter().zip(answers) {
                results[index] = Some(from_answer(answer)?);
            }
        }
        Ok(results.into_iter().flatten().collect())
    }

    /// One batch item's answer. Faults `per_record` would make whole-call failures (throttle,
    /// server error, undecodable item) stay with their record here, retryable: the other items
    /// were answered and may have been written, and a retry of the same chunk would replay this
    /// very answer (same `requestid`); the engine retries the failed records alone, under a new
    /// chunk id, and those were not executed (items fail on their own, §8). A throttled item
    /// also pauses the batch endpoint, as a 429 on the batch would (§9: "treat 3001 inside
    /// `BatchItemResponse[].Fault` as throttling"). Authentication stays a whole-call failure.
    fn item_outcome<T>(&self, answer: Result<T, QboError>) -> Outcome<T> {
        let error = match answer {
            Ok(value) => return Ok(Ok(value)),
            Err(error) => error,
        };
        let code = error.code().map(str::to_string);
        let message = error.to_string();
        match per_record(error) {
            Ok(record_error) => Ok(Err(record_error)),
            Err(GatewayError::Unauthorized { message }) => {
                Err(GatewayError::Unauthorized { message })
            }
            Err(call_error) => {
                if let GatewayError::Throttled { wait } = &call_error {
                    // Inside a batch answer: the batch endpoint's throttle (§9, §8).
                    self.client.throttled(ThrottleScope::Batch, *wait);
                }
                let mut record_error =
                    RecordError::new(RecordErrorKind::Other, message).retryable(true);
                if let Some(code) = code {
                    record_error = record_error.with_code(code);
                }
                Ok(Err(record_error))
            }
        }
    }
}

/// `items` in owned runs of `len` (the last may be shorter).
fn owned_chunks<T>(items: Vec<T>, len: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::with_capacity(items.len().div_ceil(len));
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(len).collect());
    }
    chunks
}

/// The `requestid` of a batch chunk of creates: the same realm, entity and set of idempotency
/// keys always give the same id (a UUIDv5, 36 chars: fits the batch limit, §1).
fn chunk_request_id<'a>(
    realm: &str,
    entity: &str,
    keys: impl Iterator<Item = &'a str>,
) -> RequestId {
    let mut keys: Vec<&str> = keys.collect();
    keys.sort_unstable();
    let mut parts = vec![realm, "batch-create", entity];
    parts.extend(keys);
    RequestId::from_key(&parts)
}

/// The entity a create request writes, with its `requestid` (the idempotency key); kinds with a
/// default type (items: `Type=Service`) and an income account reference get them unless the
/// request carries its own.
fn create_entity<E: Entity>(
    kind: ObjectKind,
    request: &CreateRequest,
    income: Option<&str>,
) -> Result<(RequestId, E), RecordError> {
    let request_id =
        RequestId::new(request.idempotency_key.clone()).map_err(|e| invalid(e.to_string()))?;
    let mut body = write_body(kind, &request.values)?;
    let facts = &descriptor(kind).qbo;
    if let Some(default_type) = facts.default_type {
        body.entry("Type")
            .or_insert_with(|| Value::from(default_type));
    }
    if let Some(member) = facts.income_account_ref
        && let Some(income) =
            income.filter(|_| !has_text(&request.values, &format!("{member}.value")))
    {
        let mut reference = Map::new();
        reference.insert("value".into(), Value::from(income));
        body.insert(member.into(), Value::Object(reference));
    }
    let entity = serde_json::from_value(Value::Object(body))
        .map_err(|e| invalid(format!("values do not fit {}: {e}", E::NAME)))?;
    Ok((request_id, entity))
}

/// The sparse patch an update request writes: its values plus `Id` and `SyncToken`.
fn update_patch<E: Entity>(kind: ObjectKind, request: &UpdateRequest) -> Result<E, RecordError> {
    let mut body = write_body(kind, &request.values)?;
    body.insert("Id".into(), Value::from(request.id.clone()));
    body.insert(
        "SyncToken".into(),
        Value::from(request.expected_version.clone()),
    );
    serde_json::from_value(Value::Object(body))
        .map_err(|e| invalid(format!("values do not fit {}: {e}", E::NAME)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_id_depends_on_the_set_of_keys_not_their_order() {
        let id = chunk_request_id("1", "Customer", ["a", "b", "c"].into_iter());
        assert_eq!(
            id,
            chunk_request_id("1", "Customer", ["c", "a", "b"].into_iter())
        );
        assert!(id.fits_batch());
        assert_ne!(
            id,
            chunk_request_id("1", "Customer", ["a", "b"].into_iter())
        );
        assert_ne!(
            id,
            chunk_request_id("2", "Customer", ["a", "b", "c"].into_iter())
        );
        assert_ne!(
            id,
            chunk_request_id("1", "Item", ["a", "b", "c"].into_iter())
        );
    }
}

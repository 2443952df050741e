//! Natural-key claims (`KEY#{key}`, invariant 2): a conditional put takes a free or expired key;
//! the failed condition returns the holder (ALL_OLD), and our own claim is extended in place.

use std::time::Duration;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{Item, backend, get_opt_s, get_s, get_time, keyed, n, s, time};
use super::keys::{self, PK};
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{Claim, ClaimOutcome, Claims, RecordRef, StoreError};

const KEY: &str = "claim_key";
const OWNER_SIDE: &str = "owner_side";
const OWNER_ID: &str = "owner_id";
const CREATED_ID: &str = "created_id";
const CLAIMED_AT: &str = "claimed_at";
const CLAIM_EXPIRES_AT: &str = "claim_expires_at";
const CLAIM_EXPIRES_MS: &str = "claim_expires_ms";

/// Condition "the claim is `owner`'s".
const OWNED_BY: &str = "#side = :side AND #owner = :owner";

/// How often a claim is retried when it changes hands between our two calls.
const CLAIM_ATTEMPTS: usize = 3;

#[async_trait]
impl Claims for DynamoStore {
    async fn claim_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        let pk = keys::kind_pk(connection, kind);
        let sk = keys::claim_sk(key);
        for _ in 0..CLAIM_ATTEMPTS {
            let claim = Claim {
                key: key.to_owned(),
                owner: owner.clone(),
                created_id: None,
                claimed_at: now,
                expires_at,
            };
            let put = self
                .client
                .put_item()
                .table_name(self.table.as_ref())
                .set_item(Some(claim_item(&pk, &claim)))
                // Free, or another owner's claim that has expired.
                .condition_expression(format!(
                    "attribute_not_exists(#pk) OR (#exp <= :now AND NOT ({OWNED_BY}))"
                ))
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#exp", CLAIM_EXPIRES_MS)
                .expression_attribute_names("#side", OWNER_SIDE)
                .expression_attribute_names("#owner", OWNER_ID)
                .expression_attribute_values(":now", n(now.timestamp_millis()))
                .expression_attribute_values(":side", s(owner.side.as_str()))
                .expression_attribute_values(":owner", s(&owner.id))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let held = match put {
                Ok(_) => return Ok(ClaimOutcome::Claimed),
                Err(err) => match err.into_service_error() {
                    PutItemError::ConditionalCheckFailedException(failed) => match failed.item {
                        Some(item) => Some(item),
                        None => self.get_item(&pk, &sk).await?,
                    },
                    other => return Err(backend("PutItem", other)),
                },
            };
            let Some(held) = held else {
                continue; // released meanwhile: try again
            };
            let holder = claim_from_item(&held)?;
            if holder.owner != *owner {
                return Ok(ClaimOutcome::HeldBy(holder));
            }
            if let Some(extended) = self.extend_claim(&pk, &sk, owner, expires_at).await? {
                return Ok(ClaimOutcome::AlreadyOwned(extended));
            }
        }
        Err(StoreError::Backend(format!(
            "claim of {key:?} kept changing hands; gave up after {CLAIM_ATTEMPTS} attempts"
        )))
    }

    async fn note_created(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        created_id: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keyed(
                keys::kind_pk(connection, kind),
                keys::claim_sk(key),
            )))
            .update_expression("SET #created = :created")
            .condition_expression(OWNED_BY)
            .expression_attribute_names("#created", CREATED_ID)
            .expression_attribute_names("#side", OWNER_SIDE)
            .expression_attribute_names("#owner", OWNER_ID)
            .expression_attribute_values(":created", s(created_id))
            .expression_attribute_values(":side", s(owner.side.as_str()))
            .expression_attribute_values(":owner", s(&owner.id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(backend("UpdateItem", other)),
            },
        }
    }

    async fn release_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keyed(
                keys::kind_pk(connection, kind),
                keys::claim_sk(key),
            )))
            .condition_expression(OWNED_BY)
            .expression_attribute_names("#side", OWNER_SIDE)
            .expression_attribute_names("#owner", OWNER_ID)
            .expression_attribute_values(":side", s(owner.side.as_str()))
            .expression_attribute_values(":owner", s(&owner.id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                DeleteItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(backend("DeleteItem", other)),
            },
        }
    }
}

impl DynamoStore {
    /// Extends `owner`'s claim; `None` if it is no longer theirs.
    async fn extend_claim(
        &self,
        pk: &str,
        sk: &str,
        owner: &RecordRef,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<Claim>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keyed(pk, sk)))
            .update_expression("SET #exp = :exp, #expat = :expat")
            .condition_expression(OWNED_BY)
            .expression_attribute_names("#exp", CLAIM_EXPIRES_MS)
            .expression_attribute_names("#expat", CLAIM_EXPIRES_AT)
            .expression_attribute_names("#side", OWNER_SIDE)
            .expression_attribute_names("#owner", OWNER_ID)
            .expression_attribute_values(":exp", n(expires_at.timestamp_millis()))
            .expression_attribute_values(":expat", time(expires_at))
            .expression_attribute_values(":side", s(owner.side.as_str()))
            .expression_attribute_values(":owner", s(&owner.id))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => match out.attributes {
                Some(item) => claim_from_item(&item).map(Some),
                None => Err(StoreError::Backend(
                    "DynamoDB UpdateItem returned no attributes for ALL_NEW".into(),
                )),
            },
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(None),
                other => Err(backend("UpdateItem", other)),
            },
        }
    }
}

fn claim_item(pk: &str, claim: &Claim) -> Item {
    let mut item = keyed(pk, keys::claim_sk(&claim.key));
    item.insert(KEY.into(), s(&claim.key));
    item.insert(OWNER_SIDE.into(), s(claim.owner.side.as_str()));
    item.insert(OWNER_ID.into(), s(&claim.owner.id));
    if let Some(created) = &claim.created_id {
        item.insert(CREATED_ID.into(), s(created));
    }
    item.insert(CLAIMED_AT.into(), time(claim.claimed_at));
    item.insert(CLAIM_EXPIRES_AT.into(), time(claim.expires_at));
    item.insert(
        CLAIM_EXPIRES_MS.into(),
        n(claim.expires_at.timestamp_millis()),
    );
    item
}

fn claim_from_item(item: &Item) -> Result<Claim, StoreError> {
    let side: Side = get_s(item, OWNER_SIDE)?
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("claim owner side: {e}")))?;
    Ok(Claim {
        key: get_s(item, KEY)?.to_owned(),
        owner: RecordRef::new(side, get_s(item, OWNER_ID)?),
        created_id: get_opt_s(item, CREATED_ID).map(str::to_owned),
        claimed_at: get_time(item, CLAIMED_AT)?,
        expires_at: get_time(item, CLAIM_EXPIRES_AT)?,
    })
}

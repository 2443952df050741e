//! Pending creates (`PENDING#{side}#{id}` in the kind's partition): one item per source record,
//! the intent as JSON, with the table's TTL set to its expiry so DynamoDB drops old ones.

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{get_json, json, keyed, n};
use super::keys::{self, EXPIRES_AT};
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{PendingCreate, PendingCreates, RecordRef, StoreError};

const BODY: &str = "pending_create";

#[async_trait]
impl PendingCreates for DynamoStore {
    async fn put_pending_create(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        pending: &PendingCreate,
    ) -> Result<(), StoreError> {
        let mut item = keyed(
            keys::kind_pk(connection, kind),
            keys::pending_create_sk(pending.source.side, &pending.source.id),
        );
        item.insert(BODY.into(), json(pending)?);
        item.insert(EXPIRES_AT.into(), n(pending.expires_at.timestamp()));
        self.put_plain_item(item).await
    }

    async fn pending_creates(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<PendingCreate>, StoreError> {
        self.query_prefix(
            &keys::kind_pk(connection, kind),
            keys::PENDING_CREATE_PREFIX,
            false,
            None,
        )
        .await?
        .iter()
        .map(|item| get_json(item, BODY))
        .collect()
    }

    async fn clear_pending_create(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        source: &RecordRef,
    ) -> Result<(), StoreError> {
        self.batch_delete(vec![keyed(
            keys::kind_pk(connection, kind),
            keys::pending_create_sk(source.side, &source.id),
        )])
        .await
    }
}

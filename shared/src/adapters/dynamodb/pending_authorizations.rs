//! OAuth authorizations in progress on DynamoDB (`OAUTH#{state hash}` / `META`): taking one
//! is a single DeleteItem returning the old item, so of two racing callbacks one gets it.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::DynamoStore;
use super::item::{backend, get_json, json, keyed, n};
use super::keys::{self, EXPIRES_AT};
use crate::ports::{PendingAuthorization, PendingAuthorizations, StoreError};

const PENDING: &str = "pending";
/// An expired authorization stays this long past its expiry (seconds) so its callback can
/// still be told "expired" rather than "unknown"; then DynamoDB's TTL removes it.
const KEEP_EXPIRED: i64 = 24 * 3600;

#[async_trait]
impl PendingAuthorizations for DynamoStore {
    async fn put_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        let mut item = keyed(keys::pending_pk(&pending.state_hash), keys::META);
        item.insert(PENDING.into(), json(pending)?);
        item.insert(
            EXPIRES_AT.into(),
            n(pending.expires_at.timestamp().saturating_add(KEEP_EXPIRED)),
        );
        self.put_plain_item(item).await
    }

    async fn take_pending(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keyed(keys::pending_pk(state_hash), keys::META)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| backend("DeleteItem", e))?;
        out.attributes
            .filter(|old| !old.is_empty())
            .map(|old| get_json(&old, PENDING))
            .transpose()
    }
}

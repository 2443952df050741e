//! Leases (`LEASE#{name}` under `CONN#{c}`): a conditional put takes a free, expired or own
//! lease; expiry is compared in milliseconds, and the TTL attribute only cleans up later.

use std::time::Duration;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use chrono::{DateTime, Utc};

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{backend, keyed, n, s, time};
use super::keys::{self, EXPIRES_AT, PK};
use crate::model::ConnectionId;
use crate::ports::{Lease, Leases, StoreError};

const HOLDER: &str = "holder";
const LEASE_EXPIRES_AT: &str = "lease_expires_at";
const LEASE_EXPIRES_MS: &str = "lease_expires_ms";
/// Expired lease items linger this long before DynamoDB's TTL may remove them.
const CLEANUP_AFTER: i64 = 24 * 3600;

#[async_trait]
impl Leases for DynamoStore {
    async fn acquire_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Lease>, StoreError> {
        let lease = Lease {
            name: name.to_owned(),
            holder: holder.to_owned(),
            expires_at: now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX),
        };
        let mut item = keyed(keys::connection_pk(connection), keys::lease_sk(name));
        item.insert(HOLDER.into(), s(holder));
        item.insert(LEASE_EXPIRES_AT.into(), time(lease.expires_at));
        item.insert(
            LEASE_EXPIRES_MS.into(),
            n(lease.expires_at.timestamp_millis()),
        );
        item.insert(
            EXPIRES_AT.into(),
            n(lease.expires_at.timestamp().saturating_add(CLEANUP_AFTER)),
        );
        let result = self
            .client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #holder = :holder OR #exp <= :now")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#exp", LEASE_EXPIRES_MS)
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(lease)),
            Err(err) => match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => Ok(None),
                other => Err(backend("PutItem", other)),
            },
        }
    }

    async fn release_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keyed(
                keys::connection_pk(connection),
                keys::lease_sk(name),
            )))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":holder", s(holder))
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

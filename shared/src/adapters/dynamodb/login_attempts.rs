//! Failed sign-in windows on DynamoDB (`LOGIN#{source}` / `META`): an atomic counter bumped
//! only while the window is open, a conditional put opening a new one; TTL removes old windows.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Duration, Utc};

use super::DynamoStore;
use super::item::{backend, get_n, keyed, n};
use super::keys::{self, EXPIRES_AT, PK};
use crate::ports::{LoginAttempts, StoreError};

const COUNT: &str = "failures";
/// When the window closes, epoch milliseconds (compared in conditions).
const WINDOW_ENDS_MS: &str = "window_ends_ms";
/// Rounds of "increment failed, open failed" before giving up (only concurrent sign-ins at a
/// window's edge get past the first).
const ATTEMPTS: usize = 4;

#[async_trait]
impl LoginAttempts for DynamoStore {
    async fn record_failed_login(
        &self,
        source: &str,
        at: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let pk = keys::login_pk(source);
        let now_ms = at.timestamp_millis();
        for _ in 0..ATTEMPTS {
            // Count into the open window...
            let bumped = self
                .client
                .update_item()
                .table_name(self.table.as_ref())
                .set_key(Some(keyed(&pk, keys::META)))
                .update_expression("ADD #count :one")
                .condition_expression("#ends > :now")
                .expression_attribute_names("#count", COUNT)
                .expression_attribute_names("#ends", WINDOW_ENDS_MS)
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", n(now_ms))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match bumped {
                Ok(out) => {
                    let attributes = out.attributes.unwrap_or_default();
                    return get_n(&attributes, COUNT);
                }
                Err(err) => match err.into_service_error() {
                    UpdateItemError::ConditionalCheckFailedException(_) => {}
                    other => return Err(backend("UpdateItem", other)),
                },
            }
            // ...or, when none is open, open one with this failure, unless another sign-in
            // just did (then count into that one).
            let ends = at + window;
            let mut item = keyed(&pk, keys::META);
            item.insert(COUNT.into(), n(1));
            item.insert(WINDOW_ENDS_MS.into(), n(ends.timestamp_millis()));
            item.insert(EXPIRES_AT.into(), n(ends.timestamp().saturating_add(3600)));
            let opened = self
                .client
                .put_item()
                .table_name(self.table.as_ref())
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk) OR #ends <= :now")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#ends", WINDOW_ENDS_MS)
                .expression_attribute_values(":now", n(now_ms))
                .send()
                .await;
            match opened {
                Ok(_) => return Ok(1),
                Err(err) => match err.into_service_error() {
                    PutItemError::ConditionalCheckFailedException(_) => continue,
                    other => return Err(backend("PutItem", other)),
                },
            }
        }
        Err(StoreError::Backend(format!(
            "failed sign-ins of {source} kept changing; gave up after {ATTEMPTS} attempts"
        )))
    }

    async fn failed_logins(
        &self,
        source: &str,
        at: DateTime<Utc>,
        _window: Duration,
    ) -> Result<u32, StoreError> {
        let Some(item) = self.get_item(&keys::login_pk(source), keys::META).await? else {
            return Ok(0);
        };
        let ends: i64 = get_n(&item, WINDOW_ENDS_MS)?;
        if at.timestamp_millis() < ends {
            get_n(&item, COUNT)
        } else {
            Ok(0)
        }
    }

    async fn clear_failed_logins(&self, source: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keyed(keys::login_pk(source), keys::META)))
            .send()
            .await
            .map_err(|e| backend("DeleteItem", e))?;
        Ok(())
    }
}

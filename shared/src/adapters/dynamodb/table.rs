//! Creating the single table when absent (`hqsync dev --aws-endpoint`, tests): `pk`/`sk`
//! strings, on-demand billing, TTL on `expires_at` — the same shape template.yaml declares.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification,
};

use super::item::backend;
use super::keys::{EXPIRES_AT, PK, SK};
use crate::ports::StoreError;

/// How long to wait for a new table to become ACTIVE (moto: at once; AWS: seconds).
const ACTIVE_WAIT: Duration = Duration::from_secs(60);

/// Creates `table` unless it exists, enables TTL, and waits until it is ACTIVE.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(|e| backend("CreateTable", e))
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| backend("CreateTable", e))
    };
    let created = client
        .create_table()
        .table_name(table)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .attribute_definitions(attribute(PK)?)
        .attribute_definitions(attribute(SK)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    let is_new = match created {
        Ok(_) => true,
        Err(err) => match err.into_service_error() {
            CreateTableError::ResourceInUseException(_) => false,
            other => return Err(backend("CreateTable", other)),
        },
    };
    wait_until_active(client, table).await?;
    if is_new {
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(EXPIRES_AT)
            .enabled(true)
            .build()
            .map_err(|e| backend("UpdateTimeToLive", e))?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| backend("UpdateTimeToLive", e))?;
    }
    Ok(())
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + ACTIVE_WAIT;
    loop {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| backend("DescribeTable", e))?;
        let status = described.table.and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::Backend(format!(
                "table {table} not ACTIVE after {ACTIVE_WAIT:?} (status {status:?})"
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

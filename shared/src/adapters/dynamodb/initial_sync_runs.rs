//! The latest initial sync run (`INITIAL_SYNC` under `CONN#{c}`): id, start, kinds and error as
//! plain attributes, one number per kind and counter (`contact#queued`) bumped by `ADD`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use super::DynamoStore;
use super::item::{backend, get_json, get_opt_s, get_s, get_time, json, keyed, n, s, time};
use super::keys::{self, PK};
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{InitialSyncRun, InitialSyncRuns, RunCounts, StoreError};

const RUN_ID: &str = "run_id";
const STARTED_AT: &str = "started_at";
const KINDS: &str = "kinds";
const ERROR: &str = "error";

/// The attribute of one counter of one kind.
fn counter(kind: ObjectKind, name: &str) -> String {
    format!("{kind}#{name}")
}

#[async_trait]
impl InitialSyncRuns for DynamoStore {
    async fn get_initial_sync(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<InitialSyncRun>, StoreError> {
        let Some(item) = self
            .get_item(&keys::connection_pk(connection), keys::INITIAL_SYNC)
            .await?
        else {
            return Ok(None);
        };
        let names: Vec<ObjectKind> = get_json(&item, KINDS)?;
        let mut kinds = BTreeMap::new();
        for kind in names {
            let mut counts = RunCounts::default();
            for (name, _) in RunCounts::default().named() {
                if let Some(value) = item.get(&counter(kind, name)).and_then(|v| v.as_n().ok()) {
                    let value = value.parse().map_err(|_| {
                        StoreError::Corrupt(format!(
                            "initial sync counter {kind}#{name}: {value:?}"
                        ))
                    })?;
                    counts.set_named(name, value);
                }
            }
            kinds.insert(kind, counts);
        }
        Ok(Some(InitialSyncRun {
            id: get_s(&item, RUN_ID)?.to_owned(),
            started_at: get_time(&item, STARTED_AT)?,
            kinds,
            error: get_opt_s(&item, ERROR).map(str::to_owned),
        }))
    }

    async fn replace_initial_sync(
        &self,
        connection: &ConnectionId,
        run: &InitialSyncRun,
        replacing: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut item = keyed(keys::connection_pk(connection), keys::INITIAL_SYNC);
        item.insert(RUN_ID.into(), s(&run.id));
        item.insert(STARTED_AT.into(), time(run.started_at));
        let kinds: Vec<ObjectKind> = run.kinds.keys().copied().collect();
        item.insert(KINDS.into(), json(&kinds)?);
        if let Some(error) = &run.error {
            item.insert(ERROR.into(), s(error));
        }
        for (kind, counts) in &run.kinds {
            for (name, value) in counts.named() {
                item.insert(counter(*kind, name), n(value));
            }
        }
        let put = self
            .client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(item));
        let put = match replacing {
            None => put
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK),
            Some(previous) => put
                .condition_expression("#run = :previous")
                .expression_attribute_names("#run", RUN_ID)
                .expression_attribute_values(":previous", s(previous)),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(backend("PutItem", other)),
            },
        }
    }

    async fn count_initial_sync(
        &self,
        connection: &ConnectionId,
        run_id: &str,
        kind: ObjectKind,
        delta: &RunCounts,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        if delta.is_zero() && error.is_none() {
            return Ok(());
        }
        let mut update = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keyed(
                keys::connection_pk(connection),
                keys::INITIAL_SYNC,
            )))
            .condition_expression("#run = :run")
            .expression_attribute_names("#run", RUN_ID)
            .expression_attribute_values(":run", s(run_id));
        let mut adds = Vec::new();
        for (i, (name, value)) in delta.named().into_iter().enumerate() {
            if value == 0 {
                continue;
            }
            adds.push(format!("#c{i} :c{i}"));
            update = update
                .expression_attribute_names(format!("#c{i}"), counter(kind, name))
                .expression_attribute_values(format!(":c{i}"), n(value));
        }
        let mut expression = String::new();
        if !adds.is_empty() {
            expression.push_str(&format!("ADD {}", adds.join(", ")));
        }
        if let Some(error) = error {
            expression.push_str(" SET #error = :error");
            update = update
                .expression_attribute_names("#error", ERROR)
                .expression_attribute_values(":error", s(error));
        }
        match update
            .update_expression(expression.trim_start())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                // Another run replaced this one: its jobs no longer count.
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(backend("UpdateItem", other)),
            },
        }
    }
}

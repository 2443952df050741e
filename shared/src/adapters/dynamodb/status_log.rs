//! Per-record sync status (`STATUS#{side}#{id}`) and the sync log (`CONN#{c}#LOG#{day}`
//! partitions with TTL, plus a `LOGDAY#` index so reading the newest entries never depends on
//! the wall clock).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::DynamoStore;
use super::item::{get_json, get_s, json, keyed, n, s, time};
use super::keys::{self, EXPIRES_AT};
use super::{LOG_RETENTION, STATUS_RETENTION};
use crate::model::kinds::QboOnlyForm;
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{StatusLog, StoreError, SyncLogEntry, SyncOutcome, SyncStatus};

const STATUS: &str = "status";
const OUTCOME: &str = "outcome";
const UPDATED_AT: &str = "updated_at";
const ENTRY: &str = "entry";
const DAY: &str = "day";
/// Sort-key prefix of the per-connection index of days that have log entries.
const LOG_DAY_PREFIX: &str = "LOGDAY#";

#[async_trait]
impl StatusLog for DynamoStore {
    async fn get_status(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<SyncStatus>, StoreError> {
        self.get_item(&keys::kind_pk(connection, kind), &keys::status_sk(side, id))
            .await?
            .map(|item| get_json(&item, STATUS))
            .transpose()
    }

    async fn put_status(
        &self,
        connection: &ConnectionId,
        status: &SyncStatus,
    ) -> Result<(), StoreError> {
        let mut item = keyed(
            keys::kind_pk(connection, status.kind),
            keys::status_sk(status.side, &status.id),
        );
        item.insert(STATUS.into(), json(status)?);
        // Plain attributes too, for reading the table by hand.
        item.insert(OUTCOME.into(), s(status.outcome.label()));
        item.insert(UPDATED_AT.into(), time(status.updated_at));
        // Statuses of records that are fine expire after a while (a record that changes gets
        // a new status anyway); failures and conflicts stay until they are resolved, and so
        // do the statuses that remember something (an estimate's deal, model/kinds/forms.rs).
        if matches!(
            status.outcome,
            SyncOutcome::Synced { .. } | SyncOutcome::Excluded { .. }
        ) && !QboOnlyForm::status_kept(&status.id)
        {
            item.insert(
                EXPIRES_AT.into(),
                n(self.expiry(status.updated_at, STATUS_RETENTION)),
            );
        }
        self.put_plain_item(item).await
    }

    async fn list_statuses(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<SyncStatus>, StoreError> {
        self.query_prefix(
            &keys::kind_pk(connection, kind),
            keys::STATUS_PREFIX,
            false,
            None,
        )
        .await?
        .iter()
        .map(|item| get_json(item, STATUS))
        .collect()
    }

    async fn append_log(
        &self,
        connection: &ConnectionId,
        entries: &[SyncLogEntry],
    ) -> Result<(), StoreError> {
        self.store_log(connection, entries).await?;
        if let Some(metrics) = &self.metrics {
            metrics.record_log(entries);
        }
        Ok(())
    }

    async fn recent_log(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError> {
        let mut entries = Vec::new();
        if limit == 0 {
            return Ok(entries);
        }
        let days = self
            .query_prefix(&keys::connection_pk(connection), LOG_DAY_PREFIX, true, None)
            .await?;
        for day in days {
            let day: NaiveDate = get_s(&day, DAY)?
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("log day index: {e}")))?;
            let Some(midnight) = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()) else {
                continue;
            };
            let left = limit - entries.len();
            let items = self
                .query_prefix(&keys::log_pk(connection, midnight), "", true, Some(left))
                .await?;
            for item in items {
                entries.push(get_json(&item, ENTRY)?);
            }
            if entries.len() >= limit {
                break;
            }
        }
        Ok(entries)
    }
}

impl DynamoStore {
    async fn store_log(
        &self,
        connection: &ConnectionId,
        entries: &[SyncLogEntry],
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut items = Vec::with_capacity(entries.len() + 1);
        let mut days = BTreeSet::new();
        for (index, entry) in entries.iter().enumerate() {
            let mut item = keyed(
                keys::log_pk(connection, entry.at),
                keys::log_sk(entry.at, entry.kind, entry.side, &entry.id, index),
            );
            item.insert(ENTRY.into(), json(entry)?);
            item.insert(EXPIRES_AT.into(), n(self.log_expiry(entry.at)));
            items.push(item);
            days.insert(entry.at.date_naive());
        }
        for day in days {
            let mut item = keyed(
                keys::connection_pk(connection),
                format!("{LOG_DAY_PREFIX}{day}"),
            );
            item.insert(DAY.into(), s(day.to_string()));
            let end_of_day = day
                .and_hms_opt(23, 59, 59)
                .map(|t| t.and_utc())
                .unwrap_or_else(Utc::now);
            item.insert(EXPIRES_AT.into(), n(self.log_expiry(end_of_day)));
            items.push(item);
        }
        self.batch_put(items).await
    }

    /// Epoch seconds when a log entry written for `at` may be removed by TTL.
    fn log_expiry(&self, at: DateTime<Utc>) -> i64 {
        self.expiry(at, LOG_RETENTION)
    }

    /// Epoch seconds `retention` after the later of `at` and the store clock, so back-dated
    /// items are not deleted on arrival.
    fn expiry(&self, at: DateTime<Utc>, retention: std::time::Duration) -> i64 {
        let base = at.max(self.clock.now());
        let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        (base + retention).timestamp()
    }
}

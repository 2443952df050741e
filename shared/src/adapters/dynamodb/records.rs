//! Cursors (`CURSOR#{side}#{kind}`), per-record sync status (`STATUS#{side}#{id}`) and the sync
//! log (`CONN#{c}#LOG#{day}` partitions with TTL, plus a `LOGDAY#` index so reading the newest
//! entries never depends on the wall clock), and `forget_kind`.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::DynamoLinkStore;
use super::item::{Item, get_json, get_opt_time, get_s, get_time, json, keyed, n, s, time};
use super::keys::{self, EXPIRES_AT, PK, SK};
use super::{LOG_RETENTION, STATUS_RETENTION};
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{Cursor, StoreError, SyncLogEntry, SyncOutcome, SyncStatus};

const WATERMARK: &str = "watermark";
const LAST_FULL_SWEEP: &str = "last_full_sweep";
const STATUS: &str = "status";
const OUTCOME: &str = "outcome";
const UPDATED_AT: &str = "updated_at";
const ENTRY: &str = "entry";
const DAY: &str = "day";
/// Sort-key prefix of the per-connection index of days that have log entries.
const LOG_DAY_PREFIX: &str = "LOGDAY#";

impl DynamoLinkStore {
    pub(super) async fn cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
    ) -> Result<Option<Cursor>, StoreError> {
        let item = self
            .get_item(
                &keys::connection_pk(connection),
                &keys::cursor_sk(side, kind),
            )
            .await?;
        item.map(|item| {
            Ok(Cursor {
                watermark: get_time(&item, WATERMARK)?,
                last_full_sweep: get_opt_time(&item, LAST_FULL_SWEEP)?,
            })
        })
        .transpose()
    }

    pub(super) async fn store_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
        cursor: &Cursor,
    ) -> Result<(), StoreError> {
        let mut item = keyed(keys::connection_pk(connection), keys::cursor_sk(side, kind));
        item.insert(WATERMARK.into(), time(cursor.watermark));
        if let Some(sweep) = cursor.last_full_sweep {
            item.insert(LAST_FULL_SWEEP.into(), time(sweep));
        }
        self.put_plain_item(item).await
    }

    pub(super) async fn status(
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

    pub(super) async fn store_status(
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
        // a new status anyway); failures and conflicts stay until they are resolved.
        if matches!(
            status.outcome,
            SyncOutcome::Synced { .. } | SyncOutcome::Excluded { .. }
        ) {
            item.insert(
                EXPIRES_AT.into(),
                n(self.expiry(status.updated_at, STATUS_RETENTION)),
            );
        }
        self.put_plain_item(item).await
    }

    pub(super) async fn statuses(
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

    pub(super) async fn store_log(
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

    pub(super) async fn newest_log(
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

    pub(super) async fn forget(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<(), StoreError> {
        // Links, claims and statuses of the kind share its partition; the log stays.
        let mut doomed: Vec<Item> = self
            .query_prefix(&keys::kind_pk(connection, kind), "", false, None)
            .await?
            .into_iter()
            .map(|item| key_of(&item))
            .collect::<Result<_, _>>()?;
        for side in Side::BOTH {
            doomed.push(keyed(
                keys::connection_pk(connection),
                keys::cursor_sk(side, kind),
            ));
        }
        self.batch_delete(doomed).await
    }

    async fn put_plain_item(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| super::item::backend("PutItem", e))
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

fn key_of(item: &Item) -> Result<Item, StoreError> {
    Ok(keyed(get_s(item, PK)?, get_s(item, SK)?))
}

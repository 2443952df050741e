//! Cursors (`CURSOR#{side}#{kind}` under `CONN#{c}`): the watermark and the last full sweep as
//! plain attributes, the queued versions as one JSON attribute, overwritten as a whole.

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{get_json, get_opt_time, get_time, json, keyed, time};
use super::keys;
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{Cursor, Cursors, StoreError};

const WATERMARK: &str = "watermark";
const LAST_FULL_SWEEP: &str = "last_full_sweep";
const QUEUED: &str = "queued";

#[async_trait]
impl Cursors for DynamoStore {
    async fn get_cursor(
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
                queued: match item.contains_key(QUEUED) {
                    true => get_json(&item, QUEUED)?,
                    false => Vec::new(),
                },
            })
        })
        .transpose()
    }

    async fn put_cursor(
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
        if !cursor.queued.is_empty() {
            item.insert(QUEUED.into(), json(&cursor.queued)?);
        }
        self.put_plain_item(item).await
    }
}

//! The admin audit log on DynamoDB: one item per entry under `AUDIT`, sorted by time so the
//! newest come from one descending query; DynamoDB's TTL drops entries after `AUDIT_RETENTION`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{get_json, json, keyed, n};
use super::keys::{self, EXPIRES_AT};
use crate::ports::{AuditEntry, AuditLog, StoreError};

/// How long an audit entry is kept (a year: long enough to answer "who changed this?").
pub const AUDIT_RETENTION: Duration = Duration::from_secs(365 * 24 * 3600);

const ENTRY: &str = "entry";

/// This process's append counter: entries of one instant sort in the order this process
/// appended them; the random part keeps two processes' entries apart.
static APPENDED: AtomicU64 = AtomicU64::new(0);

#[async_trait]
impl AuditLog for DynamoStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let seq = APPENDED.fetch_add(1, Ordering::Relaxed);
        let random = uuid::Uuid::new_v4().simple().to_string();
        let unique = format!("{seq:016x}#{}", &random[..12]);
        let mut item = keyed(keys::AUDIT, keys::audit_sk(entry.at, &unique));
        item.insert(ENTRY.into(), json(entry)?);
        let expires = entry
            .at
            .timestamp()
            .saturating_add(AUDIT_RETENTION.as_secs() as i64);
        item.insert(EXPIRES_AT.into(), n(expires));
        self.put_plain_item(item).await
    }

    async fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.query_prefix(keys::AUDIT, "", true, Some(limit))
            .await?
            .iter()
            .map(|item| get_json(item, ENTRY))
            .collect()
    }
}

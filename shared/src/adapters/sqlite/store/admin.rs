//! The admin capabilities on SQLite: the audit log (bounded like the sync log), failed sign-in
//! windows (one row per source), and pending OAuth authorizations taken by `DELETE ... RETURNING`.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::ports::{
    AuditEntry, AuditLog, LoginAttempts, PendingAuthorization, PendingAuthorizations, StoreError,
};

/// Milliseconds since the epoch: windows compare as integers, so no text-order pitfalls.
fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let body = to_json(entry)?;
        let capacity = i64::try_from(self.log_capacity).unwrap_or(i64::MAX);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                tx.execute("INSERT INTO audit_log (body) VALUES (?1)", params![body])?;
                tx.execute(
                    "DELETE FROM audit_log WHERE seq <= (
                        SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
                    params![capacity],
                )?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .run(move |conn| {
                let mut stmt =
                    conn.prepare("SELECT body FROM audit_log ORDER BY seq DESC LIMIT ?1")?;
                let bodies = stmt
                    .query_map(params![limit], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                bodies.iter().map(|b| Ok(from_json(b)?)).collect()
            })
            .await
    }
}

#[async_trait]
impl LoginAttempts for SqliteStore {
    async fn record_failed_login(
        &self,
        source: &str,
        at: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let (source, at, window) = (source.to_owned(), millis(at), window.num_milliseconds());
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let open: Option<(i64, u32)> = tx
                    .query_row(
                        "SELECT window_start_ms, failures FROM failed_logins WHERE source = ?1",
                        params![source],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let (start, failures) = match open {
                    Some((start, failures)) if at < start.saturating_add(window) => {
                        (start, failures.saturating_add(1))
                    }
                    _ => (at, 1),
                };
                tx.execute(
                    "INSERT OR REPLACE INTO failed_logins (source, window_start_ms, failures)
                     VALUES (?1, ?2, ?3)",
                    params![source, start, failures],
                )?;
                tx.commit()?;
                Ok(failures)
            })
            .await
    }

    async fn failed_logins(
        &self,
        source: &str,
        at: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let (source, at, window) = (source.to_owned(), millis(at), window.num_milliseconds());
        self.db
            .run(move |conn| {
                let open: Option<(i64, u32)> = conn
                    .query_row(
                        "SELECT window_start_ms, failures FROM failed_logins WHERE source = ?1",
                        params![source],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                Ok(match open {
                    Some((start, failures)) if at < start.saturating_add(window) => failures,
                    _ => 0,
                })
            })
            .await
    }

    async fn clear_failed_logins(&self, source: &str) -> Result<(), StoreError> {
        let source = source.to_owned();
        self.db
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM failed_logins WHERE source = ?1",
                    params![source],
                )?;
                Ok(())
            })
            .await
    }
}

#[async_trait]
impl PendingAuthorizations for SqliteStore {
    async fn put_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        let (hash, body) = (pending.state_hash.clone(), to_json(pending)?);
        let expires = millis(pending.expires_at);
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR REPLACE INTO pending_authorizations (state_hash, expires_at_ms, body)
                     VALUES (?1, ?2, ?3)",
                    params![hash, expires, body],
                )?;
                Ok(())
            })
            .await
    }

    async fn take_pending(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        let hash = state_hash.to_owned();
        self.db
            .run(move |conn| {
                // One statement removes and returns the row: a second take finds nothing, even
                // from another process on the same file.
                let body: Option<String> = conn
                    .query_row(
                        "DELETE FROM pending_authorizations WHERE state_hash = ?1 RETURNING body",
                        params![hash],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(body.map(|b| from_json(&b)).transpose()?)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::sqlite::SqliteDb;

    async fn fresh(_test: &str) -> Option<SqliteStore> {
        Some(SqliteStore::new(SqliteDb::open_in_memory().expect("open")))
    }

    crate::admin_contract_tests!(fresh);

    #[tokio::test]
    async fn the_audit_log_keeps_only_the_newest_entries() {
        let store = SqliteStore::with_log_capacity(SqliteDb::open_in_memory().expect("open"), 3);
        for n in 0..5 {
            store
                .append_audit(&AuditEntry {
                    at: Utc::now(),
                    actor: "admin".into(),
                    action: format!("test.{n}"),
                    connection: None,
                    detail: String::new(),
                })
                .await
                .expect("append");
        }
        let actions: Vec<_> = store
            .recent_audit(10)
            .await
            .expect("read")
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["test.4", "test.3", "test.2"]);
    }

    #[tokio::test]
    async fn admin_state_survives_reopening_the_file() {
        let dir = std::env::temp_dir().join(format!("hqsync-admin-test-{}", uuid::Uuid::new_v4()));
        let path = SqliteDb::default_path(&dir);
        let now = Utc::now();
        let window = Duration::minutes(15);
        {
            let store = SqliteStore::new(SqliteDb::open(&path).expect("open"));
            store
                .record_failed_login("client:x", now, window)
                .await
                .expect("record");
            store
                .put_pending(&PendingAuthorization {
                    state_hash: "h".into(),
                    session_hash: "s".into(),
                    created_at: now,
                    expires_at: now + window,
                    flow: serde_json::json!({}),
                })
                .await
                .expect("put");
        }
        let store = SqliteStore::new(SqliteDb::open(&path).expect("reopen"));
        assert_eq!(
            store.failed_logins("client:x", now, window).await.unwrap(),
            1
        );
        assert!(store.take_pending("h").await.unwrap().is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

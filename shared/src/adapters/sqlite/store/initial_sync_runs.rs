//! `InitialSyncRuns` on SQLite: one row per connection holding its latest run as JSON; every
//! replace and count is one transaction, so concurrent workers never lose an increment.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{InitialSyncRun, InitialSyncRuns, RunCounts, StoreError};

fn read_run(
    conn: &rusqlite::Connection,
    connection: &str,
) -> Result<Option<InitialSyncRun>, StoreError> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM initial_sync_runs WHERE connection = ?1",
            params![connection],
            |r| r.get(0),
        )
        .optional()?;
    Ok(body.map(|b| from_json(&b)).transpose()?)
}

#[async_trait]
impl InitialSyncRuns for SqliteStore {
    async fn get_initial_sync(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<InitialSyncRun>, StoreError> {
        let c = connection.to_string();
        self.db.run(move |conn| read_run(conn, &c)).await
    }

    async fn replace_initial_sync(
        &self,
        connection: &ConnectionId,
        run: &InitialSyncRun,
        replacing: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (c, body, id) = (connection.to_string(), to_json(run)?, run.id.clone());
        let replacing = replacing.map(str::to_owned);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let current: Option<String> = tx
                    .query_row(
                        "SELECT run_id FROM initial_sync_runs WHERE connection = ?1",
                        params![c],
                        |r| r.get(0),
                    )
                    .optional()?;
                if current != replacing {
                    return Ok(false);
                }
                tx.execute(
                    "INSERT OR REPLACE INTO initial_sync_runs (connection, run_id, body) VALUES (?1, ?2, ?3)",
                    params![c, id, body],
                )?;
                tx.commit()?;
                Ok(true)
            })
            .await
    }

    async fn count_initial_sync(
        &self,
        connection: &ConnectionId,
        run_id: &str,
        kind: ObjectKind,
        delta: &RunCounts,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let (c, run_id, delta) = (connection.to_string(), run_id.to_owned(), *delta);
        let error = error.map(str::to_owned);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let Some(mut run) = read_run(&tx, &c)? else {
                    return Ok(());
                };
                if run.id != run_id {
                    return Ok(());
                }
                if let Some(counts) = run.kinds.get_mut(&kind) {
                    counts.add(&delta);
                }
                if error.is_some() {
                    run.error = error;
                }
                tx.execute(
                    "UPDATE initial_sync_runs SET body = ?2 WHERE connection = ?1",
                    params![c, to_json(&run)?],
                )?;
                tx.commit()?;
                Ok(())
            })
            .await
    }
}

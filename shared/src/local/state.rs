//! Where a local runtime keeps its state, and opening it: one SQLite file (or memory) holding
//! the store, the admin store, the job queue with its dead letters, and the token vault.

use std::path::PathBuf;
use std::sync::Arc;

use super::connection::SeedLedger;
use crate::adapters::memory::{MemoryJobQueue, MemoryStore, MemoryTokenVault};
use crate::adapters::sqlite::{
    SqliteDb, SqliteError, SqliteJobQueue, SqliteStore, SqliteTokenVault,
};
use crate::ports::{
    AdminStore, AppCredentials, Clock, DeadLetters, JobQueue, PurgeQueue, Store, TokenVault,
};

/// Where the runtime keeps its state.
#[derive(Debug, Clone)]
pub enum StateLocation {
    /// `{dir}/hqsync.sqlite3`, kept between runs.
    Sqlite { dir: PathBuf },
    /// Gone when the process ends (the demo, tests).
    Memory,
}

/// The opened state: each port on the same database (or the same memory).
#[derive(Clone)]
pub struct LocalState {
    pub store: Arc<dyn Store>,
    pub admin_store: Arc<dyn AdminStore>,
    pub queue: Arc<dyn JobQueue>,
    pub dead_letters: Arc<dyn DeadLetters>,
    /// Empties the queue outright (in-flight and delayed jobs too).
    pub purge: Arc<dyn PurgeQueue>,
    pub vault: Arc<dyn TokenVault>,
    /// Which configured refresh tokens were seeded (see [`SeedLedger`]).
    pub ledger: SeedLedger,
    /// The database, when the state is on SQLite (tests reach past the ports with it).
    pub db: Option<SqliteDb>,
}

impl LocalState {
    /// Opens (or creates) the state at `location`; the vault hands out `app` as the app
    /// credentials.
    pub fn open(
        location: &StateLocation,
        app: AppCredentials,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SqliteError> {
        Ok(match location {
            StateLocation::Sqlite { dir } => {
                let db = SqliteDb::open(&SqliteDb::default_path(dir))?;
                let store = Arc::new(SqliteStore::new(db.clone()));
                let queue = Arc::new(SqliteJobQueue::new(db.clone(), clock));
                LocalState {
                    store: store.clone(),
                    admin_store: store,
                    queue: queue.clone(),
                    dead_letters: queue.clone(),
                    purge: queue,
                    vault: Arc::new(SqliteTokenVault::new(db.clone(), app)),
                    ledger: SeedLedger::sqlite(db.clone()),
                    db: Some(db),
                }
            }
            StateLocation::Memory => {
                let store = Arc::new(MemoryStore::new());
                let queue = Arc::new(MemoryJobQueue::new(clock));
                LocalState {
                    store: store.clone(),
                    admin_store: store,
                    queue: queue.clone(),
                    dead_letters: queue.clone(),
                    purge: queue,
                    vault: Arc::new(MemoryTokenVault::new(app)),
                    ledger: SeedLedger::in_memory(),
                    db: None,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{ConnectionId, ObjectKind, Side};
    use crate::ports::{Job, JobReason, Lane, SystemClock};

    fn job(id: &str) -> Job {
        Job::new(
            ConnectionId::new("local").unwrap(),
            ObjectKind::Contact,
            Side::Hubspot,
            id,
            JobReason::Webhook,
            chrono::Utc::now(),
        )
    }

    #[tokio::test]
    async fn purging_drops_waiting_delayed_and_in_flight_jobs() {
        let dir = std::env::temp_dir().join(format!("hqsync-purge-{}", uuid::Uuid::new_v4()));
        for location in [
            StateLocation::Memory,
            StateLocation::Sqlite { dir: dir.clone() },
        ] {
            let state =
                LocalState::open(&location, AppCredentials::default(), Arc::new(SystemClock))
                    .unwrap();
            let queue = &state.queue;
            queue
                .enqueue(Lane::Live, vec![job("1"), job("2")], None)
                .await
                .unwrap();
            queue
                .enqueue(Lane::Bulk, vec![job("3")], Some(Duration::from_secs(600)))
                .await
                .unwrap();
            // A worker (the process that was killed) holds one.
            assert_eq!(queue.receive(Lane::Live, 1).await.unwrap().len(), 1);
            assert_eq!(state.purge.purge().await.unwrap(), 3, "{location:?}");
            assert_eq!(queue.pending(Lane::Live).await.unwrap(), 0);
            assert_eq!(queue.pending(Lane::Bulk).await.unwrap(), 0);
            assert!(queue.receive(Lane::Live, 10).await.unwrap().is_empty());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! SQLite adapters for the local runtime: store, job queue and token vault sharing one
//! database file (by default `.hqsync/hqsync.sqlite3`), schema created on open.

pub mod db;
pub mod job_queue;
pub mod schema;
pub mod store;
pub mod token_vault;

pub use db::{SqliteDb, SqliteError};
pub use job_queue::SqliteJobQueue;
pub use store::SqliteStore;
pub use token_vault::SqliteTokenVault;

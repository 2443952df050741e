//! SQLite adapters for the local runtime (being built): link store, job queue and token vault
//! in one database file under `.hqsync/`.

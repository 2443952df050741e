//! `hqsync status`: reads the local state and prints, per connection and object kind, counts of
//! records by outcome and the records that need attention (reason, vendor code/message, fix).

use std::path::PathBuf;

use clap::Args;
use hqsync::adapters::sqlite::{SqliteDb, SqliteStore};
use hqsync::engine::status_report::status_report;
use hqsync::ports::Connections;

use crate::render::status::{attention_table, counts_table};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Directory of the SQLite state (`hqsync sync` uses `.hqsync`, `hqsync dev` `.hqsync/dev`).
    #[arg(long, default_value = ".hqsync")]
    pub state: PathBuf,
}

pub async fn run(args: StatusArgs) -> anyhow::Result<()> {
    let path = SqliteDb::default_path(&args.state);
    if !path.exists() {
        anyhow::bail!(
            "no state at {} (run `hqsync sync` or `hqsync dev` first, or pass --state DIR)",
            path.display()
        );
    }
    let store = SqliteStore::new(SqliteDb::open(&path)?);
    let listing = store.list_connections().await?;
    if listing.is_empty() {
        println!("{}: no connections yet", path.display());
    }
    for broken in &listing.broken {
        println!("connection {} cannot be read: {}", broken.id, broken.error);
    }
    for connection in listing.records {
        let c = &connection.connection;
        println!(
            "connection {} — HubSpot portal {} ⇄ QBO realm {} ({}, {:?})",
            c.id, c.hubspot_portal_id, c.qbo_realm_id, connection.environment, connection.status
        );
        let report = status_report(&store, &c.id).await?;
        println!("{}", counts_table(&report));
        match attention_table(&report) {
            Some(table) => println!("Records that failed or need attention:\n{table}"),
            None => println!("No records need attention."),
        }
    }
    Ok(())
}

//! `hqsync status`: per connection and object kind, records by outcome and the ones that need
//! attention — from the local SQLite state (`--state DIR`) or from the admin API (`--api`).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use hqsync::adapters::sqlite::{SqliteDb, SqliteStore};
use hqsync::engine::status_report::status_report;
use hqsync::ports::{ConnectionStatus, Connections};
use serde_json::Value;

use super::{ApiArgs, ConnectionArg, ConnectionSummary, path_segment};
use crate::render::json::document;
use crate::render::status::{attention_table, counts_table};

/// The state directory `hqsync sync` uses, read when neither --state nor --api is given.
pub const DEFAULT_STATE: &str = ".hqsync";

/// What a reconnect-required connection's status says (docs/architecture.md §7).
pub const RECONNECT_REQUIRED: &str = "Reconnect required: a vendor refused this connection's \
     tokens and refreshing them failed (the refresh token was rejected). Nothing syncs until it \
     is reconnected: `hqsync connect`, or a new refresh token in the config file for `hqsync sync`.";

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Directory of the SQLite state (`hqsync sync` uses `.hqsync`, `hqsync dev` `.hqsync/dev`).
    /// Default: `.hqsync` when it exists, else the admin API.
    #[arg(long, conflicts_with = "api")]
    pub state: Option<PathBuf>,
    #[command(flatten)]
    pub api: ApiArgs,
    /// With the API: only this connection (default: every connection).
    #[command(flatten)]
    pub connection: ConnectionArg,
}

/// Where `hqsync status` reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    State(PathBuf),
    Api,
}

/// --api (or HQSYNC_API) → the API; --state → that state; else `.hqsync` if it exists, else
/// the API.
pub fn source(args: &StatusArgs) -> Source {
    if args.api.api.is_some() {
        return Source::Api;
    }
    if let Some(dir) = &args.state {
        return Source::State(dir.clone());
    }
    let default = Path::new(DEFAULT_STATE);
    if SqliteDb::default_path(default).exists() {
        Source::State(default.to_owned())
    } else {
        Source::Api
    }
}

pub async fn run(args: StatusArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match source(&args) {
        Source::State(dir) => from_state(&dir, out).await,
        Source::Api => from_api(&args, out).await,
    }
}

async fn from_state(dir: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let path = SqliteDb::default_path(dir);
    if !path.exists() {
        anyhow::bail!(
            "no state at {} (run `hqsync sync` or `hqsync dev` first, pass --state DIR, or \
             --api URL for a running admin API)",
            path.display()
        );
    }
    let store = SqliteStore::new(SqliteDb::open(&path)?);
    let listing = store.list_connections().await?;
    if listing.is_empty() {
        writeln!(out, "{}: no connections yet", path.display())?;
    }
    for broken in &listing.broken {
        writeln!(
            out,
            "connection {} cannot be read: {}",
            broken.id, broken.error
        )?;
    }
    for connection in listing.records {
        let c = &connection.connection;
        writeln!(
            out,
            "connection {} — HubSpot portal {} ⇄ QBO realm {} ({}, {:?})",
            c.id, c.hubspot_portal_id, c.qbo_realm_id, connection.environment, connection.status
        )?;
        if connection.status == ConnectionStatus::ReconnectRequired {
            writeln!(out, "{RECONNECT_REQUIRED}")?;
        }
        let report = status_report(&store, &c.id).await?;
        writeln!(out, "{}", counts_table(&report))?;
        match attention_table(&report) {
            Some(table) => writeln!(out, "Records that failed or need attention:\n{table}")?,
            None => writeln!(out, "No records need attention.")?,
        }
    }
    Ok(())
}

async fn from_api(args: &StatusArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = args.api.sign_in().await?;
    let connections: Vec<ConnectionSummary> = client.get("/api/connections").await?;
    let chosen: Vec<ConnectionSummary> = match &args.connection.connection {
        Some(id) => match connections.iter().find(|c| &c.id == id) {
            Some(c) => vec![c.clone()],
            None => anyhow::bail!("no connection {id} at {}", client.api()),
        },
        None => connections,
    };
    if chosen.is_empty() {
        writeln!(out, "{}: no connections yet", client.api())?;
    }
    for connection in chosen {
        writeln!(out, "connection {}", connection.describe())?;
        if let Some(error) = &connection.error {
            writeln!(out, "  cannot be read: {error}")?;
            continue;
        }
        let status: Value = client
            .get(&format!(
                "/api/connections/{}/status",
                path_segment(&connection.id)
            ))
            .await?;
        writeln!(out, "{}", document(&status))?;
    }
    Ok(())
}

//! `hqsync connections`: every connection the admin API knows, as a table (a record that cannot
//! be read shows with status `error` and why).

use std::io::Write;

use clap::Args;

use super::{ApiArgs, ConnectionSummary};
use crate::render::table;

#[derive(Debug, Args)]
pub struct ConnectionsArgs {
    #[command(flatten)]
    pub api: ApiArgs,
}

/// id, portal, realm, environment, status, error.
pub fn connections_table(connections: &[ConnectionSummary]) -> comfy_table::Table {
    let mut t = table(&["id", "portal", "realm", "environment", "status", "error"]);
    for c in connections {
        t.add_row(vec![
            c.id.clone(),
            c.portal_id.clone().unwrap_or_default(),
            c.realm_id.clone().unwrap_or_default(),
            c.environment.clone().unwrap_or_default(),
            c.status.clone(),
            c.error.clone().unwrap_or_default(),
        ]);
    }
    t
}

pub async fn run(args: ConnectionsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = args.api.sign_in().await?;
    let connections: Vec<ConnectionSummary> = client.get("/api/connections").await?;
    if connections.is_empty() {
        writeln!(out, "No connections yet: run `hqsync connect`.")?;
    } else {
        writeln!(out, "{}", connections_table(&connections))?;
    }
    Ok(())
}

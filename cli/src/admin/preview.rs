//! `hqsync preview`: the initial sync's dry run for a connection (counts and examples per kind),
//! computed by the server; nothing is written to either system.

use std::io::Write;

use clap::Args;
use serde_json::Value;

use super::{ApiArgs, ConnectionArg, path_segment};
use crate::render::json::document;

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub connection: ConnectionArg,
    /// Print the server's JSON report as is.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: PreviewArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = args.api.sign_in().await?;
    let id = args.connection.resolve(&client).await?;
    let report: Value = client
        .call::<Value, ()>(
            reqwest::Method::POST,
            &format!("/api/connections/{}/preview", path_segment(&id)),
            None,
        )
        .await?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(
            out,
            "Preview of the initial sync of {id} (nothing written):"
        )?;
        writeln!(out, "{}", document(&report))?;
        writeln!(
            out,
            "Start it with `hqsync initial-sync --connection {id}`."
        )?;
    }
    Ok(())
}

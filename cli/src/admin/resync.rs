//! `hqsync resync KIND ID`: queues one record for a sync now (the live lane), e.g. after fixing
//! what made it fail.

use std::io::Write;

use clap::Args;
use hqsync::model::{ObjectKind, Side};
use serde_json::Value;

use super::{ApiArgs, ConnectionArg, path_segment};

#[derive(Debug, Args)]
pub struct ResyncArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// contact, product, invoice or payment.
    pub kind: ObjectKind,
    /// The record's id on --side.
    pub id: String,
    /// The side the id is from. Default: hubspot for contacts and products, quickbooks for
    /// invoices and payments (they are mirrored from QBO).
    #[arg(long)]
    pub side: Option<Side>,
    #[command(flatten)]
    pub connection: ConnectionArg,
}

/// The side a record id is taken from when --side is not given.
pub fn default_side(kind: ObjectKind) -> Side {
    if kind.is_two_way() {
        Side::Hubspot
    } else {
        Side::Quickbooks
    }
}

pub async fn run(args: ResyncArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = args.api.sign_in().await?;
    let id = args.connection.resolve(&client).await?;
    let side = args.side.unwrap_or_else(|| default_side(args.kind));
    let path = format!(
        "/api/connections/{}/records/{}/{}/{}/resync",
        path_segment(&id),
        args.kind.as_str(),
        side.as_str(),
        path_segment(&args.id)
    );
    client
        .call::<Value, ()>(reqwest::Method::POST, &path, None)
        .await?;
    writeln!(
        out,
        "Queued {} {} {} of {id} for a sync; `hqsync status --connection {id}` shows the outcome.",
        crate::render::side_name(side),
        args.kind,
        args.id
    )?;
    Ok(())
}

//! `hqsync sandbox`: serves the HubSpot and/or QuickBooks sandbox until Ctrl-C, printing the
//! defaults (tokens, ids, secrets) a client needs to talk to them.

use std::net::SocketAddr;

use clap::Args;
use hqsync_sandbox::hubspot::HubspotSandbox;
use hqsync_sandbox::quickbooks::QuickbooksSandbox;

use crate::sandbox_flags::{SandboxFlags, bind};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Serve the HubSpot API (same paths as https://api.hubapi.com) at HOST:PORT.
    #[arg(long)]
    pub hubspot_addr: Option<SocketAddr>,
    /// Serve the QuickBooks Online API (same paths as https://quickbooks.api.intuit.com) at HOST:PORT.
    #[arg(long)]
    pub quickbooks_addr: Option<SocketAddr>,
    #[command(flatten)]
    pub flags: SandboxFlags,
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    if args.hubspot_addr.is_none() && args.quickbooks_addr.is_none() {
        anyhow::bail!("give --hubspot-addr HOST:PORT, --quickbooks-addr HOST:PORT, or both");
    }
    // The tokens and secrets printed below are the sandboxes' own local dev credentials, which
    // the command contract says to print at start; real vendor tokens never pass through here.
    let mut hubspot = None;
    if let Some(addr) = args.hubspot_addr {
        let config = args.flags.hubspot_config();
        let sandbox = HubspotSandbox::start(bind(addr).await?, config).await?;
        let c = sandbox.config();
        println!("HubSpot sandbox    {}", sandbox.base_url());
        println!("  portal id        {}", c.portal_id);
        println!("  dev token        {}", c.dev_token);
        println!("  client id        {}", c.client_id);
        println!("  client secret    {} (signs webhooks)", c.client_secret);
        println!(
            "  webhooks to      {}",
            c.webhook_url.as_deref().unwrap_or("(none)")
        );
        hubspot = Some(sandbox);
    }
    let mut quickbooks = None;
    if let Some(addr) = args.quickbooks_addr {
        let config = args.flags.quickbooks_config();
        let sandbox = QuickbooksSandbox::start(bind(addr).await?, config).await?;
        let c = sandbox.config();
        println!("QuickBooks sandbox {}", sandbox.base_url());
        println!("  realm id         {}", c.realm_id);
        println!("  dev token        {}", c.dev_token);
        println!("  client id        {}", c.client_id);
        println!("  client secret    {}", c.client_secret);
        println!("  verifier token   {} (signs webhooks)", c.verifier_token);
        println!(
            "  webhooks to      {}",
            c.webhook_url.as_deref().unwrap_or("(none)")
        );
        quickbooks = Some(sandbox);
    }
    println!(
        "seed: {:?}; control API under /_sandbox/ on each; Ctrl-C to stop",
        args.flags.seed
    );
    tokio::signal::ctrl_c().await?;
    if let Some(s) = hubspot {
        s.shutdown().await;
    }
    if let Some(s) = quickbooks {
        s.shutdown().await;
    }
    Ok(())
}

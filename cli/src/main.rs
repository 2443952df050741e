//! `hqsync`: the command-line entry point; parses arguments and dispatches to one module per
//! subcommand. All logic lives in the subcommand modules and the library crates.

mod commands;
mod demo;
mod render;
mod sandbox_flags;
mod sandbox_pair;
mod sync_config;

use clap::{Parser, Subcommand};

/// HQSync: HubSpot ⇄ QuickBooks Online sync. Runs locally against built-in sandboxes or real
/// accounts; deploys to AWS with `sam deploy`.
#[derive(Debug, Parser)]
#[command(name = "hqsync", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the local HubSpot and/or QuickBooks sandbox APIs.
    Sandbox(commands::sandbox::SandboxArgs),
    /// Sandboxes with demo data, the initial sync and a short story of syncs, in under a minute.
    Demo(commands::demo::DemoArgs),
    /// Both sandboxes plus the whole sync pipeline and webhook endpoints, until Ctrl-C.
    Dev(commands::dev::DevArgs),
    /// Sync real accounts (or any configured endpoints) from a config file, without AWS.
    Sync(commands::sync::SyncArgs),
    /// Per object kind: records by sync outcome and the ones that need attention.
    Status(commands::status::StatusArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HQSYNC_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Demo(args) => commands::demo::run(args).await,
        Command::Dev(args) => commands::dev::run(args).await,
        Command::Sync(args) => commands::sync::run(args).await,
        Command::Status(args) => commands::status::run(args).await,
    }
}

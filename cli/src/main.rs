//! `hqsync`: the command-line entry point; parses arguments and dispatches to one module per
//! subcommand. All logic lives in the subcommand modules and the library crates.

mod commands;
mod demo;
mod sandbox_flags;
mod sandbox_pair;
mod sync_config;

use clap::{Parser, Subcommand};
use hqsync_cli::admin;
use hqsync_cli::output::{exit_quietly_on_closed_stdout, is_broken_pipe};
// The terminal output lives in the library (shared with the admin commands); `crate::render`
// keeps naming it for the local commands.
use hqsync_cli::render;

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
    /// The whole pipeline under seeded random edits and faults, then a history check.
    Chaos(commands::chaos::ChaosArgs),
    /// Sandboxes with demo data, the initial sync and a short story of syncs, in under a minute.
    Demo(commands::demo::DemoArgs),
    /// Both sandboxes plus the whole sync pipeline and webhook endpoints, until Ctrl-C.
    Dev(commands::dev::DevArgs),
    /// Sync real accounts (or any configured endpoints) from a config file, without AWS.
    Sync(commands::sync::SyncArgs),
    /// Per object kind: records by sync outcome and the ones that need attention.
    Status(admin::status::StatusArgs),
    /// Connect a HubSpot portal and a QBO company (OAuth), or reconnect one side.
    Connect(admin::connect::ConnectArgs),
    /// The connections of the admin API, with their status.
    Connections(admin::connections::ConnectionsArgs),
    /// Read or replace a connection's settings (TOML, the `[settings]` shape of hqsync.toml).
    Settings(admin::settings::SettingsArgs),
    /// The initial sync's dry run: what it would link and create, nothing written.
    Preview(admin::preview::PreviewArgs),
    /// Start a connection's initial sync and follow its progress.
    InitialSync(admin::initial_sync::InitialSyncArgs),
    /// Sync one record again now.
    Resync(admin::resync::ResyncArgs),
    /// The dead-letter queue: list, redrive.
    Dlq(admin::dlq::DlqArgs),
}

async fn run(command: Command) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout();
    let out = &mut stdout;
    match command {
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Chaos(args) => commands::chaos::run(args).await,
        Command::Demo(args) => commands::demo::run(args).await,
        Command::Dev(args) => commands::dev::run(args).await,
        Command::Sync(args) => commands::sync::run(args).await,
        Command::Status(args) => admin::status::run(args, out).await,
        Command::Connect(args) => admin::connect::run(args, out).await,
        Command::Connections(args) => admin::connections::run(args, out).await,
        Command::Settings(args) => admin::settings::run(args, out).await,
        Command::Preview(args) => admin::preview::run(args, out).await,
        Command::InitialSync(args) => admin::initial_sync::run(args, out).await,
        Command::Resync(args) => admin::resync::run(args, out).await,
        Command::Dlq(args) => admin::dlq::run(args, out).await,
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    exit_quietly_on_closed_stdout();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HQSYNC_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse().command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `hqsync status | head`: the reader has what it wanted.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! `hqsync sync`: the engine against the accounts of a config file, without AWS: the initial
//! sync (or its dry-run preview), then one poll pass (`--once`) or a poll loop until Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use hqsync::adapters::sqlite::SqliteDb;
use hqsync::engine::jobs::run_queue_once;
use hqsync::engine::jobs::schedule::poll_connection;
use hqsync::engine::sync::initial_sync::InitialSyncOptions;
use hqsync::local::{LocalStack, PipelineOptions, StateLocation};
use hqsync::model::{ObjectKind, Side, SyncState};
use hqsync::ports::{ConnectionStatus, Lane};

use crate::render::preview::print_report;
use crate::render::progress::SyncBars;
use crate::sync_config::SyncConfig;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The configuration file (see hqsync.example.toml).
    #[arg(long, default_value = "hqsync.toml")]
    pub config: PathBuf,
    /// Preview the initial sync (counts and samples) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// After the initial sync, poll once, sync what changed, and exit.
    #[arg(long)]
    pub once: bool,
}

/// Passes over the queue `--once` makes at most before leaving the rest for the next run.
const MAX_ONCE_PASSES: usize = 1000;

pub async fn run(args: SyncArgs) -> anyhow::Result<()> {
    let config = SyncConfig::load(&args.config)?;
    let endpoints = config.endpoints(&args.config)?;
    let db_path = SqliteDb::default_path(&config.state_dir);
    // A dry run writes nothing: with no state yet it plans against an empty, in-memory one.
    // Except with refresh tokens: a refresh rotates QBO's refresh token, and the new one must
    // outlive the process (the configured one is dead after it), so the vault is on disk.
    let refreshes = Side::BOTH.into_iter().any(|side| endpoints.refreshes(side));
    let state = if args.dry_run && !db_path.exists() && !refreshes {
        StateLocation::Memory
    } else {
        StateLocation::Sqlite {
            dir: config.state_dir.clone(),
        }
    };
    let mut stack = LocalStack::open(
        config.connection_id(),
        endpoints,
        config.settings.clone(),
        &state,
    )
    .await?;
    println!(
        "connection {}: HubSpot portal {} ⇄ QBO realm {} ({})",
        stack.connection_id(),
        config.hubspot.portal_id,
        config.quickbooks.realm_id,
        stack.connection.environment
    );
    if stack.connection.status == ConnectionStatus::ReconnectRequired {
        anyhow::bail!("{RECONNECT_REQUIRED}");
    }

    if args.dry_run || !initial_sync_done(&stack).await? {
        let bars = SyncBars::new(if args.dry_run { "planned" } else { "synced" });
        let report = stack
            .initial_sync(
                &InitialSyncOptions {
                    dry_run: args.dry_run,
                    ..InitialSyncOptions::default()
                },
                &|p| bars.report(p),
            )
            .await?;
        bars.finish();
        if args.dry_run {
            print_report(
                "Initial sync preview (dry run: nothing was written)",
                &report,
            );
            return Ok(());
        }
        print_report("Initial sync", &report);
    } else {
        println!("initial sync already done (state in {})", db_path.display());
    }

    if args.once {
        let poll = poll_connection(&stack.ctx, stack.connection_id()).await?;
        for (side, kind, error) in &poll.failures {
            println!("could not poll {kind} on {side}: {error}");
        }
        let mut synced = 0;
        for _ in 0..MAX_ONCE_PASSES {
            let live = run_queue_once(&stack.ctx, Lane::Live, 10).await?;
            let bulk = run_queue_once(&stack.ctx, Lane::Bulk, 10).await?;
            synced += live.done + bulk.done;
            if live.received + bulk.received == 0 {
                break;
            }
        }
        let waiting = stack.ctx.queue.pending(Lane::Live).await?
            + stack.ctx.queue.pending(Lane::Bulk).await?;
        println!(
            "poll: {} changes found, {} jobs done; {waiting} jobs wait for a later run (retries)",
            poll.jobs, synced
        );
        println!(
            "`hqsync status --state {}` shows the outcomes",
            config.state_dir.display()
        );
        reconnect_check(&stack).await?;
        // A kind that could not be polled (a refused token, an unreachable vendor) synced
        // nothing this run: say so in the exit code too.
        if !poll.failures.is_empty() {
            anyhow::bail!(
                "{} kind(s) could not be polled (see above); their changes wait for a later run",
                poll.failures.len()
            );
        }
        return Ok(());
    }

    stack.start_pipeline(PipelineOptions {
        poll_interval: Some(Duration::from_secs(config.poll_interval_secs.max(1))),
        ..PipelineOptions::default()
    });
    println!(
        "polling every {} s; Ctrl-C to stop",
        config.poll_interval_secs.max(1)
    );
    // Runs until Ctrl-C, or until a vendor rejects the refresh token (nothing syncs then).
    let mut check = tokio::time::interval(RECONNECT_CHECK_INTERVAL);
    let outcome = loop {
        tokio::select! {
            signal = tokio::signal::ctrl_c() => break signal.map_err(anyhow::Error::from),
            _ = check.tick() => {
                if let Err(error) = reconnect_check(&stack).await {
                    break Err(error);
                }
            }
        }
    };
    stack.shutdown().await;
    outcome
}

/// How often a continuous run looks whether the connection became reconnect-required.
const RECONNECT_CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// What the user reads when a vendor rejected the refresh token.
const RECONNECT_REQUIRED: &str = "the connection must be reconnected: a vendor rejected the refresh token (expired, revoked or rotated away); put a new refresh_token in the config file (or its environment variable) and run again";

/// An error when the connection turned reconnect-required during this run.
async fn reconnect_check(stack: &LocalStack) -> anyhow::Result<()> {
    match stack.stored_connection().await? {
        Some(record) if record.status == ConnectionStatus::ReconnectRequired => {
            anyhow::bail!("{RECONNECT_REQUIRED}")
        }
        _ => Ok(()),
    }
}

/// Whether every enabled kind had its initial sync (a full sweep is recorded on both sides).
async fn initial_sync_done(stack: &LocalStack) -> anyhow::Result<bool> {
    let settings = &stack.connection.connection.settings;
    for kind in ObjectKind::TWO_WAY {
        if settings.state(kind) != SyncState::Enabled {
            continue;
        }
        for side in Side::BOTH {
            let cursor = stack
                .ctx
                .store
                .get_cursor(stack.connection_id(), side, kind)
                .await?;
            if cursor.and_then(|c| c.last_full_sweep).is_none() {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

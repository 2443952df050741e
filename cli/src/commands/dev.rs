//! `hqsync dev`: both sandboxes plus the whole local pipeline (SQLite state, job queue, worker,
//! poller, webhook endpoints) and one connection between them, kept running until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Args;
use hqsync::engine::sync::initial_sync::InitialSyncOptions;
use hqsync::local::webhook_server::{HEALTH_PATH, HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::local::{LOCAL_CONNECTION_ID, LocalStack, PipelineOptions, StateLocation};
use hqsync::model::{ConnectionId, ConnectionSettings};

use crate::render::preview::print_report;
use crate::render::progress::SyncBars;
use crate::sandbox_flags::{SandboxFlags, bind};
use crate::sandbox_pair::{SandboxPair, aim_webhooks};

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Serve the HubSpot sandbox at HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:4010")]
    pub hubspot_addr: SocketAddr,
    /// Serve the QuickBooks sandbox at HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:4020")]
    pub quickbooks_addr: SocketAddr,
    /// Serve the webhook endpoints and /healthz at HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:4030")]
    pub listen: SocketAddr,
    /// Directory of the SQLite state (`hqsync.sqlite3`). The sandboxes start afresh, so the
    /// links a previous `dev` run stored there are forgotten at start.
    #[arg(long, default_value = ".hqsync/dev")]
    pub state: PathBuf,
    /// Seconds between polls (QBO CDC, HubSpot search), which catch what webhooks missed.
    #[arg(long, default_value_t = 30)]
    pub poll_interval: u64,
    /// Run the AWS code paths instead: DynamoDB, SQS and Secrets Manager at URL (a moto
    /// server; table, queues and secrets are created), the Lambda handlers in-process.
    /// Needs a build with `--features aws` (`cargo run -p hqsync-cli --features aws -- dev
    /// --aws-endpoint URL`); other builds refuse the flag with that hint.
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,
    #[command(flatten)]
    pub flags: SandboxFlags,
}

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    #[cfg(not(feature = "aws"))]
    if args.aws_endpoint.is_some() {
        anyhow::bail!(
            "--aws-endpoint needs hqsync built with `--features aws` \
             (cargo run -p hqsync-cli --features aws -- dev --aws-endpoint URL)"
        );
    }
    let webhook_listener = bind(args.listen).await?;
    let webhook_base = format!("http://{}", webhook_listener.local_addr()?);
    let mut hubspot_config = args.flags.hubspot_config();
    let mut quickbooks_config = args.flags.quickbooks_config();
    aim_webhooks(&webhook_base, &mut hubspot_config, &mut quickbooks_config);
    let sandboxes = SandboxPair::start(
        bind(args.hubspot_addr).await?,
        hubspot_config,
        bind(args.quickbooks_addr).await?,
        quickbooks_config,
    )
    .await?;
    #[cfg(feature = "aws")]
    if let Some(endpoint) = args.aws_endpoint {
        let poll_interval = Duration::from_secs(args.poll_interval.max(1));
        return super::dev_aws::run(endpoint, webhook_listener, sandboxes, poll_interval).await;
    }

    let mut stack = LocalStack::open(
        ConnectionId::new(LOCAL_CONNECTION_ID)?,
        sandboxes.endpoints()?,
        ConnectionSettings::default(),
        &StateLocation::Sqlite {
            dir: args.state.clone(),
        },
    )
    .await?;
    let dropped = stack.forget_previous_run().await?;
    if dropped > 0 {
        println!("dropped {dropped} jobs a previous run left in the queue");
    }
    // Webhook endpoints first, so nothing the initial sync's writes trigger is lost (jobs wait
    // in the queue); /healthz stays 503 until the initial sync is done and the loops run.
    stack.serve_webhooks(webhook_listener, webhook_base.clone())?;

    let bars = SyncBars::new("synced");
    let report = stack
        .initial_sync(&InitialSyncOptions::default(), &|p| bars.report(p))
        .await?;
    bars.finish();
    print_report("Initial sync", &report);
    stack.start_pipeline(PipelineOptions {
        poll_interval: Some(Duration::from_secs(args.poll_interval.max(1))),
        ..PipelineOptions::default()
    });

    let hs = sandboxes.hubspot.config();
    let qb = sandboxes.quickbooks.config();
    println!();
    println!(
        "HubSpot sandbox     {}  (portal {}, token {})",
        sandboxes.hubspot.base_url(),
        hs.portal_id,
        hs.dev_token
    );
    println!(
        "QuickBooks sandbox  {}  (realm {}, token {})",
        sandboxes.quickbooks.base_url(),
        qb.realm_id,
        qb.dev_token
    );
    println!("webhooks            {webhook_base}{HUBSPOT_WEBHOOK_PATH}");
    println!("                    {webhook_base}{QUICKBOOKS_WEBHOOK_PATH}");
    println!("health              {webhook_base}{HEALTH_PATH}");
    println!(
        "state               {} (connection {LOCAL_CONNECTION_ID}; `hqsync status --state {}`)",
        args.state.display(),
        args.state.display()
    );
    println!(
        "worker running; poller every {}s; seed {:?}; Ctrl-C to stop",
        args.poll_interval.max(1),
        args.flags.seed
    );
    if let Some(server) = stack.webhooks() {
        server.set_ready();
    }

    tokio::signal::ctrl_c().await?;
    if let Some(pipeline) = stack.pipeline() {
        let s = pipeline.stats();
        println!(
            "\nstopping: {} jobs done, {} retried, {} dropped; {} polls",
            s.jobs_done.load(Ordering::Relaxed),
            s.jobs_retried.load(Ordering::Relaxed),
            s.jobs_dropped.load(Ordering::Relaxed),
            s.polls.load(Ordering::Relaxed)
        );
    }
    stack.shutdown().await;
    sandboxes.shutdown().await;
    Ok(())
}

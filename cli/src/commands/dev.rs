//! `hqsync dev`: both sandboxes plus the whole local pipeline (SQLite state, job queue, worker,
//! poller) serving every stored connection, with the webhook endpoints and the admin API on
//! one address; by default also a `local` connection between the sandboxes, until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Args;
use hqsync::admin::AdminAuth;
use hqsync::engine::sync::initial_sync::InitialSyncOptions;
use hqsync::local::webhook_server::{HEALTH_PATH, HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::local::{
    LOCAL_CONNECTION_ID, LocalRuntime, PipelineOptions, StateLocation, VendorApps,
};
use hqsync::model::{ConnectionId, ConnectionSettings};
use hqsync::ports::SystemClock;
use secrecy::{ExposeSecret, SecretString};

use crate::render::preview::print_report;
use crate::render::progress::SyncBars;
use crate::sandbox_flags::{SandboxFlags, bind};
use crate::sandbox_pair::{SandboxPair, aim_webhooks};
use hqsync_cli::admin_client::DEFAULT_API;

/// The environment variable the admin password may come from.
pub const ADMIN_PASSWORD_ENV: &str = "HQSYNC_ADMIN_PASSWORD";

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Serve the HubSpot sandbox at HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:4010")]
    pub hubspot_addr: SocketAddr,
    /// Serve the QuickBooks sandbox at HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:4020")]
    pub quickbooks_addr: SocketAddr,
    /// Serve the webhook endpoints, /healthz and the admin API (/api/..., /connect) at
    /// HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:4030")]
    pub listen: SocketAddr,
    /// Directory of the SQLite state (`hqsync.sqlite3`). The sandboxes start afresh, so the
    /// links a previous `dev` run stored there are forgotten at start.
    #[arg(long, default_value = ".hqsync/dev")]
    pub state: PathBuf,
    /// Seconds between polls (QBO CDC, HubSpot search), which catch what webhooks missed.
    #[arg(long, default_value_t = 30)]
    pub poll_interval: u64,
    /// Start without the `local` connection (and its initial sync): connect the sandboxes
    /// through the admin API instead (`hqsync connect`, or /connect in a browser).
    #[arg(long)]
    pub no_connection: bool,
    /// The admin API's password. Without it (and without the environment variable) a random
    /// one is generated for this run and printed.
    #[arg(long, env = ADMIN_PASSWORD_ENV, hide_env_values = true, value_parser = secret)]
    pub admin_password: Option<SecretString>,
    /// Run the AWS code paths instead: DynamoDB, SQS and Secrets Manager at URL (a moto
    /// server; table, queues and secrets are created), the Lambda handlers in-process.
    /// Needs a build with `--features aws` (`cargo run -p hqsync-cli --features aws -- dev
    /// --aws-endpoint URL`); other builds refuse the flag with that hint.
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,
    #[command(flatten)]
    pub flags: SandboxFlags,
}

fn secret(value: &str) -> Result<SecretString, String> {
    if value.is_empty() {
        return Err("the admin password must not be empty".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

/// The sandboxes' apps as the runtime's: webhook secrets and the OAuth clients that connect
/// and refresh every connection's tokens.
fn vendor_apps(sandboxes: &SandboxPair) -> anyhow::Result<VendorApps> {
    let hs = sandboxes.hubspot.config();
    let qb = sandboxes.quickbooks.config();
    Ok(VendorApps::of(&sandboxes.endpoints()?).with_oauth_clients(
        hs.client_id.to_string(),
        qb.client_id.to_string(),
        SecretString::from(qb.client_secret.to_string()),
    ))
}

/// The lines saying where the admin API is, which password signs in and how to connect. With
/// `generated`, that password is printed: the one place a secret is printed, by design (a
/// password generated for this run is of no use unless whoever started `hqsync dev` can read
/// it). A password given by flag or environment is never printed. The one-time sign-in link is
/// printed for the same reason (docs/console.md §3): it signs in once, within ten minutes.
fn admin_lines(
    base: &str,
    generated: Option<&SecretString>,
    sign_in_link: &SecretString,
) -> Vec<String> {
    let password = match generated {
        Some(password) => format!(
            "admin password      {}  (generated for this run; choose one with \
             --admin-password or {ADMIN_PASSWORD_ENV})",
            password.expose_secret()
        ),
        None => format!("admin password      as given (--admin-password or {ADMIN_PASSWORD_ENV})"),
    };
    let api = if base == DEFAULT_API {
        String::new()
    } else {
        format!(" --api {base}")
    };
    vec![
        format!("console             {base}/  (sign in with the admin password)"),
        format!(
            "sign-in link        {base}/sign-in?token={}  (opens the console signed in; once, \
             within 10 minutes)",
            sign_in_link.expose_secret()
        ),
        format!("admin API           {base}/api/  (sign in: POST {base}/api/session)"),
        password,
        format!("connect             {ADMIN_PASSWORD_ENV}=<password> hqsync connect{api}"),
        format!("                    or in a browser: sign in at {base}/, then {base}/connect"),
    ]
}

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    #[cfg(not(feature = "aws"))]
    if args.aws_endpoint.is_some() {
        anyhow::bail!(
            "--aws-endpoint needs hqsync built with `--features aws` \
             (cargo run -p hqsync-cli --features aws -- dev --aws-endpoint URL)"
        );
    }
    if args.no_connection && args.aws_endpoint.is_some() {
        anyhow::bail!(
            "--no-connection works with the SQLite runtime only: the local cloud \
             (--aws-endpoint) stores its `dev` connection and serves no admin API yet"
        );
    }
    let listener = bind(args.listen).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut hubspot_config = args.flags.hubspot_config();
    let mut quickbooks_config = args.flags.quickbooks_config();
    aim_webhooks(&base, &mut hubspot_config, &mut quickbooks_config);
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
        return super::dev_aws::run(endpoint, listener, sandboxes, poll_interval).await;
    }

    let (password, generated) = match args.admin_password {
        Some(password) => (password, false),
        None => (AdminAuth::generate_password(), true),
    };
    let auth = Arc::new(AdminAuth::new(
        password.clone(),
        AdminAuth::random_signing_key(),
    ));
    let mut runtime = LocalRuntime::open(
        vendor_apps(&sandboxes)?,
        &StateLocation::Sqlite {
            dir: args.state.clone(),
        },
        Arc::new(SystemClock),
    )?;
    // The sandboxes start afresh: links a previous run stored point at records that are gone.
    let listing = runtime.ctx.store.list_connections().await?;
    let stored: Vec<ConnectionId> = (listing.records.iter().map(|r| r.id().clone()))
        .chain(listing.broken.iter().map(|b| b.id.clone()))
        .collect();
    for id in &stored {
        runtime.forget_links(id).await?;
    }
    let dropped = runtime.drain_queue().await?;
    if dropped > 0 {
        println!("dropped {dropped} jobs a previous run left in the queue");
    }
    let local = if args.no_connection {
        None
    } else {
        let id = ConnectionId::new(LOCAL_CONNECTION_ID)?;
        Some(
            runtime
                .add_configured_connection(
                    id,
                    &sandboxes.endpoints()?,
                    ConnectionSettings::default(),
                )
                .await?,
        )
    };
    // The server first, so nothing the initial sync's writes trigger is lost (jobs wait in
    // the queue); /healthz stays 503 until the initial sync is done and the loops run.
    // The runtime's clock is the system clock, so the link's ten minutes are real ones.
    let sign_in_link = auth.sign_in_links.issue(chrono::Utc::now());
    runtime.serve(listener, base.clone(), Some(auth))?;

    if let Some(connection) = &local {
        let bars = SyncBars::new("synced");
        let report = runtime
            .initial_sync(connection.id(), &InitialSyncOptions::default(), &|p| {
                bars.report(p)
            })
            .await?;
        bars.finish();
        print_report("Initial sync", &report);
    }
    runtime.start_pipeline(PipelineOptions {
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
    println!("webhooks            {base}{HUBSPOT_WEBHOOK_PATH}");
    println!("                    {base}{QUICKBOOKS_WEBHOOK_PATH}");
    println!("health              {base}{HEALTH_PATH}");
    for line in admin_lines(&base, generated.then_some(&password), &sign_in_link) {
        println!("{line}");
    }
    match &local {
        Some(_) => {
            // A second connection between the same portal and company would handle each
            // change twice: the connect flow is for a run without this one.
            println!(
                "                    (the `{LOCAL_CONNECTION_ID}` connection already joins these \
                 sandboxes: start with --no-connection to try the connect flow)"
            );
            println!(
                "state               {} (connection {LOCAL_CONNECTION_ID}; `hqsync status --state {}`)",
                args.state.display(),
                args.state.display()
            )
        }
        None => println!(
            "state               {} (no connection started; {} stored from earlier runs)",
            args.state.display(),
            stored.len()
        ),
    }
    println!(
        "worker running; poller every {}s over every active connection; seed {:?}; Ctrl-C to stop",
        args.poll_interval.max(1),
        args.flags.seed
    );
    if let Some(server) = runtime.server() {
        server.set_ready();
    }

    tokio::signal::ctrl_c().await?;
    if let Some(pipeline) = runtime.pipeline() {
        let s = pipeline.stats();
        println!(
            "\nstopping: {} jobs done, {} retried, {} paused, {} dropped; {} polls",
            s.jobs_done.load(Ordering::Relaxed),
            s.jobs_retried.load(Ordering::Relaxed),
            hqsync::quickbooks::throttle::total_pauses(),
            s.jobs_dropped.load(Ordering::Relaxed),
            s.polls.load(Ordering::Relaxed)
        );
    }
    runtime.shutdown().await;
    sandboxes.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_password_is_printed_and_a_given_one_never_is() {
        let password = SecretString::from("generated-4f2a".to_owned());
        let link = SecretString::from("a1b2".to_owned());
        let generated = admin_lines(DEFAULT_API, Some(&password), &link).join("\n");
        assert!(
            generated.contains("http://127.0.0.1:4030/sign-in?token=a1b2 "),
            "{generated}"
        );
        assert!(generated.contains("generated-4f2a"), "{generated}");
        assert!(
            generated.contains("hqsync connect\n"),
            "default address: no --api\n{generated}"
        );
        assert!(
            generated.contains("http://127.0.0.1:4030/connect"),
            "{generated}"
        );

        let given = admin_lines("http://127.0.0.1:5000", None, &link).join("\n");
        assert!(!given.contains("generated-4f2a"), "{given}");
        assert!(given.contains("as given"), "{given}");
        assert!(
            given.contains("hqsync connect --api http://127.0.0.1:5000"),
            "{given}"
        );
    }

    #[test]
    fn an_empty_admin_password_is_refused() {
        assert!(secret("").is_err());
        assert_eq!(secret("pw").unwrap().expose_secret(), "pw");
    }
}

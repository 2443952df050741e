//! `hqsync demo`: both sandboxes with the demo data and the whole pipeline in-process; previews
//! and applies the initial sync, then tells a short scripted story from the real state.

use std::time::{Duration, Instant};

use clap::Args;
use hqsync::engine::sync::initial_sync::InitialSyncOptions;
use hqsync::local::PipelineOptions;
use hqsync::ports::SystemClock;

use crate::demo::actor::Actor;
use crate::demo::{setup, story};
use crate::render::preview::print_report;
use crate::render::progress::SyncBars;

#[derive(Debug, Args)]
pub struct DemoArgs {}

pub async fn run(_args: DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    println!("HQSync demo: HubSpot and QuickBooks sandboxes with demo data, synced in-process.");
    let demo = setup::start().await?;
    let mut stack = demo.stack;
    println!(
        "HubSpot sandbox {} · QuickBooks sandbox {} · webhooks to {}",
        demo.sandboxes.hubspot.base_url(),
        demo.sandboxes.quickbooks.base_url(),
        stack
            .webhooks()
            .map(|w| format!("http://{}", w.addr()))
            .unwrap_or_default()
    );

    let preview_bars = SyncBars::new("planned");
    let preview = stack
        .initial_sync(
            &InitialSyncOptions {
                dry_run: true,
                ..InitialSyncOptions::default()
            },
            &|p| preview_bars.report(p),
        )
        .await?;
    preview_bars.finish();
    print_report(
        "Initial sync preview (dry run: what would happen; nothing written yet)",
        &preview,
    );

    println!("\nApplying the initial sync…");
    let bars = SyncBars::new("synced");
    let report = stack
        .initial_sync(&InitialSyncOptions::default(), &|p| bars.report(p))
        .await?;
    bars.finish();
    print_report("Initial sync applied", &report);

    // From here on, changes arrive as webhooks and the worker syncs them.
    stack.start_pipeline(PipelineOptions {
        idle_wait: Duration::from_millis(100),
        poll_interval: None,
        ..PipelineOptions::default()
    });
    let actor = Actor {
        vendors: stack.endpoints.gateways(
            &stack.connection.connection.settings,
            std::sync::Arc::new(SystemClock),
        )?,
    };
    let told = story::run(&stack, &actor).await;
    let told = match told {
        Ok(()) => crate::demo::invoicing::run(&stack).await,
        failed => failed,
    };
    stack.shutdown().await;
    demo.sandboxes.shutdown().await;
    told?;
    crate::demo::companies::run().await?;
    println!(
        "\nDemo finished in {:.1} s. Run `hqsync dev --seed demo` to keep a stack running, then \
         open the console at {}/ and sign in with the admin password it prints.",
        started.elapsed().as_secs_f64(),
        hqsync_cli::admin_client::DEFAULT_API
    );
    Ok(())
}

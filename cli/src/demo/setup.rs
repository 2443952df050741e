//! The demo's stack: both sandboxes with the demo seed on free loopback ports, the webhook
//! server and the pipeline in-process with memory state. No accounts, no AWS, no files.

use hqsync::local::{LOCAL_CONNECTION_ID, LocalStack, StateLocation};
use hqsync::model::{ConnectionId, ConnectionSettings};
use hqsync_sandbox::Seed;
use hqsync_sandbox::hubspot::HubspotSandboxConfig;
use hqsync_sandbox::quickbooks::QuickbooksSandboxConfig;
use tokio::net::TcpListener;

use crate::sandbox_pair::{SandboxPair, aim_webhooks};

pub struct DemoStack {
    pub sandboxes: SandboxPair,
    pub stack: LocalStack,
}

async fn free_port() -> anyhow::Result<TcpListener> {
    Ok(TcpListener::bind("127.0.0.1:0").await?)
}

/// Starts everything; webhooks are served (jobs wait in the queue) but the pipeline is not
/// started, so the initial sync runs first.
pub async fn start() -> anyhow::Result<DemoStack> {
    start_with(ConnectionSettings::default()).await
}

/// [`start`] with the connection's `settings` (the company chapter's `[customers] model`).
pub async fn start_with(settings: ConnectionSettings) -> anyhow::Result<DemoStack> {
    let webhook_listener = free_port().await?;
    let webhook_base = format!("http://{}", webhook_listener.local_addr()?);
    let mut hubspot = HubspotSandboxConfig {
        seed: Seed::Demo,
        ..HubspotSandboxConfig::default()
    };
    let mut quickbooks = QuickbooksSandboxConfig {
        seed: Seed::Demo,
        ..QuickbooksSandboxConfig::default()
    };
    aim_webhooks(&webhook_base, &mut hubspot, &mut quickbooks);
    let sandboxes =
        SandboxPair::start(free_port().await?, hubspot, free_port().await?, quickbooks).await?;
    let mut stack = LocalStack::open(
        ConnectionId::new(LOCAL_CONNECTION_ID)?,
        sandboxes.endpoints()?,
        settings,
        &StateLocation::Memory,
    )
    .await?;
    stack.serve_webhooks(webhook_listener, webhook_base)?;
    Ok(DemoStack { sandboxes, stack })
}

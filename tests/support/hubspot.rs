//! Starts the HubSpot sandbox in-process on a free loopback port for tests and benchmarks,
//! plus small helpers to call it (bearer token, control API).

use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};

/// Starts a HubSpot sandbox with `config` on `127.0.0.1:0` (a free port).
/// Panics if it cannot bind or start (a test cannot go on without it).
pub async fn start_hubspot_sandbox(config: HubspotSandboxConfig) -> HubspotSandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port for the HubSpot sandbox");
    HubspotSandbox::start(listener, config)
        .await
        .expect("start the HubSpot sandbox")
}

/// Starts a sandbox with the documented defaults, except that search sees writes at once
/// (`search_index_delay` 0) so tests that do not test indexing lag need not wait.
pub async fn start_default_hubspot_sandbox() -> HubspotSandbox {
    start_hubspot_sandbox(HubspotSandboxConfig {
        search_index_delay: std::time::Duration::ZERO,
        ..HubspotSandboxConfig::default()
    })
    .await
}

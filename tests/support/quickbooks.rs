//! Starts the QuickBooks sandbox in-process on a free loopback port for tests and benchmarks.
//! Owned by the QuickBooks sandbox work.

pub use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};

/// Starts a QBO sandbox with `config` on `127.0.0.1:0` (a free port); panics if it cannot bind.
pub async fn start_quickbooks_sandbox(config: QuickbooksSandboxConfig) -> QuickbooksSandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0 for the QuickBooks sandbox");
    QuickbooksSandbox::start(listener, config)
        .await
        .expect("start the QuickBooks sandbox")
}

/// A sandbox with the documented defaults (`Seed::Empty`, default realm and dev token).
pub async fn start_default_quickbooks_sandbox() -> QuickbooksSandbox {
    start_quickbooks_sandbox(QuickbooksSandboxConfig::default()).await
}

/// A sandbox with `Seed::Demo` (demo customers, items, invoices and payments).
pub async fn start_demo_quickbooks_sandbox() -> QuickbooksSandbox {
    start_quickbooks_sandbox(QuickbooksSandboxConfig {
        seed: hqsync_sandbox::Seed::Demo,
        ..QuickbooksSandboxConfig::default()
    })
    .await
}

/// `{base_url}/v3/company/{realmId}`: the prefix of every API path (docs/quickbooks.md §1).
pub fn company_url(sandbox: &QuickbooksSandbox) -> String {
    format!(
        "{}/v3/company/{}",
        sandbox.base_url(),
        sandbox.config().realm_id
    )
}

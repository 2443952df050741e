//! The local runtime (docs/architecture.md §8): one process running the pipeline of `hqsync dev`, `demo` and
//! `sync` (state store, local job queue, worker and poller loops, webhook server) on any endpoints.

pub mod connection;
pub mod endpoints;
pub mod http_serve;
pub mod pipeline;
pub mod runtime;
pub mod stack;
pub mod state;
#[cfg(test)]
mod webhook_limits_tests;
pub mod webhook_server;

pub use connection::{LOCAL_CONNECTION_ID, local_connection};
pub use endpoints::{
    EndpointError, HubspotEndpoint, LocalSandboxAccounts, QuickbooksEndpoint, VendorBudgets,
    VendorEndpoints,
};
pub use pipeline::{Pipeline, PipelineOptions, PipelineStats, PollScope};
pub use runtime::{LocalError, LocalRuntime, VendorApps, configure_connection};
pub use stack::LocalStack;
pub use state::{LocalState, StateLocation};
pub use webhook_server::{WebhookServer, WebhookServerOptions};

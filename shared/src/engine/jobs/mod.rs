//! Jobs: the context the engine runs on, a batch of jobs dispatched to their flows (two-way
//! sync, invoicing) and answered with one disposition each, the retry schedule and outcomes.

mod active;
mod context;
mod dispatch;
mod disposition;
mod gateways;
mod mirror_jobs;
pub(crate) mod outcomes;
pub mod retry_schedule;
mod two_way;
mod worker;

#[cfg(test)]
mod initial_sync_tests;
#[cfg(test)]
pub(crate) mod test_harness;
#[cfg(test)]
mod worker_tests;

pub use context::SyncContext;
pub use disposition::{Disposition, JobResult};
pub use gateways::{FixedGateways, GatewayDirectory, Invoicing};
pub use worker::{QueueRun, process_jobs, process_jobs_until, run_queue_once};

//! Jobs: the context the engine runs on, a batch of jobs taken to their flows (two-way sync,
//! invoicing) and answered with one disposition each, the retry schedule and outcome records.

mod gateways;
mod mirror_jobs;
pub mod retry_schedule;
pub(crate) mod sync_log;
pub(crate) mod worker;

#[cfg(test)]
mod initial_sync_tests;
#[cfg(test)]
pub(crate) mod test_harness;
#[cfg(test)]
mod worker_tests;

pub use gateways::{FixedGateways, GatewayDirectory, Invoicing};
pub use worker::{
    Disposition, JobResult, QueueRun, SyncContext, process_jobs, process_jobs_until, run_queue_once,
};

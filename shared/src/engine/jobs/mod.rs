//! Jobs: the context the engine runs on, a batch of jobs dispatched to their flows (two-way
//! sync, invoicing, initial sync pages) and answered with one disposition each, the retry
//! schedule and outcomes, the settle policy every runtime applies, the poll and sweep schedule,
//! the fanned-out initial sync (`backfill`) and the fanned-out daily sweep (`sweep_job`).

mod action_parties;
mod active;
pub mod backfill;
pub mod backfill_pages;
mod contact_companies;
mod context;
mod dispatch;
mod disposition;
mod estimate_jobs;
mod gateways;
mod mirror_jobs;
pub(crate) mod outcomes;
pub mod overdue;
mod payment_jobs;
mod poll_versions;
pub mod receivables_sweep;
pub mod retry_schedule;
pub mod schedule;
pub mod settle;
mod sub_customers;
pub mod sweep_job;
mod sweep_unchanged;
mod two_way;
mod worker;

#[cfg(test)]
mod backfill_tests;
#[cfg(test)]
mod estimate_backfill_tests;
#[cfg(test)]
mod initial_sync_tests;
#[cfg(test)]
pub(crate) mod test_harness;
#[cfg(test)]
mod worker_tests;

pub use context::SyncContext;
pub use disposition::{Disposition, JobResult};
pub use gateways::{FixedGateways, GatewayDirectory, Invoicing};
pub use settle::{QueueRun, run_queue_once};
pub use worker::{process_jobs, process_jobs_until};

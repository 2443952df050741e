//! The sync engine: the pure planner (`plan`) and, alongside it, the I/O that applies plans.
//! One `pub mod` line per part; each part owns its own folder.

pub mod plan;

mod apply;
pub mod gateways;
pub mod idempotency;
pub mod initial_sync;
pub mod invoicing;
mod mirror_jobs;
pub mod poller;
mod prepare;
pub mod record_source;
pub mod retry_schedule;
mod session;
mod sync_log;
mod unit;
pub mod worker;

#[cfg(test)]
mod initial_sync_tests;
#[cfg(test)]
mod test_harness;
#[cfg(test)]
mod worker_tests;

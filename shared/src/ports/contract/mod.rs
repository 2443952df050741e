//! Contract checks every adapter of a port must pass: one suite per trait, run by the memory
//! and SQLite adapters' tests (and usable by the AWS adapters'). They panic on a violation.

pub mod job_queue;
pub mod link_store;

//! Contract checks every adapter of a port must pass, one suite per capability (the store's
//! seven, the job queue and its dead letters, the admin store's three); test-only (`testing`
//! feature). A check panics on a violation.

pub mod admin;
pub mod dead_letters;
pub mod job_queue;
pub mod store;

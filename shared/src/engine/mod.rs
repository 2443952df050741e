//! The sync engine: `jobs` (the context, a batch of jobs to their flows, retries and outcomes),
//! `sync` (the two-way sync and its pure planner) and the one-way invoicing flows.

pub mod jobs;
pub mod sync;

pub mod invoicing;

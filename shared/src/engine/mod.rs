//! The sync engine: `jobs` (the context, a batch of jobs to their flows, retries and outcomes),
//! `sync` (the two-way sync and its pure planner), the one-way invoicing flows, and the status
//! summary every front end prints.

pub mod jobs;
pub mod sync;

pub mod invoicing;
pub mod status_report;

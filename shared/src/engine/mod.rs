//! The sync engine: `jobs` (the context, a batch of jobs to their flows, retries and outcomes),
//! `sync` (the two-way sync and its pure planner), the one-way invoicing flows, the status
//! summary every front end prints, and mapping rows checked against live fields.

pub mod field_check;
pub mod jobs;
pub mod sync;

pub mod invoicing;
pub mod status_report;

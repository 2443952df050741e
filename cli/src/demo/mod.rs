//! `hqsync demo`'s parts: the stack on free ports (`setup`), a person's edits through the vendor
//! APIs and waiting for the sync to show them (`actor`), and the scripted story (`story`).

pub mod actor;
pub mod invoicing;
pub mod setup;
pub mod story;

//! `hqsync demo`'s parts: the stack on free ports (`setup`), a person's edits (`actor`), the
//! scripted story (`story`), the invoicing chapter, and company customers (`companies`).

pub mod actor;
pub mod companies;
pub mod invoicing;
pub mod setup;
pub mod story;

//! Shared support for the integration tests and benchmarks: starting sandboxes on free ports,
//! loading the recorded vendor fixtures.

pub mod aws_stack;
pub mod fixtures;
pub mod hubspot;
pub mod quickbooks;

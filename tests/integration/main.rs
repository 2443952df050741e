//! The one integration-test binary: vendor clients against the sandboxes, sandbox contract
//! suites, and end-to-end sync scenarios.

mod hubspot_client;
mod hubspot_sandbox;
mod quickbooks_client;
mod quickbooks_sandbox;

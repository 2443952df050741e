//! Shared support for the integration tests and benchmarks: starting sandboxes on free ports,
//! loading the recorded vendor fixtures, the invoice tests' records, sandbox request counts,
//! OAuth installs through the sandboxes' consent pages, `hqsync dev` in-process and a headless
//! Chromium to drive its console (with axe-core's accessibility audit), and the fuzz targets with their runner (`fuzz`).

pub mod admin_server;
pub mod aws_stack;
pub mod bench_size;
pub mod browser;
pub mod connect_browser;
pub mod dev_stack;
pub mod fixtures;
pub mod fuzz;
pub mod hubspot;
pub mod invoicing;
pub mod oauth;
pub mod page_audit;
pub mod quickbooks;
pub mod sandbox_stats;
pub mod workflow_action;

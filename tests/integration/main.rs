//! The one integration-test binary: vendor clients against the sandboxes, sandbox contract
//! suites, and end-to-end sync scenarios.

mod admin_api;
mod admin_fields;
mod admin_initial_sync;
mod admin_settings;
mod app_scopes;
mod aws_admin;
mod aws_dynamodb;
mod aws_end_to_end;
mod aws_local_cloud;
mod aws_moto;
mod aws_secretsmanager;
mod aws_settle_parity;
mod aws_sqs;
mod connect_flow;
mod deploy_guide;
mod dev_runtime;
mod docs_citations;
mod e2e_echo;
mod e2e_faults;
mod e2e_invoice_jobs;
mod e2e_invoices;
mod e2e_payment_records;
mod e2e_stack;
mod e2e_sync;
mod e2e_token_refresh;
mod hubspot_client;
mod hubspot_sandbox;
mod oauth_sandboxes;
mod quickbooks_client;
mod quickbooks_gateway_batch;
mod quickbooks_sandbox;
mod template_binaries;
mod template_metrics;

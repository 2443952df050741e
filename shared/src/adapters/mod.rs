//! Adapters: concrete implementations of the `ports` traits. `memory` for tests, `sqlite` for
//! the local runtime (feature `local`; state kept between runs under `.hqsync/`), the AWS ones
//! (feature `aws`); vendor gateways sit beside them.

#[cfg(feature = "aws")]
pub mod dynamodb;
pub mod hubspot_gateway;
mod hubspot_invoicing;
#[cfg(any(test, feature = "testing"))]
pub mod invoicing_fakes;
pub mod memory;
mod quickbooks_credits;
pub mod quickbooks_gateway;
mod quickbooks_invoicing;
mod quickbooks_receivables;
#[cfg(feature = "aws")]
pub mod secretsmanager;
#[cfg(feature = "local")]
pub mod sqlite;
#[cfg(feature = "aws")]
pub mod sqs;

//! HQSync core library: everything the Lambda functions, the CLI and the tests share.
//! Dependencies point inward: vendor clients and adapters serve the engine through `ports`.

pub mod adapters;
#[cfg(feature = "admin")]
pub mod admin;
#[cfg(feature = "admin")]
pub mod connect;
#[cfg(feature = "admin")]
pub mod console;
pub mod engine;
pub mod http;
pub mod hubspot;
pub mod intake;
#[cfg(feature = "local")]
pub mod local;
pub mod mapping;
pub mod model;
pub mod observability;
pub mod ports;
pub mod quickbooks;
pub mod tokens;

//! HQSync on AWS, shared by the Lambda functions: configuration from the environment and the
//! wiring of the DynamoDB, SQS and Secrets Manager adapters, vendor gateways and token refresh.

pub mod config;
#[cfg(feature = "local-cloud")]
pub mod local_cloud;
pub mod stack;
pub mod webhook_http;

pub use config::{ConfigError, StackConfig};
pub use stack::AwsStack;

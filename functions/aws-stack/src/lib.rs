//! HQSync on AWS, shared by the Lambda functions: configuration from the environment and the
//! wiring of the DynamoDB, SQS and Secrets Manager adapters, vendor gateways and token refresh.

pub mod config;
pub mod gateway_directory;
pub mod local_cloud;
pub mod stack;
pub mod vendor_oauth;
pub mod webhook_http;

pub use config::{ConfigError, StackConfig, VendorEndpoints};
pub use gateway_directory::AwsGateways;
pub use stack::AwsStack;
pub use vendor_oauth::VendorOAuth;

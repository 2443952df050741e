//! Loading the AWS SDK configuration once per process: the real chain on Lambda, or a local
//! endpoint (moto) with a fixed region and test credentials for `hqsync dev` and the tests.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The region local endpoints are addressed in (moto accepts any).
pub const LOCAL_REGION: &str = "us-east-1";

/// The pinned SDK behaviour version (docs/aws.md).
pub fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// The standard chain (Lambda's environment, or `AWS_*` variables and profiles). Honours
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_DYNAMODB` etc. without code changes.
pub async fn aws_sdk_config() -> SdkConfig {
    aws_config::defaults(behavior_version()).load().await
}

/// Every service at `endpoint` (e.g. a moto server), in [`LOCAL_REGION`], with test credentials.
pub async fn local_sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(behavior_version())
        .region(Region::new(LOCAL_REGION))
        .test_credentials()
        .endpoint_url(endpoint)
        .load()
        .await
}

//! Creating the live and bulk queues and their dead-letter queues when absent (`hqsync dev --aws-endpoint`,
//! tests), with the redrive policy template.yaml declares for the deployed stack.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;

use super::{QueueUrls, backend};
use crate::ports::QueueError;

/// Names and limits of the three queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// Queue names are `{prefix}-live`, `{prefix}-bulk`, `{prefix}-live-dlq`, `{prefix}-bulk-dlq`.
    pub prefix: String,
    /// How long a received job stays hidden (SQS guidance: >= 6x the worker's timeout).
    pub visibility_timeout: Duration,
    /// Receives before SQS moves a job to the DLQ by itself.
    pub max_receive_count: u32,
}

impl QueueSettings {
    pub fn new(prefix: impl Into<String>) -> Self {
        QueueSettings {
            prefix: prefix.into(),
            // template.yaml: 6 x the worker's 60 s timeout; MaxReceiveCount default 8.
            visibility_timeout: Duration::from_secs(360),
            max_receive_count: 8,
        }
    }
}

/// Creates (or finds: CreateQueue is idempotent) the queues and returns their URLs: per lane
/// `{prefix}-{lane}` with a redrive policy to `{prefix}-{lane}-dlq`.
pub async fn ensure_queues(
    client: &Client,
    settings: &QueueSettings,
) -> Result<QueueUrls, QueueError> {
    let (live, live_dlq) = lane_with_dead_letter(client, settings, "live").await?;
    let (bulk, bulk_dlq) = lane_with_dead_letter(client, settings, "bulk").await?;
    Ok(QueueUrls {
        live,
        bulk,
        live_dead_letter: Some(live_dlq),
        bulk_dead_letter: Some(bulk_dlq),
    })
}

async fn lane_with_dead_letter(
    client: &Client,
    settings: &QueueSettings,
    lane: &str,
) -> Result<(String, String), QueueError> {
    let dlq = create(client, &format!("{}-{lane}-dlq", settings.prefix), &[]).await?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| backend("GetQueueAttributes", e))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| QueueError::Backend("SQS returned no QueueArn for a DLQ".into()))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": settings.max_receive_count.to_string(),
    })
    .to_string();
    let visibility = settings.visibility_timeout.as_secs().to_string();
    let attributes = [
        (QueueAttributeName::RedrivePolicy, redrive),
        (QueueAttributeName::VisibilityTimeout, visibility),
    ];
    let queue = create(client, &format!("{}-{lane}", settings.prefix), &attributes).await?;
    Ok((queue, dlq))
}

async fn create(
    client: &Client,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> Result<String, QueueError> {
    let mut request = client.create_queue().queue_name(name);
    for (key, value) in attributes {
        request = request.attributes(key.clone(), value);
    }
    request
        .send()
        .await
        .map_err(|e| backend("CreateQueue", e))?
        .queue_url
        .ok_or_else(|| QueueError::Backend(format!("SQS returned no URL for queue {name}")))
}

//! The SQS `JobQueue`: a live and a bulk queue (backfills never delay live changes), batch
//! sends of 10 after deduplicating identical signals, delays, and a dead-letter queue per lane
//! whose messages carry the failure reason as a message attribute.

mod dead_letter;
mod provision;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::operation::change_message_visibility::ChangeMessageVisibilityError;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};

use crate::ports::{Delivery, Job, JobQueue, Lane, QueueError, Receipt, dedup_jobs};

pub use dead_letter::{DeadLetter, FAILURE_REASON_ATTRIBUTE, SOURCE_LANE_ATTRIBUTE};
pub use provision::{QueueSettings, ensure_queues};

/// SQS's limit of entries per batch call and of messages per receive.
pub const SQS_BATCH_MAX: usize = 10;
/// SQS's longest message delay (15 minutes).
pub const MAX_DELAY: Duration = Duration::from_secs(900);
/// SQS's longest visibility timeout (12 hours).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);
/// Rounds of resending entries a batch call reported as failed (not the sender's fault).
const SEND_ROUNDS: usize = 3;

/// The queue URLs of one deployment (template.yaml: `LIVE_QUEUE_URL`, `BULK_QUEUE_URL`, and
/// for the worker `LIVE_DLQ_URL`, `BULK_DLQ_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueUrls {
    pub live: String,
    pub bulk: String,
    /// Where poison live jobs end, with their reason; `None` where the function has no DLQ URL.
    pub live_dead_letter: Option<String>,
    pub bulk_dead_letter: Option<String>,
}

impl QueueUrls {
    pub fn lane(&self, lane: Lane) -> &str {
        match lane {
            Lane::Live => &self.live,
            Lane::Bulk => &self.bulk,
        }
    }

    pub fn dead_letter(&self, lane: Lane) -> Option<&str> {
        match lane {
            Lane::Live => self.live_dead_letter.as_deref(),
            Lane::Bulk => self.bulk_dead_letter.as_deref(),
        }
    }
}

/// The job queue on SQS standard queues. On Lambda, receiving and deleting is done by the event
/// source mapping; `receive`/`ack`/`retry_later` serve the local runtime and tests.
///
/// Unlike the memory and SQLite queues, a signal is not coalesced with an identical one that
/// is already waiting (SQS cannot look into a queue); duplicates are harmless by design
/// (docs/architecture.md §2: a job is a signal and the worker reads both sides first).
#[derive(Clone)]
pub struct SqsJobQueue {
    client: Client,
    urls: QueueUrls,
}

impl SqsJobQueue {
    pub fn new(client: Client, urls: QueueUrls) -> Self {
        SqsJobQueue { client, urls }
    }

    pub fn urls(&self) -> &QueueUrls {
        &self.urls
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The lane of a Lambda SQS record, from its `eventSourceARN` (the queue name is the ARN's
    /// last part and the URL's last path segment).
    pub fn lane_of_source_arn(&self, arn: &str) -> Option<Lane> {
        let name = arn.rsplit(':').next()?;
        [Lane::Live, Lane::Bulk]
            .into_iter()
            .find(|lane| self.urls.lane(*lane).rsplit('/').next() == Some(name))
    }

    /// Hands a message received by Lambda back to its queue, visible again after `delay`
    /// (a throttled job): the receipt handle comes from the SQS event record.
    pub async fn return_after(
        &self,
        lane: Lane,
        receipt_handle: &str,
        delay: Duration,
    ) -> Result<(), QueueError> {
        self.retry_later(&encode_receipt(lane, receipt_handle), delay)
            .await
    }

    /// Sends job bodies (already JSON) to `url`, in batches of 10, visible after `delay`.
    async fn send_bodies(
        &self,
        url: &str,
        bodies: Vec<String>,
        delay: Option<Duration>,
    ) -> Result<usize, QueueError> {
        let delay_seconds = delay.map(|d| d.min(MAX_DELAY).as_secs() as i32);
        let mut written = 0;
        for chunk in bodies.chunks(SQS_BATCH_MAX) {
            let mut pending: Vec<(String, &String)> = chunk
                .iter()
                .enumerate()
                .map(|(i, body)| (i.to_string(), body))
                .collect();
            for round in 1..=SEND_ROUNDS {
                let entries = pending
                    .iter()
                    .map(|(id, body)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(id)
                            .message_body(*body)
                            .set_delay_seconds(delay_seconds)
                            .build()
                            .map_err(|e| backend("SendMessageBatch", e))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| backend("SendMessageBatch", e))?;
                written += out.successful().len();
                if let Some(bad) = out.failed().iter().find(|f| f.sender_fault()) {
                    return Err(QueueError::Backend(format!(
                        "SQS SendMessageBatch rejected a job: {} {}",
                        bad.code(),
                        bad.message().unwrap_or_default()
                    )));
                }
                let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
                pending.retain(|(id, _)| failed.contains(&id.as_str()));
                if pending.is_empty() {
                    break;
                }
                if round == SEND_ROUNDS {
                    return Err(QueueError::Backend(format!(
                        "SQS SendMessageBatch: {} jobs still failing after {SEND_ROUNDS} rounds",
                        pending.len()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50 * round as u64)).await;
            }
        }
        Ok(written)
    }
}

#[async_trait]
impl JobQueue for SqsJobQueue {
    async fn enqueue(
        &self,
        lane: Lane,
        jobs: Vec<Job>,
        delay: Option<Duration>,
    ) -> Result<usize, QueueError> {
        let bodies = dedup_jobs(jobs)
            .iter()
            .map(job_body)
            .collect::<Result<Vec<_>, _>>()?;
        self.send_bodies(self.urls.lane(lane), bodies, delay).await
    }

    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Delivery>, QueueError> {
        let mut deliveries = Vec::new();
        while deliveries.len() < max {
            let wanted = (max - deliveries.len()).min(SQS_BATCH_MAX) as i32;
            let out = self
                .client
                .receive_message()
                .queue_url(self.urls.lane(lane))
                .max_number_of_messages(wanted)
                .wait_time_seconds(0)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .map_err(|e| backend("ReceiveMessage", e))?;
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                let Some(handle) = message.receipt_handle() else {
                    continue;
                };
                let receive_count = message
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1);
                match parse_job(message.body().unwrap_or_default()) {
                    Ok(job) => deliveries.push(Delivery {
                        receipt: encode_receipt(lane, handle),
                        job,
                        receive_count,
                    }),
                    // Left in flight: it comes back after the visibility timeout and ends in
                    // the DLQ after the redrive policy's receive count, body intact.
                    Err(err) => tracing::warn!(
                        message_id = message.message_id().unwrap_or_default(),
                        error = %err,
                        "skipping an unreadable job message"
                    ),
                }
            }
        }
        Ok(deliveries)
    }

    async fn ack(&self, receipts: &[Receipt]) -> Result<(), QueueError> {
        for lane in [Lane::Live, Lane::Bulk] {
            let handles: Vec<String> = receipts
                .iter()
                .map(decode_receipt)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|(l, _)| *l == lane)
                .map(|(_, handle)| handle)
                .collect();
            for chunk in handles.chunks(SQS_BATCH_MAX) {
                let entries = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, handle)| {
                        DeleteMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .receipt_handle(handle)
                            .build()
                            .map_err(|e| backend("DeleteMessageBatch", e))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let out = self
                    .client
                    .delete_message_batch()
                    .queue_url(self.urls.lane(lane))
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| backend("DeleteMessageBatch", e))?;
                // A stale receipt (the message was redelivered meanwhile) is not an error:
                // the newer delivery will be acked by its own receiver.
                for failed in out.failed() {
                    tracing::debug!(
                        code = failed.code(),
                        "SQS did not delete a message (stale receipt)"
                    );
                }
            }
        }
        Ok(())
    }

    async fn retry_later(&self, receipt: &Receipt, delay: Duration) -> Result<(), QueueError> {
        let (lane, handle) = decode_receipt(receipt)?;
        let result = self
            .client
            .change_message_visibility()
            .queue_url(self.urls.lane(lane))
            .receipt_handle(handle)
            .visibility_timeout(delay.min(MAX_VISIBILITY).as_secs() as i32)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                ChangeMessageVisibilityError::MessageNotInflight(_)
                | ChangeMessageVisibilityError::ReceiptHandleIsInvalid(_) => {
                    Err(QueueError::UnknownReceipt(receipt.0.clone()))
                }
                other => Err(backend("ChangeMessageVisibility", other)),
            },
        }
    }

    async fn pending(&self, lane: Lane) -> Result<usize, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(self.urls.lane(lane))
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| backend("GetQueueAttributes", e))?;
        let attributes = out.attributes.unwrap_or_default();
        let count = |name: QueueAttributeName| {
            attributes
                .get(&name)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
        };
        Ok(count(QueueAttributeName::ApproximateNumberOfMessages)
            + count(QueueAttributeName::ApproximateNumberOfMessagesDelayed))
    }

    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Result<(), QueueError> {
        let (lane, _) = decode_receipt(&delivery.receipt)?;
        // Sent before deleted: a crash in between duplicates the letter, never loses it.
        self.send_to_dead_letters(lane, &job_body(&delivery.job)?, reason)
            .await?;
        self.ack(std::slice::from_ref(&delivery.receipt)).await
    }
}

/// The message body of a job (docs/architecture.md §10 JSON).
pub fn job_body(job: &Job) -> Result<String, QueueError> {
    serde_json::to_string(job).map_err(|e| QueueError::Corrupt(format!("cannot encode job: {e}")))
}

/// A job from a message body (the worker reads SQS event records with this).
pub fn parse_job(body: &str) -> Result<Job, QueueError> {
    serde_json::from_str(body).map_err(|e| QueueError::Corrupt(format!("not a job message: {e}")))
}

fn lane_name(lane: Lane) -> &'static str {
    match lane {
        Lane::Live => "live",
        Lane::Bulk => "bulk",
    }
}

/// Receipts carry their lane, since an SQS receipt handle is only valid with its queue URL.
fn encode_receipt(lane: Lane, handle: &str) -> Receipt {
    Receipt(format!("{}|{handle}", lane_name(lane)))
}

fn decode_receipt(receipt: &Receipt) -> Result<(Lane, String), QueueError> {
    let (lane, handle) = receipt
        .0
        .split_once('|')
        .ok_or_else(|| QueueError::UnknownReceipt(receipt.0.clone()))?;
    let lane = match lane {
        "live" => Lane::Live,
        "bulk" => Lane::Bulk,
        _ => return Err(QueueError::UnknownReceipt(receipt.0.clone())),
    };
    Ok((lane, handle.to_owned()))
}

fn backend<E: std::error::Error + 'static>(operation: &str, err: E) -> QueueError {
    QueueError::Backend(format!("SQS {operation}: {}", DisplayErrorContext(err)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_round_trip_with_their_lane_and_reject_foreign_ones() {
        for lane in [Lane::Live, Lane::Bulk] {
            let receipt = encode_receipt(lane, "AQEB|x==");
            assert_eq!(
                decode_receipt(&receipt).unwrap(),
                (lane, "AQEB|x==".to_owned())
            );
        }
        assert!(matches!(
            decode_receipt(&Receipt("nolane".into())),
            Err(QueueError::UnknownReceipt(_))
        ));
        assert!(matches!(
            decode_receipt(&Receipt("dlq|h".into())),
            Err(QueueError::UnknownReceipt(_))
        ));
    }

    #[test]
    fn lambda_records_are_assigned_to_their_lane_by_queue_name() {
        let conf = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .build();
        let queue = SqsJobQueue::new(
            Client::from_conf(conf),
            QueueUrls {
                live: "https://sqs.us-east-1.amazonaws.com/123/hq-LiveQueue-1".into(),
                bulk: "https://sqs.us-east-1.amazonaws.com/123/hq-BulkQueue-2".into(),
                live_dead_letter: None,
                bulk_dead_letter: None,
            },
        );
        assert_eq!(
            queue.lane_of_source_arn("arn:aws:sqs:us-east-1:123:hq-BulkQueue-2"),
            Some(Lane::Bulk)
        );
        assert_eq!(
            queue.lane_of_source_arn("arn:aws:sqs:us-east-1:123:hq-LiveQueue-1"),
            Some(Lane::Live)
        );
        assert_eq!(
            queue.lane_of_source_arn("arn:aws:sqs:us-east-1:123:other"),
            None
        );
    }

    #[test]
    fn unreadable_bodies_are_corrupt_not_panics() {
        assert!(matches!(parse_job("{}"), Err(QueueError::Corrupt(_))));
        assert!(matches!(parse_job("not json"), Err(QueueError::Corrupt(_))));
    }
}

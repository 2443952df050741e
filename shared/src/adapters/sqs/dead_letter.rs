//! The dead-letter queues (one per lane): poison jobs sent there by the worker with their
//! failure reason as a message attribute, inspecting them, and redrive back to the lane
//! (receive + send + delete, since moto lacks `StartMessageMoveTask`; works the same on AWS),
//! and the `DeadLetters` port over them for the admin API.

use async_trait::async_trait;
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};

use super::{SQS_BATCH_MAX, SqsJobQueue, backend, lane_name, parse_job};
use crate::ports::{DeadLetters, Lane, QueueError};

/// Message attribute with the human reason a job was dead-lettered.
pub const FAILURE_REASON_ATTRIBUTE: &str = "failure_reason";
/// Message attribute with the lane the job came from (`live` / `bulk`).
pub const SOURCE_LANE_ATTRIBUTE: &str = "source_lane";
/// Longest reason kept (SQS allows 256 KB per message; reasons are one-liners).
const MAX_REASON_CHARS: usize = 1000;

/// A message waiting in the dead-letter queue.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub message_id: String,
    /// The job message as it was (not parsed: it may be what made it poison).
    pub body: String,
    /// `None` for messages SQS moved itself (redrive policy) after a crash.
    pub reason: Option<String>,
    pub source_lane: Option<Lane>,
    pub receive_count: u32,
}

impl SqsJobQueue {
    fn dead_letter_url(&self, lane: Lane) -> Result<&str, QueueError> {
        self.urls.dead_letter(lane).ok_or_else(|| {
            QueueError::Backend(format!(
                "no dead-letter queue URL configured for the {} lane",
                lane_name(lane)
            ))
        })
    }

    /// Sends `body` to `lane`'s DLQ with `reason` (ids only: never tokens or e-mails).
    pub async fn send_to_dead_letters(
        &self,
        lane: Lane,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        let text = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| backend("SendMessage", e))
        };
        self.client
            .send_message()
            .queue_url(self.dead_letter_url(lane)?)
            .message_body(body)
            .message_attributes(FAILURE_REASON_ATTRIBUTE, text(&reason)?)
            .message_attributes(SOURCE_LANE_ATTRIBUTE, text(lane_name(lane))?)
            .send()
            .await
            .map_err(|e| backend("SendMessage", e))?;
        Ok(())
    }

    /// Up to `max` dead letters with their receipt handles (hidden for the DLQ's visibility
    /// timeout while the caller looks at them).
    async fn receive_dead_letters(
        &self,
        lane: Lane,
        max: usize,
    ) -> Result<Vec<(DeadLetter, String)>, QueueError> {
        let url = self.dead_letter_url(lane)?;
        let mut out = Vec::new();
        while out.len() < max {
            let wanted = (max - out.len()).min(SQS_BATCH_MAX) as i32;
            let received = self
                .client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(wanted)
                .wait_time_seconds(0)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .map_err(|e| backend("ReceiveMessage", e))?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                let Some(handle) = message.receipt_handle() else {
                    continue;
                };
                let attribute = |name: &str| {
                    message
                        .message_attributes()
                        .and_then(|a| a.get(name))
                        .and_then(|v| v.string_value())
                        .map(str::to_owned)
                };
                let source_lane = match attribute(SOURCE_LANE_ATTRIBUTE).as_deref() {
                    Some("live") => Some(Lane::Live),
                    Some("bulk") => Some(Lane::Bulk),
                    _ => None,
                };
                let letter = DeadLetter {
                    message_id: message.message_id().unwrap_or_default().to_owned(),
                    body: message.body().unwrap_or_default().to_owned(),
                    reason: attribute(FAILURE_REASON_ATTRIBUTE),
                    source_lane,
                    receive_count: message
                        .attributes()
                        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1),
                };
                out.push((letter, handle.to_owned()));
            }
        }
        Ok(out)
    }

    /// Moves up to `max` dead letters of `lane`'s DLQ back to `lane`; returns them. Each is
    /// sent before it is deleted, so a crash in between duplicates rather than loses.
    pub async fn redrive(&self, lane: Lane, max: usize) -> Result<Vec<DeadLetter>, QueueError> {
        self.redrive_chosen(lane, None, max).await
    }

    /// [`Self::redrive`] of the letters whose message id is in `ids` (all when `None`); the
    /// others received on the way are made visible again at once.
    pub async fn redrive_chosen(
        &self,
        lane: Lane,
        ids: Option<&[String]>,
        max: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let url = self.dead_letter_url(lane)?.to_owned();
        let wanted = ids.map_or(max, |ids| ids.len().min(max));
        // With ids, look at the whole DLQ (bounded) to find them.
        let letters = self
            .receive_dead_letters(lane, if ids.is_some() { LOOK_AT_MOST } else { max })
            .await?;
        let mut moved = Vec::with_capacity(letters.len());
        for (letter, handle) in letters {
            let chosen =
                moved.len() < wanted && ids.is_none_or(|ids| ids.contains(&letter.message_id));
            if !chosen {
                self.release(&url, handle, std::time::Duration::ZERO)
                    .await?;
                continue;
            }
            self.send_bodies(self.urls.lane(lane), vec![letter.body.clone()], None)
                .await?;
            self.client
                .delete_message()
                .queue_url(&url)
                .receipt_handle(handle)
                .send()
                .await
                .map_err(|e| backend("DeleteMessage", e))?;
            moved.push(letter);
        }
        Ok(moved)
    }

    /// Dead letters currently visible, without removing them (each is hidden for `visibility`
    /// afterwards, so call this for inspection, not in a loop).
    pub async fn peek_dead_letters(
        &self,
        lane: Lane,
        max: usize,
        visibility: std::time::Duration,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let url = self.dead_letter_url(lane)?.to_owned();
        let letters = self.receive_dead_letters(lane, max).await?;
        let mut out = Vec::with_capacity(letters.len());
        for (letter, handle) in letters {
            self.release(&url, handle, visibility).await?;
            out.push(letter);
        }
        Ok(out)
    }

    /// Makes a received dead letter visible again after `visibility`.
    async fn release(
        &self,
        url: &str,
        handle: String,
        visibility: std::time::Duration,
    ) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(handle)
            .visibility_timeout(visibility.as_secs() as i32)
            .send()
            .await
            .map_err(|e| backend("ChangeMessageVisibility", e))?;
        Ok(())
    }
}

/// Most dead letters looked at to find chosen ids, or to list.
const LOOK_AT_MOST: usize = 1000;

impl DeadLetter {
    /// The port's view: the job parsed when it still parses, the lane it came from.
    fn into_port(self, lane: Lane) -> crate::ports::DeadLetter {
        crate::ports::DeadLetter {
            job: parse_job(&self.body).ok(),
            id: self.message_id,
            lane: self.source_lane.unwrap_or(lane),
            reason: self.reason,
            receive_count: self.receive_count,
            dead_lettered_at: None,
        }
    }
}

#[async_trait]
impl DeadLetters for SqsJobQueue {
    async fn list_dead_letters(
        &self,
        lane: Lane,
        max: usize,
    ) -> Result<Vec<crate::ports::DeadLetter>, QueueError> {
        let letters = self
            .peek_dead_letters(lane, max.min(LOOK_AT_MOST), std::time::Duration::ZERO)
            .await?;
        Ok(letters.into_iter().map(|l| l.into_port(lane)).collect())
    }

    async fn redrive(
        &self,
        lane: Lane,
        ids: Option<&[String]>,
        max: usize,
    ) -> Result<Vec<crate::ports::DeadLetter>, QueueError> {
        let moved = self.redrive_chosen(lane, ids, max).await?;
        Ok(moved.into_iter().map(|l| l.into_port(lane)).collect())
    }
}

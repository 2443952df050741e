//! The `DeadLetters` port: jobs the settle policy gave up on, kept with their reason and the
//! lane they came from, listed for the admin and redriven to that lane.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::job_queue::{Job, Lane, QueueError};

/// One dead-lettered job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// Stable while the letter waits (the SQS message id; the local queues' row id).
    pub id: String,
    /// The lane it came from, where a redrive puts it back.
    pub lane: Lane,
    /// The job, when its message still parses (a poison message may not).
    pub job: Option<Job>,
    /// Why it was given up on; `None` when SQS moved it by its redrive policy (a crash).
    pub reason: Option<String>,
    pub receive_count: u32,
    pub dead_lettered_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait DeadLetters: Send + Sync {
    /// Up to `max` dead letters of `lane`, oldest first, without removing them.
    async fn list_dead_letters(
        &self,
        lane: Lane,
        max: usize,
    ) -> Result<Vec<DeadLetter>, QueueError>;

    /// Moves the dead letters with these ids (all of `lane`'s when `ids` is `None`, at most
    /// `max`) back to the lane each came from, sent before removed (a crash between duplicates,
    /// never loses). Returns the letters moved.
    async fn redrive(
        &self,
        lane: Lane,
        ids: Option<&[String]>,
        max: usize,
    ) -> Result<Vec<DeadLetter>, QueueError>;
}

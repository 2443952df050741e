//! What happens to a job once its flow looked at it: done, handed back after a delay, or
//! dropped; one answer per job of a batch.

use std::time::Duration;

use crate::ports::Job;

/// What the caller should do with a job after the worker looked at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Handled: synced, excluded, or failed with its own retry scheduled. Delete the job.
    Done,
    /// Give the job back to the queue after `delay` (throttling, transient faults, a key being
    /// created by another job, a paused connection). Not a record failure.
    RetryAfter { delay: Duration, reason: String },
    /// The job can never be processed (unknown connection, sync off); delete it.
    Dropped { reason: String },
    /// The invocation ran out of time before this job started: queue it again at once, as a
    /// fresh message, so the hand-back does not count toward its receive limit.
    NotStarted { reason: String },
}

/// The answer for one job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobResult {
    pub job: Job,
    pub disposition: Disposition,
}

/// The answer for jobs the worker had no time left to start.
pub(crate) fn out_of_time() -> Disposition {
    Disposition::NotStarted {
        reason: "the invocation ran out of time before this job started; queued again".into(),
    }
}

/// The answer for a job its flow returned no disposition for: handed back, never deleted.
pub(crate) fn no_answer() -> Disposition {
    Disposition::RetryAfter {
        delay: Duration::ZERO,
        reason: "no result was recorded for this job; handed back".into(),
    }
}

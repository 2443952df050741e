//! The `JobQueue` port and the job message (docs/architecture.md §10): a job is a signal that a record may
//! have changed, never a payload to trust; live and bulk lanes, delays, receive/ack/retry.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{ActionExecution, ConnectionId, ObjectKind, Side};

/// The message format version this code writes and reads.
pub const JOB_VERSION: u8 = 1;

/// What produced a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobReason {
    Webhook,
    Poll,
    Backfill,
    Retry,
    Action,
    /// The daily sweep of one connection (see [`Job::sweep`]): an order, not a record signal.
    Sweep,
}

/// "Record `id` of `kind` on `side` of `connection` may have changed."
/// Serialises exactly as docs/architecture.md §10: `{"v":1,"connection","kind","side","id","reason","seen_at"}`.
/// A workflow-action job is an invoice job on the HubSpot side whose `id` is the deal and which
/// also carries the execution (`"action":{"callback_id","inputs"}`): an order, not a signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub v: u8,
    pub connection: ConnectionId,
    pub kind: ObjectKind,
    pub side: Side,
    pub id: String,
    pub reason: JobReason,
    pub seen_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionExecution>,
    /// Set on the jobs of a fanned-out initial sync: the run they count into, and on a page
    /// job the page to list (`"backfill":{"run","page":{"number","after"}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<BackfillTag>,
    /// Set on the job of a record a vendor reported merged away: the id (same kind and side)
    /// it was merged into (a QBO `Merge`'s `deletedId` job names the kept customer,
    /// docs/architecture.md §13). A hint the worker checks against both records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// When the vendor says the record changed, if the signal says (a QBO webhook's
    /// `lastUpdated` of a create or update): the worker drops a job whose change is not newer
    /// than what the link's baseline already holds, without a read (docs/architecture.md §14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<DateTime<Utc>>,
}

/// Which initial sync run a job belongs to, and for a page job which page it lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillTag {
    pub run: String,
    /// A page job (list this page, queue its records and the next page) rather than a record
    /// job (sync the record, then count it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<BackfillPage>,
}

/// The page a page job lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillPage {
    /// 1 for the first page of a kind and side.
    pub number: u32,
    /// The vendor's cursor after the previous page; `None` for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The QBO-only form this page lists (`Estimate`, model/kinds/forms.rs) instead of the
    /// kind's own records; the kind's listing hands over to it after its last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
}

impl Job {
    pub fn new(
        connection: ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: impl Into<String>,
        reason: JobReason,
        seen_at: DateTime<Utc>,
    ) -> Self {
        Job {
            v: JOB_VERSION,
            connection,
            kind,
            side,
            id: id.into(),
            reason,
            seen_at,
            action: None,
            backfill: None,
            merged_into: None,
            changed_at: None,
        }
    }

    /// Takes in another signal for the same record (coalescing): the earliest sighting, and
    /// the newest change time, or none when either signal has none (it must be read then).
    pub fn absorb(&mut self, other: &Job) {
        self.seen_at = self.seen_at.min(other.seen_at);
        // A merge hint survives the coalescing (docs/architecture.md §13).
        if self.merged_into.is_none() {
            self.merged_into = other.merged_into.clone();
        }
        self.changed_at = match (self.changed_at, other.changed_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }

    /// The page job listing page `page` of `kind` on `side` for initial sync run `run`. Its
    /// id names run, form (if any) and page, so it never coalesces with a record's job or
    /// another page.
    pub fn backfill_page(
        connection: ConnectionId,
        kind: ObjectKind,
        side: Side,
        run: &str,
        page: BackfillPage,
        seen_at: DateTime<Utc>,
    ) -> Self {
        Job {
            backfill: Some(BackfillTag {
                run: run.to_owned(),
                page: Some(page.clone()),
            }),
            ..Job::new(
                connection,
                kind,
                side,
                match &page.form {
                    None => format!("{run}:page:{}", page.number),
                    Some(form) => format!("{run}:page:{form}:{}", page.number),
                },
                JobReason::Backfill,
                seen_at,
            )
        }
    }

    /// The daily sweep of `connection`, queued by the poller on the bulk lane: the worker starts
    /// the connection's reconciliation run and queues its overdue invoices. A whole-connection
    /// order, so `kind` and `side` are fixed placeholders and `id` is `sweep`; never grouped with
    /// record jobs (see [`Job::is_sweep`]).
    pub fn sweep(connection: ConnectionId, seen_at: DateTime<Utc>) -> Self {
        Job::new(
            connection,
            ObjectKind::Contact,
            Side::Quickbooks,
            "sweep",
            JobReason::Sweep,
            seen_at,
        )
    }

    /// Whether this is a connection's sweep order.
    pub fn is_sweep(&self) -> bool {
        self.reason == JobReason::Sweep
    }

    /// The page this job lists, when it is an initial sync's page job.
    pub fn backfill_page_of(&self) -> Option<(&str, &BackfillPage)> {
        let tag = self.backfill.as_ref()?;
        Some((tag.run.as_str(), tag.page.as_ref()?))
    }

    /// The initial sync run this record job counts into (`None` for page jobs and others).
    pub fn backfill_run(&self) -> Option<&str> {
        match &self.backfill {
            Some(tag) if tag.page.is_none() => Some(&tag.run),
            _ => None,
        }
    }

    /// "Create a QBO invoice from `deal_id`" for one workflow execution.
    pub fn create_invoice(
        connection: ConnectionId,
        deal_id: impl Into<String>,
        execution: ActionExecution,
        seen_at: DateTime<Utc>,
    ) -> Self {
        Job {
            action: Some(execution),
            ..Job::new(
                connection,
                ObjectKind::Invoice,
                Side::Hubspot,
                deal_id,
                JobReason::Action,
                seen_at,
            )
        }
    }

    /// Identity of the work: two jobs with the same subject ask for the same work. Signals are
    /// about a record; each workflow execution is its own work, even on the same deal.
    pub fn subject(&self) -> JobSubject {
        JobSubject {
            connection: self.connection.to_string(),
            kind: self.kind,
            side: self.side,
            id: self.id.clone(),
            execution: self.action.as_ref().map(|a| a.callback_id.clone()),
        }
    }
}

/// See [`Job::subject`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobSubject {
    pub connection: String,
    pub kind: ObjectKind,
    pub side: Side,
    pub id: String,
    /// The workflow execution's callbackId, for action jobs.
    pub execution: Option<String>,
}

/// `connection|kind|side|id[|callbackId]`: the stable text form queues coalesce on.
impl std::fmt::Display for JobSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}|{}|{}|{}",
            self.connection, self.kind, self.side, self.id
        )?;
        match &self.execution {
            Some(callback) => write!(f, "|{callback}"),
            None => Ok(()),
        }
    }
}

/// Drops repeated signals for the same record, keeping the first position of each subject, the
/// earliest `seen_at` and the newest `changed_at` (see [`Job::absorb`]), so "changed since"
/// reasoning stays conservative.
pub fn dedup_jobs(jobs: Vec<Job>) -> Vec<Job> {
    let mut first: BTreeMap<JobSubject, usize> = BTreeMap::new();
    let mut out: Vec<Job> = Vec::with_capacity(jobs.len());
    for job in jobs {
        let key = job.subject();
        match first.get(&key) {
            Some(&at) => out[at].absorb(&job),
            None => {
                first.insert(key, out.len());
                out.push(job);
            }
        }
    }
    out
}

/// Live jobs (webhooks, polls, retries) are kept apart from bulk backfills so a backfill never
/// delays a user's edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    Live,
    Bulk,
}

/// Handle of a received job, for `ack` / `retry_later`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Receipt(pub String);

/// A job handed to a worker; invisible to other receivers until acked, retried or timed out.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub receipt: Receipt,
    pub job: Job,
    /// How many times this message was received, this time included.
    pub receive_count: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("unknown or expired receipt {0:?}")]
    UnknownReceipt(String),
    #[error("a queued message could not be read: {0}")]
    Corrupt(String),
    #[error("job queue backend failed: {0}")]
    Backend(String),
}

/// Where jobs wait. SQS on AWS (where Lambda receives and deletes natively), SQLite or memory
/// locally, where the local runtime drives `receive`/`ack`/`retry_later` itself.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Enqueues `jobs` (deduplicated first, see [`dedup_jobs`]), visible after `delay`.
    /// Returns how many messages were actually written.
    async fn enqueue(
        &self,
        lane: Lane,
        jobs: Vec<Job>,
        delay: Option<Duration>,
    ) -> Result<usize, QueueError>;

    /// Up to `max` visible jobs, oldest first; each stays invisible for the queue's visibility
    /// timeout (a crashed worker's jobs come back).
    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Delivery>, QueueError>;

    /// Done with these jobs: delete them.
    async fn ack(&self, receipts: &[Receipt]) -> Result<(), QueueError>;

    /// Make the job visible again after `delay` (partial-batch failure, throttling).
    async fn retry_later(&self, receipt: &Receipt, delay: Duration) -> Result<(), QueueError>;

    /// Jobs waiting (visible or delayed, not in flight) on a lane.
    async fn pending(&self, lane: Lane) -> Result<usize, QueueError>;

    /// Gives up on a received job: removes it from its lane and keeps it as a dead letter with
    /// `reason` and the lane it came from (listed and redriven through `DeadLetters`), never
    /// delivered again by itself. A stale receipt (redelivered since) changes nothing.
    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Result<(), QueueError>;
}

/// Empties a local queue outright: waiting, delayed and in-flight jobs alike (a restarted
/// `hqsync dev` faces fresh sandboxes, whose ids the old jobs do not name). Dead letters stay.
#[async_trait]
pub trait PurgeQueue: Send + Sync {
    /// Removes every job of both lanes; returns how many there were.
    async fn purge(&self) -> Result<usize, QueueError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActionInputs;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    fn execution(callback: &str) -> ActionExecution {
        ActionExecution {
            callback_id: callback.into(),
            doc_kind: Default::default(),
            inputs: ActionInputs::default(),
        }
    }

    #[test]
    fn signals_coalesce_but_each_workflow_execution_is_its_own_work() {
        let c = ConnectionId::new("acme").unwrap();
        let signal = |s| {
            Job::new(
                c.clone(),
                ObjectKind::Invoice,
                Side::Quickbooks,
                "7",
                JobReason::Webhook,
                at(s),
            )
        };
        let jobs = vec![
            signal(20),
            signal(10),
            Job::create_invoice(c.clone(), "55", execution("cb-1"), at(30)),
            Job::create_invoice(c.clone(), "55", execution("cb-2"), at(31)),
            Job::create_invoice(c.clone(), "55", execution("cb-1"), at(32)),
        ];
        let kept = dedup_jobs(jobs);
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0].seen_at, at(10), "the earliest sighting is kept");
        assert_eq!(
            kept[1].subject().to_string(),
            "acme|invoice|hubspot|55|cb-1"
        );
        assert_eq!(
            kept[2].subject().to_string(),
            "acme|invoice|hubspot|55|cb-2"
        );
        assert_eq!(kept[0].subject().to_string(), "acme|invoice|quickbooks|7");
    }

    #[test]
    fn coalesced_signals_keep_the_newest_change_time_or_none() {
        let c = ConnectionId::new("acme").unwrap();
        let signal = |changed: Option<i64>| Job {
            changed_at: changed.map(at),
            ..Job::new(
                c.clone(),
                ObjectKind::Contact,
                Side::Quickbooks,
                "7",
                JobReason::Webhook,
                at(0),
            )
        };
        let kept = dedup_jobs(vec![signal(Some(5)), signal(Some(9)), signal(Some(7))]);
        assert_eq!(kept[0].changed_at, Some(at(9)));
        let kept = dedup_jobs(vec![signal(Some(5)), signal(None)]);
        assert_eq!(
            kept[0].changed_at, None,
            "a signal without a time must be read"
        );
    }

    #[test]
    fn the_wire_format_is_designs_and_old_messages_still_read() {
        let c = ConnectionId::new("acme").unwrap();
        let job = Job::new(
            c,
            ObjectKind::Contact,
            Side::Hubspot,
            "123",
            JobReason::Poll,
            at(0),
        );
        let wire = serde_json::to_value(&job).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({"v":1,"connection":"acme","kind":"contact","side":"hubspot",
                "id":"123","reason":"poll","seen_at":"1970-01-01T00:00:00Z"})
        );
        let back: Job = serde_json::from_value(wire).unwrap();
        assert_eq!(back, job);
        let page = Job::backfill_page(
            ConnectionId::new("acme").unwrap(),
            ObjectKind::Product,
            Side::Quickbooks,
            "run-1",
            BackfillPage {
                number: 2,
                after: Some("40".into()),
                form: None,
            },
            at(0),
        );
        let wire = serde_json::to_value(&page).unwrap();
        assert_eq!(wire["id"], "run-1:page:2");
        assert_eq!(
            wire["backfill"],
            serde_json::json!({"run":"run-1","page":{"number":2,"after":"40"}})
        );
        let back: Job = serde_json::from_value(wire).unwrap();
        assert_eq!(
            back.backfill_page_of().map(|(run, p)| (run, p.number)),
            Some(("run-1", 2))
        );
        assert_eq!(back.backfill_run(), None, "a page job is not a record job");
        let action: Job = serde_json::from_str(
            r#"{"v":1,"connection":"acme","kind":"invoice","side":"hubspot","id":"55","reason":"action",
                "seen_at":"1970-01-01T00:00:00Z","action":{"callback_id":"cb","inputs":{"due_in_days":3,"memo":null,"send_email":true}}}"#,
        )
        .unwrap();
        assert_eq!(action.action.unwrap().inputs.due_in_days, Some(3));
    }
}

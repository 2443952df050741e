//! The `InitialSyncRuns` capability: a connection's latest fanned-out initial sync (its id,
//! start and per kind counters that its page and record jobs add to), replaced by the next run.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{ConnectionId, ObjectKind};

/// What the jobs of one kind of a run did so far. Every field only grows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunCounts {
    /// Records read from the vendors' listings.
    pub listed: u64,
    /// Record jobs written to the bulk lane.
    pub queued: u64,
    /// Record jobs finished without a failure.
    pub done: u64,
    /// Record jobs that ended failed (the record's status says why) or were given up.
    pub failed: u64,
    /// Page jobs queued (the first page of each side, then each next page).
    pub pages_queued: u64,
    /// Page jobs that listed their page.
    pub pages_done: u64,
    /// Page jobs given up (the listing of that side stopped there).
    pub pages_failed: u64,
    /// Listed records a sweep did not queue: linked, and both sides' versions and the kind's
    /// settings the same as when their link was last synced (`engine::jobs::sweep_unchanged`).
    pub unchanged: u64,
}

impl RunCounts {
    /// Adds every counter of `delta`.
    pub fn add(&mut self, delta: &RunCounts) {
        self.listed += delta.listed;
        self.queued += delta.queued;
        self.done += delta.done;
        self.failed += delta.failed;
        self.pages_queued += delta.pages_queued;
        self.pages_done += delta.pages_done;
        self.pages_failed += delta.pages_failed;
        self.unchanged += delta.unchanged;
    }

    pub fn is_zero(&self) -> bool {
        *self == RunCounts::default()
    }

    /// The counters by name, in a fixed order (how the DynamoDB adapter names attributes).
    pub fn named(&self) -> [(&'static str, u64); 8] {
        [
            ("listed", self.listed),
            ("queued", self.queued),
            ("done", self.done),
            ("failed", self.failed),
            ("pages_queued", self.pages_queued),
            ("pages_done", self.pages_done),
            ("pages_failed", self.pages_failed),
            ("unchanged", self.unchanged),
        ]
    }

    /// Sets the counter called `name` (one of [`RunCounts::named`]); false for another name.
    pub fn set_named(&mut self, name: &str, value: u64) -> bool {
        let slot = match name {
            "listed" => &mut self.listed,
            "queued" => &mut self.queued,
            "done" => &mut self.done,
            "failed" => &mut self.failed,
            "pages_queued" => &mut self.pages_queued,
            "pages_done" => &mut self.pages_done,
            "pages_failed" => &mut self.pages_failed,
            "unchanged" => &mut self.unchanged,
            _ => return false,
        };
        *slot = value;
        true
    }
}

/// One fanned-out initial sync of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitialSyncRun {
    pub id: String,
    pub started_at: DateTime<Utc>,
    /// The kinds the run syncs, with their counters.
    pub kinds: BTreeMap<ObjectKind, RunCounts>,
    /// Why a page could not be listed (the last such reason), if one could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The latest initial sync run per connection.
#[async_trait]
pub trait InitialSyncRuns: Send + Sync {
    async fn get_initial_sync(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<InitialSyncRun>, StoreError>;

    /// Stores `run` as the connection's run if the stored one's id is `replacing` (`None`: no
    /// run stored yet). `Ok(false)`, and nothing written, when another run got there first.
    async fn replace_initial_sync(
        &self,
        connection: &ConnectionId,
        run: &InitialSyncRun,
        replacing: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// Adds `delta` to the counters of `kind` in run `run_id` atomically (concurrent workers
    /// count into one run), and sets the run's error when `error` is given. Nothing happens
    /// when `run_id` is no longer the connection's run.
    async fn count_initial_sync(
        &self,
        connection: &ConnectionId,
        run_id: &str,
        kind: ObjectKind,
        delta: &RunCounts,
        error: Option<&str>,
    ) -> Result<(), StoreError>;
}

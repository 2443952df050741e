//! The execution record: written before the QBO create and completed with the document's id, so
//! a retry after a crash finds what it made whatever QBO still remembers of the `requestid`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{ConnectionId, DocKind, ObjectKind};
use crate::ports::{ClaimOutcome, Claims, RecordRef, StoreError};

/// How long the record outlives the execution: far beyond HubSpot's wait for the callback
/// (`EXPIRATION`, one hour) and its retries, so a late retry still finds the document.
const RECORD_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

/// What an earlier run of the same execution left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// First run: nothing was recorded before (the record now is).
    New,
    /// A run got as far as the create and recorded the document's id.
    Written(String),
    /// A run recorded its plan but not the answer: it may have crashed after QBO created the
    /// document, so look for the document's mark before creating.
    Planned,
}

/// Why the record could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The store failed: the execution is retried (nothing was created after this).
    #[error("the workflow execution record could not be kept: {0}")]
    Store(#[from] StoreError),
    /// The callback id is recorded for another deal (a forged or garbled execution).
    #[error("this workflow execution is recorded for deal {0}, not this deal")]
    OtherDeal(String),
}

/// The executions of one connection, kept as claims on the key `action:{kind}:{callbackId}`
/// (the claims store already survives crashes and names what a create made, docs/architecture.md §10).
pub struct ExecutionRecords<'a> {
    pub claims: &'a dyn Claims,
    pub connection: &'a ConnectionId,
    pub now: DateTime<Utc>,
}

impl std::fmt::Debug for ExecutionRecords<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionRecords")
            .field("connection", self.connection)
            .finish_non_exhaustive()
    }
}

fn key(kind: DocKind, callback_id: &str) -> String {
    format!("action:{}:{callback_id}", kind.as_str())
}

/// The owner is the deal: one execution belongs to one deal.
fn owner(deal_id: &str) -> RecordRef {
    RecordRef::new(crate::model::Side::Hubspot, deal_id)
}

impl ExecutionRecords<'_> {
    /// Records that execution `callback_id` of `deal_id` is about to create its document, and
    /// says what an earlier run left. Another deal holding the key is refused.
    pub async fn begin(
        &self,
        kind: DocKind,
        callback_id: &str,
        deal_id: &str,
    ) -> Result<Recorded, RecordError> {
        let outcome = self
            .claims
            .claim_key(
                self.connection,
                ObjectKind::Invoice,
                &key(kind, callback_id),
                &owner(deal_id),
                RECORD_TTL,
                self.now,
            )
            .await?;
        Ok(match outcome {
            ClaimOutcome::Claimed => Recorded::New,
            ClaimOutcome::AlreadyOwned(claim) => match claim.created_id {
                Some(id) => Recorded::Written(id),
                None => Recorded::Planned,
            },
            ClaimOutcome::HeldBy(claim) => {
                return Err(RecordError::OtherDeal(claim.owner.id));
            }
        })
    }

    /// Completes the record with the created document's QBO id.
    pub async fn written(
        &self,
        kind: DocKind,
        callback_id: &str,
        deal_id: &str,
        qbo_id: &str,
    ) -> Result<(), RecordError> {
        Ok(self
            .claims
            .note_created(
                self.connection,
                ObjectKind::Invoice,
                &key(kind, callback_id),
                &owner(deal_id),
                qbo_id,
            )
            .await?)
    }
}

//! The store ports: one trait per capability (links, key claims, cursors, status log, leases,
//! connections, forgetting a kind, initial sync runs, pending creates) and `Store`, their sum, for
//! contexts that hold all of them.

mod claims;
mod connections;
mod cursors;
mod forget;
mod initial_sync_runs;
mod leases;
mod links;
mod pending_creates;
mod status_log;

pub use claims::{Claim, ClaimOutcome, Claims, RecordRef};
pub use connections::{BrokenConnection, ConnectionListing, Connections};
pub use cursors::{Cursor, Cursors, QueuedVersion};
pub use forget::ForgetKind;
pub use initial_sync_runs::{InitialSyncRun, InitialSyncRuns, RunCounts};
pub use leases::{Lease, Leases};
pub use links::Links;
pub use pending_creates::{PendingCreate, PendingCreates};
pub use status_log::StatusLog;

use crate::model::Side;

/// Why a store operation failed. Condition failures are ordinary outcomes the engine acts on
/// (re-read and re-plan); `Backend` and `Corrupt` are faults.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `create_link`/`relink`: one of the records is already linked (invariant 1).
    #[error("the {side:?} record {id} is already linked")]
    AlreadyLinked { side: Side, id: String },
    /// `update_link`/`relink`/`delete_link`: the link changed or vanished since it was read
    /// (invariant 3). `found` is the stored revision, `None` when the link is gone.
    #[error("the link changed since it was read (expected revision {expected}, found {found:?})")]
    RevisionMismatch { expected: u64, found: Option<u64> },
    /// `update_link` was asked to change which records a link joins; use `relink`.
    #[error("update_link cannot change the linked ids; use relink")]
    IdsChanged,
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("link store backend failed: {0}")]
    Backend(String),
}

/// Everything the engine remembers, in one value: what a running context holds. Code that needs
/// one capability asks for that trait (`&dyn Cursors`), not for `Store`. Every key starts with
/// the connection id.
pub trait Store:
    Links
    + Claims
    + Cursors
    + StatusLog
    + Leases
    + Connections
    + ForgetKind
    + InitialSyncRuns
    + PendingCreates
{
}

impl<T> Store for T where
    T: Links
        + Claims
        + Cursors
        + StatusLog
        + Leases
        + Connections
        + ForgetKind
        + InitialSyncRuns
        + PendingCreates
        + ?Sized
{
}

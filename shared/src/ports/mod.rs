//! Ports: the traits the engine talks to (store capabilities, job queue, token vault, clock, vendor
//! records). Adapters implement them; the engine never sees a concrete store, queue or vendor.

pub mod admin;
pub mod clock;
pub mod connection;
#[cfg(any(test, feature = "testing"))]
pub mod contract;
pub mod dead_letters;
pub mod fields;
pub mod invoicing;
pub mod job_queue;
pub mod lanes;
pub mod record_gateway;
pub mod replay_guard;
pub mod store;
pub mod sync_status;
pub mod token_buckets;
pub mod token_vault;

pub use admin::{
    AdminStore, AuditEntry, AuditLog, LoginAttempts, PendingAuthorization, PendingAuthorizations,
};
pub use clock::{Clock, SystemClock};
pub use connection::{ConnectionRecord, ConnectionStatus};
pub use dead_letters::{DeadLetter, DeadLetters};
pub use fields::{FieldCatalog, LiveField};
pub use job_queue::{
    BackfillPage, BackfillTag, Delivery, Job, JobQueue, JobReason, Lane, PurgeQueue, QueueError,
    Receipt, dedup_jobs,
};
pub use lanes::{BULK_SIGNALS_OVER, Origin, lane_for};
pub use record_gateway::{
    Changes, CreateRequest, DeactivateRequest, FieldTimes, GatewayError, Page, RecordError,
    RecordErrorKind, RecordGateway, UpdateRequest,
};
pub use replay_guard::ReplayGuard;
pub use store::{
    BrokenConnection, Claim, ClaimOutcome, Claims, ConnectionListing, Connections, Cursor, Cursors,
    ForgetKind, InitialSyncRun, InitialSyncRuns, Lease, Leases, Links, PendingCreate,
    PendingCreates, QueuedVersion, RecordRef, RunCounts, StatusLog, Store, StoreError,
};
pub use sync_status::{
    ConflictNote, FailureDetail, FieldWarning, SyncLogEntry, SyncOutcome, SyncStatus,
};
pub use token_buckets::{BucketSpec, BucketState, Grant, TokenBuckets, take_from};
pub use token_vault::{
    AppCredentials, QUICKBOOKS_SANDBOX_ENVIRONMENT, QuickbooksKeys, SideTokens, TokenVault,
    VaultError,
};

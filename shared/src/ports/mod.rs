//! Ports: the traits the engine talks to (link store, job queue, token vault, clock, vendor
//! records). Adapters implement them; the engine never sees a concrete store, queue or vendor.

pub mod clock;
pub mod connection;
pub mod contract;
pub mod invoicing;
pub mod job_queue;
pub mod link_store;
pub mod record_gateway;
pub mod sync_status;
pub mod token_vault;

pub use clock::{Clock, SystemClock};
pub use connection::{ConnectionRecord, ConnectionStatus};
pub use job_queue::{Delivery, Job, JobQueue, JobReason, Lane, QueueError, Receipt, dedup_jobs};
pub use link_store::{Claim, ClaimOutcome, Cursor, Lease, LinkStore, RecordRef, StoreError};
pub use record_gateway::{
    Changes, CreateRequest, DeactivateRequest, GatewayError, Page, RecordError, RecordErrorKind,
    RecordGateway, UpdateRequest,
};
pub use sync_status::{ConflictNote, FailureDetail, SyncLogEntry, SyncOutcome, SyncStatus};
pub use token_vault::{AppCredentials, SideTokens, TokenVault, VaultError};

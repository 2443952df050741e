//! In-memory adapters: the store, job queue, token vault, replay guard and shared rate buckets
//! (shipped), and, for tests only (`testing` feature), a manual clock and `MemoryGateway`.

#[cfg(any(test, feature = "testing"))]
pub mod clock;
#[cfg(any(test, feature = "testing"))]
pub mod gateway;
#[cfg(any(test, feature = "testing"))]
mod gateway_fields;
pub mod job_queue;
pub mod replay_guard;
pub mod store;
pub mod token_buckets;
pub mod token_vault;

#[cfg(any(test, feature = "testing"))]
pub use clock::ManualClock;
#[cfg(any(test, feature = "testing"))]
pub use gateway::{GatewayCalls, MemoryGateway, UniqueRule};
pub use job_queue::MemoryJobQueue;
pub use replay_guard::MemoryReplayGuard;
pub use store::MemoryStore;
pub use token_buckets::MemoryTokenBuckets;
pub use token_vault::MemoryTokenVault;

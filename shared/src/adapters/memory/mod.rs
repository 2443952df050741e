//! In-memory adapters for tests and demos: link store, job queue, token vault, a manual clock
//! and `MemoryGateway`, a fake vendor with ids, versions, uniqueness rules and injectable faults.

pub mod clock;
pub mod gateway;
pub mod job_queue;
pub mod link_store;
pub mod token_vault;

pub use clock::ManualClock;
pub use gateway::{GatewayCalls, MemoryGateway, UniqueRule};
pub use job_queue::MemoryJobQueue;
pub use link_store::MemoryLinkStore;
pub use token_vault::MemoryTokenVault;

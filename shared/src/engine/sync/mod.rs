//! The two-way sync of linked record pairs: units of records prepared against both sides, the
//! pure planner (`plan`), applying plans, and the initial sync (backfill). Never imports `jobs`.

pub mod plan;

pub(crate) mod apply;
pub mod contact_merges;
pub(crate) mod customer_scope;
pub(crate) mod describe;
pub mod echo_marks;
mod gateway_pair;
pub mod idempotency;
pub mod initial_sync;
mod markers;
mod merges;
pub mod pending_creates;
mod ports;
pub(crate) mod prepare;
pub mod record_source;
pub(crate) mod rounds;
pub(crate) mod session;
pub(crate) mod unit;
pub mod waits;

pub use gateway_pair::GatewayPair;
pub(crate) use ports::RecordOutcomes;
pub use ports::{PairDirectory, SyncPorts};

//! The two-way sync of linked record pairs: units of records prepared against both sides, the
//! pure planner (`plan`), applying plans, and the initial sync (backfill).

pub mod plan;

pub(crate) mod apply;
mod gateway_pair;
pub mod idempotency;
pub mod initial_sync;
pub(crate) mod prepare;
pub mod record_source;
pub(crate) mod session;
pub(crate) mod unit;

pub use gateway_pair::GatewayPair;

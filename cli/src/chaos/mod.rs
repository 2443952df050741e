//! `hqsync chaos` (docs/chaos.md): the whole local pipeline under seeded random edits and faults
//! on a simulated clock, its history, and the checker that judges the final state.

pub mod checker;
pub mod crash;
pub mod history;
pub mod ops;
pub mod report;
pub mod run;
pub mod sim_clock;
pub mod snapshot;
pub mod tenants;
pub mod webhooks;
pub mod world;

pub use run::{ChaosOptions, ChaosOutcome, Forced, run};

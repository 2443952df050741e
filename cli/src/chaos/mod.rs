//! `hqsync chaos` (docs/chaos.md): the whole local pipeline under seeded random edits and faults
//! on a simulated clock, its history, and the checker that judges the final state.

pub mod checker;
pub mod history;
pub mod report;
pub mod snapshot;

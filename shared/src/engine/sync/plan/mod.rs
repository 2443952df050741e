//! The pure planner of docs/architecture.md §4: decides, from a link and both sides' records, what to write.
//! No I/O, no async: everything here is a function of its inputs.

pub mod active_state;
mod field_merge;
pub mod match_choice;
pub mod merge_relink;
pub mod plan_types;
pub mod record_sync;
pub mod settings_stamp;

#[cfg(test)]
mod derived_rows_tests;
#[cfg(test)]
mod record_sync_tests;
#[cfg(test)]
mod simulation_tests;

pub use active_state::{active_key, is_state_key};
pub use match_choice::{MatchChoice, choose_match};
pub use merge_relink::{
    MergeAttention, MergePlan, is_merge_survivor, merged_elsewhere, merged_ids, plan_merge,
};
pub use plan_types::{
    Action, Conflict, Exclusion, LinkChange, Outcome, PairFieldTimes, Plan, PlanError, PlanInput,
};
pub use record_sync::plan_record_sync;
pub use settings_stamp::{settings_stamp, synced_under};

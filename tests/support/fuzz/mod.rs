//! Stable-Rust fuzzing of every inbound parser and signature check (docs/testing.md): one target
//! per surface, structured generation plus byte mutations of the recorded fixtures, a runner.
//!
//! Hand-written rather than cargo-fuzz: libFuzzer needs a nightly toolchain (`-Z sanitizer`),
//! and this project builds and tests on stable only. The runner has no coverage feedback; it
//! makes up for it with structure-aware generators per target and a small pool of inputs that
//! produced a new outcome, mutated further (docs/testing.md §2).

pub mod frame;
pub mod memory;
pub mod minimize;
pub mod mutate;
pub mod runner;
pub mod targets;

pub use runner::{Failure, FailureKind, Report, RunConfig, quiet_panics, run_target};
pub use targets::{Target, all_targets, target_by_name};

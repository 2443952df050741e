//! One module per `hqsync` subcommand.
//! Each exposes an `Args` struct (clap) and an async `run`.

pub mod chaos;
pub mod demo;
pub mod dev;
#[cfg(feature = "aws")]
pub mod dev_aws;
pub mod sandbox;
pub mod sync;

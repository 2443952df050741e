//! `hqsync`: the command-line entry point; wires subcommands to the library crates.
//! Each subcommand lives in its own module; this file only parses and dispatches.

fn main() {}

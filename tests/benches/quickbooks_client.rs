//! Benchmark: quickbooks_client against the sandbox (prints numbers; no pass/fail).
//! (being built)
fn main() {}

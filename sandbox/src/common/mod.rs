//! common sandbox module (placeholder; being built).
//! Owned by its issue.

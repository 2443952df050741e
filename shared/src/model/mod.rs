//! model (placeholder; being built).
//! Owned by its issue.

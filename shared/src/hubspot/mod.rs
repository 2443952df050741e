//! hubspot (placeholder; being built).
//! Owned by its issue.

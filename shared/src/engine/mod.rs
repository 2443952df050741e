//! The sync engine: the pure planner (`plan`) and, alongside it, the I/O that applies plans.
//! One `pub mod` line per part; each part owns its own folder.

pub mod plan;

//! Loads the recorded vendor payloads kept under `tests/fixtures/` (provenance in each folder's
//! PROVENANCE.md), so tests run on a fresh clone with nothing from outside the repository.

use std::path::PathBuf;

/// The folder holding `hubspot/` and `quickbooks/` fixtures.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Reads `tests/fixtures/{vendor}/{name}` as text; panics with the path when missing.
pub fn text(vendor: &str, name: &str) -> String {
    let path = dir().join(vendor).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Reads and parses a JSON fixture.
pub fn json(vendor: &str, name: &str) -> serde_json::Value {
    serde_json::from_str(&text(vendor, name))
        .unwrap_or_else(|e| panic!("fixture {vendor}/{name}: {e}"))
}

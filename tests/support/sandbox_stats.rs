//! Reads the sandboxes' request statistics (`/_sandbox/stats`): how many API calls our code
//! made, for the tests' call-count ceilings and the benchmarks' per-record numbers.

use serde_json::Value;

/// `GET {base_url}/_sandbox/stats` of either sandbox.
pub async fn sandbox_stats(base_url: &str) -> Value {
    reqwest::get(format!("{base_url}/_sandbox/stats"))
        .await
        .expect("the sandbox serves its stats")
        .json()
        .await
        .expect("stats are JSON")
}

/// Requests the sandbox at `base_url` served so far (the stats' `total`).
pub async fn requests_served(base_url: &str) -> u64 {
    sandbox_stats(base_url).await["total"]
        .as_u64()
        .expect("stats carry a total")
}

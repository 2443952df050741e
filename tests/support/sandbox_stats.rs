//! Reads the sandboxes' request statistics (`/_sandbox/stats`): how many API calls our code
//! made, for the tests' call-count ceilings and the benchmarks' per-record numbers.

use std::collections::BTreeMap;

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

/// Responses with HTTP `status` the sandbox at `base_url` gave so far, over all routes.
pub async fn responses_with_status(base_url: &str, status: u16) -> u64 {
    let key = status.to_string();
    sandbox_stats(base_url).await["routes"]
        .as_array()
        .expect("stats list routes")
        .iter()
        .filter_map(|r| r["byStatus"][&key].as_u64())
        .sum()
}

/// Requests served so far per route (`"METHOD path"` -> count) by the sandbox at `base_url`.
pub async fn requests_per_route(base_url: &str) -> BTreeMap<String, u64> {
    sandbox_stats(base_url).await["routes"]
        .as_array()
        .expect("stats list routes")
        .iter()
        .map(|r| {
            (
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                ),
                r["count"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

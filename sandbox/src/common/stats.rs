//! Request statistics: counts per method and route pattern (axum `MatchedPath`) and per
//! status, collected by a middleware and served by `GET /_sandbox/stats`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

/// Counts of requests seen, cheap to clone (shared). Requests under `/_sandbox/` are not counted.
#[derive(Debug, Clone, Default)]
pub struct RequestStats {
    counts: Arc<Mutex<BTreeMap<(String, String), RouteCount>>>,
}

#[derive(Debug, Clone, Default)]
struct RouteCount {
    total: u64,
    by_status: BTreeMap<u16, u64>,
}

/// One row of the snapshot: a method and route pattern (e.g. `GET /crm/v3/objects/{object_type}/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteStats {
    pub method: String,
    /// The route pattern as registered, or `<unmatched>` for requests no route matched.
    pub path: String,
    pub count: u64,
    /// Status code (as a string key in JSON) -> responses.
    pub by_status: BTreeMap<u16, u64>,
}

/// The counts at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSnapshot {
    pub total: u64,
    pub routes: Vec<RouteStats>,
}

impl StatsSnapshot {
    /// Requests counted for `method` and route `path` (0 when none).
    pub fn count(&self, method: &str, path: &str) -> u64 {
        self.routes
            .iter()
            .find(|r| r.method == method && r.path == path)
            .map_or(0, |r| r.count)
    }
}

impl RequestStats {
    /// Records one request.
    pub fn record(&self, method: &str, path: &str, status: u16) {
        let mut counts = self.counts.lock().expect("stats lock");
        let entry = counts
            .entry((method.to_owned(), path.to_owned()))
            .or_default();
        entry.total += 1;
        *entry.by_status.entry(status).or_default() += 1;
    }

    /// The counts now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let counts = self.counts.lock().expect("stats lock");
        let routes: Vec<RouteStats> = counts
            .iter()
            .map(|((method, path), c)| RouteStats {
                method: method.clone(),
                path: path.clone(),
                count: c.total,
                by_status: c.by_status.clone(),
            })
            .collect();
        StatsSnapshot {
            total: routes.iter().map(|r| r.count).sum(),
            routes,
        }
    }

    /// Forgets all counts.
    pub fn clear(&self) {
        self.counts.lock().expect("stats lock").clear();
    }

    /// Axum middleware; apply with `Router::layer` so routing has already set `MatchedPath`:
    /// `router.layer(axum::middleware::from_fn_with_state(stats, RequestStats::middleware))`.
    pub async fn middleware(
        State(stats): State<RequestStats>,
        req: Request,
        next: Next,
    ) -> Response {
        let path = req.uri().path();
        if path.starts_with("/_sandbox/") {
            return next.run(req).await;
        }
        let method = req.method().as_str().to_owned();
        let pattern = req
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "<unmatched>".to_owned(), |m| m.as_str().to_owned());
        let response = next.run(req).await;
        stats.record(&method, &pattern, response.status().as_u16());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_method_path_and_status() {
        let s = RequestStats::default();
        s.record("GET", "/a/{id}", 200);
        s.record("GET", "/a/{id}", 404);
        s.record("POST", "/a", 201);
        let snap = s.snapshot();
        assert_eq!(snap.total, 3);
        assert_eq!(snap.count("GET", "/a/{id}"), 2);
        assert_eq!(snap.count("DELETE", "/a/{id}"), 0);
        s.clear();
        assert_eq!(s.snapshot().total, 0);
    }
}

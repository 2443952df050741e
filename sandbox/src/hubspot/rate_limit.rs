//! Per-portal rate limits on the API routes (docs/hubspot.md §9.1-§9.3): 110 requests per 10 s
//! with `X-HubSpot-RateLimit-*` headers, search 5 per second, and the documented 429 bodies.

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::app::SharedHub;
use super::errors::{ApiError, CORRELATION_HEADER, correlation_id};
use crate::common::RateDecision;

/// Which bucket a route pattern uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// The 10-second burst bucket.
    Burst,
    /// docs/hubspot.md §2.4: search has its own 5/s bucket and is exempt from the burst one.
    Search,
    /// docs/hubspot.md §3: v4 association batch endpoints are exempt from the ten-secondly
    /// limit. UNVERIFIED: their own limit; the sandbox does not limit them.
    Exempt,
}

/// The bucket for a route pattern.
pub fn bucket(pattern: &str) -> Bucket {
    if pattern.ends_with("/search") {
        Bucket::Search
    } else if (pattern.starts_with("/crm/v4/associations/")
        || pattern.starts_with("/crm/associations/"))
        && pattern.contains("/batch/")
    {
        Bucket::Exempt
    } else {
        Bucket::Burst
    }
}

/// Middleware; apply with `Router::layer` so `MatchedPath` is set.
pub async fn limit(State(hub): State<SharedHub>, req: Request, next: Next) -> Response {
    let pattern = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    match bucket(&pattern) {
        Bucket::Exempt => next.run(req).await,
        Bucket::Search => match hub.search_rate.check() {
            // docs/hubspot.md §2.4: search responses carry no burst headers.
            RateDecision::Allowed { .. } => next.run(req).await,
            RateDecision::Limited { .. } => ApiError::secondly_limit().into_response(),
        },
        Bucket::Burst => {
            let decision = hub.burst.check();
            let (mut response, remaining) = match decision {
                RateDecision::Allowed { remaining } => (next.run(req).await, remaining),
                RateDecision::Limited { .. } => (ApiError::ten_secondly_limit().into_response(), 0),
            };
            if hub.burst.limit() > 0 {
                let h = response.headers_mut();
                let window_ms = hub.burst.window().as_millis().to_string();
                for (name, value) in [
                    ("x-hubspot-ratelimit-interval-milliseconds", window_ms),
                    ("x-hubspot-ratelimit-max", hub.burst.limit().to_string()),
                    ("x-hubspot-ratelimit-remaining", remaining.to_string()),
                ] {
                    if let Ok(v) = HeaderValue::from_str(&value) {
                        h.insert(name, v);
                    }
                }
            }
            response
        }
    }
}

/// Middleware: every response carries `X-HubSpot-Correlation-Id` (docs/hubspot.md §9.2);
/// error responses already set it to their body's `correlationId`.
pub async fn correlation(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if !response.headers().contains_key(CORRELATION_HEADER)
        && let Ok(v) = HeaderValue::from_str(&correlation_id())
    {
        response.headers_mut().insert(CORRELATION_HEADER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_by_route() {
        assert_eq!(
            bucket("/crm/v3/objects/{object_type}/search"),
            Bucket::Search
        );
        assert_eq!(
            bucket("/crm/objects/2026-03/{object_type}/search"),
            Bucket::Search
        );
        assert_eq!(
            bucket("/crm/v4/associations/{from_type}/{to_type}/batch/read"),
            Bucket::Exempt
        );
        assert_eq!(bucket("/crm/v3/objects/{object_type}/{id}"), Bucket::Burst);
        assert_eq!(
            bucket("/crm/v4/associations/{from_type}/{to_type}/labels"),
            Bucket::Burst
        );
    }
}

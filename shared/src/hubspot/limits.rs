//! HubSpot's request budgets per account and the one HubSpot retry policy, in one place
//! (docs/hubspot.md §9.1 limits, §9.3 429 handling, §9.4 transient statuses).

use std::time::Duration;

use std::sync::Arc;

use crate::http::{RateBudget, RetryPolicy, SharedAllowance, Window};
use crate::ports::TokenBuckets;

/// Marketplace / OAuth apps: 110 requests per 10 s per installing account, search excluded (§9.1).
pub const GENERAL_WINDOW: Window = Window::new(110, Duration::from_secs(10));
/// CRM search: 5 requests per second per account, separate from the 10-second bucket (§2.4, §9.1).
pub const SEARCH_WINDOW: Window = Window::new(5, Duration::from_secs(1));
/// Requests one account may have in flight at once (the Node SDK's limiter uses 6, §9.3).
pub const MAX_IN_FLIGHT: usize = 6;

/// Object batch endpoints take at most 100 inputs (§2.2).
pub const BATCH_SIZE: usize = 100;
/// Associations v4 batch read takes up to 1,000 inputs, but an older revision said 100 (§2.2):
/// we send 100, which both readings accept.
pub const ASSOCIATION_BATCH_SIZE: usize = 100;
/// Search page size maximum (§2.4).
pub const SEARCH_PAGE_SIZE: u32 = 200;
/// Search cannot page past 10,000 results (§2.4).
pub const SEARCH_RESULT_CAP: u64 = 10_000;
/// Search filter limits (§2.4, search guide 2026-03-30): groups, filters per group, total.
pub const SEARCH_MAX_GROUPS: usize = 5;
pub const SEARCH_MAX_FILTERS_PER_GROUP: usize = 6;
pub const SEARCH_MAX_FILTERS: usize = 18;
/// List endpoints: `limit` maximum. UNVERIFIED (docs/hubspot.md §2.1): the spec gives only
/// the default of 10; 100 is the documented batch size and the commonly used maximum.
pub const LIST_PAGE_SIZE: u32 = 100;
/// Per-record association listing `limit` maximum (§3).
pub const ASSOCIATION_LIST_PAGE_SIZE: u32 = 500;

/// Wait after a `TEN_SECONDLY_ROLLING` 429 when HubSpot sends neither `Retry-After` nor the
/// interval header: the rest of a rolling window is at most one whole window (§9.3, UNVERIFIED
/// whether Retry-After is ever sent there).
pub const TEN_SECONDLY_WAIT: Duration = Duration::from_secs(10);
/// Wait after a search `SECONDLY` 429 (§9.3: the Node SDK waits 1 s).
pub const SECONDLY_WAIT: Duration = Duration::from_secs(1);
/// 423 Locked: "Locks will last for 2 seconds" (§9.4).
pub const LOCKED_WAIT: Duration = Duration::from_secs(2);
/// A `Retry-After` longer than this (a 477 may say 24 h, §9.4) is not waited out inside a call;
/// the error goes back to the caller to reschedule.
pub const MAX_INLINE_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The HubSpot retry policy: jittered backoff for 5xx (the Node SDK starts at 200 ms, §9.3),
/// a handful of throttle waits before the 429 is returned to the caller.
pub const RETRY_POLICY: RetryPolicy = RetryPolicy {
    max_transient_retries: 4,
    max_throttle_waits: 6,
    min_backoff: Duration::from_millis(200),
    max_backoff: Duration::from_secs(10),
};

/// One account's budgets; clone it to share it between every client of that account.
#[derive(Debug, Clone)]
pub struct HubspotBudgets {
    /// Every call except search.
    pub general: RateBudget,
    /// Search calls only (they are exempt from the 10-second bucket, §2.4).
    pub search: RateBudget,
}

impl HubspotBudgets {
    /// The documented per-account limits.
    pub fn per_account() -> Self {
        Self {
            general: RateBudget::new("hubspot", &[GENERAL_WINDOW], Some(MAX_IN_FLIGHT)),
            search: RateBudget::new("hubspot-search", &[SEARCH_WINDOW], Some(MAX_IN_FLIGHT)),
        }
    }

    /// The documented limits, with the 10-second bucket shared by every container of the stack
    /// through `buckets` (one bucket per portal, docs/aws.md §11); search stays per container.
    pub fn shared_across(buckets: Arc<dyn TokenBuckets>, portal_id: &str) -> Self {
        let local = Self::per_account();
        let allowance =
            SharedAllowance::new(buckets, format!("hubspot#{portal_id}"), GENERAL_WINDOW);
        Self {
            general: local.general.with_shared(allowance),
            search: local.search,
        }
    }

    /// No client-side limiting (tests that exercise HubSpot's own 429 handling).
    pub fn unlimited() -> Self {
        Self {
            general: RateBudget::unlimited("hubspot"),
            search: RateBudget::unlimited("hubspot-search"),
        }
    }
}

impl Default for HubspotBudgets {
    fn default() -> Self {
        Self::per_account()
    }
}

/// Batch chunks sent concurrently by one call (the in-flight cap and windows still apply).
pub const CHUNK_CONCURRENCY: usize = 4;
/// `batch/read` with `propertiesWithHistory` takes at most 50 inputs (§2.2).
pub const BATCH_SIZE_WITH_HISTORY: usize = 50;

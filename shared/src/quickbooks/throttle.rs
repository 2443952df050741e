//! QBO 429 pauses (docs/architecture.md §14): the scope a 429 applies to (the batch endpoint, or
//! every request of the company), the pause logged at WARN, and this process's count per realm.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::limits::CompanyBudgets;

/// What a 429 pauses. Intuit throttles the batch endpoint on its own (40 batch requests per
/// minute per realm and app) beside the company's 500 requests per minute and 10 per second,
/// and asks to wait 60 seconds after a 429
/// (https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles).
/// A 429 on a batch request pauses batch requests only; single requests go on. Being wrong (the
/// batch hit the company-wide limit) costs one more 429 on a single request, which then pauses
/// the whole company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleScope {
    /// The batch endpoint of the company.
    Batch,
    /// Every request of the company (batch requests also count against its limits).
    Company,
}

/// The 429 pauses this process made for one realm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ThrottlePauses {
    /// Pauses of every request of the company.
    pub company: u64,
    /// Pauses of the batch endpoint only.
    pub batch: u64,
    /// When the latest pause ends.
    pub paused_until: Option<DateTime<Utc>>,
}

impl ThrottlePauses {
    pub fn total(&self) -> u64 {
        self.company + self.batch
    }
}

/// Per realm, since the process started. Process-wide because every client of a realm shares
/// one `CompanyBudgets` and the shutdown summary and status report read it without a client.
static PAUSES: Mutex<BTreeMap<String, ThrottlePauses>> = Mutex::new(BTreeMap::new());

fn pauses() -> std::sync::MutexGuard<'static, BTreeMap<String, ThrottlePauses>> {
    PAUSES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Pauses `scope` of `realm`'s budgets for `wait`, logs it at WARN with the realm and the end,
/// and counts it.
pub fn pause(budgets: &CompanyBudgets, realm: &str, scope: ThrottleScope, wait: Duration) {
    match scope {
        ThrottleScope::Batch => budgets.batch.pause_for(wait),
        ThrottleScope::Company => budgets.requests.pause_for(wait),
    }
    let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
    tracing::warn!(
        realm,
        ?scope,
        wait_s = wait.as_secs(),
        until = %until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "QuickBooks throttled the company (429); pausing as Intuit asks"
    );
    let mut all = pauses();
    let counts = all.entry(realm.to_owned()).or_default();
    match scope {
        ThrottleScope::Batch => counts.batch += 1,
        ThrottleScope::Company => counts.company += 1,
    }
    counts.paused_until = counts.paused_until.max(Some(until));
}

/// This process's pauses for `realm`.
pub fn pauses_of(realm: &str) -> ThrottlePauses {
    pauses().get(realm).cloned().unwrap_or_default()
}

/// This process's pauses over every realm.
pub fn total_pauses() -> u64 {
    pauses().values().map(ThrottlePauses::total).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::limits::CompanyLimits;

    fn budgets() -> CompanyBudgets {
        CompanyBudgets::new(CompanyLimits {
            requests_per_second: 1000,
            requests_per_minute: 1000,
            ..CompanyLimits::REAL
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_pause_leaves_single_requests_free_and_a_company_pause_stops_both() {
        let b = budgets();
        pause(
            &b,
            "throttle-test-1",
            ThrottleScope::Batch,
            Duration::from_secs(60),
        );
        let start = tokio::time::Instant::now();
        drop(b.requests.acquire().await);
        assert_eq!(start.elapsed(), Duration::ZERO, "single requests go on");
        drop(b.batch.acquire().await);
        assert!(start.elapsed() >= Duration::from_secs(60), "batches wait");

        let b = budgets();
        pause(
            &b,
            "throttle-test-1",
            ThrottleScope::Company,
            Duration::from_secs(60),
        );
        let start = tokio::time::Instant::now();
        drop(b.requests.acquire().await);
        assert!(
            start.elapsed() >= Duration::from_secs(60),
            "every request waits"
        );
        let counts = pauses_of("throttle-test-1");
        assert_eq!((counts.batch, counts.company), (1, 1));
        assert!(counts.paused_until.is_some());
        assert!(total_pauses() >= 2);
    }
}

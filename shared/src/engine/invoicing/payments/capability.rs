//! Whether the connected HubSpot portal can record payments (docs/hubspot.md §2.9: only portals
//! set up for HubSpot payments or Stripe): detected by trying, remembered, re-probed daily.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::hubspot::HubspotError;
use crate::ports::{Clock, SystemClock};

/// How long a refusal is believed before one create is tried again (a portal can set up
/// payments later). The brief's figure; one constant to change.
pub const REPROBE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What is known about the portal's payments API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentRecordsState {
    /// Nothing tried yet: the next payment tries one create (never assumed enabled).
    Unknown,
    /// A create succeeded.
    Available,
    /// A create was refused at this instant (see [`is_portal_refusal`]).
    Unavailable { since: DateTime<Utc> },
}

/// The remembered capability of one connection's portal. Share one (`Arc`) across every
/// `PaymentMirror::with_records` of the connection so a refusal is paid for once.
pub struct PaymentRecordsCapability {
    state: Mutex<PaymentRecordsState>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PaymentRecordsCapability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentRecordsCapability")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl Default for PaymentRecordsCapability {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl PaymentRecordsCapability {
    /// Unknown, timed by `clock` (the owner's clock; re-probes follow it).
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        PaymentRecordsCapability {
            state: Mutex::new(PaymentRecordsState::Unknown),
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PaymentRecordsState> {
        // A poisoned lock still holds a valid state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn state(&self) -> PaymentRecordsState {
        *self.lock()
    }

    /// Whether a create should be tried now: unless refused less than [`REPROBE_AFTER`] ago.
    pub fn should_try(&self) -> bool {
        match self.state() {
            PaymentRecordsState::Unknown | PaymentRecordsState::Available => true,
            PaymentRecordsState::Unavailable { since } => {
                let age = self.clock.now().signed_duration_since(since);
                age.to_std().is_ok_and(|age| age >= REPROBE_AFTER)
            }
        }
    }

    /// A create went through.
    pub fn mark_available(&self) {
        *self.lock() = PaymentRecordsState::Available;
    }

    /// A create was refused because the portal cannot record payments.
    pub fn mark_refused(&self) {
        *self.lock() = PaymentRecordsState::Unavailable {
            since: self.clock.now(),
        };
    }
}

/// Whether a failed payment create means "this portal cannot record payments" (rather than a
/// fault to retry or a bad request to fix). Kept narrow: any 403 (the sandbox answers 403
/// `MISSING_SCOPES`; a token without the payments scope is equally "cannot" until re-probed).
/// UNVERIFIED (docs/hubspot.md §2.9, §9.4): HubSpot's actual refusal is not documented; if it
/// turns out to be a 400 with its own category or subCategory, add it here.
pub fn is_portal_refusal(error: &HubspotError) -> bool {
    matches!(
        error,
        HubspotError::MissingScopes { .. } | HubspotError::Api { status: 403, .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::ManualClock;
    use crate::hubspot::error::ApiErrorBody;

    fn error(status: u16, body: &str) -> HubspotError {
        HubspotError::from_response(status, &reqwest::header::HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn unknown_tries_a_refusal_waits_a_day_then_tries_again() {
        let clock = Arc::new(ManualClock::fixed());
        let cap = PaymentRecordsCapability::new(clock.clone());
        assert_eq!(cap.state(), PaymentRecordsState::Unknown);
        assert!(cap.should_try());
        cap.mark_refused();
        assert!(!cap.should_try());
        clock.advance(REPROBE_AFTER - Duration::from_secs(1));
        assert!(!cap.should_try());
        clock.advance(Duration::from_secs(1));
        assert!(cap.should_try());
        cap.mark_available();
        assert_eq!(cap.state(), PaymentRecordsState::Available);
        assert!(cap.should_try());
    }

    #[test]
    fn only_403s_mean_the_portal_cannot_record_payments() {
        let refusal = error(
            403,
            r#"{"status":"error","message":"not set up","category":"MISSING_SCOPES"}"#,
        );
        assert!(is_portal_refusal(&refusal));
        assert!(is_portal_refusal(&error(403, "forbidden")));
        let validation = error(
            400,
            r#"{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR"}"#,
        );
        assert!(!is_portal_refusal(&validation));
        assert!(!is_portal_refusal(&error(500, "boom")));
        assert!(!is_portal_refusal(&HubspotError::NotFound {
            body: Box::new(ApiErrorBody::default()),
        }));
    }
}

//! The QBO change time a link's baseline remembers (`@last_updated:quickbooks`: the
//! `LastUpdatedTime` our write returned, or the one we read), and the webhook echo test on it.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::model::{CanonicalValue, CanonicalValues, Link};

/// Baseline key of the QBO record's `MetaData.LastUpdatedTime` as of the baseline. A planner
/// state key (`@`), kept across plans like the active flags (`plan::active_state`).
pub const QBO_LAST_UPDATED_KEY: &str = "@last_updated:quickbooks";

/// Remembers `at` as the QBO record's change time the baseline reflects.
pub fn remember_qbo_change(baseline: &mut CanonicalValues, at: DateTime<Utc>) {
    baseline.insert(
        QBO_LAST_UPDATED_KEY.to_owned(),
        CanonicalValue::Text(at.to_rfc3339()),
    );
}

/// The QBO change time the link's baseline reflects, if it remembers one.
pub fn remembered_qbo_change(link: &Link) -> Option<DateTime<Utc>> {
    match link.baseline.get(QBO_LAST_UPDATED_KEY)? {
        CanonicalValue::Text(text) => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

/// Whether a QBO webhook saying the record changed at `changed_at` brings nothing the link's
/// baseline does not already hold: the change is not newer than the `LastUpdatedTime` our
/// write returned (our own echo) or we last read. QBO keeps `LastUpdatedTime` in whole seconds
/// while event times may carry milliseconds, so the event is compared by its second. A person's
/// edit within the same second as our write is then taken for the echo; the poll's `SyncToken`
/// check (a CDC entry whose version differs from the link's) still brings it within one poll.
pub fn qbo_change_is_known(link: &Link, changed_at: DateTime<Utc>) -> bool {
    let second = changed_at
        .duration_trunc(TimeDelta::seconds(1))
        .unwrap_or(changed_at);
    remembered_qbo_change(link).is_some_and(|ours| second <= ours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConnectionId, ObjectKind};

    fn link() -> Link {
        Link {
            connection: ConnectionId::new("c").unwrap(),
            kind: ObjectKind::Contact,
            hubspot_id: "1".into(),
            qbo_id: "2".into(),
            baseline: CanonicalValues::new(),
            hubspot_version: "v".into(),
            qbo_version: "3".into(),
            updated_at: Utc::now(),
            revision: 1,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_change_not_newer_than_our_write_is_known_and_a_newer_one_is_not() {
        let mut link = link();
        assert!(
            !qbo_change_is_known(&link, at("2026-01-01T10:00:00Z")),
            "nothing remembered: read it"
        );
        remember_qbo_change(&mut link.baseline, at("2026-01-01T02:00:05-08:00"));
        assert!(qbo_change_is_known(&link, at("2026-01-01T10:00:05.870Z")));
        assert!(qbo_change_is_known(&link, at("2026-01-01T09:59:59Z")));
        assert!(!qbo_change_is_known(&link, at("2026-01-01T10:00:06Z")));
    }
}

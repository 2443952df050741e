//! Which polled changes bring a version the sync already knows: the one policy deciding which
//! changes a poll skips, and the queued versions a mirrored kind's cursor keeps for it.

use chrono::{DateTime, Utc};

use crate::model::Record;
use crate::ports::QueuedVersion;

/// Whether `record` is a version already known: a two-way record whose link holds it (our own
/// write coming back) or a mirrored record an earlier poll queued at that version. Either way
/// a job has seen or will read it, so polling it again (every poll inside the overlap window,
/// docs/architecture.md §14) would only repeat that job.
pub fn already_known(record: &Record, known_version: Option<&str>) -> bool {
    known_version == Some(record.version.as_str())
}

/// The version of `id` an earlier poll queued, if it is still remembered.
pub fn queued_version<'a>(queued: &'a [QueuedVersion], id: &str) -> Option<&'a str> {
    queued
        .iter()
        .find(|q| q.id == id)
        .map(|q| q.version.as_str())
}

/// The queued versions the next poll must remember: the earlier ones with this poll's
/// `changes` replacing theirs (`(id, version, changed_at)`), less those that changed before
/// `window_start` (the next poll's overlap no longer returns them).
pub fn remembered(
    earlier: &[QueuedVersion],
    changes: impl IntoIterator<Item = QueuedVersion>,
    window_start: DateTime<Utc>,
) -> Vec<QueuedVersion> {
    let mut kept: Vec<QueuedVersion> = earlier.to_vec();
    for change in changes {
        kept.retain(|q| q.id != change.id);
        kept.push(change);
    }
    kept.retain(|q| q.changed_at >= window_start);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ObjectKind, Side};

    fn at(second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + second, 0).unwrap()
    }

    fn queued(id: &str, version: &str, second: i64) -> QueuedVersion {
        QueuedVersion {
            id: id.into(),
            version: version.into(),
            changed_at: at(second),
        }
    }

    #[test]
    fn a_known_version_is_skipped_and_a_newer_one_is_not() {
        let record = Record {
            side: Side::Quickbooks,
            kind: ObjectKind::Invoice,
            id: "7".into(),
            version: "2".into(),
            modified_at: at(0),
            active: true,
            values: Default::default(),
        };
        assert!(already_known(&record, Some("2")));
        assert!(!already_known(&record, Some("1")));
        assert!(!already_known(&record, None));
        let earlier = [queued("7", "1", 0), queued("CreditMemo:7", "2", 0)];
        assert_eq!(queued_version(&earlier, "7"), Some("1"));
        assert_eq!(queued_version(&earlier, "8"), None);
    }

    #[test]
    fn a_new_version_replaces_the_old_and_versions_older_than_the_window_are_forgotten() {
        let earlier = [queued("7", "1", 10), queued("8", "4", 2)];
        let kept = remembered(&earlier, [queued("7", "2", 12)], at(5));
        assert_eq!(kept, vec![queued("7", "2", 12)], "8 left the window");
    }
}

//! The settings stamp: a baseline key recording which settings of its kind a link was last
//! synced under, so the sweep can tell a pair that needs nothing from one a settings change touched.

use sha2::{Digest, Sha256};

use crate::model::{CanonicalValue, CanonicalValues, ConnectionSettings, ObjectKind};

/// Baseline key of the stamp; `@` marks it as planner state, like the active flags.
pub const SETTINGS_KEY: &str = "@settings";

/// A short digest of `kind`'s settings (direction, mappings, filters, policies). Any change to
/// them changes the stamp; the stamp means nothing beyond equality.
pub fn settings_stamp(settings: &ConnectionSettings, kind: ObjectKind) -> String {
    // The settings serialise deterministically (structs and BTreeMaps only).
    let json = serde_json::to_vec(settings.object(kind)).unwrap_or_default();
    let digest = Sha256::digest(&json);
    hex::encode(&digest[..8])
}

/// Stores the current stamp in `baseline`.
pub(super) fn store_stamp(
    baseline: &mut CanonicalValues,
    settings: &ConnectionSettings,
    kind: ObjectKind,
) {
    baseline.insert(
        SETTINGS_KEY.to_owned(),
        CanonicalValue::Text(settings_stamp(settings, kind)),
    );
}

/// Whether `baseline` was stored under `kind`'s current settings.
pub fn synced_under(
    baseline: &CanonicalValues,
    settings: &ConnectionSettings,
    kind: ObjectKind,
) -> bool {
    matches!(baseline.get(SETTINGS_KEY), Some(CanonicalValue::Text(stamp)) if *stamp == settings_stamp(settings, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;

    #[test]
    fn a_settings_change_of_the_kind_changes_its_stamp_and_only_its_own() {
        let before = ConnectionSettings::default();
        let mut after = before.clone();
        after.contact.direction = Direction::ToQuickbooks;
        assert_ne!(
            settings_stamp(&before, ObjectKind::Contact),
            settings_stamp(&after, ObjectKind::Contact)
        );
        assert_eq!(
            settings_stamp(&before, ObjectKind::Product),
            settings_stamp(&after, ObjectKind::Product)
        );
        let mut baseline = CanonicalValues::new();
        store_stamp(&mut baseline, &before, ObjectKind::Contact);
        assert!(synced_under(&baseline, &before, ObjectKind::Contact));
        assert!(!synced_under(&baseline, &after, ObjectKind::Contact));
        assert!(!synced_under(
            &CanonicalValues::new(),
            &before,
            ObjectKind::Contact
        ));
    }
}

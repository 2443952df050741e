//! Deletions per policy as a three-way merge of each side's active flag: the baseline remembers
//! both flags, so a deactivation propagates once and a later manual reactivation is not undone.

use crate::model::{CanonicalValue, CanonicalValues, DeletionPolicy, Direction, Side};

/// Baseline key of a side's active flag. `@` cannot start a HubSpot property name, so these
/// never clash with mapped fields.
pub fn active_key(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "@active:hubspot",
        Side::Quickbooks => "@active:quickbooks",
    }
}

/// Whether `key` is one of the planner's own baseline keys rather than a mapped field.
pub fn is_state_key(key: &str) -> bool {
    key.starts_with('@')
}

/// What to do about the sides' active flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ActiveChange {
    None,
    /// Deactivate `side` (HubSpot archive / QBO `Active=false`).
    Deactivate(Side),
    /// Make `side` active again (only QBO: `Active=true`; HubSpot restores are not an update).
    Reactivate(Side),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ActiveMerge {
    pub change: ActiveChange,
    /// The flags to store in the baseline once `change` is applied.
    pub hubspot: bool,
    pub qbo: bool,
}

/// `hubspot`/`qbo` are the current flags, `None` for a record that no longer exists (it counts
/// as inactive and cannot be reactivated). A missing baseline flag means "as it is now": a first
/// link never propagates anything.
pub(super) fn merge_active(
    baseline: &CanonicalValues,
    policy: &DeletionPolicy,
    direction: Direction,
    hubspot: Option<bool>,
    qbo: Option<bool>,
) -> ActiveMerge {
    let target_exists = |side: Side| match side {
        Side::Hubspot => hubspot.is_some(),
        Side::Quickbooks => qbo.is_some(),
    };
    let (hubspot, qbo) = (hubspot.unwrap_or(false), qbo.unwrap_or(false));
    let base = |side: Side, now: bool| match baseline.get(active_key(side)) {
        Some(CanonicalValue::Bool(b)) => *b,
        _ => now,
    };
    let (base_hs, base_qb) = (base(Side::Hubspot, hubspot), base(Side::Quickbooks, qbo));
    let hs_changed = hubspot != base_hs;
    let qb_changed = qbo != base_qb;
    let unchanged = ActiveMerge {
        change: ActiveChange::None,
        hubspot,
        qbo,
    };
    let (from, to, now_active, target_active) = match (hs_changed, qb_changed) {
        (true, false) => (Side::Hubspot, Side::Quickbooks, hubspot, qbo),
        (false, true) => (Side::Quickbooks, Side::Hubspot, qbo, hubspot),
        _ => return unchanged,
    };
    if now_active == target_active
        || !target_exists(to)
        || !direction.writes_to(to)
        || !policy.propagates_from(from)
    {
        return unchanged;
    }
    let change = if now_active {
        // A restore propagates only HubSpot -> QBO, undoing the deactivation the policy made.
        if to != Side::Quickbooks {
            return unchanged;
        }
        ActiveChange::Reactivate(to)
    } else {
        ActiveChange::Deactivate(to)
    };
    ActiveMerge {
        change,
        hubspot: now_active,
        qbo: now_active,
    }
}

/// Stores both flags in `baseline`.
pub(super) fn store_active(baseline: &mut CanonicalValues, hubspot: bool, qbo: bool) {
    baseline.insert(
        active_key(Side::Hubspot).to_owned(),
        CanonicalValue::Bool(hubspot),
    );
    baseline.insert(
        active_key(Side::Quickbooks).to_owned(),
        CanonicalValue::Bool(qbo),
    );
}

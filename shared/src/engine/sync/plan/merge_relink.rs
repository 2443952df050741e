//! `plan_merge`: when records are merged on one side (HubSpot contact merge, QBO customer
//! merge), decides which link the surviving record keeps; the losers' links are left to expire.

use chrono::{DateTime, Utc};

use crate::model::{Link, Side};

/// What to do with the links after `merged` records of `side` were merged into a survivor.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    /// Re-point this link (`old`, conditional on its revision) to the survivor (`new`).
    pub relink: Option<(Link, Link)>,
    /// Links of merged-away records left as they are: their record is gone, so planning them
    /// counts it as deleted and the deletion policy decides about the partner (by default a
    /// QBO customer whose HubSpot contact was merged away is made inactive). Keeping them
    /// stops the partner from being created again on the merged side.
    pub orphaned: Vec<Link>,
}

/// `survivor_link` is the survivor's current link, `merged_links` those of the records merged
/// into it. A linked survivor keeps its link. An unlinked one takes over a merged record's link,
/// keeping its baseline so the next sync merges the survivor's values against it: the link
/// whose partner is active first, then the oldest partner (lowest id). `now` stamps the change.
pub fn plan_merge(
    side: Side,
    survivor_id: &str,
    survivor_link: Option<&Link>,
    merged_links: &[Link],
    now: DateTime<Utc>,
) -> MergePlan {
    let mut orphaned: Vec<Link> = merged_links
        .iter()
        .filter(|l| l.id(side) != survivor_id)
        .cloned()
        .collect();
    if survivor_link.is_some() || orphaned.is_empty() {
        return MergePlan {
            relink: None,
            orphaned,
        };
    }
    let partner_active = |l: &Link| {
        let key = super::active_key(side.other());
        !matches!(
            l.baseline.get(key),
            Some(crate::model::CanonicalValue::Bool(false))
        )
    };
    orphaned.sort_by(|a, b| {
        partner_active(b).cmp(&partner_active(a)).then_with(|| {
            let (a, b) = (a.id(side.other()), b.id(side.other()));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        })
    });
    let old = orphaned.remove(0);
    let mut new = old.clone();
    match side {
        Side::Hubspot => new.hubspot_id = survivor_id.to_owned(),
        Side::Quickbooks => new.qbo_id = survivor_id.to_owned(),
    }
    new.updated_at = now;
    MergePlan {
        relink: Some((old, new)),
        orphaned,
    }
}

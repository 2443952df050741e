//! `plan_merge`: when records are merged on one side (HubSpot contact merge, QBO customer
//! merge), decides which link the surviving record keeps (docs/architecture.md §13); the
//! losers' links stay as they are. Also reads a survivor's list of merged ids.

use chrono::{DateTime, Utc};

use crate::model::{Link, ObjectKind, Record, Side, descriptor};

/// What to do with the links after `merged` records of `side` were merged into a survivor.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    /// Re-point this link (`old`, conditional on its revision) to the survivor (`new`).
    pub relink: Option<(Link, Link)>,
    /// Links of merged-away records left as they are, their partner marked "needs attention"
    /// (`merged_elsewhere`), never deactivated. Keeping them stops the partner from being
    /// created again on the merged side.
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

/// The ids `record` lists as merged into it (HubSpot `hs_merged_object_ids`, docs/hubspot.md
/// §2.11; the separator is UNVERIFIED, so `;` and `,` both split). Empty where the kind has no
/// such property or the record carries none.
pub fn merged_ids(kind: ObjectKind, record: &Record) -> Vec<String> {
    let Some(property) = descriptor(kind).hubspot.merged_ids_property else {
        return Vec::new();
    };
    if record.side != Side::Hubspot {
        return Vec::new();
    }
    match record.values.get(property) {
        Some(serde_json::Value::String(list)) => list
            .split([';', ','])
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `survivor` answering for `merged_id` is a merge: its list of merged ids names it,
/// or it has no list to check (a vendor or a read that does not carry it).
pub fn is_merge_survivor(kind: ObjectKind, survivor: &Record, merged_id: &str) -> bool {
    let ids = merged_ids(kind, survivor);
    ids.is_empty() || ids.iter().any(|id| id == merged_id)
}

/// What a person reads about a merge that could not move a link, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeAttention {
    pub message: String,
    pub fix: String,
}

/// The "needs attention" of a link whose record was merged into a record linked to another
/// partner: what happened and what a person does about it. `link` is the merged-away record's
/// link, `survivor_partner` the survivor's partner on the other side.
pub fn merged_elsewhere(
    kind: ObjectKind,
    side: Side,
    link: &Link,
    survivor_id: &str,
    survivor_partner: &str,
) -> MergeAttention {
    let other = side.other();
    let (name, other_name) = (vendor_record(kind, side), vendor_record(kind, other));
    let merged_id = link.id(side);
    let partner = link.id(other);
    MergeAttention {
        message: format!(
            "{name} {merged_id} was merged into {survivor_id}, which is linked to \
             {other_name} {survivor_partner}; {other_name} {partner} stays linked to the \
             merged-away record and is left as it is (not deactivated)"
        ),
        fix: format!(
            "Merge {other_name} {partner} into {survivor_partner} as well, or give it a \
             record of its own on the other side"
        ),
    }
}

fn vendor_record(kind: ObjectKind, side: Side) -> String {
    let facts = descriptor(kind);
    match side {
        Side::Hubspot => format!("HubSpot {}", facts.hubspot.record_name),
        Side::Quickbooks => format!("QBO {}", facts.qbo.entity),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::model::NativeValues;

    fn contact(id: &str, merged: Option<&str>) -> Record {
        let mut values = NativeValues::new();
        if let Some(list) = merged {
            values.insert("hs_merged_object_ids".into(), json!(list));
        }
        Record {
            side: Side::Hubspot,
            kind: ObjectKind::Contact,
            id: id.into(),
            version: "1".into(),
            modified_at: Utc::now(),
            active: true,
            values,
        }
    }

    #[test]
    fn merged_ids_split_on_either_separator_and_vouch_for_a_survivor() {
        let survivor = contact("9", Some("1; 2,3"));
        assert_eq!(merged_ids(ObjectKind::Contact, &survivor), ["1", "2", "3"]);
        assert!(is_merge_survivor(ObjectKind::Contact, &survivor, "2"));
        assert!(!is_merge_survivor(ObjectKind::Contact, &survivor, "4"));
        // Nothing to check against: the vendor's answer is taken as the merge.
        assert!(is_merge_survivor(
            ObjectKind::Contact,
            &contact("9", None),
            "4"
        ));
        // Products carry no such list.
        assert!(merged_ids(ObjectKind::Product, &survivor).is_empty());
    }

    #[test]
    fn a_merge_into_a_linked_record_names_both_partners_and_the_fix() {
        let link = Link {
            connection: crate::model::ConnectionId::new("c1").unwrap(),
            kind: ObjectKind::Contact,
            hubspot_id: "2".into(),
            qbo_id: "Q2".into(),
            baseline: Default::default(),
            hubspot_version: "v".into(),
            qbo_version: "0".into(),
            updated_at: Utc::now(),
            revision: 1,
        };
        let text = merged_elsewhere(ObjectKind::Contact, Side::Hubspot, &link, "1", "Q1");
        assert_eq!(
            text.message,
            "HubSpot contact 2 was merged into 1, which is linked to QBO Customer Q1; QBO \
             Customer Q2 stays linked to the merged-away record and is left as it is (not \
             deactivated)"
        );
        assert!(
            text.fix.starts_with("Merge QBO Customer Q2 into Q1"),
            "{}",
            text.fix
        );
    }
}

//! `choose_match`: which of the records found by match key (email; SKU, then name) is the one to
//! link: exact normalised key, stronger keys not contradicting, active first, then the oldest.

use std::cmp::Ordering;

use crate::mapping::{MappingSet, MatchKey};
use crate::model::Record;

/// The chosen candidate, if any.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchChoice<'r> {
    NoMatch,
    Found {
        record: &'r Record,
        key: MatchKey,
    },
    /// Several records share the key: `chosen` is linked, `others` are reported.
    Ambiguous {
        chosen: &'r Record,
        others: Vec<&'r Record>,
        key: MatchKey,
    },
}

impl<'r> MatchChoice<'r> {
    pub fn chosen(&self) -> Option<&'r Record> {
        match self {
            MatchChoice::NoMatch => None,
            MatchChoice::Found { record, .. } => Some(record),
            MatchChoice::Ambiguous { chosen, .. } => Some(chosen),
        }
    }
}

/// Picks among `candidates` (unlinked records of the other side, as found by the vendor's
/// case-insensitive lookups) for a record with `source_keys` (strongest first, as from
/// `MappingSet::match_keys`). Keys are tried strongest first; a candidate matches on a key when
/// its normalised value is equal and no stronger key present on both sides differs (a product
/// with SKU A never matches an item with SKU B by name). Active records beat inactive ones,
/// then the oldest wins: the lowest numeric id (both vendors hand out increasing ids).
pub fn choose_match<'r>(
    mappings: &MappingSet,
    source_keys: &[MatchKey],
    candidates: &'r [Record],
) -> MatchChoice<'r> {
    let candidate_keys: Vec<Vec<MatchKey>> = candidates
        .iter()
        .map(|c| mappings.record_match_keys(c))
        .collect();
    let value_of = |keys: &[MatchKey], field: &str| {
        keys.iter()
            .find(|k| k.field == field)
            .map(|k| k.value.clone())
    };
    for key in source_keys {
        let mut matching: Vec<&Record> = candidates
            .iter()
            .zip(&candidate_keys)
            .filter(|(_, keys)| value_of(keys, &key.field).as_deref() == Some(key.value.as_str()))
            .filter(|(_, keys)| {
                source_keys
                    .iter()
                    .filter(|s| s.rank < key.rank)
                    .all(|stronger| {
                        value_of(keys, &stronger.field).is_none_or(|v| v == stronger.value)
                    })
            })
            .map(|(record, _)| record)
            .collect();
        if matching.is_empty() {
            continue;
        }
        matching.sort_by(|a, b| {
            b.active
                .cmp(&a.active)
                .then_with(|| oldest_first(&a.id, &b.id))
        });
        let chosen = matching.remove(0);
        return if matching.is_empty() {
            MatchChoice::Found {
                record: chosen,
                key: key.clone(),
            }
        } else {
            MatchChoice::Ambiguous {
                chosen,
                others: matching,
                key: key.clone(),
            }
        };
    }
    MatchChoice::NoMatch
}

fn oldest_first(a: &str, b: &str) -> Ordering {
    match (a.parse::<u128>(), b.parse::<u128>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
    }
}

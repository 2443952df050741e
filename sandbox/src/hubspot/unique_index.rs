//! An index of unique values (contacts' `email` and secondary emails, custom `hasUniqueValue`
//! properties) to live record ids, so uniqueness checks and `idProperty` look-ups are O(1).

use super::object_types::ObjectKind;
use super::store::Store;

/// (object type, property, normalised value).
pub type IndexKey = (ObjectKind, String, String);

/// The property that holds a contact's secondary emails after a merge (docs/hubspot.md §2.5).
pub const SECONDARY_EMAILS: &str = "hs_additional_emails";

/// Emails compare case-insensitively; other unique values exactly (UNVERIFIED for those).
pub fn normalise(property: &str, value: &str) -> String {
    if property == "email" || property == SECONDARY_EMAILS {
        value.to_lowercase()
    } else {
        value.to_owned()
    }
}

impl Store {
    /// Properties kept in the index for a type.
    pub(super) fn indexed_properties(&self, kind: ObjectKind) -> Vec<String> {
        let mut props = self.unique_properties(kind);
        if kind == ObjectKind::Contact {
            props.push(SECONDARY_EMAILS.into());
        }
        props
    }

    /// The index keys a live record holds now (none when archived or missing).
    pub(super) fn index_keys(&self, kind: ObjectKind, id: u64) -> Vec<IndexKey> {
        // The record itself, not the one a merged id resolves to.
        let exact = self.records.get(&kind).and_then(|m| m.get(&id));
        let Some(record) = exact.filter(|r| !r.is_archived()) else {
            return Vec::new();
        };
        let mut keys = Vec::new();
        for property in self.indexed_properties(kind) {
            let Some(value) = record.properties.get(&property) else {
                continue;
            };
            if property == SECONDARY_EMAILS {
                for email in value.split(';').filter(|e| !e.is_empty()) {
                    keys.push((kind, property.clone(), normalise(&property, email)));
                }
            } else {
                keys.push((kind, property.clone(), normalise(&property, value)));
            }
        }
        keys
    }

    /// After a record changed: drops the keys it held `before` and adds the ones it holds now.
    pub(super) fn refresh_index(&mut self, kind: ObjectKind, id: u64, before: Vec<IndexKey>) {
        for key in before {
            if self.unique_index.get(&key) == Some(&id) {
                self.unique_index.remove(&key);
            }
        }
        for key in self.index_keys(kind, id) {
            self.unique_index.entry(key).or_insert(id);
        }
    }

    /// The live record holding `value` in an indexed property.
    pub(super) fn indexed_holder(
        &self,
        kind: ObjectKind,
        property: &str,
        value: &str,
    ) -> Option<u64> {
        self.unique_index
            .get(&(kind, property.to_owned(), normalise(property, value)))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::hubspot::store::{Actor, WriteCtx};

    #[test]
    fn index_follows_creates_updates_archives_and_merges() {
        let mut store = Store::new(1, 0);
        let mut ctx = WriteCtx::new(0, Actor::user(1));
        let input = |v: serde_json::Value| v.as_object().unwrap().clone();
        let w = store
            .check_create(
                ObjectKind::Contact,
                &input(json!({"email": "A@x.example"})),
                &[],
            )
            .unwrap();
        let a = store.apply_create(ObjectKind::Contact, w, &mut ctx);
        assert_eq!(
            store.find_by_unique(ObjectKind::Contact, "email", "a@X.example"),
            Some(a)
        );
        let w = store
            .check_update(
                ObjectKind::Contact,
                a,
                &input(json!({"email": "b@x.example"})),
                &[],
            )
            .unwrap();
        store.apply_update(ObjectKind::Contact, a, w, &mut ctx);
        assert_eq!(
            store.find_by_unique(ObjectKind::Contact, "email", "a@x.example"),
            None
        );
        assert_eq!(
            store.find_by_unique(ObjectKind::Contact, "email", "b@x.example"),
            Some(a)
        );
        let w = store
            .check_create(
                ObjectKind::Contact,
                &input(json!({"email": "c@x.example"})),
                &[],
            )
            .unwrap();
        let c = store.apply_create(ObjectKind::Contact, w, &mut ctx);
        store
            .merge_records(ObjectKind::Contact, a, c, false, &mut ctx)
            .unwrap();
        assert_eq!(
            store.indexed_holder(ObjectKind::Contact, SECONDARY_EMAILS, "C@x.example"),
            Some(a)
        );
        assert_eq!(
            store.find_by_unique(ObjectKind::Contact, "email", "c@x.example"),
            None
        );
        store.archive(ObjectKind::Contact, a, &mut ctx).unwrap();
        assert_eq!(
            store.find_by_unique(ObjectKind::Contact, "email", "b@x.example"),
            None
        );
    }
}

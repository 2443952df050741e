//! Associations between records (docs/hubspot.md §3) and contact merges (§2.5): adding and
//! removing edges in both directions, listing them, and the one-parent rule for line items.

use std::collections::BTreeMap;

use super::errors::ApiError;
use super::object_types::ObjectKind;
use super::store::{Change, Store, WriteCtx};

/// Kinds a line item can belong to; docs/hubspot.md §2.6: "A line item belongs to exactly one
/// parent (deal, quote, invoice, ...)".
const LINE_ITEM_PARENTS: [ObjectKind; 2] = [ObjectKind::Deal, ObjectKind::Invoice];

impl Store {
    fn live(&self, kind: ObjectKind, id: u64) -> Result<u64, ApiError> {
        self.record(kind, id)
            .filter(|r| !r.is_archived())
            .map(|r| r.id)
            .ok_or_else(|| ApiError::object_not_found(&id.to_string()))
    }

    /// Checks an association of `type_ids` from one record to another could be added.
    pub fn check_associate(
        &self,
        from: ObjectKind,
        from_id: u64,
        to: ObjectKind,
        to_id: u64,
        type_ids: &[u32],
    ) -> Result<(), ApiError> {
        let from_id = self.live(from, from_id)?;
        let to_id = self.live(to, to_id)?;
        for type_id in type_ids {
            if self.catalog.get(from, to, *type_id).is_none() {
                // UNVERIFIED wording.
                return Err(ApiError::bad_request(format!(
                    "{type_id} is not a valid association type id between {} and {}",
                    from.path_name(),
                    to.path_name()
                )));
            }
        }
        let (line_item, parent_kind, parent_id) = match (from, to) {
            (ObjectKind::LineItem, p) if LINE_ITEM_PARENTS.contains(&p) => (from_id, p, to_id),
            (p, ObjectKind::LineItem) if LINE_ITEM_PARENTS.contains(&p) => (to_id, p, from_id),
            _ => return Ok(()),
        };
        let other_parent = LINE_ITEM_PARENTS.iter().find_map(|k| {
            self.associated_ids(ObjectKind::LineItem, line_item, *k)
                .into_iter()
                .find(|p| !(*k == parent_kind && *p == parent_id))
                .map(|p| (k, p))
        });
        if let Some((k, p)) = other_parent {
            // docs/hubspot.md §2.6 rule; UNVERIFIED wording and status.
            return Err(ApiError::bad_request(format!(
                "Line item {line_item} already belongs to {} {p}; line items belong to one single parent object",
                k.path_name()
            )));
        }
        Ok(())
    }

    /// Adds the association types (and their reverses); already-present edges are kept as is.
    pub fn associate(
        &mut self,
        from: ObjectKind,
        from_id: u64,
        to: ObjectKind,
        to_id: u64,
        type_ids: &[u32],
        ctx: &mut WriteCtx,
    ) -> Result<(), ApiError> {
        self.check_associate(from, from_id, to, to_id, type_ids)?;
        let from_id = self.live(from, from_id)?;
        let to_id = self.live(to, to_id)?;
        for type_id in type_ids {
            let t = self
                .catalog
                .get(from, to, *type_id)
                .expect("checked")
                .clone();
            let inserted = self.edges.insert((from, from_id, to, to_id, t.type_id));
            self.edges.insert((to, to_id, from, from_id, t.reverse_id));
            if inserted {
                ctx.record(Change::Association {
                    from,
                    from_id,
                    to,
                    to_id,
                    type_id: t.type_id,
                    type_name: t.name.clone(),
                    removed: false,
                });
            }
        }
        self.after_association_change(from, from_id, to, to_id, ctx);
        Ok(())
    }

    /// Removes every association between two records (docs/hubspot.md §3 DELETE).
    pub fn dissociate_all(
        &mut self,
        from: ObjectKind,
        from_id: u64,
        to: ObjectKind,
        to_id: u64,
        ctx: &mut WriteCtx,
    ) {
        self.dissociate(from, from_id, to, to_id, None, ctx);
    }

    /// Removes the given types between two records; removing the unlabeled (default) type
    /// removes the labeled ones too (docs/hubspot.md §3 `batch/labels/archive`).
    pub fn dissociate(
        &mut self,
        from: ObjectKind,
        from_id: u64,
        to: ObjectKind,
        to_id: u64,
        type_ids: Option<&[u32]>,
        ctx: &mut WriteCtx,
    ) {
        let removes_all = type_ids.is_none_or(|ids| {
            ids.iter().any(|id| {
                self.catalog
                    .get(from, to, *id)
                    .is_some_and(|t| t.is_default)
            })
        });
        let doomed: Vec<_> = self
            .edges
            .range((from, from_id, to, to_id, 0)..=(from, from_id, to, to_id, u32::MAX))
            .filter(|e| removes_all || type_ids.is_some_and(|ids| ids.contains(&e.4)))
            .copied()
            .collect();
        for (f, fid, t, tid, type_id) in doomed {
            self.edges.remove(&(f, fid, t, tid, type_id));
            if let Some(at) = self.catalog.get(f, t, type_id).cloned() {
                self.edges.remove(&(t, tid, f, fid, at.reverse_id));
                ctx.record(Change::Association {
                    from: f,
                    from_id: fid,
                    to: t,
                    to_id: tid,
                    type_id,
                    type_name: at.name,
                    removed: true,
                });
            }
        }
        self.after_association_change(from, from_id, to, to_id, ctx);
    }

    /// Ids of live `to` records associated with a record, ascending.
    pub fn associated_ids(&self, from: ObjectKind, from_id: u64, to: ObjectKind) -> Vec<u64> {
        let mut ids: Vec<u64> = self.associations(from, from_id, to).into_keys().collect();
        ids.dedup();
        ids
    }

    /// Live `to` records associated with a record, with the type ids of each.
    pub fn associations(
        &self,
        from: ObjectKind,
        from_id: u64,
        to: ObjectKind,
    ) -> BTreeMap<u64, Vec<u32>> {
        let mut out: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        for (_, _, _, to_id, type_id) in self
            .edges
            .range((from, from_id, to, 0, 0)..=(from, from_id, to, u64::MAX, u32::MAX))
        {
            if self.record(to, *to_id).is_some_and(|r| !r.is_archived()) {
                out.entry(*to_id).or_default().push(*type_id);
            }
        }
        out
    }

    /// docs/hubspot.md §2.1/§2.5/§2.11 merge (contacts and deals): the result keeps the
    /// primary's values, takes the secondary's values where it has none (unique ones excepted),
    /// and inherits its associations; a contact's email becomes a secondary email. With
    /// `new_id` the result is a new record (the primary is archived too, its id resolving to
    /// the result), else the primary itself. The secondary is archived and its id resolves to
    /// the result from then on; `hs_merged_object_ids` lists the ids merged into it. Webhooks:
    /// the merge event and a deletion per archived id. Returns the result's id.
    pub fn merge_records(
        &mut self,
        kind: ObjectKind,
        primary: u64,
        secondary: u64,
        new_id: bool,
        ctx: &mut WriteCtx,
    ) -> Result<u64, ApiError> {
        let primary = self.live(kind, primary)?;
        let secondary = self.live(kind, secondary)?;
        if primary == secondary {
            // UNVERIFIED wording (docs/hubspot.md §2.11).
            return Err(ApiError::bad_request("Cannot merge a record with itself"));
        }
        let old_primary = primary;
        let primary = if new_id {
            self.merge_result_record(kind, primary, ctx)
        } else {
            primary
        };
        let sec = self.record(kind, secondary).expect("live").clone();
        let mut skip: Vec<String> = [
            "hs_object_id",
            kind.create_date_property(),
            kind.last_modified_property(),
            "hs_all_contact_vids",
            "hs_merged_object_ids",
            "hs_additional_emails",
            "hs_object_source",
            "hs_object_source_id",
            "hs_object_source_label",
        ]
        .map(str::to_owned)
        .to_vec();
        skip.extend(self.unique_properties(kind));
        let mut moved = 0;
        let delay = self.search_delay_ms;
        let primary_keys = self.index_keys(kind, primary);
        let secondary_keys = self.index_keys(kind, secondary);
        {
            let rec = self.record_mut(kind, primary).expect("live");
            let before_props = rec.properties.clone();
            for (name, value) in &sec.properties {
                if !skip.contains(name) && !rec.properties.contains_key(name) {
                    rec.properties.insert(name.clone(), value.clone());
                    moved += 1;
                }
            }
            if let Some(email) = sec
                .properties
                .get("email")
                .filter(|_| kind == ObjectKind::Contact)
            {
                let extra = match rec.properties.get("hs_additional_emails") {
                    Some(list) if !list.is_empty() => format!("{list};{email}"),
                    _ => email.clone(),
                };
                rec.properties.insert("hs_additional_emails".into(), extra);
            }
            let merged = match rec.properties.get("hs_merged_object_ids") {
                Some(list) if !list.is_empty() => format!("{list};{secondary}"),
                _ => secondary.to_string(),
            };
            rec.properties.insert("hs_merged_object_ids".into(), merged);
            if kind == ObjectKind::Contact {
                let vids = format!(
                    "{};{}",
                    rec.properties
                        .get("hs_all_contact_vids")
                        .cloned()
                        .unwrap_or_else(|| primary.to_string()),
                    secondary
                );
                rec.properties.insert("hs_all_contact_vids".into(), vids);
            }
            rec.updated_at_ms = ctx.now_ms;
            rec.properties.insert(
                kind.last_modified_property().into(),
                super::record::iso_ms(ctx.now_ms),
            );
            rec.track_history(
                &before_props,
                ctx.now_ms,
                ctx.actor.change_source,
                &ctx.actor.source_id,
            );
            rec.reindex(ctx.now_ms, delay);
        }
        self.move_edges(kind, secondary, primary);
        if let Some(r) = self.record_mut(kind, secondary) {
            r.archived_at_ms = Some(ctx.now_ms);
            r.reindex(ctx.now_ms, 0);
        }
        self.merged_into.insert((kind, secondary), primary);
        self.refresh_index(kind, secondary, secondary_keys);
        self.refresh_index(kind, primary, primary_keys);
        ctx.record(Change::Merged {
            kind,
            primary: old_primary,
            merged: secondary,
            result: primary,
            moved,
        });
        // docs/hubspot.md §2.11: the merged-away records arrive as deletions too.
        ctx.record(Change::Deleted {
            kind,
            id: secondary,
        });
        if new_id {
            ctx.record(Change::Deleted {
                kind,
                id: old_primary,
            });
        }
        Ok(primary)
    }

    /// docs/hubspot.md §2.11: the new record a merge creates: a copy of the primary (values,
    /// unique values, history, associations) under a new id, listing the primary in its
    /// `hs_merged_object_ids`; the primary is archived and its id resolves to the copy.
    fn merge_result_record(&mut self, kind: ObjectKind, primary: u64, ctx: &WriteCtx) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let primary_keys = self.index_keys(kind, primary);
        let mut record = self.record(kind, primary).expect("live").clone();
        record.id = id;
        record.created_at_ms = ctx.now_ms;
        record
            .properties
            .insert("hs_object_id".into(), id.to_string());
        let merged = match record.properties.get("hs_merged_object_ids") {
            Some(list) if !list.is_empty() => format!("{list};{primary}"),
            _ => primary.to_string(),
        };
        record
            .properties
            .insert("hs_merged_object_ids".into(), merged);
        if kind == ObjectKind::Contact {
            let vids = record
                .properties
                .get("hs_all_contact_vids")
                .cloned()
                .unwrap_or_else(|| primary.to_string());
            record
                .properties
                .insert("hs_all_contact_vids".into(), format!("{vids};{id}"));
        }
        record.reindex(ctx.now_ms, self.search_delay_ms);
        if let Some(r) = self
            .records
            .get_mut(&kind)
            .and_then(|m| m.get_mut(&primary))
        {
            r.archived_at_ms = Some(ctx.now_ms);
            r.reindex(ctx.now_ms, 0);
        }
        self.records.entry(kind).or_default().insert(id, record);
        self.merged_into.insert((kind, primary), id);
        self.refresh_index(kind, primary, primary_keys);
        self.refresh_index(kind, id, Vec::new());
        self.move_edges(kind, primary, id);
        id
    }

    /// Moves every association of `from` to `to` (both directions).
    fn move_edges(&mut self, kind: ObjectKind, from: u64, to: u64) {
        let moved_edges: Vec<_> = self
            .edges
            .iter()
            .filter(|e| e.0 == kind && e.1 == from)
            .copied()
            .collect();
        for (f, _, t, tid, type_id) in moved_edges {
            if let Some(at) = self.catalog.get(f, t, type_id).cloned() {
                self.edges.remove(&(f, from, t, tid, type_id));
                self.edges.remove(&(t, tid, f, from, at.reverse_id));
                self.edges.insert((f, to, t, tid, type_id));
                self.edges.insert((t, tid, f, to, at.reverse_id));
            }
        }
    }

    /// docs/hubspot.md §2.5 `gdpr-delete`: permanent (not restorable); its associations and
    /// unique values go too. Webhooks report `privacyDeletion` and `deletion` (§5.3).
    pub fn gdpr_delete(
        &mut self,
        kind: ObjectKind,
        id: u64,
        ctx: &mut WriteCtx,
    ) -> Result<(), ApiError> {
        let id = self
            .record(kind, id)
            .map(|r| r.id)
            .ok_or_else(|| ApiError::object_not_found(&id.to_string()))?;
        let keys = self.index_keys(kind, id);
        if let Some(map) = self.records.get_mut(&kind) {
            map.remove(&id);
        }
        self.refresh_index(kind, id, keys);
        let doomed: Vec<_> = self
            .edges
            .iter()
            .filter(|e| (e.0 == kind && e.1 == id) || (e.2 == kind && e.3 == id))
            .copied()
            .collect();
        for e in doomed {
            self.edges.remove(&e);
        }
        self.merged_into
            .retain(|(k, from), to| !(*k == kind && (*from == id || *to == id)));
        ctx.record(Change::PrivacyDeleted { kind, id });
        ctx.record(Change::Deleted { kind, id });
        Ok(())
    }
}

//! One CRM record as the sandbox stores it (string properties, timestamps, the version search
//! sees) and its JSON rendering as `SimplePublicObject` (docs/hubspot.md §2.1).

use std::collections::BTreeMap;

use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::object_types::ObjectKind;
use super::schema::Schema;

/// Epoch ms as HubSpot's ISO-8601 with milliseconds (`2024-04-25T20:48:27.793Z`).
pub fn iso_ms(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The version of a record the search index holds.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedVersion {
    pub properties: BTreeMap<String, String>,
    pub updated_at_ms: i64,
}

/// One past value of a property (docs/hubspot.md §2.1 `propertiesWithHistory`).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// "" when the value was cleared.
    pub value: String,
    pub timestamp_ms: i64,
    /// `INTEGRATION` or `CRM_UI` (the writer's change source).
    pub source_type: String,
    /// The app id or `userId:<id>`.
    pub source_id: String,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: u64,
    pub kind: ObjectKind,
    /// Values as strings; an absent key means "no value".
    pub properties: BTreeMap<String, String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub archived_at_ms: Option<i64>,
    /// What search returns now (`None`: not indexed yet).
    pub indexed: Option<IndexedVersion>,
    /// A newer version and the sandbox time it becomes searchable (docs/hubspot.md §2.4:
    /// search is eventually consistent).
    pub pending_index: Option<(i64, IndexedVersion)>,
    /// Every value each property has had, oldest first.
    pub history: BTreeMap<String, Vec<HistoryEntry>>,
}

/// Which properties a response carries.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertySelection {
    /// The type's defaults (only those with a value).
    Defaults(&'static [&'static str]),
    /// Exactly these (defined-but-empty ones come back as `null`, undefined ones are left out:
    /// docs/hubspot.md §2.1).
    Named(Vec<String>),
}

impl PropertySelection {
    /// From a `properties` query value or body list; empty means the defaults.
    pub fn from_names(names: Vec<String>, defaults: &'static [&'static str]) -> Self {
        let names: Vec<String> = names
            .into_iter()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            Self::Defaults(defaults)
        } else {
            Self::Named(names)
        }
    }
}

impl Record {
    pub fn is_archived(&self) -> bool {
        self.archived_at_ms.is_some()
    }

    /// Renders the properties map: the system trio (`hs_object_id`, create and last-modified
    /// dates, always present in the fixtures) plus the selection.
    pub fn render_properties(
        &self,
        props: &BTreeMap<String, String>,
        selection: &PropertySelection,
        schema: &Schema,
    ) -> Map<String, Value> {
        let mut out = BTreeMap::new();
        for name in [
            "hs_object_id",
            self.kind.create_date_property(),
            self.kind.last_modified_property(),
        ] {
            if let Some(v) = props.get(name) {
                out.insert(name.to_owned(), Value::from(v.as_str()));
            }
        }
        match selection {
            PropertySelection::Defaults(names) => {
                for name in *names {
                    if let Some(v) = props.get(*name) {
                        out.insert((*name).to_owned(), Value::from(v.as_str()));
                    }
                }
            }
            PropertySelection::Named(names) => {
                for name in names {
                    match props.get(name) {
                        Some(v) => {
                            out.insert(name.clone(), Value::from(v.as_str()));
                        }
                        None if schema.property(self.kind, name).is_some() => {
                            out.insert(name.clone(), Value::Null);
                        }
                        None => {}
                    }
                }
            }
        }
        // HubSpot returns properties sorted by name (fixtures).
        out.into_iter().collect()
    }

    /// `SimplePublicObject` JSON with the given properties map.
    pub fn render_with(&self, properties: Map<String, Value>, updated_at_ms: i64) -> Value {
        let mut v = json!({
            "id": self.id.to_string(),
            "properties": properties,
            "createdAt": iso_ms(self.created_at_ms),
            "updatedAt": iso_ms(updated_at_ms),
            "archived": self.is_archived(),
        });
        if let Some(at) = self.archived_at_ms {
            v["archivedAt"] = iso_ms(at).into();
        }
        v
    }

    /// `SimplePublicObject` JSON of the current version.
    pub fn render(&self, selection: &PropertySelection, schema: &Schema) -> Value {
        let props = self.render_properties(&self.properties, selection, schema);
        self.render_with(props, self.updated_at_ms)
    }

    /// Appends history for every property whose value differs from `before`.
    pub fn track_history(
        &mut self,
        before: &BTreeMap<String, String>,
        now_ms: i64,
        source_type: &str,
        source_id: &str,
    ) {
        let mut names: Vec<&String> = self.properties.keys().collect();
        names.extend(before.keys().filter(|k| !self.properties.contains_key(*k)));
        for name in names {
            let now = self.properties.get(name);
            if now != before.get(name) {
                self.history
                    .entry(name.clone())
                    .or_default()
                    .push(HistoryEntry {
                        value: now.cloned().unwrap_or_default(),
                        timestamp_ms: now_ms,
                        source_type: source_type.to_owned(),
                        source_id: source_id.to_owned(),
                    });
            }
        }
    }

    /// The `propertiesWithHistory` object for `names`, newest value first; names without
    /// history are left out.
    pub fn render_history(&self, names: &[String]) -> Map<String, Value> {
        names
            .iter()
            .filter_map(|name| {
                let entries = self.history.get(name)?;
                let list: Vec<Value> = entries
                    .iter()
                    .rev()
                    .map(|e| {
                        json!({
                            "value": e.value,
                            "timestamp": iso_ms(e.timestamp_ms),
                            "sourceType": e.source_type,
                            "sourceId": e.source_id,
                        })
                    })
                    .collect();
                Some((name.clone(), Value::Array(list)))
            })
            .collect()
    }

    /// Promotes the pending index version if its time has come; returns what search sees.
    pub fn search_version(&mut self, now_ms: i64) -> Option<&IndexedVersion> {
        if let Some((visible_at, _)) = &self.pending_index
            && *visible_at <= now_ms
        {
            let (_, version) = self.pending_index.take().expect("checked above");
            self.indexed = Some(version);
        }
        self.indexed.as_ref()
    }

    /// Queues the current version for the search index, visible after `delay_ms`.
    pub fn reindex(&mut self, now_ms: i64, delay_ms: i64) {
        let version = IndexedVersion {
            properties: self.properties.clone(),
            updated_at_ms: self.updated_at_ms,
        };
        if delay_ms <= 0 {
            self.indexed = Some(version);
            self.pending_index = None;
        } else {
            self.pending_index = Some((now_ms + delay_ms, version));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        let mut properties = BTreeMap::new();
        properties.insert("hs_object_id".into(), "7".into());
        properties.insert("createdate".into(), iso_ms(0));
        properties.insert("lastmodifieddate".into(), iso_ms(0));
        properties.insert("email".into(), "a@b.example".into());
        Record {
            id: 7,
            kind: ObjectKind::Contact,
            properties,
            created_at_ms: 0,
            updated_at_ms: 0,
            archived_at_ms: None,
            indexed: None,
            pending_index: None,
            history: BTreeMap::new(),
        }
    }

    #[test]
    fn named_properties_give_null_for_defined_and_skip_undefined() {
        let schema = Schema::builtin();
        let r = record();
        let sel = PropertySelection::Named(vec!["email".into(), "phone".into(), "nope".into()]);
        let v = r.render(&sel, &schema);
        assert_eq!(v["properties"]["email"], "a@b.example");
        assert_eq!(v["properties"]["phone"], Value::Null);
        assert!(v["properties"].get("nope").is_none());
        assert_eq!(v["properties"]["hs_object_id"], "7");
        assert_eq!(v["id"], "7");
        assert_eq!(v["archived"], false);
    }

    #[test]
    fn history_records_changes_newest_first() {
        let mut r = record();
        let before = BTreeMap::new();
        r.track_history(&before, 1, "INTEGRATION", "9");
        let before = r.properties.clone();
        r.properties.insert("email".into(), "new@b.example".into());
        r.track_history(&before, 2, "CRM_UI", "userId:1");
        let h = r.render_history(&["email".into(), "phone".into()]);
        assert_eq!(h["email"][0]["value"], "new@b.example");
        assert_eq!(h["email"][0]["sourceType"], "CRM_UI");
        assert_eq!(h["email"][1]["value"], "a@b.example");
        assert!(h.get("phone").is_none());
    }

    #[test]
    fn index_lags_by_the_delay() {
        let mut r = record();
        r.reindex(1_000, 500);
        assert!(r.search_version(1_400).is_none());
        assert!(r.search_version(1_500).is_some());
    }
}

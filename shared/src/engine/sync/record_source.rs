//! Where a sync round reads records from: the vendors (through the gateways, in batches) or a
//! snapshot taken by enumerating both sides (initial sync), which answers reads and match
//! lookups without API calls.

use std::collections::{BTreeMap, HashMap};

use crate::mapping::normalise_match;
use crate::model::{MatchForm, ObjectKind, Record, Side};
use crate::ports::{FieldTimes, GatewayError};

use super::gateway_pair::GatewayPair;

/// All records of one kind on both sides, as enumerated, with lookups by native field.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    records: HashMap<(Side, String), Record>,
    /// (side, native field path) -> the field's match form and (normalised value -> ids),
    /// built lazily per field.
    by_field: BTreeMap<(Side, String), FieldIndex>,
}

/// One indexed field: its match form and normalised value -> ids.
type FieldIndex = (MatchForm, HashMap<String, Vec<String>>);

impl Snapshot {
    pub fn new(records: impl IntoIterator<Item = Record>) -> Self {
        let mut snapshot = Snapshot::default();
        for record in records {
            snapshot.insert(record);
        }
        snapshot
    }

    pub fn insert(&mut self, record: Record) {
        self.by_field.clear();
        self.records
            .insert((record.side, record.id.clone()), record);
    }

    pub fn get(&self, side: Side, id: &str) -> Option<&Record> {
        self.records.get(&(side, id.to_owned()))
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every record, in a stable order (side, then numeric-looking id order).
    pub fn records(&self) -> Vec<&Record> {
        let mut all: Vec<&Record> = self.records.values().collect();
        all.sort_by(|a, b| (a.side, a.id.len(), &a.id).cmp(&(b.side, b.id.len(), &b.id)));
        all
    }

    /// Builds the index for `field` on `side` if it is not there yet, its values normalised
    /// as `form` says (a domain for `WebAddr.URI` and `domain`, `mapping::match_key`).
    pub fn index_field(&mut self, side: Side, field: &str, form: MatchForm) {
        let key = (side, field.to_owned());
        if self.by_field.contains_key(&key) {
            return;
        }
        let mut index: HashMap<String, Vec<String>> = HashMap::new();
        for ((record_side, id), record) in &self.records {
            if *record_side != side {
                continue;
            }
            if let Some(value) = record.value(field).and_then(value_text) {
                index
                    .entry(normalise_match(form, &value))
                    .or_default()
                    .push(id.clone());
            }
        }
        self.by_field.insert(key, (form, index));
    }

    /// Records of `side` whose `field` equals one of `values` (normalised); the field must have
    /// been indexed with [`Snapshot::index_field`], else nothing is found.
    pub fn find(&self, side: Side, field: &str, values: &[String]) -> Vec<Record> {
        let Some((form, index)) = self.by_field.get(&(side, field.to_owned())) else {
            return Vec::new();
        };
        let mut out: Vec<Record> = Vec::new();
        for value in values {
            for id in index
                .get(&normalise_match(*form, value))
                .into_iter()
                .flatten()
            {
                if let Some(record) = self.get(side, id)
                    && !out.iter().any(|r| r.id == record.id)
                {
                    out.push(record.clone());
                }
            }
        }
        out
    }
}

fn value_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The reads a round makes.
#[derive(Clone, Copy)]
pub(crate) enum RecordSource<'a> {
    Live(&'a GatewayPair),
    Snapshot(&'a Snapshot),
}

impl RecordSource<'_> {
    pub async fn read(
        &self,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            RecordSource::Live(gateways) => gateways.side(side).read(kind, ids).await,
            RecordSource::Snapshot(snapshot) => Ok(ids
                .iter()
                .filter_map(|id| snapshot.get(side, id).cloned())
                .collect()),
        }
    }

    pub async fn find(
        &self,
        kind: ObjectKind,
        side: Side,
        field: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            RecordSource::Live(gateways) => {
                gateways.side(side).find_by_field(kind, field, values).await
            }
            RecordSource::Snapshot(snapshot) => Ok(snapshot.find(side, field, values)),
        }
    }
}

impl RecordSource<'_> {
    /// When `fields` of the records `ids` on `side` got their current values, where the vendor
    /// keeps a per-field history; a snapshot holds none (record times stand).
    pub async fn field_times(
        &self,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
        fields: &[String],
    ) -> Result<BTreeMap<String, FieldTimes>, GatewayError> {
        match self {
            RecordSource::Live(gateways) if !ids.is_empty() && !fields.is_empty() => {
                gateways.side(side).field_times(kind, ids, fields).await
            }
            _ => Ok(BTreeMap::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(side: Side, id: &str, field: &str, value: &str) -> Record {
        Record {
            side,
            kind: ObjectKind::Company,
            id: id.into(),
            version: "v".into(),
            modified_at: chrono::DateTime::UNIX_EPOCH,
            active: true,
            values: [(field.to_owned(), serde_json::json!(value))].into(),
        }
    }

    #[test]
    fn a_snapshot_finds_websites_by_domain_in_the_domain_form_only() {
        let mut snapshot = Snapshot::new([
            company(
                Side::Quickbooks,
                "1",
                "WebAddr.URI",
                "https://www.Example.com/",
            ),
            company(
                Side::Quickbooks,
                "2",
                "WebAddr.URI",
                "http://shop.example.com",
            ),
            company(Side::Quickbooks, "3", "DisplayName", "Example"),
        ]);
        snapshot.index_field(Side::Quickbooks, "WebAddr.URI", MatchForm::Domain);
        snapshot.index_field(Side::Quickbooks, "DisplayName", MatchForm::Text);
        let found = snapshot.find(Side::Quickbooks, "WebAddr.URI", &["example.com".into()]);
        assert_eq!(
            found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["1"]
        );
        let found = snapshot.find(
            Side::Quickbooks,
            "WebAddr.URI",
            &["SHOP.example.com/".into()],
        );
        assert_eq!(
            found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["2"]
        );
        assert_eq!(
            snapshot
                .find(Side::Quickbooks, "DisplayName", &[" example ".into()])
                .len(),
            1
        );
    }
}

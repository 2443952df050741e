//! `FieldCatalog` on the in-memory fake vendor: every field name its records of the kind hold,
//! typed by the JSON value seen (tests of the fields route without a sandbox).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::Value;

use super::gateway::MemoryGateway;
use crate::model::{FieldType, ObjectKind};
use crate::ports::{FieldCatalog, GatewayError, LiveField};

fn type_of(value: &Value) -> FieldType {
    match value {
        Value::Bool(_) => FieldType::Bool,
        Value::Number(_) => FieldType::Number,
        _ => FieldType::Text,
    }
}

#[async_trait]
impl FieldCatalog for MemoryGateway {
    async fn list_fields(&self, kind: ObjectKind) -> Result<Vec<LiveField>, GatewayError> {
        let mut seen: BTreeMap<String, FieldType> = BTreeMap::new();
        for record in self.records(kind) {
            for (name, value) in &record.values {
                seen.entry(name.clone()).or_insert_with(|| type_of(value));
            }
        }
        Ok(seen
            .into_iter()
            .map(|(name, field_type)| LiveField {
                label: name.clone(),
                name,
                field_type,
                vendor_type: "json".into(),
                custom: false,
                read_only: false,
                mappable: kind.is_two_way(),
                options: Vec::new(),
            })
            .collect())
    }
}

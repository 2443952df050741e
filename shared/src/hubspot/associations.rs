//! Associations v4: default association of two records, batch create with type ids, batch read,
//! per-record listing, and the HUBSPOT_DEFINED type ids HQSync uses (docs/hubspot.md §3).

use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{Call, HubspotClient};
use super::error::{ApiErrorBody, Result};
use super::limits;
use super::objects::{ObjectType, Page};
use super::version;

/// HUBSPOT_DEFINED association type ids (§3 table, verified against HubSpot's SDK enums; the
/// full enum is `tests/fixtures/hubspot/association-type-ids.json`).
pub mod type_ids {
    pub const INVOICE_TO_CONTACT: u32 = 177;
    pub const CONTACT_TO_INVOICE: u32 = 178;
    pub const INVOICE_TO_COMPANY: u32 = 179;
    pub const INVOICE_TO_DEAL: u32 = 175;
    pub const DEAL_TO_INVOICE: u32 = 176;
    pub const INVOICE_TO_LINE_ITEM: u32 = 409;
    pub const LINE_ITEM_TO_INVOICE: u32 = 410;
    pub const INVOICE_TO_PAYMENT: u32 = 541;
    pub const PAYMENT_TO_INVOICE: u32 = 542;
    pub const PAYMENT_TO_CONTACT: u32 = 387;
    pub const PAYMENT_TO_DEAL: u32 = 391;
    pub const DEAL_TO_CONTACT: u32 = 3;
    pub const CONTACT_TO_DEAL: u32 = 4;
    pub const DEAL_TO_LINE_ITEM: u32 = 19;
    pub const LINE_ITEM_TO_DEAL: u32 = 20;
    pub const NOTE_TO_DEAL: u32 = 214;
    pub const DEAL_TO_NOTE: u32 = 213;
    pub const NOTE_TO_CONTACT: u32 = 202;
    pub const PAYMENT_TO_COMPANY: u32 = 389;
    pub const NOTE_TO_COMPANY: u32 = 190;
    /// The "Primary" labeled types: a contact's primary company, a deal's primary company.
    pub const PRIMARY_CONTACT_TO_COMPANY: u32 = 1;
    pub const PRIMARY_COMPANY_TO_CONTACT: u32 = 2;
    pub const PRIMARY_DEAL_TO_COMPANY: u32 = 5;
}

/// The label HubSpot gives its primary association types (docs/hubspot.md §3).
pub const PRIMARY_LABEL: &str = "Primary";

/// `associationCategory` (§3: `HUBSPOT_DEFINED | USER_DEFINED | INTEGRATOR_DEFINED | WORK`).
pub const HUBSPOT_DEFINED: &str = "HUBSPOT_DEFINED";

/// One association type (`{associationCategory, associationTypeId}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationSpec {
    pub association_category: String,
    pub association_type_id: u32,
}

impl AssociationSpec {
    pub fn hubspot_defined(type_id: u32) -> Self {
        AssociationSpec {
            association_category: HUBSPOT_DEFINED.to_owned(),
            association_type_id: type_id,
        }
    }
}

/// An association sent inline with a create (§2.1: `associations:[{to:{id}, types:[...]}]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineAssociation {
    pub to: ObjectRef,
    pub types: Vec<AssociationSpec>,
}

impl InlineAssociation {
    pub fn to(id: impl Into<String>, type_id: u32) -> Self {
        InlineAssociation {
            to: ObjectRef { id: id.into() },
            types: vec![AssociationSpec::hubspot_defined(type_id)],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    pub id: String,
}

/// One pair to associate in a batch create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationInput {
    pub from_id: String,
    pub to_id: String,
    pub types: Vec<AssociationSpec>,
}

/// An entry of the default-association answer: both directions (§3, fixture
/// `associations-v4-put-default-response.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationResult {
    pub from: ObjectRef,
    pub to: ObjectRef,
    pub association_spec: AssociationSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssociationBatchAnswer {
    pub status: Option<String>,
    pub results: Vec<AssociationResult>,
    pub num_errors: Option<u32>,
    pub errors: Vec<ApiErrorBody>,
}

/// One created pair in a v4 `batch/create` answer (`LabelsBetweenObjectPair` in the v4 spec:
/// `{fromObjectTypeId, fromObjectId, toObjectTypeId, toObjectId, labels}`; docs/hubspot.md §3
/// gives only the status codes, so every field but the ids is optional).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociatedPair {
    #[serde(default)]
    pub from_object_type_id: Option<String>,
    #[serde(deserialize_with = "id_string")]
    pub from_object_id: String,
    #[serde(default)]
    pub to_object_type_id: Option<String>,
    #[serde(deserialize_with = "id_string")]
    pub to_object_id: String,
    /// Labels of the pair's association types (`null` for unlabeled ones).
    #[serde(default)]
    pub labels: Vec<Option<String>>,
}

/// A v4 `batch/create` answer (201, or 207 with per-pair `errors`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssociationCreateAnswer {
    pub status: Option<String>,
    pub results: Vec<AssociatedPair>,
    pub num_errors: Option<u32>,
    pub errors: Vec<ApiErrorBody>,
}

/// One associated record with its types (`{toObjectId, associationTypes}`, §3).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociatedRecord {
    #[serde(deserialize_with = "id_string")]
    pub to_object_id: String,
    #[serde(default)]
    pub association_types: Vec<AssociationTypeLabel>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationTypeLabel {
    pub category: String,
    pub type_id: u32,
    #[serde(default)]
    pub label: Option<String>,
}

/// Ids come as numbers in v4 answers and as strings elsewhere; keep them as strings.
fn id_string<'de, D: serde::Deserializer<'de>>(de: D) -> std::result::Result<String, D::Error> {
    match serde_json::Value::deserialize(de)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("id {other}"))),
    }
}

/// One `batch/read` entry: a source record and what it is associated with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationsOf {
    pub from: AssociationFrom,
    #[serde(default)]
    pub to: Vec<AssociatedRecord>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssociationFrom {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct AssociationReadAnswer {
    results: Vec<AssociationsOf>,
    errors: Vec<ApiErrorBody>,
}

impl HubspotClient {
    /// `PUT /crm/objects/2026-03/{from}/{id}/associations/default/{to}/{toId}`: the default
    /// (unlabeled) association, both directions. Idempotent, so retried.
    pub async fn associate_default(
        &self,
        from_type: ObjectType,
        from_id: &str,
        to_type: ObjectType,
        to_id: &str,
    ) -> Result<AssociationBatchAnswer> {
        let call = Call::new(
            "associations.default",
            Method::PUT,
            version::association_default(
                from_type.path_name(),
                from_id,
                to_type.path_name(),
                to_id,
            ),
        );
        self.send(call).await
    }

    /// `POST /crm/associations/2026-03/{from}/{to}/batch/create` in chunks; re-creating an
    /// existing association is harmless, so it is retried. Per-pair errors are in `errors`.
    pub async fn batch_create_associations(
        &self,
        from_type: ObjectType,
        to_type: ObjectType,
        inputs: &[AssociationInput],
    ) -> Result<AssociationCreateAnswer> {
        let mut all = AssociationCreateAnswer::default();
        for chunk in inputs.chunks(limits::BATCH_SIZE) {
            let body: Vec<_> = chunk
                .iter()
                .map(|i| json!({ "from": { "id": i.from_id }, "to": { "id": i.to_id }, "types": i.types }))
                .collect();
            let call = Call::new(
                "associations.batch_create",
                Method::POST,
                version::associations_batch(from_type.path_name(), to_type.path_name(), "create"),
            )
            .json(json!({ "inputs": body }));
            let answer: AssociationCreateAnswer = self.send(call).await?;
            all.status = answer.status;
            all.results.extend(answer.results);
            all.errors.extend(answer.errors);
        }
        all.num_errors = Some(all.errors.len() as u32);
        Ok(all)
    }

    /// `POST /crm/associations/2026-03/{from}/{to}/batch/read`: for each id, its associated
    /// records of `to_type`. Ids with no associations are simply absent from the answer.
    pub async fn batch_read_associations(
        &self,
        from_type: ObjectType,
        to_type: ObjectType,
        ids: &[String],
    ) -> Result<Vec<AssociationsOf>> {
        // Owned chunks: a stream over borrowed ones is not `Send` inside `async_trait` methods
        // (the HubSpot gateway's derived values and the invoicing ports call this).
        let chunks: Vec<Vec<String>> = ids
            .chunks(limits::ASSOCIATION_BATCH_SIZE)
            .map(<[String]>::to_vec)
            .collect();
        let parts: Vec<AssociationReadAnswer> = stream::iter(chunks)
            .map(|chunk: Vec<String>| {
                let call = Call::new(
                    "associations.batch_read",
                    Method::POST,
                    version::associations_batch(from_type.path_name(), to_type.path_name(), "read"),
                )
                .json(json!({ "inputs": chunk.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>() }));
                self.send::<AssociationReadAnswer>(call)
            })
            .buffered(limits::CHUNK_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(parts.into_iter().flat_map(|p| p.results).collect())
    }

    /// `GET /crm/objects/2026-03/{type}/{id}/associations/{toType}`, every page.
    pub async fn list_associations(
        &self,
        from_type: ObjectType,
        from_id: &str,
        to_type: ObjectType,
    ) -> Result<Vec<AssociatedRecord>> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut call = Call::new(
                "associations.list",
                Method::GET,
                version::object_associations(from_type.path_name(), from_id, to_type.path_name()),
            )
            .query("limit", limits::ASSOCIATION_LIST_PAGE_SIZE.to_string());
            if let Some(a) = &after {
                call = call.query("after", a.clone());
            }
            let page: Page<AssociatedRecord> = self.send(call).await?;
            let next = page.next_after().map(str::to_owned);
            all.extend(page.results);
            match next {
                Some(n) if Some(&n) != after.as_ref() => after = Some(n),
                _ => return Ok(all),
            }
        }
    }
}

/// The primary one among a record's associated records: the lowest id of those whose
/// association is labeled "Primary", else the lowest id of all (docs/hubspot.md §3). For a
/// company's contacts, "Primary" means the company is the contact's primary company
/// (`PRIMARY_COMPANY_TO_CONTACT`, type 2): HubSpot has no single primary contact per company,
/// as each contact has one primary company, so several contacts can name the same company.
/// For a deal's companies it is the deal's primary company (`PRIMARY_DEAL_TO_COMPANY`, 5).
pub fn primary_or_lowest(contacts: &[AssociatedRecord]) -> Option<String> {
    let is_primary = |r: &&AssociatedRecord| {
        r.association_types
            .iter()
            .any(|t| t.label.as_deref() == Some(PRIMARY_LABEL))
    };
    let lowest = |records: Vec<&AssociatedRecord>| {
        records
            .into_iter()
            .min_by_key(|r| {
                (
                    r.to_object_id.parse::<u64>().unwrap_or(u64::MAX),
                    r.to_object_id.clone(),
                )
            })
            .map(|r| r.to_object_id.clone())
    };
    lowest(contacts.iter().filter(is_primary).collect())
        .or_else(|| lowest(contacts.iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../tests/fixtures/hubspot/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn default_association_answer_has_both_directions() {
        let answer: AssociationBatchAnswer =
            serde_json::from_str(&fixture("associations-v4-put-default-response.json")).unwrap();
        let ids: Vec<u32> = answer
            .results
            .iter()
            .map(|r| r.association_spec.association_type_id)
            .collect();
        assert_eq!(
            ids,
            vec![type_ids::DEAL_TO_LINE_ITEM, type_ids::LINE_ITEM_TO_DEAL]
        );
        assert_eq!(answer.results[0].from.id, answer.results[1].to.id);
    }

    #[test]
    fn our_type_ids_agree_with_the_sdk_enum() {
        let ids: serde_json::Value =
            serde_json::from_str(&fixture("association-type-ids.json")).unwrap();
        for (name, id) in [
            ("INVOICE_TO_CONTACT", type_ids::INVOICE_TO_CONTACT),
            ("INVOICE_TO_DEAL", type_ids::INVOICE_TO_DEAL),
            ("DEAL_TO_INVOICE", type_ids::DEAL_TO_INVOICE),
            ("INVOICE_TO_LINE_ITEM", type_ids::INVOICE_TO_LINE_ITEM),
            ("LINE_ITEM_TO_INVOICE", type_ids::LINE_ITEM_TO_INVOICE),
            ("DEAL_TO_CONTACT", type_ids::DEAL_TO_CONTACT),
            ("CONTACT_TO_DEAL", type_ids::CONTACT_TO_DEAL),
            ("DEAL_TO_LINE_ITEM", type_ids::DEAL_TO_LINE_ITEM),
            ("LINE_ITEM_TO_DEAL", type_ids::LINE_ITEM_TO_DEAL),
            ("NOTE_TO_DEAL", type_ids::NOTE_TO_DEAL),
            ("NOTE_TO_CONTACT", type_ids::NOTE_TO_CONTACT),
            ("DEAL_TO_NOTE", type_ids::DEAL_TO_NOTE),
        ] {
            assert_eq!(ids[name].as_u64(), Some(u64::from(id)), "{name}");
        }
    }

    #[test]
    fn batch_create_pairs_parse_with_numeric_ids() {
        let answer: AssociationCreateAnswer = serde_json::from_str(
            r#"{"status":"COMPLETE","results":[{"fromObjectTypeId":"0-53","fromObjectId":1,"toObjectTypeId":"0-1","toObjectId":"2","labels":[null]}],
                "startedAt":"2026-01-01T00:00:00Z","completedAt":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(answer.results[0].from_object_id, "1");
        assert_eq!(answer.results[0].to_object_id, "2");
        assert_eq!(answer.results[0].labels, vec![None]);
    }

    #[test]
    fn associated_records_accept_numeric_ids() {
        let page: Page<AssociatedRecord> = serde_json::from_str(
            r#"{"results":[{"toObjectId":123,"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":177,"label":null}]}]}"#,
        )
        .unwrap();
        assert_eq!(page.results[0].to_object_id, "123");
        assert_eq!(page.results[0].association_types[0].type_id, 177);
    }
}

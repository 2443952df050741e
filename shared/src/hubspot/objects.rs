//! CRM object types and records (`SimplePublicObject`) and the single-record endpoints: get,
//! list with `after` paging, create, update, archive, contacts merge (docs/hubspot.md §2.1, §2.5).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use super::associations::InlineAssociation;
use super::client::{Call, HubspotClient, Repeat};
use super::error::Result;
use super::limits;
use super::values::{self, ValueError};
use super::version;

/// The CRM objects HQSync reads and writes, with their ids (docs/hubspot.md §0 "object type IDs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectType {
    Contacts,
    Companies,
    Deals,
    Products,
    LineItems,
    Invoices,
    CommercePayments,
    Notes,
}

impl ObjectType {
    pub const ALL: [ObjectType; 8] = [
        ObjectType::Contacts,
        ObjectType::Companies,
        ObjectType::Deals,
        ObjectType::Products,
        ObjectType::LineItems,
        ObjectType::Invoices,
        ObjectType::CommercePayments,
        ObjectType::Notes,
    ];

    /// The name used in request paths (§0: "Either the name or the ID can go in {objectType}").
    pub fn path_name(self) -> &'static str {
        match self {
            ObjectType::Contacts => "contacts",
            ObjectType::Companies => "companies",
            ObjectType::Deals => "deals",
            ObjectType::Products => "products",
            ObjectType::LineItems => "line_items",
            ObjectType::Invoices => "invoices",
            ObjectType::CommercePayments => "commerce_payments",
            ObjectType::Notes => "notes",
        }
    }

    /// The object type id (`0-1`, `0-53`, ...), as generic webhooks carry it (§0, §5.3).
    pub fn type_id(self) -> &'static str {
        match self {
            ObjectType::Contacts => "0-1",
            ObjectType::Companies => "0-2",
            ObjectType::Deals => "0-3",
            ObjectType::Products => "0-7",
            ObjectType::LineItems => "0-8",
            ObjectType::Invoices => "0-53",
            ObjectType::CommercePayments => "0-101",
            ObjectType::Notes => "0-46",
        }
    }

    pub fn from_type_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.type_id() == id)
    }

    pub fn from_path_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.path_name() == name || t.type_id() == name)
    }

    /// The prefix of legacy webhook types (`contact.creation`, `line_item.merge`, §5.2).
    pub fn from_legacy_event_prefix(prefix: &str) -> Option<Self> {
        Some(match prefix {
            "contact" => ObjectType::Contacts,
            "company" => ObjectType::Companies,
            "deal" => ObjectType::Deals,
            "product" => ObjectType::Products,
            "line_item" => ObjectType::LineItems,
            _ => return None,
        })
    }

    /// The last-modified property: `lastmodifieddate` on contacts, `hs_lastmodifieddate` on the
    /// others (§2.3).
    pub fn last_modified_property(self) -> &'static str {
        match self {
            ObjectType::Contacts => "lastmodifieddate",
            _ => "hs_lastmodifieddate",
        }
    }
}

/// Property values to write: name -> string value (values are strings on the wire, §2.1;
/// build them with [`values`](super::values); `""` clears a value).
pub type PropertyWrites = BTreeMap<String, String>;

/// A CRM record as HubSpot returns it (`SimplePublicObject[WithAssociations]`, §2.1).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubspotObject {
    pub id: String,
    /// Properties that have a value. A property HubSpot returns as `null` (requested but empty)
    /// is left out, so a missing key always means "no value" (§2.1).
    #[serde(default, deserialize_with = "non_null_properties")]
    pub properties: BTreeMap<String, String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub archived_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub properties_with_history: BTreeMap<String, Vec<PropertyHistoryEntry>>,
    /// `associations.{toType}.results[]` when asked for with `associations=` (§2.1).
    #[serde(default)]
    pub associations: BTreeMap<String, AssociationRefs>,
    #[serde(default)]
    pub object_write_trace_id: Option<String>,
    /// Batch upsert only: whether the record was created (§2.1).
    #[serde(default)]
    pub new: Option<bool>,
}

fn non_null_properties<'de, D: Deserializer<'de>>(
    de: D,
) -> std::result::Result<BTreeMap<String, String>, D::Error> {
    let raw: Option<BTreeMap<String, Value>> = Option::deserialize(de)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::Null => None,
            Value::String(s) => Some((k, s)),
            // Tolerate a non-string scalar (numbers, booleans) by keeping its JSON text.
            other => Some((k, other.to_string())),
        })
        .collect())
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PropertyHistoryEntry {
    pub value: Option<String>,
    pub timestamp: Option<String>,
    pub source_type: Option<String>,
    pub source_id: Option<String>,
    pub source_label: Option<String>,
    pub updated_by_user_id: Option<u64>,
}

/// One type's associations on a record read with `associations=` (HubSpot's
/// `CollectionResponseAssociatedId`): a first page, with `paging.next` when there are more
/// (https://developers.hubspot.com/changelog/announcing-a-change-to-how-v3-crm-apis-return-association-data).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AssociationRefs {
    pub results: Vec<AssociationRef>,
    pub paging: Option<Paging>,
}

impl AssociationRefs {
    /// Whether these are all of them (no further page to read).
    pub fn is_complete(&self) -> bool {
        self.paging.as_ref().is_none_or(|p| p.next.is_none())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AssociationRef {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl HubspotObject {
    /// The value of `name`, `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties.get(name).map(String::as_str)
    }

    pub fn decimal(&self, name: &str) -> Result<Option<rust_decimal::Decimal>, ValueError> {
        self.get(name).map(values::parse_decimal).transpose()
    }

    pub fn integer(&self, name: &str) -> Result<Option<i64>, ValueError> {
        self.get(name).map(values::parse_i64).transpose()
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ValueError> {
        self.get(name).map(values::parse_bool).transpose()
    }

    pub fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>, ValueError> {
        self.get(name).map(values::parse_date).transpose()
    }

    pub fn datetime(&self, name: &str) -> Result<Option<DateTime<Utc>>, ValueError> {
        self.get(name).map(values::parse_datetime).transpose()
    }

    /// The record's last-modified time from the type's last-modified property, else `updatedAt`.
    pub fn last_modified(&self, object_type: ObjectType) -> Option<DateTime<Utc>> {
        self.datetime(object_type.last_modified_property())
            .ok()
            .flatten()
            .or(self.updated_at)
    }

    /// Ids of associated records of `to_type` (from `associations=` on get).
    pub fn associated_ids(&self, to_type: &str) -> Vec<&str> {
        self.associations
            .get(to_type)
            .map(|a| a.results.iter().map(|r| r.id.as_str()).collect())
            .unwrap_or_default()
    }
}

/// One page of a list or search.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
    /// Search only.
    #[serde(default)]
    pub total: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Paging {
    pub next: Option<NextPage>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NextPage {
    pub after: Option<String>,
}

impl<T> Page<T> {
    /// The `after` cursor of the next page; `None` on the last page (§2.1).
    pub fn next_after(&self) -> Option<&str> {
        self.paging.as_ref()?.next.as_ref()?.after.as_deref()
    }
}

/// Options of `GET /crm/objects/{v}/{type}/{id}` (§2.1).
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    pub properties: Vec<String>,
    pub associations: Vec<String>,
    /// Look up by a unique property (e.g. `email`) instead of the record id.
    pub id_property: Option<String>,
    pub archived: bool,
}

impl GetOptions {
    pub fn properties<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        GetOptions {
            properties: names.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// Options of `GET /crm/objects/{v}/{type}` (§2.1).
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub properties: Vec<String>,
    pub associations: Vec<String>,
    pub archived: bool,
    /// Page size, capped at [`limits::LIST_PAGE_SIZE`]; 0 means the cap.
    pub limit: u32,
}

/// A record to create (single or batch create, §2.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    pub properties: PropertyWrites,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<InlineAssociation>,
    /// Batch creates report per-input failures only when every input has one (§2.2); the
    /// client fills it in when it is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_write_trace_id: Option<String>,
}

impl CreateInput {
    pub fn new(properties: PropertyWrites) -> Self {
        CreateInput {
            properties,
            ..Default::default()
        }
    }
}

fn push_list(call: Call, key: &str, list: &[String]) -> Call {
    if list.is_empty() {
        call
    } else {
        call.query(key, list.join(","))
    }
}

impl HubspotClient {
    /// `GET /crm/objects/2026-03/{type}/{id}` with `properties`, `associations`, `idProperty`.
    pub async fn get_object(
        &self,
        object_type: ObjectType,
        id: &str,
        options: &GetOptions,
    ) -> Result<HubspotObject> {
        let mut call = Call::new(
            "objects.get",
            Method::GET,
            version::object(object_type.path_name(), id),
        );
        call = push_list(call, "properties", &options.properties);
        call = push_list(call, "associations", &options.associations);
        if let Some(p) = &options.id_property {
            call = call.query("idProperty", p.clone());
        }
        if options.archived {
            call = call.query("archived", "true");
        }
        self.send(call).await
    }

    /// One page of `GET /crm/objects/2026-03/{type}`; pass the previous page's
    /// [`Page::next_after`] to continue.
    pub async fn list_objects_page(
        &self,
        object_type: ObjectType,
        options: &ListOptions,
        after: Option<&str>,
    ) -> Result<Page<HubspotObject>> {
        let limit = match options.limit {
            0 => limits::LIST_PAGE_SIZE,
            n => n.min(limits::LIST_PAGE_SIZE),
        };
        let mut call = Call::new(
            "objects.list",
            Method::GET,
            version::objects(object_type.path_name()),
        )
        .query("limit", limit.to_string());
        call = push_list(call, "properties", &options.properties);
        call = push_list(call, "associations", &options.associations);
        if options.archived {
            call = call.query("archived", "true");
        }
        if let Some(after) = after {
            call = call.query("after", after);
        }
        self.send(call).await
    }

    /// Every record of a type, following `after` until the last page.
    pub async fn list_all_objects(
        &self,
        object_type: ObjectType,
        options: &ListOptions,
    ) -> Result<Vec<HubspotObject>> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .list_objects_page(object_type, options, after.as_deref())
                .await?;
            let next = page.next_after().map(str::to_owned);
            all.extend(page.results);
            match next {
                // A cursor that does not move would loop forever: stop instead.
                Some(n) if Some(&n) != after.as_ref() => after = Some(n),
                _ => return Ok(all),
            }
        }
    }

    /// `POST /crm/objects/2026-03/{type}`: 201 with the record. Retried only when HubSpot
    /// certainly did not process it (429 / no connection); a 5xx returns the error so the caller
    /// can re-read before trying again.
    pub async fn create_object(
        &self,
        object_type: ObjectType,
        input: &CreateInput,
    ) -> Result<HubspotObject> {
        let call = Call::new(
            "objects.create",
            Method::POST,
            version::objects(object_type.path_name()),
        )
        .json(json!({ "properties": input.properties, "associations": input.associations }))
        .repeat(Repeat::OnlyIfNotProcessed);
        self.send(call).await
    }

    /// `PATCH /crm/objects/2026-03/{type}/{id}` (optionally by `idProperty`).
    pub async fn update_object(
        &self,
        object_type: ObjectType,
        id: &str,
        properties: &PropertyWrites,
        id_property: Option<&str>,
    ) -> Result<HubspotObject> {
        let mut call = Call::new(
            "objects.update",
            Method::PATCH,
            version::object(object_type.path_name(), id),
        )
        .json(json!({ "properties": properties }));
        if let Some(p) = id_property {
            call = call.query("idProperty", p);
        }
        self.send(call).await
    }

    /// `DELETE /crm/objects/2026-03/{type}/{id}`: archive (204).
    pub async fn archive_object(&self, object_type: ObjectType, id: &str) -> Result<()> {
        let call = Call::new(
            "objects.archive",
            Method::DELETE,
            version::object(object_type.path_name(), id),
        );
        self.send_no_content(call).await
    }

    /// `POST /crm/objects/2026-03/contacts/merge` (§2.5): `to_merge` is merged into `primary`;
    /// returns the surviving record. Not repeated after an unclear failure.
    pub async fn merge_contacts(
        &self,
        primary_id: &str,
        to_merge_id: &str,
    ) -> Result<HubspotObject> {
        let call = Call::new(
            "contacts.merge",
            Method::POST,
            version::objects_merge(ObjectType::Contacts.path_name()),
        )
        .json(json!({ "primaryObjectId": primary_id, "objectIdToMerge": to_merge_id }))
        .repeat(Repeat::OnlyIfNotProcessed);
        self.send(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../tests/fixtures/hubspot/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn single_record_fixtures_parse_with_string_values() {
        for name in [
            "contact-get-response.json",
            "contact-create-response-app-source.json",
            "deal-create-response.json",
            "product-get-response.json",
            "invoice-get-response.json",
            "invoice-get-with-properties-response.json",
            "commerce-payment-create-response.json",
        ] {
            let obj: HubspotObject = serde_json::from_str(&fixture(name)).unwrap();
            assert!(!obj.id.is_empty(), "{name}");
            assert_eq!(obj.get("hs_object_id"), Some(obj.id.as_str()), "{name}");
            assert!(obj.created_at.is_some() && !obj.archived, "{name}");
        }
    }

    #[test]
    fn associations_on_a_get_say_when_more_pages_follow() {
        // The shape of `SimplePublicObjectWithAssociations.associations` (HubSpot's SDK model
        // `CollectionResponseAssociatedId`, see AssociationRefs).
        let deal: HubspotObject = serde_json::from_value(serde_json::json!({
            "id": "7",
            "properties": {},
            "associations": {
                "invoices": {
                    "results": [{"id": "11", "type": "deal_to_invoice"}],
                    "paging": {"next": {"after": "MTE%3D", "link": "?after=MTE%3D"}}
                },
                "contacts": {"results": [{"id": "3", "type": "deal_to_contact"}]}
            }
        }))
        .unwrap();
        assert_eq!(deal.associated_ids("invoices"), ["11"]);
        assert!(!deal.associations["invoices"].is_complete());
        assert!(deal.associations["contacts"].is_complete());
    }

    #[test]
    fn typed_accessors_convert_strings_at_the_edge() {
        let deal: HubspotObject =
            serde_json::from_str(&fixture("deal-create-response.json")).unwrap();
        assert_eq!(
            deal.decimal("amount").unwrap(),
            Some(rust_decimal::Decimal::new(150000, 2))
        );
        assert_eq!(deal.boolean("hs_is_closed").unwrap(), Some(false));
        assert_eq!(deal.get("hs_object_source"), Some("INTEGRATION"));
        assert_eq!(deal.get("no_such_property"), None);
        assert!(deal.decimal("dealname").is_err());
        let invoice: HubspotObject =
            serde_json::from_str(&fixture("invoice-get-with-properties-response.json")).unwrap();
        assert_eq!(
            invoice.decimal("hs_amount_billed").unwrap(),
            Some(rust_decimal::Decimal::new(2000, 2))
        );
        assert_eq!(
            invoice
                .last_modified(ObjectType::Invoices)
                .unwrap()
                .to_rfc3339(),
            "2024-03-01T22:33:09.011+00:00"
        );
    }

    #[test]
    fn null_properties_are_absent_not_empty() {
        let obj: HubspotObject = serde_json::from_str(
            r#"{"id":"1","properties":{"email":null,"firstname":"A","hs_object_id":"1"},"archived":false}"#,
        )
        .unwrap();
        assert_eq!(obj.get("email"), None);
        assert!(!obj.properties.contains_key("email"));
        assert_eq!(obj.get("firstname"), Some("A"));
    }

    #[test]
    fn search_pages_expose_their_cursor() {
        let page: Page<HubspotObject> =
            serde_json::from_str(&fixture("company-search-response-paged.json")).unwrap();
        assert_eq!(page.total, Some(38));
        assert_eq!(page.results.len(), 10);
        assert_eq!(page.next_after(), Some("10"));
        let last: Page<HubspotObject> =
            serde_json::from_str(&fixture("contact-search-response.json")).unwrap();
        assert_eq!(last.next_after(), None);
        assert_eq!(last.results[1].get("email"), Some("emailmaria@hubspot.com"));
    }

    #[test]
    fn documented_invoice_write_bodies_match_our_input_shapes() {
        let create: Value =
            serde_json::from_str(&fixture("invoice-create-non-billable-request.json")).unwrap();
        let input = CreateInput::new(serde_json::from_value(create["properties"].clone()).unwrap());
        assert_eq!(serde_json::to_value(&input).unwrap(), create);
        assert!(!values::parse_bool(&input.properties["hs_invoice_billable"]).unwrap());
        let update: Value = serde_json::from_str(&fixture("invoice-update-request.json")).unwrap();
        let writes: PropertyWrites = serde_json::from_value(update["properties"].clone()).unwrap();
        assert_eq!(json!({ "properties": writes }), update);
        let due = values::parse_datetime(&writes["hs_due_date"]).unwrap();
        assert_eq!(values::format_datetime(due), "2026-01-05T17:29:08.000Z");
    }

    #[test]
    fn object_types_map_names_ids_and_modified_properties() {
        assert_eq!(ObjectType::from_type_id("0-53"), Some(ObjectType::Invoices));
        assert_eq!(
            ObjectType::from_path_name("0-101"),
            Some(ObjectType::CommercePayments)
        );
        assert_eq!(
            ObjectType::Contacts.last_modified_property(),
            "lastmodifieddate"
        );
        assert_eq!(
            ObjectType::Products.last_modified_property(),
            "hs_lastmodifieddate"
        );
        assert_eq!(
            ObjectType::from_legacy_event_prefix("line_item"),
            Some(ObjectType::LineItems)
        );
    }
}

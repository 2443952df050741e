//! The in-memory QBO company: entity tables, Ids, `SyncToken`s, `MetaData` times in the
//! company's offset, deletions (for CDC) and the change log that drives webhooks.

mod currency;
mod customer_balance;
mod customer_tree;
mod customers;
mod estimate_conversion;
pub mod fields;
mod invoices;
mod items;
mod merges;
mod payments;
mod reference;
mod sales_forms;
mod seed;
mod tax;
mod txn_lines;
pub mod txn_totals;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value, json};

use crate::Seed;
use crate::quickbooks::entity_kind::{EntityKind, IdKey};
use crate::quickbooks::fault::Fault;

/// One stored entity: its full JSON as served (with `Id`, `SyncToken`, `MetaData`) and its
/// last update time in epoch millis (for CDC, ordering and time filters).
#[derive(Debug, Clone)]
pub struct StoredEntity {
    pub body: Map<String, Value>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A deleted transaction, kept for CDC (`status: Deleted`, docs/quickbooks.md §7).
#[derive(Debug, Clone)]
pub struct Tombstone {
    pub kind: EntityKind,
    pub id: IdKey,
    pub deleted_ms: i64,
}

/// What happened to an entity (webhook operations, docs/quickbooks.md §11.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOp {
    Create,
    Update,
    Delete,
    Void,
    /// An invoice e-mailed through `/send` (§5.6; webhook operation `Emailed`, §11.3).
    Emailed,
    /// A customer or item made inactive; the webhook layer maps it to Update or Delete (§11.6).
    Deactivate,
    /// Another customer was merged into this one (§4.8; `Change::merged_away` names it).
    Merge,
}

/// One change, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: EntityKind,
    pub id: String,
    pub op: ChangeOp,
    pub at_ms: i64,
    /// For a `Merge`: the record merged away (`deletedId`, §11.3, §11.4).
    pub merged_away: Option<String>,
}

/// How a write arrived (URL `operation=` / `include=`, batch `operation`, §5.5, §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOp {
    /// Create without `Id`, update with `Id` (+ `SyncToken`).
    Upsert,
    Delete,
    /// Invoice void (`operation=void`).
    Void,
    /// Payment void (`operation=update&include=void`, sparse).
    UpdateVoid,
}

/// `include=` options that change a write (§5.7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    pub allow_duplicate_doc_number: bool,
}

/// The company.
#[derive(Debug, Clone)]
pub struct Company {
    pub realm_id: String,
    offset: FixedOffset,
    tables: BTreeMap<EntityKind, BTreeMap<IdKey, StoredEntity>>,
    next_ids: BTreeMap<EntityKind, u64>,
    tombstones: Vec<Tombstone>,
    next_doc_number: u64,
    next_addr_id: u64,
    changes: Vec<Change>,
    /// Normalised unique names -> owner, so uniqueness checks stay O(1) with 10,000s of records.
    names: HashMap<(NameSpace, String), (EntityKind, String)>,
    /// The company's default for `ApplyTaxAfterDiscount` (docs/quickbooks.md §17.2; no
    /// Preferences field for it is documented, so it is a sandbox setting).
    tax_after_discount: bool,
    /// Opening balances given at customer create (`Balance` is write-on-create, §4.1), which
    /// the derived `Balance` keeps counting (`customer_balance`).
    opening_balances: HashMap<String, rust_decimal::Decimal>,
}

/// Where a unique name lives: customer/vendor/employee `DisplayName` share one space (§4.1),
/// item `Name` has its own (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameSpace {
    People,
    Items,
}

fn name_field(kind: EntityKind) -> Option<(NameSpace, &'static str)> {
    match kind {
        EntityKind::Customer | EntityKind::Vendor | EntityKind::Employee => {
            Some((NameSpace::People, "DisplayName"))
        }
        EntityKind::Item => Some((NameSpace::Items, "Name")),
        _ => None,
    }
}

/// The normalised form names are compared in (trimmed, case-insensitive; the exact QBO rule
/// is UNVERIFIED, §4.1).
pub fn normalise_name(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Company {
    /// A company holding `seed` (`Empty` still has accounts, tax codes, preferences, company
    /// info, vendors and employees, §4.3, §4.6).
    pub fn new(realm_id: &str, offset_minutes: i32, seed: Seed, now_ms: i64) -> Self {
        let offset = FixedOffset::east_opt(offset_minutes * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"));
        let mut company = Company {
            realm_id: realm_id.to_owned(),
            offset,
            tables: BTreeMap::new(),
            next_ids: BTreeMap::new(),
            tombstones: Vec::new(),
            next_doc_number: 1001,
            next_addr_id: 1,
            changes: Vec::new(),
            names: HashMap::new(),
            tax_after_discount: false,
            opening_balances: HashMap::new(),
        };
        seed::apply(&mut company, seed, now_ms);
        company.changes.clear();
        company
    }

    // ----- time (docs/quickbooks.md §1: company offset; `time` with millis) -----

    fn at(&self, ms: i64) -> DateTime<FixedOffset> {
        Utc.timestamp_millis_opt(ms)
            .single()
            .unwrap_or_else(Utc::now)
            .with_timezone(&self.offset)
    }

    /// `MetaData` time text: `2015-07-23T10:58:12-07:00`.
    pub fn meta_time(&self, ms: i64) -> String {
        self.at(ms).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }

    /// Response `time` text: `2015-07-23T10:58:12.099-07:00`.
    pub fn response_time(&self, ms: i64) -> String {
        self.at(ms).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
    }

    /// The company's local date.
    pub fn today(&self, ms: i64) -> NaiveDate {
        self.at(ms).date_naive()
    }

    /// The company's UTC offset.
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    // ----- storage -----

    pub fn table(&self, kind: EntityKind) -> impl Iterator<Item = (&IdKey, &StoredEntity)> {
        self.tables.get(&kind).into_iter().flat_map(|t| t.iter())
    }

    pub fn count(&self, kind: EntityKind) -> usize {
        self.tables.get(&kind).map_or(0, BTreeMap::len)
    }

    pub fn get(&self, kind: EntityKind, id: &str) -> Option<&StoredEntity> {
        self.tables.get(&kind)?.get(&IdKey::parse(id))
    }

    fn get_mut(&mut self, kind: EntityKind, id: &str) -> Option<&mut StoredEntity> {
        self.tables.get_mut(&kind)?.get_mut(&IdKey::parse(id))
    }

    pub fn tombstones(&self) -> &[Tombstone] {
        &self.tombstones
    }

    /// Takes the changes made since the last call.
    pub fn drain_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// The owner of a unique name in `space`, if any.
    pub fn name_owner(&self, space: NameSpace, name: &str) -> Option<&(EntityKind, String)> {
        self.names.get(&(space, normalise_name(name)))
    }

    fn unindex(&mut self, kind: EntityKind, body: &Map<String, Value>) {
        if let Some((space, field)) = name_field(kind)
            && let Some(name) = body.get(field).and_then(Value::as_str)
        {
            self.names.remove(&(space, normalise_name(name)));
        }
    }

    fn index(&mut self, kind: EntityKind, id: &str, body: &Map<String, Value>) {
        if let Some((space, field)) = name_field(kind)
            && let Some(name) = body.get(field).and_then(Value::as_str)
        {
            self.names
                .insert((space, normalise_name(name)), (kind, id.to_owned()));
        }
    }

    fn next_id(&mut self, kind: EntityKind) -> u64 {
        let next = self.next_ids.entry(kind).or_insert(1);
        let id = *next;
        *next += 1;
        id
    }

    fn next_address_id(&mut self) -> String {
        let id = self.next_addr_id;
        self.next_addr_id += 1;
        id.to_string()
    }

    /// Stores a new entity with system fields (`Id`, `SyncToken` "0", `MetaData`, `domain`,
    /// `sparse`) and records a Create. `id` overrides the sequence (seeded pseudo tax codes).
    fn insert_new(
        &mut self,
        kind: EntityKind,
        id: Option<IdKey>,
        mut body: Map<String, Value>,
        now_ms: i64,
    ) -> Value {
        let id = id.unwrap_or_else(|| IdKey::Num(self.next_id(kind)));
        if let IdKey::Num(n) = id {
            let next = self.next_ids.entry(kind).or_insert(1);
            *next = (*next).max(n + 1);
        }
        let meta = self.meta_time(now_ms);
        body.insert("domain".into(), "QBO".into());
        body.insert("sparse".into(), false.into());
        body.insert("Id".into(), id.to_string().into());
        body.insert("SyncToken".into(), "0".into());
        body.insert(
            "MetaData".into(),
            json!({"CreateTime": meta, "LastUpdatedTime": meta}),
        );
        let rendered = Value::Object(body.clone());
        self.index(kind, &id.to_string(), &body);
        self.changes.push(Change {
            kind,
            id: id.to_string(),
            op: ChangeOp::Create,
            at_ms: now_ms,
            merged_away: None,
        });
        self.tables.entry(kind).or_default().insert(
            id,
            StoredEntity {
                body,
                created_ms: now_ms,
                updated_ms: now_ms,
            },
        );
        rendered
    }

    /// Replaces an entity's body, bumping `SyncToken` and `LastUpdatedTime` (§3, §5.4), and
    /// records the change.
    fn replace(
        &mut self,
        kind: EntityKind,
        id: &str,
        mut body: Map<String, Value>,
        op: ChangeOp,
        now_ms: i64,
    ) -> Value {
        let meta = self.meta_time(now_ms);
        if let Some(old) = self.get(kind, id).map(|s| s.body.clone()) {
            self.unindex(kind, &old);
        }
        self.index(kind, id, &body);
        let Some(stored) = self.get_mut(kind, id) else {
            return Value::Null;
        };
        let token = sync_token(&stored.body) + 1;
        let create_time = stored
            .body
            .get("MetaData")
            .and_then(|m| m.get("CreateTime"))
            .cloned()
            .unwrap_or_else(|| meta.clone().into());
        body.insert("domain".into(), "QBO".into());
        body.insert("sparse".into(), false.into());
        body.insert("Id".into(), id.into());
        body.insert("SyncToken".into(), token.to_string().into());
        body.insert(
            "MetaData".into(),
            json!({"CreateTime": create_time, "LastUpdatedTime": meta}),
        );
        stored.body = body;
        stored.updated_ms = now_ms;
        let rendered = Value::Object(stored.body.clone());
        self.changes.push(Change {
            kind,
            id: id.to_owned(),
            op,
            at_ms: now_ms,
            merged_away: None,
        });
        rendered
    }

    /// The opening balance customer `id` was created with (0 when none).
    fn opening_balance(&self, id: &str) -> rust_decimal::Decimal {
        self.opening_balances.get(id).copied().unwrap_or_default()
    }

    /// Changes derived fields without a new version (e.g. a customer's open `Balance`).
    fn patch_silently(&mut self, kind: EntityKind, id: &str, field: &str, value: Value) {
        if let Some(stored) = self.get_mut(kind, id) {
            stored.body.insert(field.to_owned(), value);
        }
    }

    /// Removes a transaction and keeps a tombstone for CDC (§5.5, §7).
    fn remove(&mut self, kind: EntityKind, id: &str, now_ms: i64) {
        let key = IdKey::parse(id);
        if let Some(table) = self.tables.get_mut(&kind) {
            table.remove(&key);
        }
        self.tombstones.push(Tombstone {
            kind,
            id: key,
            deleted_ms: now_ms,
        });
        self.changes.push(Change {
            kind,
            id: id.to_owned(),
            op: ChangeOp::Delete,
            at_ms: now_ms,
            merged_away: None,
        });
    }

    // ----- API operations -----

    /// `GET /{entity}/{id}` (§5.1): 610 when missing or deleted.
    pub fn read(&self, kind: EntityKind, id: &str) -> Result<Value, Fault> {
        self.get(kind, id)
            .map(|s| Value::Object(s.body.clone()))
            .ok_or_else(Fault::object_not_found)
    }

    /// A write (create, update, delete, void). Validation happens before any change, so a
    /// fault leaves the company untouched.
    pub fn write(
        &mut self,
        kind: EntityKind,
        op: WriteOp,
        body: Value,
        options: WriteOptions,
        now_ms: i64,
    ) -> Result<Value, Fault> {
        let Value::Object(body) = body else {
            return Err(Fault::invalid_property(
                "failed to parse json object; a property specified is unsupported or invalid",
            ));
        };
        let body = fields::without_nulls(body);
        match (kind, op) {
            (EntityKind::Customer | EntityKind::Item, WriteOp::Delete | WriteOp::Void) => {
                // §5.5: name lists cannot be deleted, only made inactive.
                Err(Fault::unsupported_operation(op_name(op)))
            }
            (EntityKind::Customer, WriteOp::Upsert) => customers::upsert(self, body, now_ms),
            (EntityKind::Item, WriteOp::Upsert) => items::upsert(self, body, now_ms),
            (EntityKind::Invoice, WriteOp::Upsert) => invoices::upsert(self, body, options, now_ms),
            (EntityKind::Invoice, WriteOp::Delete) => invoices::delete(self, body, now_ms),
            (EntityKind::Invoice, WriteOp::Void) => invoices::void(self, body, now_ms),
            (k, WriteOp::Upsert) if k.is_sales_form() => {
                sales_forms::upsert(self, k, body, options, now_ms)
            }
            (k, WriteOp::Delete) if k.is_sales_form() => sales_forms::delete(self, k, body, now_ms),
            (k, WriteOp::Void | WriteOp::UpdateVoid)
                if k.is_sales_form() && k != EntityKind::Invoice =>
            {
                sales_forms::void(self, k, body, now_ms)
            }
            (EntityKind::Payment, WriteOp::Upsert) => payments::upsert(self, body, now_ms),
            (EntityKind::Payment, WriteOp::Delete) => payments::delete(self, body, now_ms),
            (EntityKind::Payment, WriteOp::UpdateVoid) => payments::void(self, body, now_ms),
            (EntityKind::Preferences, WriteOp::Upsert) => {
                reference::update_preferences(self, body, now_ms)
            }
            _ => Err(Fault::unsupported_operation(op_name(op))),
        }
    }

    /// `POST /invoice/{id}/send[?sendTo=]` (§5.6).
    pub fn send_invoice(
        &mut self,
        id: &str,
        send_to: Option<&str>,
        now_ms: i64,
    ) -> Result<Value, Fault> {
        invoices::send(self, id, send_to, now_ms)
    }

    /// `Preferences.SalesFormsPrefs.CustomTxnNumbers` (§12).
    pub fn custom_txn_numbers(&self) -> bool {
        reference::custom_txn_numbers(self)
    }

    /// Switches `CustomTxnNumbers` (control API), recorded as a Preferences Update (§11.6).
    pub fn set_custom_txn_numbers(&mut self, on: bool, now_ms: i64) {
        reference::set_custom_txn_numbers(self, on, now_ms);
    }

    /// Switches the company's country and with it the tax model (docs/quickbooks.md §17.3).
    pub fn set_country(&mut self, country: &str, now_ms: i64) {
        tax::set_country(self, country, now_ms);
    }

    /// Turns multicurrency on; turning it off is refused (docs/quickbooks.md §17.6).
    pub fn set_multicurrency(&mut self, on: bool, now_ms: i64) -> Result<(), String> {
        currency::set_multicurrency(self, on, now_ms)
    }

    /// The company default for `ApplyTaxAfterDiscount` (docs/quickbooks.md §17.2).
    pub fn tax_after_discount_default(&self) -> bool {
        self.tax_after_discount
    }

    pub fn set_tax_after_discount_default(&mut self, on: bool) {
        self.tax_after_discount = on;
    }

    /// Switches `SalesFormsPrefs.AllowShipping` (the shipping line, §17.1), a Preferences Update.
    pub fn set_allow_shipping(&mut self, on: bool, now_ms: i64) {
        reference::set_sales_forms_flag(self, "AllowShipping", on, now_ms);
    }

    /// The singleton `Preferences` entity.
    pub fn preferences(&self) -> Value {
        reference::singleton(self, EntityKind::Preferences)
    }

    /// The singleton `CompanyInfo` entity.
    pub fn company_info(&self) -> Value {
        reference::singleton(self, EntityKind::CompanyInfo)
    }

    /// Creates `customers` customers and `items` service items at once (benchmarks), their
    /// creation times spread evenly over the `spread_ms` before `now_ms` so CDC windows can be
    /// narrowed below the 1000-object cap (§7). No webhooks. Returns how many were created.
    pub fn bulk_create(
        &mut self,
        customers: usize,
        items: usize,
        spread_ms: i64,
        now_ms: i64,
    ) -> (usize, usize) {
        let total = (customers + items).max(1) as i64;
        let step = spread_ms / total;
        let mut at = now_ms - spread_ms;
        let mut made = (0, 0);
        let base = self.count(EntityKind::Customer);
        for i in 0..customers {
            let n = base + i + 1;
            let body = json!({
                "DisplayName": format!("Bulk Customer {n:06}"),
                "GivenName": "Bulk", "FamilyName": format!("Customer {n:06}"),
                "PrimaryEmailAddr": {"Address": format!("bulk{n:06}@example.com")}
            });
            if customers::upsert(self, body.as_object().cloned().unwrap_or_default(), at).is_ok() {
                made.0 += 1;
            }
            at += step;
        }
        let base = self.count(EntityKind::Item);
        for i in 0..items {
            let n = base + i + 1;
            let body = json!({"Name": format!("Bulk Item {n:06}"), "Type": "Service",
                              "UnitPrice": 10, "IncomeAccountRef": {"value": "1"}});
            if items::upsert(self, body.as_object().cloned().unwrap_or_default(), at).is_ok() {
                made.1 += 1;
            }
            at += step;
        }
        self.changes.clear();
        made
    }

    /// Entity counts (for `/_sandbox/stats`).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        EntityKind::ALL
            .into_iter()
            .map(|k| (k.name(), self.count(k)))
            .collect()
    }
}

fn op_name(op: WriteOp) -> &'static str {
    match op {
        WriteOp::Upsert => "Update",
        WriteOp::Delete => "Delete",
        WriteOp::Void | WriteOp::UpdateVoid => "Void",
    }
}

/// The stored `SyncToken` as a number.
pub fn sync_token(body: &Map<String, Value>) -> u64 {
    body.get("SyncToken")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The common update preamble (§5.2–5.4): the entity must exist (610), the body must carry
/// `SyncToken` (2020) equal to the current one (5010). Returns the current body.
fn check_update(
    company: &Company,
    kind: EntityKind,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, Fault> {
    let current = company
        .get(kind, id)
        .ok_or_else(Fault::object_not_found)?
        .body
        .clone();
    let given = match body.get("SyncToken") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(Fault::required_param("SyncToken")),
    };
    if given != sync_token(&current).to_string() {
        return Err(Fault::stale_object());
    }
    Ok(current)
}

/// System fields clients send back but never write.
const SYSTEM_FIELDS: &[&str] = &["Id", "SyncToken", "MetaData", "domain", "sparse", "status"];

/// The body an update produces (§5.2, §5.3): sparse keeps every field not sent; full keeps
/// only `keep` (read-only/derived fields) from the current body and takes writable fields
/// from the request, so omitted writable fields become absent (null).
fn merge_update(
    current: &Map<String, Value>,
    incoming: &Map<String, Value>,
    sparse: bool,
    keep: &[&str],
) -> Map<String, Value> {
    let mut merged = if sparse {
        current.clone()
    } else {
        current
            .iter()
            .filter(|(k, _)| keep.contains(&k.as_str()) || SYSTEM_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    for (k, v) in incoming {
        if SYSTEM_FIELDS.contains(&k.as_str()) || keep.contains(&k.as_str()) {
            continue;
        }
        merged.insert(k.clone(), v.clone());
    }
    merged
}

/// `"sparse": true` in the request body.
fn is_sparse(body: &Map<String, Value>) -> bool {
    matches!(body.get("sparse"), Some(Value::Bool(true)))
}

/// The `Id` a write targets, if any.
fn body_id(body: &Map<String, Value>) -> Option<String> {
    match body.get("Id")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000;

    fn company() -> Company {
        Company::new("1", -480, Seed::Empty, NOW)
    }

    fn write(c: &mut Company, kind: EntityKind, body: Value) -> Result<Value, Fault> {
        c.write(kind, WriteOp::Upsert, body, WriteOptions::default(), NOW)
    }

    #[test]
    fn empty_seed_has_reference_data_and_no_changes_pending() {
        let mut c = company();
        assert!(c.count(EntityKind::Account) >= 5);
        assert_eq!(c.count(EntityKind::Customer), 0);
        assert_eq!(c.count(EntityKind::Vendor), 2);
        assert!(c.drain_changes().is_empty());
        assert!(!c.custom_txn_numbers());
        assert_eq!(c.meta_time(NOW), "2026-05-28T12:26:40-08:00");
    }

    #[test]
    fn a_rejected_payment_changes_nothing() {
        let mut c = company();
        let cust = write(&mut c, EntityKind::Customer, json!({"DisplayName": "A"})).unwrap();
        let item = write(
            &mut c,
            EntityKind::Item,
            json!({"Name": "I", "Type": "Service", "IncomeAccountRef": {"value": "1"}}),
        )
        .unwrap();
        let inv = write(
            &mut c,
            EntityKind::Invoice,
            json!({"CustomerRef": {"value": cust["Id"]}, "Line": [{"DetailType": "SalesItemLineDetail",
                   "Amount": 10, "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}}}]}),
        )
        .unwrap();
        c.drain_changes();
        let before = c.read(EntityKind::Invoice, "1").unwrap();
        let err = write(
            &mut c,
            EntityKind::Payment,
            json!({"CustomerRef": {"value": cust["Id"]}, "TotalAmt": 5,
                   "Line": [{"Amount": 11, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]}),
        )
        .unwrap_err();
        assert_eq!(err.code(), "6000");
        assert_eq!(c.read(EntityKind::Invoice, "1").unwrap(), before);
        assert_eq!(c.count(EntityKind::Payment), 0);
        assert!(c.drain_changes().is_empty());
    }

    #[test]
    fn deletes_leave_tombstones_and_changes_are_recorded_in_order() {
        let mut c = company();
        let cust = write(&mut c, EntityKind::Customer, json!({"DisplayName": "B"})).unwrap();
        let item = write(
            &mut c,
            EntityKind::Item,
            json!({"Name": "J", "Type": "NonInventory", "IncomeAccountRef": {"value": "79"}}),
        )
        .unwrap();
        let inv = write(
            &mut c,
            EntityKind::Invoice,
            json!({"CustomerRef": {"value": cust["Id"]}, "Line": [{"Amount": 4, "DetailType": "SalesItemLineDetail",
                   "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 2, "UnitPrice": 2}}]}),
        )
        .unwrap();
        c.write(
            EntityKind::Invoice,
            WriteOp::Delete,
            json!({"Id": inv["Id"], "SyncToken": "0"}),
            WriteOptions::default(),
            NOW + 1,
        )
        .unwrap();
        assert_eq!(c.tombstones().len(), 1);
        assert_eq!(c.tombstones()[0].deleted_ms, NOW + 1);
        let ops: Vec<(EntityKind, ChangeOp)> = c
            .drain_changes()
            .into_iter()
            .map(|ch| (ch.kind, ch.op))
            .collect();
        assert_eq!(
            ops,
            [
                (EntityKind::Customer, ChangeOp::Create),
                (EntityKind::Item, ChangeOp::Create),
                (EntityKind::Invoice, ChangeOp::Create),
                (EntityKind::Invoice, ChangeOp::Delete),
            ]
        );
        assert_eq!(c.read(EntityKind::Invoice, "1").unwrap_err().code(), "610");
    }

    #[test]
    fn renaming_frees_the_old_name() {
        let mut c = company();
        let a = write(
            &mut c,
            EntityKind::Customer,
            json!({"DisplayName": "Old Name"}),
        )
        .unwrap();
        write(
            &mut c,
            EntityKind::Customer,
            json!({"Id": a["Id"], "SyncToken": "0", "sparse": true, "DisplayName": "New Name"}),
        )
        .unwrap();
        assert!(
            write(
                &mut c,
                EntityKind::Customer,
                json!({"DisplayName": "old name"})
            )
            .is_ok()
        );
        assert_eq!(
            write(
                &mut c,
                EntityKind::Customer,
                json!({"DisplayName": "NEW NAME"})
            )
            .unwrap_err()
            .code(),
            "6240"
        );
    }

    #[test]
    fn bulk_creation_spreads_times_without_webhooks() {
        let mut c = company();
        assert_eq!(c.bulk_create(10, 2, 12_000, NOW), (10, 2));
        let times: Vec<i64> = c
            .table(EntityKind::Customer)
            .map(|(_, e)| e.updated_ms)
            .collect();
        assert_eq!(times[0], NOW - 12_000);
        assert!(times.windows(2).all(|w| w[1] - w[0] == 1000));
        assert!(c.drain_changes().is_empty());
    }
}

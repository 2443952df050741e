//! The portal's in-memory state (records, associations, schema) and the record operations:
//! create, update, archive, look-up by id or unique property; each write records its changes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::association_types::AssociationCatalog;
use super::errors::ApiError;
use super::object_types::ObjectKind;
use super::record::{Record, iso_ms};
use super::schema::{
    InvalidValue, Schema, invalid_values_errors, invalid_values_message, normalize_value,
};
use super::unique_index::{IndexKey, SECONDARY_EMAILS};

/// Who made a write: the app (any accepted bearer token) or a simulated user in the HubSpot UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// docs/hubspot.md §5.3: `INTEGRATION` for OAuth-app writes, `CRM_UI` for user edits.
    pub change_source: &'static str,
    /// The app id as a string, or `userId:<id>`.
    pub source_id: String,
}

impl Actor {
    /// The app itself (docs/hubspot.md §5.3: `changeSource` INTEGRATION, `sourceId` = app id).
    pub fn app(app_id: u64) -> Self {
        Self {
            change_source: "INTEGRATION",
            source_id: app_id.to_string(),
        }
    }

    /// A person editing in HubSpot (`CRM_UI`, `userId:<id>`).
    pub fn user(user_id: u64) -> Self {
        Self {
            change_source: "CRM_UI",
            source_id: format!("userId:{user_id}"),
        }
    }
}

/// One change, as webhooks report it (docs/hubspot.md §5.2/§5.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Created {
        kind: ObjectKind,
        id: u64,
    },
    PropertyChanged {
        kind: ObjectKind,
        id: u64,
        name: String,
        value: String,
    },
    Deleted {
        kind: ObjectKind,
        id: u64,
    },
    PrivacyDeleted {
        kind: ObjectKind,
        id: u64,
    },
    /// docs/hubspot.md §2.11: `merged` went into `primary`; the result is `result` (the
    /// primary's id, or a new record's).
    Merged {
        kind: ObjectKind,
        primary: u64,
        merged: u64,
        result: u64,
        moved: usize,
    },
    Association {
        from: ObjectKind,
        from_id: u64,
        to: ObjectKind,
        to_id: u64,
        type_id: u32,
        type_name: String,
        removed: bool,
    },
}

/// A change with its time and author.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEvent {
    pub change: Change,
    pub occurred_at_ms: i64,
    pub actor: Actor,
}

/// The context of one write: sandbox time, author, and the changes it made.
#[derive(Debug)]
pub struct WriteCtx {
    pub now_ms: i64,
    pub actor: Actor,
    pub changes: Vec<ChangeEvent>,
}

impl WriteCtx {
    pub fn new(now_ms: i64, actor: Actor) -> Self {
        Self {
            now_ms,
            actor,
            changes: Vec::new(),
        }
    }

    pub fn record(&mut self, change: Change) {
        self.changes.push(ChangeEvent {
            change,
            occurred_at_ms: self.now_ms,
            actor: self.actor.clone(),
        });
    }
}

/// An association edge (one direction): from kind/id, to kind/id, type id.
pub type Edge = (ObjectKind, u64, ObjectKind, u64, u32);

/// Normalised property writes: `Some(value)` sets, `None` clears.
pub type PropertyWrites = BTreeMap<String, Option<String>>;

/// A unique value some record holds or a pending batch input will hold.
#[derive(Debug, Clone, PartialEq)]
pub struct UniqueClaim {
    pub property: String,
    pub value: String,
    pub holder: u64,
    /// The value is held as a secondary email (`hs_additional_emails`), not as `email`.
    pub secondary: bool,
}

/// The whole portal.
#[derive(Debug, Clone)]
pub struct Store {
    pub portal_id: u64,
    pub search_delay_ms: i64,
    pub schema: Schema,
    pub catalog: AssociationCatalog,
    pub(super) next_id: u64,
    pub(super) records: BTreeMap<ObjectKind, BTreeMap<u64, Record>>,
    /// Contacts merged away -> the contact they were merged into.
    pub(super) merged_into: HashMap<(ObjectKind, u64), u64>,
    /// Both directions of every association.
    pub(super) edges: BTreeSet<Edge>,
    /// Unique values of live records -> record id (see `unique_index.rs`).
    pub(super) unique_index: HashMap<IndexKey, u64>,
}

/// First id handed out (HubSpot ids are large numbers; these look similar and stay unique
/// across types).
const FIRST_ID: u64 = 100_001;

impl Store {
    /// An empty portal.
    pub fn new(portal_id: u64, search_delay_ms: i64) -> Self {
        Self {
            portal_id,
            search_delay_ms,
            schema: Schema::builtin(),
            catalog: AssociationCatalog::default(),
            next_id: FIRST_ID,
            records: BTreeMap::new(),
            merged_into: HashMap::new(),
            edges: BTreeSet::new(),
            unique_index: HashMap::new(),
        }
    }

    /// Records of a type in creation (id) order, archived ones included.
    pub fn records(&self, kind: ObjectKind) -> impl Iterator<Item = &Record> {
        self.records.get(&kind).into_iter().flat_map(|m| m.values())
    }

    /// Mutable records of a type in id order.
    pub fn records_mut(&mut self, kind: ObjectKind) -> impl Iterator<Item = &mut Record> {
        self.records.entry(kind).or_default().values_mut()
    }

    /// Counts of live records per type (for `/_sandbox/stats`).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        ObjectKind::ALL
            .into_iter()
            .map(|k| {
                (
                    k.path_name(),
                    self.records(k).filter(|r| !r.is_archived()).count(),
                )
            })
            .collect()
    }

    /// A record by id (following merges), archived or not.
    pub fn record(&self, kind: ObjectKind, id: u64) -> Option<&Record> {
        let id = self.resolve_merged(kind, id);
        self.records.get(&kind)?.get(&id)
    }

    pub(super) fn record_mut(&mut self, kind: ObjectKind, id: u64) -> Option<&mut Record> {
        let id = self.resolve_merged(kind, id);
        self.records.get_mut(&kind)?.get_mut(&id)
    }

    fn resolve_merged(&self, kind: ObjectKind, mut id: u64) -> u64 {
        while let Some(next) = self.merged_into.get(&(kind, id)) {
            id = *next;
        }
        id
    }

    /// A live record by id, or by a unique property value with `id_property`
    /// (docs/hubspot.md §2.1 `idProperty`); `archived` asks for archived records instead.
    pub fn find(
        &self,
        kind: ObjectKind,
        key: &str,
        id_property: Option<&str>,
        archived: bool,
    ) -> Option<&Record> {
        let found = match id_property {
            None | Some("hs_object_id") => {
                key.parse::<u64>().ok().and_then(|id| self.record(kind, id))
            }
            Some(prop) => self
                .find_by_unique(kind, prop, key)
                .and_then(|id| self.record(kind, id)),
        }?;
        (found.is_archived() == archived).then_some(found)
    }

    /// The live record holding `value` in `property` (emails compare case-insensitively).
    pub fn find_by_unique(&self, kind: ObjectKind, property: &str, value: &str) -> Option<u64> {
        if self.indexed_properties(kind).iter().any(|p| p == property) {
            return self.indexed_holder(kind, property, value);
        }
        self.records(kind)
            .filter(|r| !r.is_archived())
            .find(|r| {
                r.properties
                    .get(property)
                    .is_some_and(|v| same_unique_value(property, v, value))
            })
            .map(|r| r.id)
    }

    /// The live contact holding `email` as a secondary email (after a merge).
    fn secondary_email_holder(&self, email: &str) -> Option<u64> {
        self.indexed_holder(ObjectKind::Contact, SECONDARY_EMAILS, email)
    }

    /// Checks an `idProperty` names a property that can identify records.
    pub fn check_id_property(&self, kind: ObjectKind, id_property: &str) -> Result<(), ApiError> {
        let ok = id_property == "hs_object_id"
            || (kind == ObjectKind::Contact && id_property == "email")
            || self
                .schema
                .property(kind, id_property)
                .is_some_and(|p| p.has_unique_value);
        if ok {
            Ok(())
        } else {
            // UNVERIFIED wording.
            Err(ApiError::bad_request(format!(
                "{id_property} is not a unique identifier property for {}",
                kind.path_name()
            )))
        }
    }

    /// Properties whose values must be unique for this type.
    pub fn unique_properties(&self, kind: ObjectKind) -> Vec<String> {
        let mut props = self.schema.unique_properties(kind);
        if kind == ObjectKind::Contact {
            props.push("email".into());
        }
        props
    }

    /// Checks and normalises a `properties` object (docs/hubspot.md §2.1: values are strings;
    /// numbers and booleans are accepted and stringified; "" or null clears).
    pub fn prepare_writes(
        &self,
        kind: ObjectKind,
        input: &Map<String, Value>,
    ) -> Result<PropertyWrites, ApiError> {
        let mut writes = PropertyWrites::new();
        let mut invalid = Vec::new();
        for (name, value) in input {
            let raw = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                other => {
                    invalid.push(InvalidValue {
                        name: name.clone(),
                        code: "INVALID_PROPERTY_VALUE",
                        message: format!("{other} is not a valid value for {name}: send a string"),
                    });
                    continue;
                }
            };
            match normalize_value(self.schema.property(kind, name), name, &raw) {
                Ok(v) => {
                    writes.insert(name.clone(), v);
                }
                Err(e) => invalid.push(e),
            }
        }
        if invalid.is_empty() {
            Ok(writes)
        } else {
            Err(ApiError::validation(
                invalid_values_message(self.portal_id, &invalid),
                invalid_values_errors(&invalid),
            ))
        }
    }

    /// The first unique value in `writes` another record (or a pending claim) already holds.
    pub fn unique_clash(
        &self,
        kind: ObjectKind,
        record_id: Option<u64>,
        writes: &PropertyWrites,
        pending: &[UniqueClaim],
    ) -> Option<UniqueClaim> {
        for property in self.unique_properties(kind) {
            let Some(Some(value)) = writes.get(&property) else {
                continue;
            };
            let holder = self
                .find_by_unique(kind, &property, value)
                .filter(|h| Some(*h) != record_id)
                .or_else(|| {
                    pending
                        .iter()
                        .find(|c| {
                            c.property == property && same_unique_value(&property, &c.value, value)
                        })
                        .map(|c| c.holder)
                        .filter(|h| Some(*h) != record_id)
                });
            if let Some(holder) = holder {
                return Some(UniqueClaim {
                    property,
                    value: value.clone(),
                    holder,
                    secondary: false,
                });
            }
            if property == "email"
                && let Some(holder) = self
                    .secondary_email_holder(value)
                    .filter(|h| Some(*h) != record_id)
            {
                return Some(UniqueClaim {
                    property,
                    value: value.clone(),
                    holder,
                    secondary: true,
                });
            }
        }
        None
    }

    /// The unique values a write claims (to check later inputs of the same batch).
    pub fn claims(
        &self,
        kind: ObjectKind,
        holder: u64,
        writes: &PropertyWrites,
    ) -> Vec<UniqueClaim> {
        self.unique_properties(kind)
            .into_iter()
            .filter_map(|property| {
                let value = writes.get(&property)?.clone()?;
                Some(UniqueClaim {
                    property,
                    value,
                    holder,
                    secondary: false,
                })
            })
            .collect()
    }

    /// The id the next create will get.
    pub fn peek_next_id(&self) -> u64 {
        self.next_id
    }

    /// Checks a create without applying it: properties, required fields (per type), unique
    /// values against the portal and `pending` claims of earlier inputs in the same batch.
    pub fn check_create(
        &self,
        kind: ObjectKind,
        input: &Map<String, Value>,
        pending: &[UniqueClaim],
    ) -> Result<PropertyWrites, ApiError> {
        let mut writes = self.prepare_writes(kind, input)?;
        self.check_required_on_create(kind, &writes)?;
        if let Some(clash) = self.unique_clash(kind, None, &writes, pending) {
            // docs/hubspot.md §2.5: 409 for an existing email; the 400 form when the value is
            // held as a secondary email on another record.
            return Err(if clash.secondary {
                ApiError::unique_value_taken(
                    self.portal_id,
                    kind,
                    &clash.property,
                    &clash.value,
                    self.next_id,
                    clash.holder,
                )
            } else {
                ApiError::already_exists(kind, clash.holder)
            });
        }
        if kind == ObjectKind::LineItem {
            self.inherit_from_product(&mut writes)?;
        }
        Ok(writes)
    }

    fn check_required_on_create(
        &self,
        kind: ObjectKind,
        writes: &PropertyWrites,
    ) -> Result<(), ApiError> {
        let has = |p: &str| writes.get(p).is_some_and(Option::is_some);
        let missing = |names: &[&str]| {
            // UNVERIFIED wording; the rule itself is cited per type below.
            ApiError::validation(
                format!("Missing required properties: {}", names.join(", ")),
                names
                    .iter()
                    .map(|n| {
                        serde_json::json!({
                            "message": format!("{n} is required"),
                            "code": "REQUIRED_PROPERTY",
                            "context": {"propertyName": [n]},
                        })
                    })
                    .collect(),
            )
        };
        match kind {
            // docs/hubspot.md §2.5: a create needs at least one of email, firstname, lastname.
            ObjectKind::Contact if !has("email") && !has("firstname") && !has("lastname") => {
                Err(missing(&["email", "firstname", "lastname"]))
            }
            // docs/hubspot.md §2.8: hs_currency is the only property required for a draft.
            ObjectKind::Invoice if !has("hs_currency") => Err(missing(&["hs_currency"])),
            // docs/hubspot.md §2.9: minimum create body.
            ObjectKind::CommercePayment
                if !has("hs_initial_amount") || !has("hs_initiated_date") =>
            {
                Err(missing(&["hs_initial_amount", "hs_initiated_date"]))
            }
            // docs/hubspot.md §2.7: create needs dealname and dealstage.
            ObjectKind::Deal if !has("dealname") || !has("dealstage") => {
                Err(missing(&["dealname", "dealstage"]))
            }
            _ => Ok(()),
        }
    }

    /// docs/hubspot.md §2.6: a line item created with `hs_product_id` inherits the product's
    /// values (name, price, SKU, description) unless given.
    fn inherit_from_product(&self, writes: &mut PropertyWrites) -> Result<(), ApiError> {
        let Some(Some(product_id)) = writes.get("hs_product_id").cloned() else {
            return Ok(());
        };
        let product = product_id
            .parse::<u64>()
            .ok()
            .and_then(|id| self.record(ObjectKind::Product, id))
            .filter(|p| !p.is_archived())
            .ok_or_else(|| {
                // UNVERIFIED wording.
                ApiError::validation(
                    format!("Product with id {product_id} does not exist"),
                    vec![serde_json::json!({
                        "message": format!("Product with id {product_id} does not exist"),
                        "code": "INVALID_PRODUCT_ID",
                        "context": {"propertyName": ["hs_product_id"]},
                    })],
                )
            })?;
        for name in [
            "name",
            "price",
            "hs_sku",
            "description",
            "hs_cost_of_goods_sold",
        ] {
            if !writes.contains_key(name)
                && let Some(v) = product.properties.get(name)
            {
                writes.insert(name.to_owned(), Some(v.clone()));
            }
        }
        Ok(())
    }

    /// Creates a checked record; returns its id.
    pub fn apply_create(
        &mut self,
        kind: ObjectKind,
        writes: PropertyWrites,
        ctx: &mut WriteCtx,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let now = ctx.now_ms;
        let mut properties = BTreeMap::new();
        properties.insert("hs_object_id".to_owned(), id.to_string());
        properties.insert(kind.create_date_property().to_owned(), iso_ms(now));
        // docs/hubspot.md §5.3: records written by an app carry hs_object_source INTEGRATION.
        properties.insert("hs_object_source".into(), ctx.actor.change_source.into());
        properties.insert(
            "hs_object_source_label".into(),
            ctx.actor.change_source.into(),
        );
        properties.insert("hs_object_source_id".into(), ctx.actor.source_id.clone());
        match kind {
            ObjectKind::Invoice => {
                // docs/hubspot.md §2.8: new invoices are drafts; dates default to now.
                properties.insert("hs_invoice_status".into(), "draft".into());
                properties.insert("hs_invoice_date".into(), iso_ms(now));
                properties.insert("hs_due_date".into(), iso_ms(now));
                properties.insert("hs_number".into(), format!("INV-{id}"));
            }
            ObjectKind::CommercePayment => {
                // docs/hubspot.md §2.9 fixture: processing + OTHER on create.
                properties.insert("hs_latest_status".into(), "processing".into());
                properties.insert("hs_payment_creation_method".into(), "OTHER".into());
            }
            ObjectKind::Contact => {
                properties.insert("hs_all_contact_vids".into(), id.to_string());
            }
            ObjectKind::Deal => {
                properties.insert("pipeline".into(), "default".into());
            }
            _ => {}
        }
        let mut written = Vec::new();
        for (name, value) in writes {
            if let Some(v) = value {
                properties.insert(name.clone(), v.clone());
                written.push((name, v));
            }
        }
        let mut record = Record {
            id,
            kind,
            properties,
            created_at_ms: now,
            updated_at_ms: now,
            archived_at_ms: None,
            indexed: None,
            pending_index: None,
            history: BTreeMap::new(),
        };
        recalculate(&mut record);
        record
            .properties
            .insert(kind.last_modified_property().to_owned(), iso_ms(now));
        record.track_history(
            &BTreeMap::new(),
            now,
            ctx.actor.change_source,
            &ctx.actor.source_id,
        );
        record.reindex(now, self.search_delay_ms);
        self.records.entry(kind).or_default().insert(id, record);
        self.refresh_index(kind, id, Vec::new());
        ctx.record(Change::Created { kind, id });
        for (name, value) in written {
            ctx.record(Change::PropertyChanged {
                kind,
                id,
                name,
                value,
            });
        }
        id
    }

    /// Checks an update of a live record without applying it.
    pub fn check_update(
        &self,
        kind: ObjectKind,
        id: u64,
        input: &Map<String, Value>,
        pending: &[UniqueClaim],
    ) -> Result<PropertyWrites, ApiError> {
        let record = self
            .record(kind, id)
            .filter(|r| !r.is_archived())
            .ok_or_else(|| ApiError::object_not_found(&id.to_string()))?;
        let writes = self.prepare_writes(kind, input)?;
        if let Some(clash) = self.unique_clash(kind, Some(record.id), &writes, pending) {
            return Err(ApiError::unique_value_taken(
                self.portal_id,
                kind,
                &clash.property,
                &clash.value,
                record.id,
                clash.holder,
            ));
        }
        if kind == ObjectKind::Invoice {
            self.check_invoice_update(record, &writes)?;
        }
        if kind == ObjectKind::LineItem && writes.contains_key("hs_product_id") {
            let mut probe = writes.clone();
            self.inherit_from_product(&mut probe)?;
        }
        Ok(writes)
    }

    /// Applies a checked update; returns the names whose stored value was written
    /// (for the batch-update result, which carries only those plus recalculated ones).
    pub fn apply_update(
        &mut self,
        kind: ObjectKind,
        id: u64,
        writes: PropertyWrites,
        ctx: &mut WriteCtx,
    ) -> Vec<String> {
        let delay = self.search_delay_ms;
        let id = self.resolve_merged(kind, id);
        let before = self.index_keys(kind, id);
        let Some(record) = self.record_mut(kind, id) else {
            return Vec::new();
        };
        let before_props = record.properties.clone();
        let mut changed = Vec::new();
        let mut names = Vec::new();
        for (name, value) in writes {
            names.push(name.clone());
            let old = record.properties.get(&name).cloned();
            match &value {
                Some(v) => {
                    record.properties.insert(name.clone(), v.clone());
                }
                None => {
                    record.properties.remove(&name);
                }
            }
            if old != value {
                changed.push((name, value.unwrap_or_default()));
            }
        }
        recalculate(record);
        // docs/hubspot.md §2.3: the last-modified date moves on every write.
        record.updated_at_ms = ctx.now_ms;
        record
            .properties
            .insert(kind.last_modified_property().to_owned(), iso_ms(ctx.now_ms));
        record.track_history(
            &before_props,
            ctx.now_ms,
            ctx.actor.change_source,
            &ctx.actor.source_id,
        );
        record.reindex(ctx.now_ms, delay);
        self.refresh_index(kind, id, before);
        for (name, value) in changed {
            ctx.record(Change::PropertyChanged {
                kind,
                id,
                name,
                value,
            });
        }
        if kind != ObjectKind::Invoice {
            self.recalculate_invoices_of(kind, id, ctx);
        }
        names
    }

    /// Archives (soft-deletes) a live record (docs/hubspot.md §2.1 DELETE).
    pub fn archive(
        &mut self,
        kind: ObjectKind,
        id: u64,
        ctx: &mut WriteCtx,
    ) -> Result<(), ApiError> {
        let record = self
            .record(kind, id)
            .filter(|r| !r.is_archived())
            .ok_or_else(|| ApiError::object_not_found(&id.to_string()))?;
        if kind == ObjectKind::Invoice {
            self.check_invoice_archive(record)?;
        }
        let id = record.id;
        let delay = self.search_delay_ms;
        let before = self.index_keys(kind, id);
        if let Some(r) = self.record_mut(kind, id) {
            r.archived_at_ms = Some(ctx.now_ms);
            r.updated_at_ms = ctx.now_ms;
            r.reindex(ctx.now_ms, delay);
        }
        self.refresh_index(kind, id, before);
        ctx.record(Change::Deleted { kind, id });
        self.recalculate_invoices_of(kind, id, ctx);
        Ok(())
    }

    /// Sets a calculated property directly (seeding and invoice totals).
    pub(super) fn set_system(
        &mut self,
        kind: ObjectKind,
        id: u64,
        name: &str,
        value: Option<String>,
        ctx: &mut WriteCtx,
    ) {
        let delay = self.search_delay_ms;
        let Some(record) = self.record_mut(kind, id) else {
            return;
        };
        let old = record.properties.get(name).cloned();
        if old == value {
            return;
        }
        let before_props = record.properties.clone();
        match &value {
            Some(v) => record.properties.insert(name.to_owned(), v.clone()),
            None => record.properties.remove(name),
        };
        record.updated_at_ms = ctx.now_ms;
        record
            .properties
            .insert(kind.last_modified_property().to_owned(), iso_ms(ctx.now_ms));
        record.track_history(
            &before_props,
            ctx.now_ms,
            ctx.actor.change_source,
            &ctx.actor.source_id,
        );
        record.reindex(ctx.now_ms, delay);
        let id = record.id;
        ctx.record(Change::PropertyChanged {
            kind,
            id,
            name: name.to_owned(),
            value: value.unwrap_or_default(),
        });
    }
}

/// Unique values: emails compare case-insensitively, the rest exactly. UNVERIFIED for custom
/// unique properties.
fn same_unique_value(property: &str, a: &str, b: &str) -> bool {
    if property == "email" {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Calculated properties of one record: contacts' `hs_email_domain` (fixture
/// `contact-batch-update-response.json`), line items' `amount` (docs/hubspot.md §2.6) and deals'
/// `hs_is_closed` (§2.7).
fn recalculate(record: &mut Record) {
    match record.kind {
        ObjectKind::Contact => {
            let domain = record
                .properties
                .get("email")
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, d)| d.to_ascii_lowercase());
            match domain {
                Some(d) => record.properties.insert("hs_email_domain".into(), d),
                None => record.properties.remove("hs_email_domain"),
            };
        }
        ObjectKind::LineItem => {
            let dec = |name: &str| {
                record
                    .properties
                    .get(name)
                    .and_then(|v| v.parse::<Decimal>().ok())
            };
            if let Some(price) = dec("price") {
                let quantity = dec("quantity").unwrap_or(Decimal::ONE);
                let pct = dec("hs_discount_percentage").unwrap_or_default();
                let discount = dec("discount").unwrap_or_default();
                let gross = price * quantity;
                let mut amount = gross - gross * pct / Decimal::from(100) - discount;
                // Two decimals, like the captured line item ("amount": "123.00").
                amount.rescale(2);
                record
                    .properties
                    .insert("amount".into(), amount.to_string());
            } else {
                record.properties.remove("amount");
            }
        }
        ObjectKind::Deal => {
            // `hs_is_closed` is "true" in a closed stage, won or lost (the default pipeline's
            // `closedwon` and `closedlost`; a custom pipeline's stages say so in their
            // `isClosed` metadata, which the sandbox does not model):
            // https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/guide
            let closed = record
                .properties
                .get("dealstage")
                .is_some_and(|stage| CLOSED_DEAL_STAGES.contains(&stage.as_str()));
            record
                .properties
                .insert("hs_is_closed".into(), closed.to_string());
        }
        _ => {}
    }
}

/// The default pipeline's closed stages (won and lost).
const CLOSED_DEAL_STAGES: &[&str] = &["closedwon", "closedlost"];

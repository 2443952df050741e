//! Connection settings: one typed serde struct, identical in `hqsync.toml` and in the DynamoDB
//! connection item. Serde defaults make an empty document mean the documented defaults.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::customer_model::{ContactPlacement, CustomerModel, CustomerSettings};
use super::ids::{ConnectionId, ObjectKind, Side};
use super::record::NativeValues;

/// A connection: one HubSpot portal ⇄ one QBO company, with its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub hubspot_portal_id: String,
    pub qbo_realm_id: String,
    #[serde(default)]
    pub settings: ConnectionSettings,
}

/// Everything a user can configure for one connection. Every key is optional; the defaults
/// are: both kinds enabled, two-way, newest wins, HubSpot archive -> QBO inactive (not the
/// reverse), no filters, no custom rows, numbered name suffixes, new items of type Service with
/// the company's first income account. A fuller example:
///
/// ```toml
/// [contact]
/// direction = "two_way"              # or "to_quickbooks", "to_hubspot"
/// name_suffix = "match_key"          # "Ada Lovelace (ada@x.example)" instead of "(2)"
/// [contact.conflict]
/// default = "newest_wins"            # or "hubspot_wins", "quickbooks_wins"
/// per_field = { phone = "quickbooks_wins" }
/// [contact.deletion]
/// qbo_inactive_archives_hubspot = true
/// [[contact.entry_filters.hubspot]]
/// property = "lifecyclestage"
/// op = "in"                          # equals, not_equals, in, not_in, is_set, is_not_set
/// values = ["customer"]
/// [[contact.custom_mappings]]
/// hubspot_property = "tier"
/// qbo_field = "CustomerTypeRef.value"
/// transform = "enumeration"          # text, email, number, decimal, date, boolean, phone
/// values = { gold = "1", silver = "2" }
/// [product]
/// state = "disabled"                 # or "enabled", "deleted" (forgets links and cursors)
/// [customers]
/// model = "company"                  # QBO customers are HubSpot companies (default "contact")
/// [company]
/// match_on = ["domain", "name"]      # match keys in order (default name, then domain)
/// [new_items]
/// item_type = "service"              # or "non_inventory"
/// income_account_id = "79"
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionSettings {
    /// What a QBO customer is on the HubSpot side: a contact or a company.
    pub customers: CustomerSettings,
    /// HubSpot contacts ⇄ QBO customers (the `contact` customer model).
    pub contact: ObjectSettings,
    /// HubSpot companies ⇄ QBO customers (the `company` customer model).
    pub company: ObjectSettings,
    /// HubSpot products ⇄ QBO items.
    pub product: ObjectSettings,
    /// How QBO items created from HubSpot products are set up.
    pub new_items: NewItemSettings,
    /// QBO invoices and payments mirrored into HubSpot, and the workflow action.
    pub invoices: InvoiceSettings,
}

/// The invoice, payment and workflow-action flows. Defaults: invoices and payments
/// mirrored; deals found by our action's record, a `HubSpot deal: <id>` tag, else the
/// contact's single open deal with the invoice's amount (never a guess: otherwise the
/// invoice's status lists the candidate deals).
/// ```toml
/// [invoices]
/// invoice_sync = "enabled"            # QBO invoices -> HubSpot invoices (+ deal properties)
/// payment_sync = "enabled"            # QBO payments -> invoice balance + deal notes
/// contact_open_deal_fallback = true   # else the contact's one open deal with the invoice amount
/// deal_reference_field = "HubSpot Deal" # a QBO custom field holding a deal id, besides the tag
/// create_missing_customer = true      # the action creates a QBO customer for an unlinked contact
/// create_missing_items = true         # the action creates QBO items for unlinked products
/// doc_number_prefix = "HS-"           # generated DocNumbers, when custom numbers are on
/// default_tax_code = "5"              # non-US companies: the TaxCode of lines whose item has none
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InvoiceSettings {
    pub invoice_sync: SyncState,
    /// Payments update mirrored invoices, so they only sync while invoices do.
    pub payment_sync: SyncState,
    /// Without a recorded deal or a tag, the contact's only open deal whose amount equals the
    /// invoice's total (docs/architecture.md §4); false: such invoices reach no deal.
    pub contact_open_deal_fallback: bool,
    pub deal_reference_field: Option<String>,
    pub create_missing_customer: bool,
    pub create_missing_items: bool,
    pub doc_number_prefix: String,
    /// The QBO TaxCode id the workflow actions put on lines whose item has no sales tax code,
    /// on non-US companies (every line needs one there, docs/quickbooks.md §17.3).
    pub default_tax_code: Option<String>,
}

impl Default for InvoiceSettings {
    fn default() -> Self {
        InvoiceSettings {
            invoice_sync: SyncState::Enabled,
            payment_sync: SyncState::Enabled,
            contact_open_deal_fallback: true,
            deal_reference_field: None,
            create_missing_customer: true,
            create_missing_items: true,
            doc_number_prefix: "HS-".into(),
            default_tax_code: None,
        }
    }
}

/// The two-way settings a mirrored kind answers with: none, disabled (see `state`).
static NOT_TWO_WAY: std::sync::LazyLock<ObjectSettings> =
    std::sync::LazyLock::new(|| ObjectSettings {
        state: SyncState::Disabled,
        ..ObjectSettings::default()
    });

/// Per object kind: whether and how it syncs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObjectSettings {
    pub state: SyncState,
    pub direction: Direction,
    pub conflict: ConflictPolicy,
    pub deletion: DeletionPolicy,
    pub entry_filters: EntryFilters,
    pub custom_mappings: Vec<CustomMapping>,
    /// How a new QBO customer's DisplayName / item's Name is made unique after a 6240 collision.
    pub name_suffix: NameSuffixRule,
    /// The HubSpot properties unlinked records are matched on, first tried first; each must be
    /// one of the kind's default rows. Empty: the kind's own order (contact: email; company:
    /// name, then domain; product: SKU, then name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_on: Vec<String>,
    /// When the two-way sync creates this kind's records in QBO (contacts and products).
    pub qbo_create: QboCreatePolicy,
}

/// When a HubSpot record without a QBO match gets a QBO record: as soon as it syncs, or only
/// when something bills it (a workflow action or a HubSpot invoice), so QBO is not filled with
/// every HubSpot contact; matching records are linked either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QboCreatePolicy {
    #[default]
    Always,
    WhenBilled,
}

/// Whether an object kind syncs. `Deleted` also forgets links and cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    #[default]
    Enabled,
    Disabled,
    Deleted,
}

/// Which way data flows: for an object kind as a whole, and for each mapping row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    TwoWay,
    ToQuickbooks,
    ToHubspot,
}

impl Direction {
    /// Whether data may be written to `side` under this direction.
    pub fn writes_to(self, side: Side) -> bool {
        match self {
            Direction::TwoWay => true,
            Direction::ToQuickbooks => side == Side::Quickbooks,
            Direction::ToHubspot => side == Side::Hubspot,
        }
    }

    /// The direction allowed by both `self` and `other` (`None` if they point opposite ways).
    pub fn intersect(self, other: Direction) -> Option<Direction> {
        match (self, other) {
            (Direction::TwoWay, d) | (d, Direction::TwoWay) => Some(d),
            (a, b) if a == b => Some(a),
            _ => None,
        }
    }
}

/// Who wins a field changed on both sides to different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictWinner {
    /// The side whose field was edited last (its own time where the vendor keeps one, else the
    /// record's `modified_at`; docs/architecture.md §4); HubSpot on a tie.
    #[default]
    NewestWins,
    HubspotWins,
    QuickbooksWins,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConflictPolicy {
    pub default: ConflictWinner,
    /// Overrides by canonical field name (the HubSpot property name of the mapping row).
    pub per_field: BTreeMap<String, ConflictWinner>,
}

impl ConflictPolicy {
    pub fn winner_for(&self, field: &str) -> ConflictWinner {
        self.per_field.get(field).copied().unwrap_or(self.default)
    }
}

/// What a deletion on one side does to the linked record on the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeletionPolicy {
    /// HubSpot archive -> QBO `Active=false` (QBO never deletes customers or items). Default on.
    pub hubspot_archive_deactivates_qbo: bool,
    /// QBO `Active=false` -> HubSpot archive. Default off.
    pub qbo_inactive_archives_hubspot: bool,
}

impl Default for DeletionPolicy {
    fn default() -> Self {
        Self {
            hubspot_archive_deactivates_qbo: true,
            qbo_inactive_archives_hubspot: false,
        }
    }
}

impl DeletionPolicy {
    /// Whether an inactive record on `side` propagates to the other side.
    pub fn propagates_from(&self, side: Side) -> bool {
        match side {
            Side::Hubspot => self.hubspot_archive_deactivates_qbo,
            Side::Quickbooks => self.qbo_inactive_archives_hubspot,
        }
    }
}

/// Conditions a record must meet before it first enters the sync (as HubSpot's data sync does:
/// they gate only the first entry; a linked record keeps syncing). All conditions of a side must
/// hold. HubSpot conditions name a property; QBO conditions a field path (`"CustomerTypeRef.value"`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntryFilters {
    pub hubspot: Vec<PropertyCondition>,
    pub quickbooks: Vec<PropertyCondition>,
}

impl EntryFilters {
    pub fn for_side(&self, side: Side) -> &[PropertyCondition] {
        match side {
            Side::Hubspot => &self.hubspot,
            Side::Quickbooks => &self.quickbooks,
        }
    }

    /// The first condition of `side` the values fail, if any.
    pub fn first_failing(&self, side: Side, values: &NativeValues) -> Option<&PropertyCondition> {
        self.for_side(side).iter().find(|c| !c.matches(values))
    }
}

/// One property condition. Values compare as trimmed, case-insensitive text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyCondition {
    pub property: String,
    pub op: FilterOp,
    /// For `equals` / `not_equals`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// For `in` / `not_in`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    Equals,
    NotEquals,
    In,
    NotIn,
    IsSet,
    IsNotSet,
}

impl PropertyCondition {
    pub fn matches(&self, values: &NativeValues) -> bool {
        let actual = values.get(&self.property).and_then(native_text);
        let same = |expected: &str| {
            actual
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(expected.trim()))
        };
        match self.op {
            FilterOp::IsSet => actual.is_some(),
            FilterOp::IsNotSet => actual.is_none(),
            FilterOp::Equals => self.value.as_deref().is_some_and(same),
            FilterOp::NotEquals => !self.value.as_deref().is_some_and(same),
            FilterOp::In => self.values.iter().any(|v| same(v)),
            FilterOp::NotIn => !self.values.iter().any(|v| same(v)),
        }
    }

    fn validate(&self, at: &str) -> Result<(), SettingsError> {
        let invalid = |reason: &str| Err(SettingsError::invalid(at, reason));
        if self.property.trim().is_empty() {
            return Err(SettingsError::invalid(
                format!("{at}.property"),
                "must not be empty",
            ));
        }
        match self.op {
            FilterOp::Equals | FilterOp::NotEquals if self.value.is_none() => Err(
                SettingsError::invalid(format!("{at}.value"), "this `op` needs a `value`"),
            ),
            FilterOp::In | FilterOp::NotIn if self.values.is_empty() => {
                Err(SettingsError::invalid(
                    format!("{at}.values"),
                    "this `op` needs a non-empty `values` list",
                ))
            }
            FilterOp::IsSet | FilterOp::IsNotSet
                if self.value.is_some() || !self.values.is_empty() =>
            {
                invalid("`is_set` / `is_not_set` take no `value` or `values`")
            }
            _ => Ok(()),
        }
    }
}

/// A native value as trimmed text for filter comparisons; `None` for null/empty.
fn native_text(value: &serde_json::Value) -> Option<String> {
    let text = match value {
        serde_json::Value::Null => return None,
        serde_json::Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

/// How a mapping row converts between native and canonical values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransformKind {
    Text,
    Email,
    /// A number (kept as a decimal: never f64).
    Number,
    /// Money and other exact decimals.
    Decimal,
    Date,
    Boolean,
    /// Through a table of HubSpot option value -> QBO value (`CustomMapping::values`).
    Enumeration,
    Phone,
}

/// A user-defined mapping row: any HubSpot property ⇄ a QBO field path of the kind's entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomMapping {
    pub hubspot_property: String,
    /// Dotted QBO field path, e.g. `"Notes"` or `"ShipAddr.City"`.
    pub qbo_field: String,
    pub transform: TransformKind,
    #[serde(default)]
    pub direction: Direction,
    /// Enumeration table, HubSpot option value -> QBO value (only for `transform = "enumeration"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
}

impl CustomMapping {
    fn validate(&self, at: &str) -> Result<(), SettingsError> {
        let invalid = |reason: String| Err(SettingsError::invalid(format!("{at}.values"), reason));
        for (name, value) in [
            ("hubspot_property", &self.hubspot_property),
            ("qbo_field", &self.qbo_field),
        ] {
            if value.trim().is_empty() {
                return Err(SettingsError::invalid(
                    format!("{at}.{name}"),
                    "must not be empty",
                ));
            }
        }
        match self.transform {
            TransformKind::Enumeration if self.values.is_empty() => invalid(
                "an `enumeration` transform needs a `values` table (HubSpot value -> QBO value)"
                    .into(),
            ),
            TransformKind::Enumeration => {
                let mut seen = BTreeMap::new();
                for (hubspot, qbo) in &self.values {
                    if let Some(first) = seen.insert(qbo.to_lowercase(), hubspot) {
                        return invalid(format!(
                            "QBO value {qbo:?} appears for both {first:?} and {hubspot:?}; \
                             each QBO value must map back to one HubSpot value"
                        ));
                    }
                }
                Ok(())
            }
            _ if !self.values.is_empty() => {
                invalid("`values` is only allowed with `transform = \"enumeration\"`".into())
            }
            _ => Ok(()),
        }
    }
}

/// Suffix rule for a name QBO already uses (6240): `number` -> "Ada Lovelace (2)";
/// `match_key` -> "Ada Lovelace (ada@analytical.example)" (the email, or the item's SKU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSuffixRule {
    #[default]
    Number,
    MatchKey,
}

/// QBO item type for items created from HubSpot products. Inventory items need stock accounts
/// and quantities HubSpot does not have, so they are not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NewItemType {
    #[default]
    Service,
    NonInventory,
}

impl NewItemType {
    /// The QBO `Type` value.
    pub fn qbo_type(self) -> &'static str {
        match self {
            NewItemType::Service => "Service",
            NewItemType::NonInventory => "NonInventory",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewItemSettings {
    pub item_type: NewItemType,
    /// QBO Account `Id` for `IncomeAccountRef`; `None` = the engine picks the company's first
    /// active income account.
    pub income_account_id: Option<String>,
    /// QBO Account `Id` for `ExpenseAccountRef` (used for `non_inventory` items when set).
    pub expense_account_id: Option<String>,
}

/// A settings document that cannot be used, with where and why. `Toml` and `Json` are
/// documents that do not parse at all; `Invalid` names the field (`contact.custom_mappings[2].qbo_field`).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("settings are not valid TOML for HQSync: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("settings are not valid JSON for HQSync: {0}")]
    Json(#[from] serde_json::Error),
    #[error("settings: `{at}`: {reason}")]
    Invalid { at: String, reason: String },
}

impl SettingsError {
    pub fn invalid(at: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            at: at.into(),
            reason: reason.into(),
        }
    }

    /// The field the error is about, `None` for a document that does not parse.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { at, .. } => Some(at),
            Self::Toml(_) | Self::Json(_) => None,
        }
    }

    /// Why, without the field (the whole message for a document that does not parse).
    pub fn reason(&self) -> String {
        match self {
            Self::Invalid { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }

    /// A shape error (wrong type, unknown key or value) at the path serde was reading.
    fn at_path(path: &serde_path_to_error::Path, reason: String) -> Self {
        let at = path.to_string();
        // The root path prints as "."; an unknown top-level key names itself in the reason.
        let at = if at == "." { "settings".to_owned() } else { at };
        Self::invalid(at, reason)
    }
}

impl ConnectionSettings {
    /// Parses and validates a TOML settings document (an empty one means all defaults). A
    /// document that parses but has the wrong shape is `Invalid` at the field serde was reading.
    pub fn from_toml_str(text: &str) -> Result<Self, SettingsError> {
        let table: toml::Table = toml::from_str(text)?;
        let settings: Self = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| SettingsError::at_path(e.path(), e.inner().message().to_owned()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Parses and validates the JSON form (the connection item, the admin API's body); wrong
    /// shapes are `Invalid` at their field, as in [`ConnectionSettings::from_toml_str`].
    pub fn from_json_str(text: &str) -> Result<Self, SettingsError> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        let settings: Self = serde_path_to_error::deserialize(value)
            .map_err(|e| SettingsError::at_path(e.path(), e.inner().to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// The two-way settings of `kind`. Mirrored kinds (invoice, payment) have none and answer
    /// an empty, disabled set; ask [`ConnectionSettings::state`] whether any kind syncs.
    pub fn object(&self, kind: ObjectKind) -> &ObjectSettings {
        match kind {
            ObjectKind::Contact => &self.contact,
            ObjectKind::Company => &self.company,
            ObjectKind::Product => &self.product,
            ObjectKind::Invoice | ObjectKind::Payment => &NOT_TWO_WAY,
        }
    }

    /// The two-way settings of `kind`, `None` for the mirrored kinds.
    pub fn object_mut(&mut self, kind: ObjectKind) -> Option<&mut ObjectSettings> {
        match kind {
            ObjectKind::Contact => Some(&mut self.contact),
            ObjectKind::Company => Some(&mut self.company),
            ObjectKind::Product => Some(&mut self.product),
            ObjectKind::Invoice | ObjectKind::Payment => None,
        }
    }

    /// Sets whether `kind` syncs (for payments, their own switch: they still follow invoices).
    pub fn set_state(&mut self, kind: ObjectKind, state: SyncState) {
        match kind {
            ObjectKind::Contact => self.contact.state = state,
            ObjectKind::Company => self.company.state = state,
            ObjectKind::Product => self.product.state = state,
            ObjectKind::Invoice => self.invoices.invoice_sync = state,
            ObjectKind::Payment => self.invoices.payment_sync = state,
        }
    }

    /// Whether `kind` syncs. Payments follow invoices: without mirrored invoices there is
    /// nothing for a payment to update. Of contacts and companies only the customer model's
    /// kind syncs; the other is disabled (a `deleted` one stays deleted).
    pub fn state(&self, kind: ObjectKind) -> SyncState {
        match kind {
            ObjectKind::Contact | ObjectKind::Company => {
                let state = self.object(kind).state;
                let is_model = self.customers.model.customer_kind() == kind
                    || self.customers.syncs_other_kind(kind);
                if is_model || state == SyncState::Deleted {
                    state
                } else {
                    SyncState::Disabled
                }
            }
            ObjectKind::Product => self.object(kind).state,
            ObjectKind::Invoice => self.invoices.invoice_sync,
            ObjectKind::Payment => match self.invoices.invoice_sync {
                SyncState::Enabled => self.invoices.payment_sync,
                other => other,
            },
        }
    }

    /// Checks the whole document: filter conditions, custom-mapping shapes and their fields
    /// (through `mapping::MappingSet::build`), conflict overrides and account ids.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.customers.contacts == ContactPlacement::SubCustomers
            && self.customers.model != CustomerModel::Company
        {
            // Sub-customers hang under company customers (docs/admin.md §6).
            return Err(SettingsError::invalid(
                "customers.contacts",
                "\"sub_customers\" needs model = \"company\": under the contact model every \
                 contact is a top-level QBO customer already",
            ));
        }
        for kind in ObjectKind::TWO_WAY {
            let object = self.object(kind);
            for side in Side::BOTH {
                for (i, condition) in object.entry_filters.for_side(side).iter().enumerate() {
                    condition.validate(&format!("{kind}.entry_filters.{side}[{i}]"))?;
                }
            }
            for (i, mapping) in object.custom_mappings.iter().enumerate() {
                mapping.validate(&format!("{kind}.custom_mappings[{i}]"))?;
            }
            crate::mapping::MappingSet::build(kind, object)?;
        }
        if let Some(field) = &self.invoices.deal_reference_field
            && field.trim().is_empty()
        {
            return Err(SettingsError::invalid(
                "invoices.deal_reference_field",
                "is empty; leave it out to use only the PrivateNote tag",
            ));
        }
        let prefix = &self.invoices.doc_number_prefix;
        // QBO DocNumber is at most 21 characters (docs/quickbooks.md §0 item 12); keep room for digits.
        if prefix.chars().count() > 10 || prefix.chars().any(char::is_control) {
            return Err(SettingsError::invalid(
                "invoices.doc_number_prefix",
                format!("{prefix:?} must be at most 10 printable characters"),
            ));
        }
        for (name, id) in [
            ("income_account_id", &self.new_items.income_account_id),
            ("expense_account_id", &self.new_items.expense_account_id),
        ] {
            if let Some(id) = id
                && (id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(SettingsError::invalid(
                    format!("new_items.{name}"),
                    format!("{id:?} is not a QBO account Id (digits, e.g. \"79\")"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_document_means_the_documented_defaults() {
        let settings = ConnectionSettings::from_toml_str("").unwrap();
        for kind in ObjectKind::TWO_WAY {
            let object = settings.object(kind);
            assert_eq!(object.state, SyncState::Enabled);
            assert_eq!(object.direction, Direction::TwoWay);
            assert_eq!(
                object.conflict.winner_for("email"),
                ConflictWinner::NewestWins
            );
            assert!(object.deletion.hubspot_archive_deactivates_qbo);
            assert!(!object.deletion.qbo_inactive_archives_hubspot);
            assert!(object.entry_filters.hubspot.is_empty());
            assert!(object.custom_mappings.is_empty());
            assert_eq!(object.name_suffix, NameSuffixRule::Number);
        }
        assert_eq!(settings.new_items.item_type, NewItemType::Service);
        assert_eq!(settings.new_items.income_account_id, None);
    }

    const FULL: &str = r#"
        [contact]
        direction = "to_quickbooks"
        name_suffix = "match_key"
        [contact.conflict]
        default = "hubspot_wins"
        per_field = { phone = "quickbooks_wins" }
        [contact.deletion]
        qbo_inactive_archives_hubspot = true
        [[contact.entry_filters.hubspot]]
        property = "lifecyclestage"
        op = "in"
        values = ["customer", "evangelist"]
        [[contact.custom_mappings]]
        hubspot_property = "tier"
        qbo_field = "CustomerTypeRef.value"
        transform = "enumeration"
        values = { gold = "1", silver = "2" }
        [product]
        state = "disabled"
        [new_items]
        item_type = "non_inventory"
        income_account_id = "79"
    "#;

    #[test]
    fn a_full_document_parses_and_survives_json_and_toml_round_trips() {
        let settings = ConnectionSettings::from_toml_str(FULL).unwrap();
        assert_eq!(settings.contact.direction, Direction::ToQuickbooks);
        assert_eq!(
            settings.contact.conflict.winner_for("phone"),
            ConflictWinner::QuickbooksWins
        );
        assert_eq!(
            settings.contact.conflict.winner_for("email"),
            ConflictWinner::HubspotWins
        );
        assert!(settings.contact.deletion.hubspot_archive_deactivates_qbo);
        assert!(settings.contact.deletion.qbo_inactive_archives_hubspot);
        assert_eq!(settings.product.state, SyncState::Disabled);
        assert_eq!(settings.new_items.income_account_id.as_deref(), Some("79"));

        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(ConnectionSettings::from_json_str(&json).unwrap(), settings);
        let toml_text = toml::to_string(&settings).unwrap();
        assert_eq!(
            ConnectionSettings::from_toml_str(&toml_text).unwrap(),
            settings
        );
    }

    #[test]
    fn the_documented_example_is_valid() {
        let source = include_str!("settings.rs");
        let start = source.find("/// ```toml\n").unwrap() + "/// ```toml\n".len();
        let end = start + source[start..].find("/// ```\n").unwrap();
        let example: String = source[start..end]
            .lines()
            .map(|l| l.trim_start_matches("///").trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let settings = ConnectionSettings::from_toml_str(&example).unwrap();
        assert_eq!(settings.contact.name_suffix, NameSuffixRule::MatchKey);
        assert_eq!(settings.product.state, SyncState::Disabled);
        assert_eq!(settings.contact.custom_mappings.len(), 1);
    }

    #[test]
    fn bad_documents_get_errors_that_say_where_and_why() {
        let cases = [
            ("[contact]\ndirection = \"sideways\"", "sideways"),
            ("[contatc]\nstate = \"enabled\"", "contatc"),
            (
                "[[product.entry_filters.quickbooks]]\nproperty = \"Type\"\nop = \"equals\"",
                "product.entry_filters.quickbooks[0]",
            ),
            (
                "[[contact.custom_mappings]]\nhubspot_property = \"tier\"\nqbo_field = \"Notes\"\ntransform = \"enumeration\"",
                "contact.custom_mappings[0]",
            ),
            (
                "[[contact.custom_mappings]]\nhubspot_property = \"t\"\nqbo_field = \"Notes\"\ntransform = \"enumeration\"\nvalues = { a = \"x\", b = \"X\" }",
                "each QBO value",
            ),
            (
                "[[contact.custom_mappings]]\nhubspot_property = \"t\"\nqbo_field = \"Notes\"\ntransform = \"text\"\nvalues = { a = \"x\" }",
                "only allowed",
            ),
            (
                "[new_items]\nincome_account_id = \"Sales\"",
                "new_items.income_account_id",
            ),
        ];
        for (text, expected) in cases {
            let err = ConnectionSettings::from_toml_str(text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{text:?} gave {err:?}");
        }
    }

    #[test]
    fn every_invalid_document_names_its_field_and_the_same_check_runs_on_json_and_toml() {
        let cases = [
            ("[contact]\ndirection = \"sideways\"", "contact.direction"),
            ("[contatc]\nstate = \"enabled\"", "contatc"),
            ("[product]\nstat = \"enabled\"", "product.stat"),
            (
                "[[contact.custom_mappings]]\nhubspot_property = \"tier\"\nqbo_field = \"Nope\"\ntransform = \"text\"",
                "contact.custom_mappings[0].qbo_field",
            ),
            (
                "[[contact.custom_mappings]]\nhubspot_property = \" \"\nqbo_field = \"Notes\"\ntransform = \"text\"",
                "contact.custom_mappings[0].hubspot_property",
            ),
            (
                "[[contact.custom_mappings]]\nhubspot_property = \"t\"\nqbo_field = \"Notes\"\ntransform = \"text\"\nvalues = { a = \"x\" }",
                "contact.custom_mappings[0].values",
            ),
            (
                "[[product.entry_filters.quickbooks]]\nproperty = \"Type\"\nop = \"equals\"",
                "product.entry_filters.quickbooks[0].value",
            ),
            (
                "[[contact.custom_mappings]]\nhubspot_property = \"t\"\nqbo_field = \"Notes\"\ntransform = 7",
                "contact.custom_mappings[0].transform",
            ),
            (
                "[new_items]\nincome_account_id = \"Sales\"",
                "new_items.income_account_id",
            ),
        ];
        for (text, field) in cases {
            let err = ConnectionSettings::from_toml_str(text).unwrap_err();
            assert_eq!(err.field(), Some(field), "{text:?} gave {err}");
            let value: toml::Value = toml::from_str(text).unwrap();
            let json = serde_json::to_string(&value).unwrap();
            let err = ConnectionSettings::from_json_str(&json).unwrap_err();
            assert_eq!(err.field(), Some(field), "{json} gave {err}");
        }
        for malformed in ["[contact", "direction = "] {
            let err = ConnectionSettings::from_toml_str(malformed).unwrap_err();
            assert!(matches!(err, SettingsError::Toml(_)), "{err}");
            assert_eq!(err.field(), None);
        }
        let err = ConnectionSettings::from_json_str("{\"contact\": ").unwrap_err();
        assert!(matches!(err, SettingsError::Json(_)), "{err}");
    }

    #[test]
    fn contacts_are_sub_customers_only_under_the_company_model() {
        let sub = ConnectionSettings::from_toml_str(
            "[customers]\nmodel = \"company\"\ncontacts = \"sub_customers\"",
        )
        .unwrap();
        assert!(sub.customers.sub_customers());
        assert_eq!(sub.state(ObjectKind::Contact), SyncState::Enabled);
        assert_eq!(sub.state(ObjectKind::Company), SyncState::Enabled);
        let only = ConnectionSettings::from_toml_str("[customers]\nmodel = \"company\"").unwrap();
        assert_eq!(only.customers.contacts, ContactPlacement::HubspotOnly);
        assert!(!only.customers.sub_customers());
        let err = ConnectionSettings::from_toml_str("[customers]\ncontacts = \"sub_customers\"")
            .unwrap_err();
        assert_eq!(err.field(), Some("customers.contacts"), "{err}");
        assert!(err.reason().contains("model = \"company\""), "{err}");
        let err =
            ConnectionSettings::from_toml_str("[customers]\ncontacts = \"jobs\"").unwrap_err();
        assert_eq!(err.field(), Some("customers.contacts"), "{err}");
    }

    #[test]
    fn the_customer_model_decides_whether_contacts_or_companies_sync() {
        let company = ConnectionSettings::from_toml_str(
            "[customers]\nmodel = \"company\"\n[company]\nmatch_on = [\"domain\"]",
        )
        .unwrap();
        assert_eq!(company.customers.model, CustomerModel::Company);
        assert_eq!(company.state(ObjectKind::Company), SyncState::Enabled);
        assert_eq!(company.state(ObjectKind::Contact), SyncState::Disabled);
        assert_eq!(company.company.match_on, ["domain"]);
        let mut deleted = company.clone();
        deleted.customers.model = CustomerModel::Contact;
        deleted.company.state = SyncState::Deleted;
        assert_eq!(deleted.state(ObjectKind::Company), SyncState::Deleted);
        assert_eq!(deleted.state(ObjectKind::Contact), SyncState::Enabled);

        let err = ConnectionSettings::from_toml_str("[customers]\nmodel = \"deal\"").unwrap_err();
        assert_eq!(err.field(), Some("customers.model"), "{err}");
        assert!(err.reason().contains("contact"), "{err}");
        let err =
            ConnectionSettings::from_toml_str("[company]\nmatch_on = [\"email\"]").unwrap_err();
        assert_eq!(err.field(), Some("company.match_on"), "{err}");
        assert!(err.reason().contains("name, domain"), "{err}");
        let err = ConnectionSettings::from_toml_str("[company]\nmatch_on = [\"name\", \"name\"]")
            .unwrap_err();
        assert!(err.reason().contains("twice"), "{err}");
    }

    #[test]
    fn set_state_changes_the_state_each_kind_answers() {
        let mut settings = ConnectionSettings::default();
        for kind in ObjectKind::ALL {
            settings.set_state(kind, SyncState::Deleted);
            assert_eq!(settings.state(kind), SyncState::Deleted, "{kind}");
        }
        settings.set_state(ObjectKind::Invoice, SyncState::Enabled);
        assert_eq!(settings.state(ObjectKind::Payment), SyncState::Deleted);
        assert_eq!(settings.invoices.invoice_sync, SyncState::Enabled);
    }

    #[test]
    fn the_invoices_section_has_defaults_its_example_parses_and_payments_follow_invoices() {
        let defaults = ConnectionSettings::default();
        for kind in ObjectKind::ALL {
            // Companies are customers only under the `company` model (docs/admin.md §6).
            let expected = if kind == ObjectKind::Company {
                SyncState::Disabled
            } else {
                SyncState::Enabled
            };
            assert_eq!(defaults.state(kind), expected, "{kind}");
        }
        let source = include_str!("settings.rs");
        let marker = "/// [invoices]\n";
        let start = source.find(marker).unwrap();
        let end = start + source[start..].find("/// ```\n").unwrap();
        let example: String = source[start..end]
            .lines()
            .map(|l| l.trim_start_matches("///").trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let settings = ConnectionSettings::from_toml_str(&example).unwrap();
        assert_eq!(
            settings.invoices.deal_reference_field.as_deref(),
            Some("HubSpot Deal")
        );

        let mut settings = ConnectionSettings::from_toml_str(
            "[invoices]\npayment_sync = \"disabled\"\ncontact_open_deal_fallback = false",
        )
        .unwrap();
        assert_eq!(settings.state(ObjectKind::Invoice), SyncState::Enabled);
        assert_eq!(settings.state(ObjectKind::Payment), SyncState::Disabled);
        assert!(!settings.invoices.contact_open_deal_fallback);
        settings.invoices.payment_sync = SyncState::Enabled;
        settings.invoices.invoice_sync = SyncState::Deleted;
        assert_eq!(settings.state(ObjectKind::Payment), SyncState::Deleted);
        // Mirrored kinds have no two-way settings to change.
        assert!(settings.object_mut(ObjectKind::Invoice).is_none());
        assert_eq!(
            settings.object(ObjectKind::Payment).state,
            SyncState::Disabled
        );

        for (text, expected) in [
            (
                "[invoices]\ndeal_reference_field = \" \"",
                "invoices.deal_reference_field",
            ),
            (
                "[invoices]\ndoc_number_prefix = \"MUCH-TOO-LONG-\"",
                "invoices.doc_number_prefix",
            ),
            ("[invoices]\ninvoice_sync = \"sometimes\"", "sometimes"),
        ] {
            let err = ConnectionSettings::from_toml_str(text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{text:?} gave {err:?}");
        }
    }

    #[test]
    fn filter_conditions_compare_trimmed_text_ignoring_case() {
        let values: NativeValues = [
            ("lifecyclestage".to_owned(), serde_json::json!(" Customer ")),
            ("Active".to_owned(), serde_json::json!(true)),
            ("empty".to_owned(), serde_json::json!("")),
        ]
        .into();
        let cond = |property: &str, op, value: Option<&str>, values: &[&str]| PropertyCondition {
            property: property.into(),
            op,
            value: value.map(Into::into),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        assert!(cond("lifecyclestage", FilterOp::Equals, Some("customer"), &[]).matches(&values));
        assert!(cond("lifecyclestage", FilterOp::In, None, &["lead", "CUSTOMER"]).matches(&values));
        assert!(!cond("lifecyclestage", FilterOp::NotIn, None, &["customer"]).matches(&values));
        assert!(cond("Active", FilterOp::Equals, Some("true"), &[]).matches(&values));
        assert!(cond("empty", FilterOp::IsNotSet, None, &[]).matches(&values));
        assert!(cond("missing", FilterOp::NotEquals, Some("x"), &[]).matches(&values));
        assert!(!cond("missing", FilterOp::IsSet, None, &[]).matches(&values));

        let filters = EntryFilters {
            hubspot: vec![
                cond("lifecyclestage", FilterOp::IsSet, None, &[]),
                cond("lifecyclestage", FilterOp::Equals, Some("lead"), &[]),
            ],
            quickbooks: vec![],
        };
        assert_eq!(
            filters.first_failing(Side::Hubspot, &values).map(|c| c.op),
            Some(FilterOp::Equals)
        );
        assert!(filters.first_failing(Side::Quickbooks, &values).is_none());
    }

    #[test]
    fn directions_say_where_writes_may_go() {
        assert!(Direction::TwoWay.writes_to(Side::Hubspot));
        assert!(!Direction::ToQuickbooks.writes_to(Side::Hubspot));
        assert!(Direction::ToHubspot.writes_to(Side::Hubspot));
        assert_eq!(
            Direction::TwoWay.intersect(Direction::ToHubspot),
            Some(Direction::ToHubspot)
        );
        assert_eq!(
            Direction::ToQuickbooks.intersect(Direction::ToHubspot),
            None
        );
    }
}

//! Property definitions per object type (built-in ones plus custom ones created through the
//! properties API, docs/hubspot.md §4) and validation/normalisation of written values.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::object_types::ObjectKind;

/// docs/hubspot.md §4: property `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyType {
    Bool,
    Date,
    Datetime,
    Enumeration,
    Number,
    PhoneNumber,
    String,
}

impl PropertyType {
    /// docs/hubspot.md §4 "Valid pairs" of `type` and `fieldType`.
    pub fn accepts_field_type(self, field_type: &str) -> bool {
        match self {
            Self::String => matches!(field_type, "text" | "textarea" | "html" | "file"),
            Self::Number => matches!(field_type, "number" | "calculation_equation"),
            Self::Date | Self::Datetime => field_type == "date",
            Self::Enumeration => matches!(field_type, "select" | "radio" | "checkbox"),
            Self::Bool => field_type == "booleancheckbox",
            Self::PhoneNumber => field_type == "phonenumber",
        }
    }
}

/// One enumeration option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyOption {
    pub label: String,
    pub value: String,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub display_order: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A property definition.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDef {
    pub name: String,
    pub label: String,
    pub property_type: PropertyType,
    pub field_type: String,
    pub group_name: String,
    pub description: String,
    pub options: Vec<PropertyOption>,
    pub has_unique_value: bool,
    /// Set by HubSpot only (system and calculated properties).
    pub read_only_value: bool,
    pub calculated: bool,
    pub hubspot_defined: bool,
    pub hidden: bool,
    pub display_order: i64,
    pub created_at_ms: i64,
}

/// A property group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDef {
    pub name: String,
    pub label: String,
    pub display_order: i64,
}

fn iso(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl PropertyDef {
    /// The `Property` JSON of the properties API.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "label": self.label,
            "type": self.property_type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": self.options,
            "displayOrder": self.display_order,
            "calculated": self.calculated,
            "externalOptions": false,
            "hasUniqueValue": self.has_unique_value,
            "hidden": self.hidden,
            "hubspotDefined": self.hubspot_defined,
            "modificationMetadata": {
                "archivable": !self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only_value,
            },
            "formField": !self.read_only_value,
            "createdAt": iso(self.created_at_ms),
            "updatedAt": iso(self.created_at_ms),
            "archived": false,
        })
    }
}

impl GroupDef {
    /// The `PropertyGroup` JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": false,
        })
    }
}

/// docs/hubspot.md §4: default group names (`contactinformation` etc.). UNVERIFIED for the
/// types the doc does not name.
pub fn default_group(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Contact => "contactinformation",
        ObjectKind::Company => "companyinformation",
        ObjectKind::Deal => "dealinformation",
        ObjectKind::Product => "productinformation",
        ObjectKind::LineItem => "lineiteminformation",
        ObjectKind::Invoice => "invoiceinformation",
        ObjectKind::CommercePayment => "commercepaymentinformation",
        ObjectKind::Note => "engagement",
    }
}

use PropertyType as T;

/// Built-in property: (name, type, options for enumerations).
type BuiltIn = (&'static str, PropertyType, &'static [&'static str]);

/// System properties HubSpot sets (writes are rejected): the ones every type has, then the
/// calculated ones per type (docs/hubspot.md §2.3, §2.5, §2.6, §2.8, §2.9).
fn system_properties(kind: ObjectKind) -> Vec<&'static str> {
    let mut names = vec![
        "hs_object_id",
        kind.create_date_property(),
        kind.last_modified_property(),
        "hs_object_source",
        "hs_object_source_id",
        "hs_object_source_label",
        "hs_merged_object_ids",
    ];
    names.extend_from_slice(match kind {
        ObjectKind::Contact => &[
            "hs_all_contact_vids",
            "hs_email_domain",
            "hs_additional_emails",
        ],
        ObjectKind::LineItem => &["amount"],
        ObjectKind::Deal => &["hs_num_of_associated_line_items", "hs_is_closed"],
        ObjectKind::Invoice => &[
            "hs_amount_billed",
            "hs_balance_due",
            "hs_amount_paid",
            "hs_number",
        ],
        ObjectKind::CommercePayment => &[
            "hs_payment_creation_method",
            "hs_has_associated_invoice",
            "hs_number_of_associated_invoices",
            "hs_net_amount",
        ],
        _ => &[],
    });
    names
}

/// Per-type writable properties the sandbox knows out of the box (from docs/hubspot.md §2.5-2.10).
/// A write naming anything else fails with `PROPERTY_DOESNT_EXIST`, as in a real portal.
fn builtins(kind: ObjectKind) -> &'static [BuiltIn] {
    match kind {
        ObjectKind::Contact => &[
            ("email", T::String, &[]),
            ("firstname", T::String, &[]),
            ("lastname", T::String, &[]),
            ("phone", T::PhoneNumber, &[]),
            ("mobilephone", T::PhoneNumber, &[]),
            ("company", T::String, &[]),
            ("website", T::String, &[]),
            ("jobtitle", T::String, &[]),
            ("address", T::String, &[]),
            ("city", T::String, &[]),
            ("state", T::String, &[]),
            ("zip", T::String, &[]),
            ("country", T::String, &[]),
            (
                "lifecyclestage",
                T::Enumeration,
                &[
                    "subscriber",
                    "lead",
                    "marketingqualifiedlead",
                    "salesqualifiedlead",
                    "opportunity",
                    "customer",
                    "evangelist",
                    "other",
                ],
            ),
            ("hubspot_owner_id", T::String, &[]),
        ],
        ObjectKind::Company => &[
            ("name", T::String, &[]),
            ("domain", T::String, &[]),
            ("phone", T::PhoneNumber, &[]),
            ("address", T::String, &[]),
            ("city", T::String, &[]),
            ("state", T::String, &[]),
            ("zip", T::String, &[]),
            ("country", T::String, &[]),
            ("industry", T::String, &[]),
            ("annualrevenue", T::Number, &[]),
            ("hubspot_owner_id", T::String, &[]),
        ],
        ObjectKind::Deal => &[
            ("dealname", T::String, &[]),
            ("amount", T::Number, &[]),
            ("closedate", T::Datetime, &[]),
            ("pipeline", T::String, &[]),
            ("dealstage", T::String, &[]),
            ("deal_currency_code", T::String, &[]),
            ("hubspot_owner_id", T::String, &[]),
            ("dealtype", T::String, &[]),
            ("description", T::String, &[]),
        ],
        ObjectKind::Product => &[
            ("name", T::String, &[]),
            ("description", T::String, &[]),
            ("price", T::Number, &[]),
            ("hs_sku", T::String, &[]),
            ("hs_cost_of_goods_sold", T::Number, &[]),
            ("hs_recurring_billing_period", T::String, &[]),
            ("recurringbillingfrequency", T::String, &[]),
            (
                "hs_product_type",
                T::Enumeration,
                &["inventory", "non_inventory", "service"],
            ),
            ("hs_pricing_model", T::String, &[]),
            ("hs_tier_prices", T::String, &[]),
            ("hs_tier_ranges", T::String, &[]),
            ("hs_url", T::String, &[]),
            ("tax", T::Number, &[]),
        ],
        ObjectKind::LineItem => &[
            ("name", T::String, &[]),
            ("quantity", T::Number, &[]),
            ("price", T::Number, &[]),
            ("hs_product_id", T::String, &[]),
            ("hs_sku", T::String, &[]),
            ("description", T::String, &[]),
            ("hs_tax_rate_group_id", T::String, &[]),
            ("hs_recurring_billing_period", T::String, &[]),
            ("hs_recurring_billing_start_date", T::Date, &[]),
            ("hs_recurring_billing_end_date", T::Date, &[]),
            ("recurringbillingfrequency", T::String, &[]),
            ("hs_line_item_currency_code", T::String, &[]),
            ("hs_discount_percentage", T::Number, &[]),
            ("discount", T::Number, &[]),
            ("hs_cost_of_goods_sold", T::Number, &[]),
        ],
        ObjectKind::Invoice => &[
            ("hs_currency", T::String, &[]),
            (
                "hs_invoice_status",
                T::Enumeration,
                &["draft", "open", "paid", "voided"],
            ),
            ("hs_invoice_date", T::Datetime, &[]),
            ("hs_due_date", T::Datetime, &[]),
            ("hs_tax_id", T::String, &[]),
            ("hs_purchase_order_number", T::String, &[]),
            ("hs_comments", T::String, &[]),
            ("hs_invoice_billable", T::Bool, &[]),
            ("hs_allowed_payment_methods", T::String, &[]),
            (
                "hs_invoice_payment_collection_method",
                T::Enumeration,
                &["manual", "none"],
            ),
            ("hs_allow_partial_payments", T::Bool, &[]),
            ("hs_collect_address_types", T::String, &[]),
            ("hs_title", T::String, &[]),
            ("hs_language", T::String, &[]),
            ("hs_locale", T::String, &[]),
            ("hs_external_recipient", T::String, &[]),
            ("hs_recipient_shipping_address", T::String, &[]),
            ("hs_recipient_shipping_city", T::String, &[]),
            ("hs_recipient_shipping_state", T::String, &[]),
            ("hs_recipient_shipping_zip", T::String, &[]),
            ("hs_recipient_shipping_country", T::String, &[]),
        ],
        ObjectKind::CommercePayment => &[
            ("hs_initial_amount", T::Number, &[]),
            ("hs_initiated_date", T::Datetime, &[]),
            ("hs_currency_code", T::String, &[]),
            ("hs_customer_email", T::String, &[]),
            ("hs_fees_amount", T::Number, &[]),
            ("hs_internal_comment", T::String, &[]),
            (
                "hs_latest_status",
                T::Enumeration,
                &[
                    "processing",
                    "succeeded",
                    "failed",
                    "partially_refunded",
                    "refunded",
                    "processing_refund",
                    "disputed_won",
                    "disputed_lost",
                    "disputed_action_required",
                    "disputed_awaiting_decision",
                ],
            ),
            (
                "hs_payment_method_type",
                T::Enumeration,
                &[
                    "card",
                    "ach",
                    "cash",
                    "check",
                    "wire_transfer",
                    "other",
                    "sepa",
                    "bacs",
                    "pads",
                ],
            ),
            ("hs_payout_date", T::Datetime, &[]),
            (
                "hs_processor_type",
                T::Enumeration,
                &["hs_payments", "byo_stripe", "none", "quickbooks", "xero"],
            ),
            ("hs_reference_number", T::String, &[]),
            ("hs_refunds_amount", T::Number, &[]),
        ],
        ObjectKind::Note => &[
            ("hs_timestamp", T::Datetime, &[]),
            ("hs_note_body", T::String, &[]),
            ("hubspot_owner_id", T::String, &[]),
        ],
    }
}

/// The type of a read-only system property.
fn system_type(name: &str) -> PropertyType {
    match name {
        "createdate" | "hs_createdate" | "lastmodifieddate" | "hs_lastmodifieddate" => T::Datetime,
        "hs_object_id"
        | "amount"
        | "hs_amount_billed"
        | "hs_balance_due"
        | "hs_amount_paid"
        | "hs_num_of_associated_line_items"
        | "hs_number_of_associated_invoices"
        | "hs_net_amount" => T::Number,
        "hs_has_associated_invoice" | "hs_is_closed" => T::Bool,
        _ => T::String,
    }
}

/// The properties of every object type.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    properties: BTreeMap<ObjectKind, BTreeMap<String, PropertyDef>>,
    groups: BTreeMap<ObjectKind, BTreeMap<String, GroupDef>>,
}

fn builtin_def(
    name: &str,
    t: PropertyType,
    options: &[&str],
    group: &str,
    read_only: bool,
) -> PropertyDef {
    PropertyDef {
        name: name.to_owned(),
        label: name.to_owned(),
        property_type: t,
        field_type: match t {
            T::String => "text",
            T::Number => "number",
            T::Date | T::Datetime => "date",
            T::Enumeration => "select",
            T::Bool => "booleancheckbox",
            T::PhoneNumber => "phonenumber",
        }
        .to_owned(),
        group_name: group.to_owned(),
        description: String::new(),
        options: options
            .iter()
            .enumerate()
            .map(|(i, v)| PropertyOption {
                label: (*v).to_owned(),
                value: (*v).to_owned(),
                hidden: false,
                display_order: i as i64,
                description: None,
            })
            .collect(),
        has_unique_value: false,
        read_only_value: read_only,
        calculated: read_only,
        hubspot_defined: true,
        hidden: false,
        display_order: -1,
        created_at_ms: 0,
    }
}

impl Schema {
    /// The built-in properties and default groups of every type.
    pub fn builtin() -> Self {
        let mut schema = Schema::default();
        for kind in ObjectKind::ALL {
            let group = default_group(kind);
            let props = schema.properties.entry(kind).or_default();
            for (name, t, options) in builtins(kind) {
                props.insert(
                    (*name).to_owned(),
                    builtin_def(name, *t, options, group, false),
                );
            }
            for name in system_properties(kind) {
                props
                    .entry((*name).to_owned())
                    .or_insert_with(|| builtin_def(name, system_type(name), &[], group, true));
            }
            schema.groups.entry(kind).or_default().insert(
                group.to_owned(),
                GroupDef {
                    name: group.to_owned(),
                    label: group.to_owned(),
                    display_order: -1,
                },
            );
        }
        schema
    }

    /// A property definition.
    pub fn property(&self, kind: ObjectKind, name: &str) -> Option<&PropertyDef> {
        self.properties.get(&kind)?.get(name)
    }

    /// All properties of a type, by name.
    pub fn properties(&self, kind: ObjectKind) -> impl Iterator<Item = &PropertyDef> {
        self.properties
            .get(&kind)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// The unique-value properties of a type (contacts' `email` is handled separately).
    pub fn unique_properties(&self, kind: ObjectKind) -> Vec<String> {
        self.properties(kind)
            .filter(|p| p.has_unique_value)
            .map(|p| p.name.clone())
            .collect()
    }

    /// Adds a property (the caller checked it does not exist).
    pub fn add_property(&mut self, kind: ObjectKind, def: PropertyDef) {
        self.properties
            .entry(kind)
            .or_default()
            .insert(def.name.clone(), def);
    }

    /// A group.
    pub fn group(&self, kind: ObjectKind, name: &str) -> Option<&GroupDef> {
        self.groups.get(&kind)?.get(name)
    }

    /// All groups of a type.
    pub fn groups(&self, kind: ObjectKind) -> impl Iterator<Item = &GroupDef> {
        self.groups.get(&kind).into_iter().flat_map(|m| m.values())
    }

    /// Adds a group.
    pub fn add_group(&mut self, kind: ObjectKind, group: GroupDef) {
        self.groups
            .entry(kind)
            .or_default()
            .insert(group.name.clone(), group);
    }
}

/// Why one written value was refused; becomes an entry of the 400's `errors[]` and of the
/// "Property values were not valid: [...]" message (docs/hubspot.md §2.2, §9.4).
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidValue {
    pub name: String,
    /// `PROPERTY_DOESNT_EXIST`, `READ_ONLY_VALUE`, `INVALID_DECIMAL`, `INVALID_OPTION`,
    /// `INVALID_DATE`, `INVALID_BOOLEAN` (UNVERIFIED codes except the first, which is captured).
    pub code: &'static str,
    pub message: String,
}

/// Checks one written value and returns it normalised (as HubSpot stores it), or `None` for
/// "" (which clears the value, docs/hubspot.md §2.1).
pub fn normalize_value(
    def: Option<&PropertyDef>,
    name: &str,
    raw: &str,
) -> Result<Option<String>, InvalidValue> {
    let invalid = |code: &'static str, message: String| InvalidValue {
        name: name.to_owned(),
        code,
        message,
    };
    let Some(def) = def else {
        return Err(invalid(
            "PROPERTY_DOESNT_EXIST",
            format!("Property \"{name}\" does not exist"),
        ));
    };
    if def.read_only_value {
        return Err(invalid(
            "READ_ONLY_VALUE",
            format!("\"{name}\" is a read only property; its value cannot be set."),
        ));
    }
    if raw.is_empty() {
        return Ok(None);
    }
    match def.property_type {
        T::Number => raw
            .trim()
            .parse::<Decimal>()
            // Stored as written (fixtures show "123.00" kept with its decimals).
            .map(|_| Some(raw.trim().to_owned()))
            .map_err(|_| invalid("INVALID_DECIMAL", format!("{raw} was not a valid number."))),
        T::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" => Ok(Some("true".into())),
            "false" => Ok(Some("false".into())),
            _ => Err(invalid(
                "INVALID_BOOLEAN",
                format!("{raw} was not a valid boolean."),
            )),
        },
        T::Enumeration if !def.options.is_empty() => {
            // An enumeration may hold several `;`-separated values (checkbox).
            let bad = raw
                .split(';')
                .find(|v| !def.options.iter().any(|o| o.value == *v));
            match bad {
                Some(v) => Err(invalid(
                    "INVALID_OPTION",
                    format!(
                        "{v} was not one of the allowed options: [{}]",
                        option_list(def)
                    ),
                )),
                None => Ok(Some(raw.to_owned())),
            }
        }
        T::Datetime => parse_datetime_ms(raw)
            .map(|ms| Some(iso(ms)))
            .ok_or_else(|| invalid("INVALID_DATE", format!("{raw} was not a valid date-time."))),
        T::Date => parse_date(raw)
            .map(|d| Some(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| {
                invalid(
                    "INVALID_DATE",
                    format!(
                        "{raw} is not a valid date: send YYYY-MM-DD or midnight UTC in epoch ms."
                    ),
                )
            }),
        _ => Ok(Some(raw.to_owned())),
    }
}

fn option_list(def: &PropertyDef) -> String {
    def.options
        .iter()
        .map(|o| o.value.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// docs/hubspot.md §2.1: datetimes are ISO-8601 or epoch milliseconds.
pub fn parse_datetime_ms(raw: &str) -> Option<i64> {
    if let Ok(ms) = raw.trim().parse::<i64>() {
        return Some(ms);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(raw.trim()) {
        return Some(dt.timestamp_millis());
    }
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// docs/hubspot.md §2.1: date-only properties want midnight UTC epoch ms or `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    if let Ok(ms) = raw.parse::<i64>() {
        if ms.rem_euclid(86_400_000) != 0 {
            return None;
        }
        return Utc
            .timestamp_millis_opt(ms)
            .single()
            .map(|d| d.date_naive());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

/// The "Property values were not valid: [...]" message with the embedded JSON detail
/// (docs/hubspot.md §2.2 captured body).
pub fn invalid_values_message(portal_id: u64, invalid: &[InvalidValue]) -> String {
    let details: Vec<Value> = invalid
        .iter()
        .map(|i| {
            json!({
                "isValid": false,
                "message": i.message,
                "error": i.code,
                "name": i.name,
                "localizedErrorMessage": i.message,
                "portalId": portal_id,
            })
        })
        .collect();
    format!(
        "Property values were not valid: {}",
        serde_json::to_string(&details).unwrap_or_default()
    )
}

/// The per-property `errors[]` entries of a 400 (docs/hubspot.md §9.4 shape).
pub fn invalid_values_errors(invalid: &[InvalidValue]) -> Vec<Value> {
    invalid
        .iter()
        .map(|i| {
            json!({
                "message": i.message,
                "code": i.code,
                "context": {"propertyName": [i.name]},
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_normalised() {
        let schema = Schema::builtin();
        let k = ObjectKind::Product;
        let check = |name: &str, raw: &str| normalize_value(schema.property(k, name), name, raw);
        assert_eq!(check("price", "149.00"), Ok(Some("149.00".into())));
        assert_eq!(check("price", "abc").unwrap_err().code, "INVALID_DECIMAL");
        assert_eq!(
            check("missing", "1").unwrap_err().code,
            "PROPERTY_DOESNT_EXIST"
        );
        assert_eq!(
            check("hs_object_id", "1").unwrap_err().code,
            "READ_ONLY_VALUE"
        );
        assert_eq!(check("name", ""), Ok(None));
        assert_eq!(
            check("hs_product_type", "service"),
            Ok(Some("service".into()))
        );
        assert_eq!(
            check("hs_product_type", "x").unwrap_err().code,
            "INVALID_OPTION"
        );
    }

    #[test]
    fn dates_and_datetimes() {
        assert_eq!(parse_datetime_ms("1735689600000"), Some(1_735_689_600_000));
        assert_eq!(
            parse_datetime_ms("2025-01-01T00:00:00.000Z"),
            Some(1_735_689_600_000)
        );
        assert!(parse_date("1735689600000").is_some());
        assert!(parse_date("1735689600001").is_none(), "not midnight");
        assert_eq!(
            parse_date("2026-01-05"),
            NaiveDate::from_ymd_opt(2026, 1, 5)
        );
    }

    #[test]
    fn invalid_message_embeds_json_like_the_capture() {
        let m = invalid_values_message(
            891936587,
            &[InvalidValue {
                name: "missing".into(),
                code: "PROPERTY_DOESNT_EXIST",
                message: "Property \"missing\" does not exist".into(),
            }],
        );
        assert!(m.starts_with("Property values were not valid: [{\"isValid\":false"));
        assert!(m.contains("\"error\":\"PROPERTY_DOESNT_EXIST\""));
    }
}

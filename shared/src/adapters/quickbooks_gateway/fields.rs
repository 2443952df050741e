//! QBO's fields of a kind: the entity's writable fields (`mapping::qbo_fields`), the custom
//! fields its records carry (`CustomField`), and the sales-form custom fields of invoices.
//!
//! The QBO REST API has no field-list call: custom field definitions live in the Custom Fields
//! GraphQL API and, for the three legacy sales-form fields, in `Preferences.SalesFormsPrefs`
//! (docs/quickbooks.md §4.7). Customer and item custom fields are therefore discovered from the
//! `CustomField` members of one page of records; they are listed, not mappable.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::{QuickbooksGateway, gateway_error};
use crate::mapping::QboFieldType;
use crate::mapping::qbo_fields::qbo_fields;
use crate::model::{FieldType, ObjectKind};
use crate::ports::{FieldCatalog, GatewayError, LiveField};
use crate::quickbooks::{Customer, Item, Query};

/// Records read to discover custom fields (one query).
const CUSTOM_FIELD_SAMPLE: u32 = 100;

fn field_type(ty: QboFieldType) -> FieldType {
    match ty {
        QboFieldType::Text => FieldType::Text,
        QboFieldType::Decimal => FieldType::Number,
        QboFieldType::Bool => FieldType::Bool,
        QboFieldType::Date => FieldType::Date,
    }
}

/// A `CustomField` member's `Type` (`StringType`, `NumberType`, `DateType`, ...).
fn custom_type(ty: &str) -> FieldType {
    match ty {
        "NumberType" => FieldType::Number,
        "DateType" => FieldType::Date,
        "BooleanType" => FieldType::Bool,
        _ => FieldType::Text,
    }
}

fn custom_field(id: &str, label: &str, ty: &str) -> LiveField {
    LiveField {
        name: format!("CustomField.{id}"),
        label: label.to_owned(),
        field_type: custom_type(ty),
        vendor_type: ty.to_owned(),
        custom: true,
        read_only: false,
        mappable: false,
        options: Vec::new(),
    }
}

/// The custom fields named in the `CustomField` arrays of `records`, by definition id.
pub(crate) fn custom_fields_of<'a>(
    records: impl IntoIterator<Item = &'a Map<String, Value>>,
) -> Vec<LiveField> {
    let mut found: BTreeMap<String, LiveField> = BTreeMap::new();
    for record in records {
        let Some(Value::Array(fields)) = record.get("CustomField") else {
            continue;
        };
        for field in fields {
            let text = |name: &str| field.get(name).and_then(Value::as_str);
            let Some(id) = text("DefinitionId") else {
                continue;
            };
            found.entry(id.to_owned()).or_insert_with(|| {
                custom_field(
                    id,
                    text("Name").unwrap_or(id),
                    text("Type").unwrap_or("StringType"),
                )
            });
        }
    }
    found.into_values().collect()
}

/// The sales-form custom fields turned on in `Preferences.SalesFormsPrefs.CustomField`
/// (`UseSalesCustom{n}` true, labelled by `SalesCustomName{n}`).
pub(crate) fn sales_form_fields(sales_forms: &Map<String, Value>) -> Vec<LiveField> {
    let mut used: BTreeMap<String, bool> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let groups = sales_forms
        .get("CustomField")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for entry in groups.flat_map(|g| {
        g.get("CustomField")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    }) {
        let Some(name) = entry.get("Name").and_then(Value::as_str) else {
            continue;
        };
        if let Some(n) = name.strip_prefix("SalesFormsPrefs.UseSalesCustom") {
            let on = entry.get("BooleanValue").and_then(Value::as_bool) == Some(true);
            used.insert(n.to_owned(), on);
        } else if let Some(n) = name.strip_prefix("SalesFormsPrefs.SalesCustomName")
            && let Some(label) = entry.get("StringValue").and_then(Value::as_str)
        {
            names.insert(n.to_owned(), label.to_owned());
        }
    }
    names
        .into_iter()
        .filter(|(n, _)| used.get(n).copied().unwrap_or(false))
        .map(|(n, label)| custom_field(&n, &label, "StringType"))
        .collect()
}

#[async_trait]
impl FieldCatalog for QuickbooksGateway {
    async fn list_fields(&self, kind: ObjectKind) -> Result<Vec<LiveField>, GatewayError> {
        let mut fields: Vec<LiveField> = qbo_fields(kind)
            .iter()
            .map(|f| LiveField {
                name: f.path.to_owned(),
                label: f.path.to_owned(),
                field_type: field_type(f.ty),
                vendor_type: format!("{:?}", f.ty),
                custom: false,
                read_only: false,
                mappable: true,
                options: Vec::new(),
            })
            .collect();
        let sample = |entity: &str| Query::select(entity).page(1, CUSTOM_FIELD_SAMPLE);
        match kind {
            ObjectKind::Contact | ObjectKind::Company => {
                let query = sample("Customer").map_err(gateway_error)?;
                let page = self
                    .client
                    .query::<Customer>(&query)
                    .await
                    .map_err(gateway_error)?;
                fields.extend(custom_fields_of(page.items.iter().map(|c| &c.extra)));
            }
            ObjectKind::Product => {
                let query = sample("Item").map_err(gateway_error)?;
                let page = self
                    .client
                    .query::<Item>(&query)
                    .await
                    .map_err(gateway_error)?;
                fields.extend(custom_fields_of(page.items.iter().map(|i| &i.extra)));
            }
            ObjectKind::Invoice => {
                let preferences = self.client.preferences().await.map_err(gateway_error)?;
                if let Some(sales_forms) = &preferences.sales_forms_prefs {
                    fields.extend(sales_form_fields(&sales_forms.extra));
                }
            }
            ObjectKind::Payment => {}
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_fields_are_found_once_each_on_the_records_that_carry_them() {
        let records: Vec<Map<String, Value>> = [
            json!({"CustomField": [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType", "StringValue": "102"}]}),
            json!({"CustomField": [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType"},
                                   {"DefinitionId": "4", "Name": "Seats", "Type": "NumberType"}]}),
            json!({"DisplayName": "none"}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let fields = custom_fields_of(&records);
        let names: Vec<(&str, &str, FieldType)> = fields
            .iter()
            .map(|f| (f.name.as_str(), f.label.as_str(), f.field_type))
            .collect();
        assert_eq!(
            names,
            [
                ("CustomField.1", "Crew #", FieldType::Text),
                ("CustomField.4", "Seats", FieldType::Number)
            ]
        );
        assert!(fields.iter().all(|f| f.custom && !f.mappable));
    }

    #[test]
    fn sales_form_fields_are_the_ones_turned_on_with_their_names() {
        // The shape of tests/fixtures/quickbooks/preferences-read-response.json.
        let prefs = json!({"CustomField": [
            {"CustomField": [
                {"Name": "SalesFormsPrefs.UseSalesCustom2", "Type": "BooleanType", "BooleanValue": false},
                {"Name": "SalesFormsPrefs.UseSalesCustom1", "Type": "BooleanType", "BooleanValue": true}]},
            {"CustomField": [
                {"Name": "SalesFormsPrefs.SalesCustomName1", "Type": "StringType", "StringValue": "Crew #"},
                {"Name": "SalesFormsPrefs.SalesCustomName2", "Type": "StringType", "StringValue": "Off"}]}
        ]});
        let fields = sales_form_fields(prefs.as_object().unwrap());
        assert_eq!(fields.len(), 1, "{fields:?}");
        assert_eq!(
            (fields[0].name.as_str(), fields[0].label.as_str()),
            ("CustomField.1", "Crew #")
        );
    }
}

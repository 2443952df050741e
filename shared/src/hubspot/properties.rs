//! Properties API: read property definitions, and "ensure" a property group and custom
//! properties (incl. `hasUniqueValue`) idempotently (docs/hubspot.md §4).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{Call, HubspotClient};
use super::error::{HubspotError, Result};
use super::objects::ObjectType;
use super::version;

/// A property definition (`PropertyCreate` when sent; `Property` when read, §4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDefinition {
    pub name: String,
    pub label: String,
    /// `bool | date | datetime | enumeration | number | phone_number | string`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `text`, `number`, `date`, `select`, `booleancheckbox`, ...
    pub field_type: String,
    pub group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<PropertyOption>,
    #[serde(default)]
    pub has_unique_value: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_display_hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    /// Read only: HubSpot's own property (`false` for the account's custom ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hubspot_defined: Option<bool>,
    /// Read only: whether HubSpot computes the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculated: Option<bool>,
    /// Read only: what may be changed (`readOnlyValue`: only HubSpot writes the value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modification_metadata: Option<ModificationMetadata>,
}

/// A read property's `modificationMetadata` (§4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModificationMetadata {
    #[serde(default)]
    pub read_only_value: bool,
}

impl PropertyDefinition {
    /// A text property (`string` + `text`).
    pub fn text(name: &str, label: &str, group: &str) -> Self {
        PropertyDefinition {
            name: name.to_owned(),
            label: label.to_owned(),
            kind: "string".to_owned(),
            field_type: "text".to_owned(),
            group_name: group.to_owned(),
            ..Default::default()
        }
    }

    /// A dropdown (`enumeration` + `select`) of `(label, value)` options, shown in their order.
    pub fn select<'a>(
        name: &str,
        label: &str,
        group: &str,
        options: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        PropertyDefinition {
            kind: "enumeration".into(),
            field_type: "select".into(),
            options: options
                .into_iter()
                .enumerate()
                .map(|(i, (label, value))| PropertyOption {
                    label: label.into(),
                    value: value.into(),
                    hidden: false,
                    display_order: Some(i as i32),
                })
                .collect(),
            ..Self::text(name, label, group)
        }
    }

    /// A number shown as an amount of money (`number` + currency display hint).
    pub fn currency(name: &str, label: &str, group: &str) -> Self {
        PropertyDefinition {
            kind: "number".into(),
            field_type: "number".into(),
            number_display_hint: Some("currency".into()),
            ..Self::text(name, label, group)
        }
    }

    /// Marks the property unique, so it can be an `idProperty` (§4; cannot be changed later).
    pub fn unique(mut self) -> Self {
        self.has_unique_value = true;
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyOption {
    pub label: String,
    pub value: String,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_order: Option<i32>,
}

/// A property group (§4: `{"name":"quickbooks","label":"QuickBooks","displayOrder":-1}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyGroup {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub display_order: i32,
}

#[derive(Debug, Deserialize)]
struct Results<T> {
    results: Vec<T>,
}

/// What an ensure call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnsureReport {
    pub created: Vec<String>,
    pub already_present: Vec<String>,
}

impl HubspotClient {
    /// `GET /crm/properties/2026-03/{type}`: every property definition of a type.
    pub async fn list_properties(
        &self,
        object_type: ObjectType,
    ) -> Result<Vec<PropertyDefinition>> {
        let call = Call::new(
            "properties.list",
            Method::GET,
            version::properties(object_type.path_name()),
        );
        Ok(self
            .send::<Results<PropertyDefinition>>(call)
            .await?
            .results)
    }

    /// `GET /crm/properties/2026-03/{type}/{name}`; `None` when it does not exist.
    pub async fn get_property(
        &self,
        object_type: ObjectType,
        name: &str,
    ) -> Result<Option<PropertyDefinition>> {
        let call = Call::new(
            "properties.get",
            Method::GET,
            version::property(object_type.path_name(), name),
        );
        match self.send(call).await {
            Ok(p) => Ok(Some(p)),
            Err(HubspotError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates the group unless it exists; returns whether it was created. A 409 from a
    /// concurrent create counts as "already present".
    pub async fn ensure_property_group(
        &self,
        object_type: ObjectType,
        group: &PropertyGroup,
    ) -> Result<bool> {
        let get = Call::new(
            "properties.group_get",
            Method::GET,
            version::property_group(object_type.path_name(), &group.name),
        );
        match self.send::<PropertyGroup>(get).await {
            Ok(_) => return Ok(false),
            Err(HubspotError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let create = Call::new(
            "properties.group_create",
            Method::POST,
            version::property_groups(object_type.path_name()),
        )
        .json(json!(group));
        match self.send::<PropertyGroup>(create).await {
            Ok(_) => Ok(true),
            Err(HubspotError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Creates each property that does not exist yet. An existing property must agree on
    /// `type` and `hasUniqueValue` (which can never change, §4); otherwise this fails with
    /// `InvalidRequest` naming it, rather than syncing against the wrong definition.
    pub async fn ensure_properties(
        &self,
        object_type: ObjectType,
        wanted: &[PropertyDefinition],
    ) -> Result<EnsureReport> {
        let existing = self.list_properties(object_type).await?;
        let mut report = EnsureReport::default();
        let missing: Vec<&PropertyDefinition> = wanted
            .iter()
            .filter(|w| !existing.iter().any(|p| p.name == w.name))
            .collect();
        let created_together = self.create_together(object_type, &missing).await;
        for want in wanted {
            if let Some(have) = existing.iter().find(|p| p.name == want.name) {
                if have.kind != want.kind || have.has_unique_value != want.has_unique_value {
                    return Err(HubspotError::InvalidRequest(format!(
                        "{} property {} exists as type {} unique={} but type {} unique={} is needed",
                        object_type.path_name(),
                        want.name,
                        have.kind,
                        have.has_unique_value,
                        want.kind,
                        want.has_unique_value
                    )));
                }
                report.already_present.push(want.name.clone());
                continue;
            }
            if created_together.contains(&want.name) {
                report.created.push(want.name.clone());
                continue;
            }
            let create = Call::new(
                "properties.create",
                Method::POST,
                version::properties(object_type.path_name()),
            )
            .json(json!(want));
            match self.send::<PropertyDefinition>(create).await {
                Ok(_) => report.created.push(want.name.clone()),
                Err(HubspotError::Conflict { .. }) => {
                    report.already_present.push(want.name.clone())
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Creates several missing properties in one `POST .../batch/create` per 100 ("using the
    /// same rules as when creating an individual property",
    /// https://developers.hubspot.com/docs/api-reference/latest/crm/properties/batch/create-properties),
    /// answering the names created (docs/hubspot.md §4). Fewer than two need no batch; whatever the batch did not
    /// create (a 207's errors, or the call failing) is created one by one after it, where a
    /// conflict means another writer created it first.
    async fn create_together(
        &self,
        object_type: ObjectType,
        missing: &[&PropertyDefinition],
    ) -> Vec<String> {
        #[derive(Deserialize)]
        struct Created {
            #[serde(default)]
            results: Vec<PropertyDefinition>,
        }
        if missing.len() < 2 {
            return Vec::new();
        }
        let mut names = Vec::new();
        for chunk in missing.chunks(100) {
            let create = Call::new(
                "properties.batch_create",
                Method::POST,
                format!(
                    "{}/batch/create",
                    version::properties(object_type.path_name())
                ),
            )
            .json(json!({ "inputs": chunk }));
            match self.send::<Created>(create).await {
                Ok(created) => names.extend(created.results.into_iter().map(|p| p.name)),
                Err(error) => {
                    tracing::info!(%error, "properties batch create failed; creating one by one")
                }
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unique_text_property_serialises_like_the_docs_example() {
        let p = PropertyDefinition {
            description: Some("Id of the linked QBO Customer".into()),
            ..PropertyDefinition::text(
                "qbo_customer_id",
                "QuickBooks customer ID",
                "contactinformation",
            )
            .unique()
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"name":"qbo_customer_id","label":"QuickBooks customer ID","type":"string","fieldType":"text",
                   "groupName":"contactinformation","hasUniqueValue":true,"description":"Id of the linked QBO Customer"})
        );
    }

    #[test]
    fn read_properties_tolerate_extra_fields() {
        let p: PropertyDefinition = serde_json::from_str(
            r#"{"name":"email","label":"Email","type":"string","fieldType":"text","groupName":"contactinformation",
                "hasUniqueValue":false,"calculated":false,"modificationMetadata":{"archivable":false}}"#,
        )
        .unwrap();
        assert_eq!(p.kind, "string");
        assert!(!p.has_unique_value);
    }
}

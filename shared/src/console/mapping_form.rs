//! The mapping editor's add-row form: both sides' live fields with their types, the transform
//! and direction, and the verdict a checked pair gets (docs/console.md §5).

use std::collections::BTreeMap;

use maud::{Markup, html};
use serde::Deserialize;

use super::mapping_rows::wire_name;
use crate::admin::operations::fields::FieldsAnswer;
use crate::model::{Compatibility, Direction, TransformKind};
use crate::ports::LiveField;

/// The add-row form (`name`s of its fields).
#[derive(Debug, Clone, Deserialize)]
pub struct MappingForm {
    #[serde(default)]
    pub(super) hubspot_property: String,
    #[serde(default)]
    pub(super) qbo_field: String,
    pub(super) transform: TransformKind,
    #[serde(default)]
    pub(super) direction: Direction,
    /// An enumeration's table as `hubspot_value=qbo_value` entries separated by commas.
    #[serde(default)]
    pub(super) values: String,
}

/// `a=1, b=2` as an enumeration table.
pub(super) fn parse_values(text: &str) -> Result<BTreeMap<String, String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once('=') {
            Some((hubspot, qbo)) => Ok((hubspot.trim().to_owned(), qbo.trim().to_owned())),
            None => Err(format!(
                "the enumeration value {entry:?} is not hubspot_value=qbo_value"
            )),
        })
        .collect()
}

fn field_option(field: &LiveField, selected: bool) -> Markup {
    let mut words = format!("{} — {}", field.name, wire_name(&field.field_type));
    if field.label != field.name {
        words = format!("{} ({words})", field.label);
    }
    if field.custom {
        words.push_str(", custom");
    }
    if field.read_only {
        words.push_str(", read-only: to QuickBooks only");
    }
    html! { option value=(field.name) selected[selected] { (words) } }
}

/// `p#mapping-verdict`: what the checked pair would get (`data-verdict`), nothing saved.
fn verdict_line(form: &MappingForm, compatibility: &Compatibility) -> Markup {
    let (verdict, words) = match compatibility {
        Compatibility::Compatible => (
            "compatible",
            "compatible: every value converts both ways".to_owned(),
        ),
        Compatibility::Lossy { note } => ("lossy", format!("lossy: {note}")),
        Compatibility::Incompatible { reason } => ("incompatible", format!("refused: {reason}")),
    };
    html! {
        p id="mapping-verdict" data-verdict=(verdict) role="status" {
            code { (form.hubspot_property) } " ⇄ " code { (form.qbo_field) } " with " (wire_name(&form.transform)) ": " (words) ". Nothing was saved."
        }
    }
}

/// `form#mapping-add-form` posting to `path` (and "Check pair" to `{path}/check`), keeping
/// `draft`'s choices, with a refusal's `reason` or a checked pair's verdict.
pub fn add_form(
    path: &str,
    csrf: &str,
    answer: &FieldsAnswer,
    draft: Option<&MappingForm>,
    refusal: Option<&str>,
    checked: Option<&Compatibility>,
) -> Markup {
    html! {
    h3 { "Add a row" }
    form id="mapping-add-form" method="post" action=(path) {
        input type="hidden" name="csrf_token" value=(csrf);
        label for="mapping-hubspot-field" { "HubSpot property (live list, with its type)" }
        select id="mapping-hubspot-field" name="hubspot_property" {
            @for field in &answer.hubspot {
                (field_option(field, draft.is_some_and(|d| d.hubspot_property == field.name)))
            }
        }
        label for="mapping-qbo-field" { "QuickBooks field (live list, with its type)" }
        select id="mapping-qbo-field" name="qbo_field" {
            @for field in &answer.quickbooks {
                @if field.mappable {
                    (field_option(field, draft.is_some_and(|d| d.qbo_field == field.name)))
                } @else {
                    option value=(field.name) disabled { (field.label) " (" (field.name) ") — not mappable yet" }
                }
            }
        }
        label for="mapping-transform" { "Transform" }
        select id="mapping-transform" name="transform" {
            @for transform in [TransformKind::Text, TransformKind::Email, TransformKind::Phone, TransformKind::Number, TransformKind::Decimal, TransformKind::Date, TransformKind::Boolean, TransformKind::Enumeration] {
                option value=(wire_name(&transform)) selected[draft.is_some_and(|d| d.transform == transform)] { (wire_name(&transform)) }
            }
        }
        label for="mapping-direction" { "Direction" }
        select id="mapping-direction" name="direction" {
            @for (direction, words) in [(Direction::TwoWay, "Both ways"), (Direction::ToQuickbooks, "HubSpot to QuickBooks only"), (Direction::ToHubspot, "QuickBooks to HubSpot only")] {
                option value=(wire_name(&direction)) selected[draft.is_some_and(|d| d.direction == direction)] { (words) }
            }
        }
        label for="mapping-values" { "Enumeration values (only for the enumeration transform: hubspot_value=qbo_value, comma separated)" }
        input id="mapping-values" name="values" type="text" value=(draft.map(|d| d.values.as_str()).unwrap_or_default());
        @if let Some(reason) = refusal {
            p.problem id="mapping-error" role="alert" { "Not added, nothing was saved: " (reason) }
        }
        @if let (Some(compatibility), Some(form)) = (checked, draft) {
            (verdict_line(form, compatibility))
        }
        p {
            button id="mapping-add" type="submit" { "Add row" }
            " "
            button id="mapping-check" type="submit" formaction={ (path) "/check" } { "Check pair" }
        }
    }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_values_read_as_pairs_and_a_bare_entry_is_refused() {
        let values = parse_values(" gold = 1, silver=2 ,").unwrap();
        assert_eq!(values["gold"], "1");
        assert_eq!(values["silver"], "2");
        assert!(parse_values("").unwrap().is_empty());
        let error = parse_values("gold").unwrap_err();
        assert!(error.contains("hubspot_value=qbo_value"), "{error}");
    }
}

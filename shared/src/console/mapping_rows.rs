//! The mapping editor's tables: a kind's rows (default ones marked, custom ones removable) with
//! the live types and verdicts when the field lists could be read, and the type matrix.

use maud::{Markup, html};
use serde::Serialize;

use crate::admin::operations::fields::{FieldsAnswer, TypePair};
use crate::engine::field_check::PairVerdict;
use crate::mapping::MappingSet;
use crate::mapping::default_rows::default_rows;
use crate::model::{
    Compatibility, Direction, FieldType, ObjectKind, ObjectSettings, TransformKind,
};

/// A serde enum's wire name (`two_way`, `to_quickbooks`, `text`, `compatible`, ...).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Where a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A default row of the kind, as shipped.
    Default,
    /// A default pair whose transform or direction a custom row overrides.
    Override,
    /// A row only the settings add.
    Custom,
}

impl Origin {
    fn name(self) -> &'static str {
        match self {
            Origin::Default => "default",
            Origin::Override => "override",
            Origin::Custom => "custom",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Origin::Default => "default",
            Origin::Override => "default, overridden",
            Origin::Custom => "custom",
        }
    }
}

/// One row of the mapping table.
#[derive(Debug, Clone)]
pub struct RowView {
    pub hubspot_property: String,
    pub qbo_field: String,
    transform: TransformKind,
    direction: Direction,
    origin: Origin,
    /// The live types and verdict, when both field lists were read.
    live: Option<(Option<FieldType>, Option<FieldType>, Compatibility)>,
}

impl RowView {
    /// Whether a custom row of the settings stands behind it (so it can be removed).
    pub fn removable(&self) -> bool {
        self.origin != Origin::Default
    }
}

fn origin_of(kind: ObjectKind, custom: bool, hubspot: &str, qbo: &str) -> Origin {
    let default_pair = default_rows(kind)
        .iter()
        .any(|r| r.hubspot_property == hubspot && r.qbo_field == qbo);
    match (custom, default_pair) {
        (false, _) => Origin::Default,
        (true, true) => Origin::Override,
        (true, false) => Origin::Custom,
    }
}

/// The rows as the fields route judged them against the live lists.
pub fn live_rows(kind: ObjectKind, verdicts: &[PairVerdict]) -> Vec<RowView> {
    verdicts
        .iter()
        .map(|v| RowView {
            origin: origin_of(kind, v.custom, &v.hubspot_property, &v.qbo_field),
            hubspot_property: v.hubspot_property.clone(),
            qbo_field: v.qbo_field.clone(),
            transform: v.transform,
            direction: v.direction,
            live: Some((v.hubspot_type, v.qbo_type, v.compatibility.clone())),
        })
        .collect()
}

/// The saved rows without the live lists (a vendor is unreachable): no types, no verdicts.
/// `Err` with validate's reason when the stored settings no longer build.
pub fn saved_rows(kind: ObjectKind, settings: &ObjectSettings) -> Result<Vec<RowView>, String> {
    let set = MappingSet::build(kind, settings).map_err(|e| e.to_string())?;
    Ok(set
        .mapped_rows()
        .map(|row| RowView {
            origin: origin_of(kind, row.custom, &row.hubspot_property, row.qbo_field.path),
            hubspot_property: row.hubspot_property.clone(),
            qbo_field: row.qbo_field.path.to_owned(),
            transform: row.transform.kind(),
            direction: row.direction,
            live: None,
        })
        .collect())
}

fn verdict_cell(compatibility: &Compatibility) -> Markup {
    let verdict = match compatibility {
        Compatibility::Compatible => "compatible",
        Compatibility::Lossy { .. } => "lossy",
        Compatibility::Incompatible { .. } => "incompatible",
    };
    html! {
        td data-verdict=(verdict) {
            (verdict)
            @match compatibility {
                Compatibility::Lossy { note } => { ": " (note) }
                Compatibility::Incompatible { reason } => { ": " (reason) }
                Compatibility::Compatible => {}
            }
        }
    }
}

fn type_words(field_type: Option<FieldType>) -> String {
    field_type.map_or_else(|| "missing".to_owned(), |t| wire_name(&t))
}

/// `table#mappings`: one `tr#mapping-row-{n}` per row; `remove(n, row)` renders a custom row's
/// remove form.
pub fn table(rows: &[RowView], remove: impl Fn(usize, &RowView) -> Markup) -> Markup {
    html! {
        div.table-scroll role="region" aria-label="Field mappings" tabindex="0" {
            table id="mappings" {
                thead { tr { th { "HubSpot property" } th { "QuickBooks field" } th { "Direction" } th { "Transform" } th { "Types" } th { "Verdict" } th { "Row" } } }
                tbody {
                    @for (n, row) in rows.iter().enumerate() {
                        tr id={ "mapping-row-" (n) } data-origin=(row.origin.name()) {
                            td { code { (row.hubspot_property) } }
                            td { code { (row.qbo_field) } }
                            td { (wire_name(&row.direction)) }
                            td { (wire_name(&row.transform)) }
                            @match &row.live {
                                Some((hubspot, qbo, compatibility)) => {
                                    td { (type_words(*hubspot)) " ⇄ " (type_words(*qbo)) }
                                    (verdict_cell(compatibility))
                                }
                                None => { td { "-" } td data-verdict="unknown" { "not checked: the live field lists are unavailable" } }
                            }
                            td {
                                span.origin { (row.origin.words()) }
                                @if row.removable() { " " (remove(n, row)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `table#type-compatibility`: every HubSpot type present (rows) against every QBO type
/// present (columns), as the fields route computed it.
pub fn type_matrix(answer: &FieldsAnswer) -> Markup {
    let mut hubspot: Vec<FieldType> = answer
        .type_compatibility
        .iter()
        .map(|p| p.hubspot_type)
        .collect();
    hubspot.dedup();
    let mut qbo: Vec<FieldType> = answer
        .type_compatibility
        .iter()
        .map(|p| p.qbo_type)
        .collect();
    qbo.sort();
    qbo.dedup();
    let cell = |h: FieldType, q: FieldType| -> Option<&TypePair> {
        answer
            .type_compatibility
            .iter()
            .find(|p| p.hubspot_type == h && p.qbo_type == q)
    };
    html! {
        div.table-scroll role="region" aria-label="Type compatibility" tabindex="0" {
            table id="type-compatibility" {
                thead { tr { th { "HubSpot type \\ QuickBooks type" } @for q in &qbo { th { (wire_name(q)) } } } }
                tbody {
                    @for h in &hubspot {
                        tr data-hubspot-type=(wire_name(h)) {
                            th { (wire_name(h)) }
                            @for q in &qbo {
                                @match cell(*h, *q) {
                                    Some(pair) => { (verdict_cell(&pair.compatibility)) }
                                    None => { td { "-" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CustomMapping;

    #[test]
    fn default_rows_are_marked_and_only_custom_or_overriding_rows_are_removable() {
        let mut settings = ObjectSettings::default();
        settings.custom_mappings.push(CustomMapping {
            hubspot_property: "jobtitle".into(),
            qbo_field: "Notes".into(),
            transform: TransformKind::Text,
            direction: Direction::ToQuickbooks,
            values: Default::default(),
        });
        let rows = saved_rows(ObjectKind::Contact, &settings).unwrap();
        let email = rows.iter().find(|r| r.hubspot_property == "email").unwrap();
        assert_eq!(email.origin, Origin::Default);
        assert!(!email.removable());
        let custom = rows
            .iter()
            .find(|r| r.hubspot_property == "jobtitle")
            .unwrap();
        assert_eq!(custom.origin, Origin::Custom);
        assert!(custom.removable());
        let html = table(
            &rows,
            |n, _| html! { button id={ "mapping-remove-" (n) } {} },
        )
        .into_string();
        assert!(html.contains("data-origin=\"default\""), "{html}");
        assert_eq!(html.matches("id=\"mapping-remove-").count(), 1, "{html}");
        assert!(html.contains("not checked"), "{html}");
    }
}

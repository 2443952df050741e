//! The mapping page's filters: a kind's entry filters (conditions a record must meet before it
//! first syncs) listed, added and removed, validated by `ConnectionSettings::validate`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::form::signed_form;
use super::mapping_editor::{Submitted, render, save, two_way};
use super::mapping_rows::wire_name;
use crate::admin::AdminContext;
use crate::admin::operations::fields::FieldsAnswer;
use crate::model::{FilterOp, ObjectSettings, PropertyCondition, Side};

/// The add-condition form.
#[derive(Debug, Clone, Deserialize)]
pub struct FilterForm {
    side: Side,
    #[serde(default)]
    property: String,
    op: FilterOp,
    /// `equals` / `not_equals`: the value; `in` / `not_in`: values separated by commas.
    #[serde(default)]
    value: String,
}

impl FilterForm {
    /// The condition the form describes; the validator judges it (a missing value, or a value
    /// given to `is_set`, is refused there with its reason).
    fn condition(&self) -> PropertyCondition {
        let value = self.value.trim();
        let (value, values) = match self.op {
            FilterOp::Equals | FilterOp::NotEquals => {
                ((!value.is_empty()).then(|| value.to_owned()), Vec::new())
            }
            FilterOp::In | FilterOp::NotIn => (
                None,
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            FilterOp::IsSet | FilterOp::IsNotSet => {
                ((!value.is_empty()).then(|| value.to_owned()), Vec::new())
            }
        };
        PropertyCondition {
            property: self.property.trim().to_owned(),
            op: self.op,
            value,
            values,
        }
    }
}

/// A condition's remove form.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    side: Side,
    index: usize,
}

const OPS: [(FilterOp, &str); 6] = [
    (FilterOp::Equals, "equals"),
    (FilterOp::NotEquals, "does not equal"),
    (FilterOp::In, "is one of"),
    (FilterOp::NotIn, "is none of"),
    (FilterOp::IsSet, "is set"),
    (FilterOp::IsNotSet, "is not set"),
];

fn op_words(op: FilterOp) -> &'static str {
    OPS.iter()
        .find(|(o, _)| *o == op)
        .map_or("", |(_, words)| words)
}

fn side_words(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "HubSpot",
        Side::Quickbooks => "QuickBooks",
    }
}

/// The filters section of the page at `path`.
pub fn section(
    path: &str,
    csrf: &str,
    settings: &ObjectSettings,
    live: Option<&FieldsAnswer>,
    refusal: Option<(String, FilterForm)>,
) -> Markup {
    let filters = &settings.entry_filters;
    let empty = Side::BOTH.iter().all(|s| filters.for_side(*s).is_empty());
    let draft = refusal.as_ref().map(|(_, form)| form);
    html! {
        h2 { "Filters" }
        p { "A record enters the sync only when it meets every condition of its side (compared as trimmed text, ignoring case); a record already linked keeps syncing." }
        @if empty {
            p id="no-filters" { "No filters: every record syncs." }
        } @else {
            div.table-scroll role="region" aria-label="Entry filters" tabindex="0" {
                table id="filters" {
                    thead { tr { th { "Side" } th { "Property" } th { "Condition" } th { "" } } }
                    tbody {
                        @for side in Side::BOTH {
                            @for (n, condition) in filters.for_side(side).iter().enumerate() {
                                tr id={ "filter-" (side) "-" (n) } data-op=(wire_name(&condition.op)) {
                                    td { (side_words(side)) }
                                    td { code { (condition.property) } }
                                    td {
                                        (op_words(condition.op))
                                        @if let Some(value) = &condition.value { " " q { (value) } }
                                        @if !condition.values.is_empty() { " " (condition.values.join(", ")) }
                                    }
                                    td {
                                        form.inline method="post" action={ (path) "/filters/remove" } {
                                            input type="hidden" name="csrf_token" value=(csrf);
                                            input type="hidden" name="side" value=(side);
                                            input type="hidden" name="index" value=(n);
                                            button.danger id={ "filter-remove-" (side) "-" (n) } type="submit" { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { "Add a condition" }
        form id="filter-add-form" method="post" action={ (path) "/filters" } {
            input type="hidden" name="csrf_token" value=(csrf);
            label for="filter-side" { "Side" }
            select id="filter-side" name="side" {
                @for side in Side::BOTH {
                    option value=(side) selected[draft.is_some_and(|d| d.side == side)] { (side_words(side)) }
                }
            }
            label for="filter-property" { "Property (HubSpot property or QuickBooks field path)" }
            input id="filter-property" name="property" type="text" list="filter-property-names" value=(draft.map(|d| d.property.as_str()).unwrap_or_default());
            @if let Some(answer) = live {
                datalist id="filter-property-names" {
                    @for field in answer.hubspot.iter().chain(&answer.quickbooks) {
                        option value=(field.name) {}
                    }
                }
            }
            label for="filter-op" { "Condition" }
            select id="filter-op" name="op" {
                @for (op, words) in OPS {
                    option value=(wire_name(&op)) selected[draft.is_some_and(|d| d.op == op)] { (words) }
                }
            }
            label for="filter-value" { "Value (for \"is one of\": values separated by commas)" }
            input id="filter-value" name="value" type="text" value=(draft.map(|d| d.value.as_str()).unwrap_or_default());
            @if let Some((reason, _)) = &refusal {
                p.problem id="filter-error" role="alert" { "Not saved, nothing was changed: " (reason) }
            }
            p { button id="filter-add" type="submit" { "Add condition" } }
        }
    }
}

/// `POST /connections/{id}/objects/{kind}/mappings/filters`: adds a condition; refused with
/// validate's reason (400, nothing saved).
pub async fn add(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (signed, form) = match signed_form::<FilterForm>(&ctx, &headers, &body) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let (record, kind) = match two_way(&ctx, &signed, &id, &kind).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let mut settings = record.connection.settings.clone();
    let Some(object) = settings.object_mut(kind) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let condition = form.condition();
    match form.side {
        Side::Hubspot => object.entry_filters.hubspot.push(condition),
        Side::Quickbooks => object.entry_filters.quickbooks.push(condition),
    }
    if let Err(error) = settings.validate() {
        let refusal = Submitted::Filter {
            status: StatusCode::BAD_REQUEST,
            reason: error.to_string(),
            form,
        };
        return render(&ctx, &signed, &record, kind, None, Some(refusal)).await;
    }
    save(
        ctx,
        &signed,
        record,
        kind,
        settings,
        "filter-added",
        |status, reason| Submitted::Filter {
            status,
            reason,
            form,
        },
    )
    .await
}

/// `POST /connections/{id}/objects/{kind}/mappings/filters/remove`: removes condition `index`
/// of `side`.
pub async fn remove(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (signed, form) = match signed_form::<RemoveForm>(&ctx, &headers, &body) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let (record, kind) = match two_way(&ctx, &signed, &id, &kind).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let mut settings = record.connection.settings.clone();
    let Some(object) = settings.object_mut(kind) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let list = match form.side {
        Side::Hubspot => &mut object.entry_filters.hubspot,
        Side::Quickbooks => &mut object.entry_filters.quickbooks,
    };
    let draft = FilterForm {
        side: form.side,
        property: String::new(),
        op: FilterOp::Equals,
        value: String::new(),
    };
    if form.index >= list.len() {
        let refusal = Submitted::Filter {
            status: StatusCode::NOT_FOUND,
            reason: format!(
                "there is no {} condition {} (it may have been removed already)",
                side_words(form.side),
                form.index + 1
            ),
            form: draft,
        };
        return render(&ctx, &signed, &record, kind, None, Some(refusal)).await;
    }
    list.remove(form.index);
    save(
        ctx,
        &signed,
        record,
        kind,
        settings,
        "filter-removed",
        |status, reason| Submitted::Filter {
            status,
            reason,
            form: draft,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(op: FilterOp, value: &str) -> FilterForm {
        FilterForm {
            side: Side::Hubspot,
            property: " lifecyclestage ".into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn the_form_becomes_the_condition_the_validator_judges() {
        let equals = form(FilterOp::Equals, " customer ").condition();
        assert_eq!(equals.property, "lifecyclestage");
        assert_eq!(equals.value.as_deref(), Some("customer"));
        let among = form(FilterOp::In, "lead, customer,").condition();
        assert_eq!(among.values, ["lead", "customer"]);
        assert_eq!(among.value, None);
        assert_eq!(form(FilterOp::Equals, " ").condition().value, None);
        assert_eq!(form(FilterOp::IsSet, "").condition().value, None);
        assert_eq!(
            form(FilterOp::IsSet, "x").condition().value.as_deref(),
            Some("x"),
            "kept, so the validator says is_set takes no value"
        );
    }
}

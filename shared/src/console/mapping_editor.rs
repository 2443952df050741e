//! `/connections/{id}/objects/{kind}/mappings`: a two-way kind's mapping editor (rows, an
//! add-row form over both sides' live field lists, remove) and its filters (docs/console.md §5).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::filters::{self, FilterForm};
use super::form::{Signed, signed, signed_form};
use super::layout::{document, respond};
use super::mapping_form::{self, MappingForm, parse_values};
use super::mapping_rows::{self, RowView};
use super::objects::{connection_nav, load, put_settings};
use super::sign_in::see_other;
use crate::admin::AdminContext;
use crate::admin::operations::fields::{FieldsAnswer, fields};
use crate::engine::field_check::check_mappings;
use crate::model::{
    Compatibility, ConnectionSettings, CustomMapping, Direction, ObjectKind, TransformKind,
};
use crate::ports::ConnectionRecord;

/// The page's path for a connection and kind.
pub fn page_path(id: &str, kind: ObjectKind) -> String {
    format!("/connections/{id}/objects/{kind}/mappings")
}

/// What a submitted form re-renders the page with: a refusal's status and reason next to the
/// form that was refused, or a checked pair's verdict, and what was submitted (so the selects
/// keep it).
pub enum Submitted {
    Mapping {
        status: StatusCode,
        reason: String,
        form: MappingForm,
    },
    Filter {
        status: StatusCode,
        reason: String,
        form: FilterForm,
    },
    /// "Check pair": the verdict the pair would get, nothing saved.
    Checked {
        form: MappingForm,
        compatibility: Compatibility,
    },
}

impl Submitted {
    fn status(&self) -> StatusCode {
        match self {
            Submitted::Mapping { status, .. } | Submitted::Filter { status, .. } => *status,
            Submitted::Checked { .. } => StatusCode::OK,
        }
    }
}

/// A row's remove form: the pair it names.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    hubspot_property: String,
    qbo_field: String,
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "mapping-added" => Some("Mapping row added."),
        "mapping-removed" => Some("Mapping row removed."),
        "filter-added" => Some("Filter condition added."),
        "filter-removed" => Some("Filter condition removed."),
        _ => None,
    }
}

/// The connection and a two-way kind, or the page saying why not.
pub(super) async fn two_way(
    ctx: &AdminContext,
    signed: &Signed,
    id: &str,
    kind: &str,
) -> Result<(ConnectionRecord, ObjectKind), Response> {
    let (record, kind) = load(ctx, signed, id, kind).await?;
    if !kind.is_two_way() {
        return Err(super::layout::problem_page(
            StatusCode::NOT_FOUND,
            "No mappings",
            &format!(
                "{kind}s are mirrored from QuickBooks with fixed properties: they have no mappings or filters."
            ),
            Some(&connection_nav(signed, record.id().as_str())),
        ));
    }
    Ok((record, kind))
}

/// Both sides' live fields through `GET /api/connections/{id}/fields/{kind}`'s handler, or why
/// they cannot be read.
async fn live_fields(
    ctx: &AdminContext,
    id: &str,
    kind: ObjectKind,
) -> Result<FieldsAnswer, String> {
    fields(State(ctx.clone()), Path((id.to_owned(), kind.to_string())))
        .await
        .map(|Json(answer)| answer)
        .map_err(|e| e.to_string())
}

/// `GET /connections/{id}/objects/{kind}/mappings`.
pub async fn show(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let signed = match signed(&ctx, &headers) {
        Ok(signed) => signed,
        Err(refused) => return refused.into_response(),
    };
    let (record, kind) = match two_way(&ctx, &signed, &id, &kind).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    render(
        &ctx,
        &signed,
        &record,
        kind,
        notice_text(query.notice.as_deref()),
        None,
    )
    .await
}

/// The page, with `refusal` (if any) next to its form; the status is the refusal's, else 200.
pub async fn render(
    ctx: &AdminContext,
    signed: &Signed,
    record: &ConnectionRecord,
    kind: ObjectKind,
    notice: Option<&str>,
    refusal: Option<Submitted>,
) -> Response {
    let id = record.id().to_string();
    let settings = record.connection.settings.object(kind);
    let live = live_fields(ctx, &id, kind).await;
    let rows: Result<Vec<RowView>, String> = match &live {
        Ok(answer) => Ok(mapping_rows::live_rows(kind, &answer.mappings)),
        Err(_) => mapping_rows::saved_rows(kind, settings),
    };
    let path = page_path(&id, kind);
    let status = refusal.as_ref().map_or(StatusCode::OK, Submitted::status);
    let (mut mapping_refusal, mut filter_refusal, mut checked) = (None, None, None);
    match refusal {
        Some(Submitted::Mapping { reason, form, .. }) => mapping_refusal = Some((reason, form)),
        Some(Submitted::Filter { reason, form, .. }) => filter_refusal = Some((reason, form)),
        Some(Submitted::Checked {
            form,
            compatibility,
        }) => checked = Some((compatibility, form)),
        None => {}
    }
    let draft = mapping_refusal
        .as_ref()
        .map(|(_, form)| form)
        .or(checked.as_ref().map(|(_, form)| form));
    let csrf = &signed.csrf_token;
    let remove = |_: usize, row: &RowView| {
        html! {
            form.inline method="post" action={ (path) "/remove" } {
                input type="hidden" name="csrf_token" value=(csrf);
                input type="hidden" name="hubspot_property" value=(row.hubspot_property);
                input type="hidden" name="qbo_field" value=(row.qbo_field);
                button.danger id={ "mapping-remove-" (row.hubspot_property) } type="submit" { "Remove" }
            }
        }
    };
    let hubspot_entity = kind.vendor_name(crate::model::Side::Hubspot);
    let qbo_entity = kind.vendor_name(crate::model::Side::Quickbooks);
    let body = html! {
        p { a id="back-to-object" href={ "/connections/" (id) "/objects/" (kind) } { "Back to " (kind) " settings" } }
        h2 { "Field mappings" }
        p { "Each row keeps a HubSpot " (hubspot_entity) " property and a QuickBooks " (qbo_entity) " field the same. Rows marked default come with HQSync; a custom row with a default row's pair overrides its transform or direction." }
        @if let Err(reason) = &live {
            p.problem id="fields-unavailable" role="alert" { "The live field lists are unavailable, so the rows below are the saved ones, unchecked, and no row can be added now: " (reason) }
        }
        @match &rows {
            Ok(rows) => { (mapping_rows::table(rows, remove)) }
            Err(reason) => { p.problem id="mappings-invalid" { "The saved mappings do not validate: " (reason) } }
        }
        @if let Ok(answer) = &live {
            (mapping_form::add_form(&path, csrf, answer, draft, mapping_refusal.as_ref().map(|(reason, _)| reason.as_str()), checked.as_ref().map(|(c, _)| c)))
            h3 { "Which types can be paired" }
            (mapping_rows::type_matrix(answer))
        }
        @if live.is_err() {
            @if let Some((reason, _)) = &mapping_refusal {
                p.problem id="mapping-error" role="alert" { "Not changed, nothing was saved: " (reason) }
            }
        }
        (filters::section(&path, csrf, settings, live.as_ref().ok(), filter_refusal))
    };
    let title = format!("{id}: {kind} mappings and filters");
    respond(
        status,
        document(&title, Some(&connection_nav(signed, &id)), notice, body),
    )
}

/// The stored settings with the form's row added and the live verdict on the row, or why the
/// row is refused: `ConnectionSettings::validate`, then the fields route's verdict on the live
/// lists (incompatible: refused; lists unavailable: 503, the pair cannot be checked).
async fn judge(
    ctx: &AdminContext,
    record: &ConnectionRecord,
    kind: ObjectKind,
    form: &MappingForm,
) -> Result<(ConnectionSettings, Compatibility), (StatusCode, String)> {
    let refused = |reason: String| (StatusCode::BAD_REQUEST, reason);
    let values = parse_values(&form.values).map_err(refused)?;
    let row = CustomMapping {
        hubspot_property: form.hubspot_property.trim().to_owned(),
        qbo_field: form.qbo_field.trim().to_owned(),
        transform: form.transform,
        direction: form.direction,
        values,
    };
    let mut settings = record.connection.settings.clone();
    if let Some(object) = settings.object_mut(kind) {
        object.custom_mappings.push(row.clone());
    }
    settings.validate().map_err(|e| refused(e.to_string()))?;
    let answer = live_fields(ctx, record.id().as_str(), kind)
        .await
        .map_err(|reason| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the live field lists are unavailable, so the pair cannot be checked: {reason}"
                ),
            )
        })?;
    let verdicts = check_mappings(
        kind,
        settings.object(kind),
        &answer.hubspot,
        &answer.quickbooks,
    )
    .map_err(|e| refused(e.to_string()))?;
    let verdict = verdicts
        .into_iter()
        .find(|v| v.hubspot_property == row.hubspot_property && v.qbo_field == row.qbo_field)
        .map(|v| v.compatibility)
        .ok_or_else(|| refused("the row is not among the kind's mappings".to_owned()))?;
    match verdict {
        Compatibility::Incompatible { reason } => Err(refused(reason)),
        usable => Ok((settings, usable)),
    }
}

/// `POST /connections/{id}/objects/{kind}/mappings`: adds a custom row when [`judge`] accepts
/// it (303 with `?notice=mapping-added`); else the page again with the status and the reason
/// next to the form, nothing saved.
pub async fn add(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (signed, form) = match signed_form::<MappingForm>(&ctx, &headers, &body) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let (record, kind) = match two_way(&ctx, &signed, &id, &kind).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let refuse = |status: StatusCode, reason: String, form: MappingForm| Submitted::Mapping {
        status,
        reason,
        form,
    };
    match judge(&ctx, &record, kind, &form).await {
        Ok((settings, _)) => {
            save(
                ctx,
                &signed,
                record,
                kind,
                settings,
                "mapping-added",
                |status, reason| refuse(status, reason, form),
            )
            .await
        }
        Err((status, reason)) => {
            let refusal = refuse(status, reason, form);
            render(&ctx, &signed, &record, kind, None, Some(refusal)).await
        }
    }
}

/// `POST /connections/{id}/objects/{kind}/mappings/check` ("Check pair" in the add form): the
/// page again with the verdict [`judge`] gives the pair in `p#mapping-verdict`; nothing saved.
pub async fn check(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (signed, form) = match signed_form::<MappingForm>(&ctx, &headers, &body) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let (record, kind) = match two_way(&ctx, &signed, &id, &kind).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let submitted = match judge(&ctx, &record, kind, &form).await {
        Ok((_, compatibility)) => Submitted::Checked {
            form,
            compatibility,
        },
        Err((StatusCode::BAD_REQUEST, reason)) => Submitted::Checked {
            form,
            compatibility: Compatibility::Incompatible { reason },
        },
        Err((status, reason)) => Submitted::Mapping {
            status,
            reason,
            form,
        },
    };
    render(&ctx, &signed, &record, kind, None, Some(submitted)).await
}

/// `POST /connections/{id}/objects/{kind}/mappings/remove`: removes the custom row of a pair
/// (an overriding row: the default row is back).
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
    let draft = MappingForm {
        hubspot_property: form.hubspot_property.clone(),
        qbo_field: form.qbo_field.clone(),
        transform: TransformKind::Text,
        direction: Direction::TwoWay,
        values: String::new(),
    };
    let mut settings = record.connection.settings.clone();
    let removed = settings.object_mut(kind).is_some_and(|object| {
        let before = object.custom_mappings.len();
        object.custom_mappings.retain(|m| {
            !(m.hubspot_property == form.hubspot_property && m.qbo_field == form.qbo_field)
        });
        object.custom_mappings.len() < before
    });
    if !removed {
        let reason = format!(
            "there is no custom row {} ⇄ {} (it may have been removed already)",
            form.hubspot_property, form.qbo_field
        );
        let refusal = Submitted::Mapping {
            status: StatusCode::NOT_FOUND,
            reason,
            form: draft,
        };
        return render(&ctx, &signed, &record, kind, None, Some(refusal)).await;
    }
    save(
        ctx,
        &signed,
        record,
        kind,
        settings,
        "mapping-removed",
        |status, reason| Submitted::Mapping {
            status,
            reason,
            form: draft,
        },
    )
    .await
}

/// Stores `settings` through the settings handler: 303 to the page with `notice`, or the page
/// again with the handler's refusal.
pub async fn save(
    ctx: AdminContext,
    signed: &Signed,
    record: ConnectionRecord,
    kind: ObjectKind,
    settings: ConnectionSettings,
    notice: &str,
    refusal: impl FnOnce(StatusCode, String) -> Submitted,
) -> Response {
    let id = record.id().to_string();
    let json = serde_json::to_string(&settings).unwrap_or_default();
    match put_settings(ctx.clone(), &id, json).await {
        Ok(()) => see_other(&format!("{}?notice={notice}", page_path(&id, kind)), None),
        Err(error) => {
            let refusal = refusal(error.status(), error.to_string());
            render(&ctx, signed, &record, kind, None, Some(refusal)).await
        }
    }
}

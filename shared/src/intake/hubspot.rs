//! HubSpot deliveries into jobs: v3 signature once (v1/v2 where allowed) over the public URL,
//! event batches routed by `portalId`, our own app's echoes dropped (docs/hubspot.md §5).

use chrono::{DateTime, Utc};

use super::{InboundRequest, IntakeError, IntakeOutcome, check_size};
use crate::hubspot::webhook::{
    EventAction, SignedRequest, WebhookEvent, WebhookVerifier, parse_events,
};
use crate::model::{ObjectKind, Side, kinds::KINDS};
use crate::ports::{Connections, Job, JobReason, dedup_jobs};

/// Verifies, parses and routes one HubSpot webhook delivery. `app_id` is our HubSpot app's
/// id: events whose `changeSource` is `INTEGRATION` with that `sourceId` are our own writes
/// coming back and are dropped (docs/hubspot.md §11 item 4) — the planner would find nothing
/// to do for them anyway, this only saves the reads.
pub async fn hubspot_delivery(
    verifier: &WebhookVerifier,
    app_id: Option<&str>,
    store: &dyn Connections,
    request: &InboundRequest<'_>,
    now: DateTime<Utc>,
) -> Result<IntakeOutcome, IntakeError> {
    check_size(request.body)?;
    let signed = SignedRequest::from_headers(
        request.method,
        request.url,
        request.body,
        request.headers.iter().copied(),
    );
    verifier
        .verify_fresh(&signed, now)
        .await
        .map_err(IntakeError::from_signature)?;
    let events = parse_events(request.body).map_err(|e| IntakeError::Malformed(e.to_string()))?;

    let mut outcome = IntakeOutcome {
        events: events.len(),
        ..IntakeOutcome::default()
    };
    for event in &events {
        let Some(portal) = event.portal_id.as_deref() else {
            outcome
                .ignored
                .push(format!("{}: no portalId", event.subscription_type));
            continue;
        };
        if app_id.is_some_and(|app| event.written_by_app(app)) {
            outcome.ignored.push(format!(
                "{} of {}: our own write",
                event.subscription_type,
                event.object_id.as_deref().unwrap_or("?")
            ));
            continue;
        }
        let targets = match record_targets(event) {
            Ok(targets) => targets,
            Err(reason) => {
                outcome.ignored.push(reason);
                continue;
            }
        };
        let connections = store.connections_for_portal(portal).await?;
        if connections.is_empty() {
            outcome.unknown_tenants.push(format!("portal {portal}"));
            continue;
        }
        for connection in connections {
            for (kind, id) in &targets {
                outcome.jobs.push(Job::new(
                    connection.clone(),
                    *kind,
                    Side::Hubspot,
                    id.clone(),
                    JobReason::Webhook,
                    now,
                ));
            }
        }
    }
    outcome.jobs = dedup_jobs(outcome.jobs);
    outcome.unknown_tenants.dedup();
    Ok(outcome)
}

/// The synced records an event may have changed, or why it is left out.
fn record_targets(event: &WebhookEvent) -> Result<Vec<(ObjectKind, String)>, String> {
    let what = &event.subscription_type;
    let kind = event
        .object_type_id
        .as_deref()
        .and_then(kind_of)
        .ok_or_else(|| format!("{what}: object type not synced"))?;
    let mut ids: Vec<String> = match &event.action {
        // A merge may change the primary and removes the merged ones: re-read them all, so
        // the worker re-points links (docs/architecture.md §4).
        EventAction::Merge {
            primary_object_id,
            merged_object_ids,
            new_object_id,
        } => primary_object_id
            .iter()
            .chain(merged_object_ids)
            .chain(new_object_id)
            .chain(event.object_id.iter())
            .cloned()
            .collect(),
        EventAction::AssociationChange { .. } => {
            return Err(format!(
                "{what}: associations of {} are not synced",
                kind.as_str()
            ));
        }
        EventAction::Other => return Err(format!("{what}: event type not handled")),
        EventAction::Creation
        | EventAction::Deletion
        | EventAction::Restore
        | EventAction::PrivacyDeletion
        | EventAction::PropertyChange { .. } => event.object_id.iter().cloned().collect(),
    };
    if ids.is_empty() {
        return Err(format!("{what}: no objectId"));
    }
    ids.sort();
    ids.dedup();
    Ok(ids.into_iter().map(|id| (kind, id)).collect())
}

/// The synced kind a HubSpot object type holds, derived from the gateway's one mapping.
/// The two-way kind whose HubSpot object the event is about (webhooks name objects by their
/// type id; legacy `contact.*` subscription types are read as that id too).
fn kind_of(object_type_id: &str) -> Option<ObjectKind> {
    KINDS
        .iter()
        .find(|d| d.is_two_way() && d.hubspot.object_type_id == object_type_id)
        .map(|d| d.kind)
}

//! QuickBooks deliveries into jobs: `intuit-signature` over the raw body, CloudEvents or legacy
//! payloads, changes routed by realm id (docs/quickbooks.md §11).

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::{InboundRequest, IntakeError, IntakeOutcome, check_size};
use crate::model::{ObjectKind, Side, kinds::KINDS};
use crate::ports::{Connections, Job, JobReason, dedup_jobs};
use crate::quickbooks::webhook::events::{EntityChange, check_content_type, parse_delivery};
use crate::quickbooks::webhook::signature::{SIGNATURE_HEADER, verify_signature};

/// Verifies, parses and routes one QBO webhook delivery. Deliveries may hold events of several
/// companies (§11.4); each change becomes a job per connection of its realm.
pub async fn quickbooks_delivery(
    verifier_token: &SecretString,
    store: &dyn Connections,
    request: &InboundRequest<'_>,
    now: DateTime<Utc>,
) -> Result<IntakeOutcome, IntakeError> {
    check_size(request.body)?;
    verify_signature(
        verifier_token,
        request.body,
        request.header(SIGNATURE_HEADER),
    )
    .map_err(|e| IntakeError::Unauthorized(e.to_string()))?;
    check_content_type(request.header("content-type"))
        .map_err(|e| IntakeError::Malformed(e.to_string()))?;
    let delivery =
        parse_delivery(request.body).map_err(|e| IntakeError::Malformed(e.to_string()))?;

    let mut outcome = IntakeOutcome::default();
    for skipped in &delivery.skipped {
        outcome
            .ignored
            .push(format!("event #{}: {}", skipped.index, skipped.reason));
    }
    for change in &delivery.changes {
        let Some(kind) = kind_of(&change.entity) else {
            outcome.ignored.push(format!(
                "{} {}: entity not synced",
                change.entity, change.entity_id
            ));
            continue;
        };
        let connections = store.connections_for_realm(&change.realm_id).await?;
        if connections.is_empty() {
            outcome
                .unknown_tenants
                .push(format!("realm {}", change.realm_id));
            continue;
        }
        for connection in connections {
            for id in changed_ids(change) {
                outcome.jobs.push(Job::new(
                    connection.clone(),
                    kind,
                    Side::Quickbooks,
                    id,
                    JobReason::Webhook,
                    now,
                ));
            }
        }
    }
    outcome.jobs = dedup_jobs(outcome.jobs);
    outcome.unknown_tenants.sort();
    outcome.unknown_tenants.dedup();
    Ok(outcome)
}

/// The entity and, for merges, the record merged away (its link must be re-pointed).
fn changed_ids(change: &EntityChange) -> Vec<String> {
    let mut ids = vec![change.entity_id.clone()];
    ids.extend(change.merged_away_id.iter().cloned());
    ids
}

/// The kind a QBO entity name holds: two-way (Customer, Item) or mirrored (Invoice, Payment).
/// Whether the kind is enabled is the worker's decision (settings may change while queued).
/// The kind whose QBO entity the notification names (webhooks use the entity name).
fn kind_of(entity: &str) -> Option<ObjectKind> {
    KINDS
        .iter()
        .find(|d| d.qbo.entity.eq_ignore_ascii_case(entity))
        .map(|d| d.kind)
}

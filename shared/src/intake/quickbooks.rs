//! QuickBooks deliveries into jobs: `intuit-signature` over the raw body, CloudEvents or legacy
//! payloads, changes routed by realm id (docs/quickbooks.md §11).

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::{InboundRequest, IntakeError, IntakeOutcome, check_size};
use crate::model::kinds::{KINDS, QboOnlyForm};
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{Connections, Job, JobReason, dedup_jobs};
use crate::quickbooks::webhook::events::{
    EntityChange, Operation, check_content_type, parse_delivery,
};
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

    let mut outcome = IntakeOutcome {
        events: delivery.changes.len() + delivery.skipped.len(),
        ..IntakeOutcome::default()
    };
    for skipped in &delivery.skipped {
        outcome
            .ignored
            .push(format!("event #{}: {}", skipped.index, skipped.reason));
    }
    for change in &delivery.changes {
        let kinds = kinds_of(&change.entity);
        if kinds.is_empty() {
            outcome.ignored.push(format!(
                "{} {}: entity not synced",
                change.entity, change.entity_id
            ));
            continue;
        }
        let connections = store.connections_for_realm(&change.realm_id).await?;
        if connections.is_empty() {
            outcome
                .unknown_tenants
                .push(format!("realm {}", change.realm_id));
            continue;
        }
        for connection in connections {
            for &kind in &kinds {
                outcome
                    .jobs
                    .extend(change_jobs(change, kind, &connection, now));
            }
        }
    }
    outcome.jobs = dedup_jobs(outcome.jobs);
    outcome.unknown_tenants.sort();
    outcome.unknown_tenants.dedup();
    Ok(outcome)
}

/// The entity's job and, for merges, the merged-away record's, which names the entity it was
/// merged into so the worker re-points its link (docs/architecture.md §13).
fn change_jobs(
    change: &EntityChange,
    kind: ObjectKind,
    connection: &ConnectionId,
    now: DateTime<Utc>,
) -> Vec<Job> {
    let job = |id: &str| {
        Job::new(
            connection.clone(),
            kind,
            Side::Quickbooks,
            id,
            JobReason::Webhook,
            now,
        )
    };
    // A QBO-only form rides on its kind's job, named in the id (model/kinds/forms.rs).
    let id = match QboOnlyForm::named(&change.entity) {
        Some(form) => form.job_id(&change.entity_id),
        None => change.entity_id.clone(),
    };
    let mut jobs = vec![Job {
        changed_at: changed_at(change),
        ..job(&id)
    }];
    if let Some(merged) = &change.merged_away_id {
        jobs.push(Job {
            merged_into: Some(change.entity_id.clone()),
            ..job(merged)
        });
    }
    jobs
}

/// When a create or update says the entity changed (`lastUpdated` / `time`), so the worker can
/// drop the echo of our own write without a read (docs/architecture.md §14). Deletions and
/// merges carry none: they are always read.
fn changed_at(change: &EntityChange) -> Option<DateTime<Utc>> {
    match change.operation {
        Operation::Created | Operation::Updated => {
            change.occurred_at.map(|t| t.with_timezone(&Utc))
        }
        _ => None,
    }
}

/// The kinds a QBO entity name holds: two-way (Customer: contact and company, Item) or
/// mirrored (Invoice, Payment; credit memos and refund receipts ride on payment jobs). Whether a kind syncs is the worker's decision (settings may
/// change while queued): a Customer change is a job for both customer kinds, and the one the
/// connection's customer model does not use is done without a read (docs/admin.md §6).
fn kinds_of(entity: &str) -> Vec<ObjectKind> {
    KINDS
        .iter()
        .filter(|d| d.qbo.entity.eq_ignore_ascii_case(entity))
        .map(|d| d.kind)
        .chain(QboOnlyForm::named(entity).map(|form| form.kind))
        .collect()
}

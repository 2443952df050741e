//! The two-way flow of a job group: the connection's settings, mappings and gateways, then one
//! unit per record synced by `sync`; each job answered from its unit's final step, and QBO
//! echoes of our own writes answered done without a read.

use std::collections::HashMap;

use crate::engine::sync::customer_scope::CustomerScope;
use crate::engine::sync::echo_marks::qbo_change_is_known;
use crate::engine::sync::rounds::sync_units;
use crate::engine::sync::session::Session;
use crate::engine::sync::unit::{Step, Unit};
use crate::engine::sync::waits::gateway_wait;
use crate::mapping::MappingSet;
use crate::model::{ConnectionId, Direction, ObjectKind, Side, SyncState};
use crate::ports::{Job, JobReason, RecordRef};

use super::active::active_connection;
use super::contact_companies::queue_contacts_companies;
use super::context::SyncContext;
use super::disposition::Disposition;
use super::outcomes::UnitOutcomes;
use super::retry_schedule::TRANSIENT_RETRY;
use super::sub_customers::contact_parents;

/// One connection and a two-way kind: settings and gateways, then the units of the jobs.
pub(crate) async fn process_group(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
    kind: ObjectKind,
    jobs: &[&Job],
) -> Vec<Disposition> {
    let all = |d: Disposition| vec![d; jobs.len()];
    let connection = match active_connection(ctx, connection_id).await {
        Ok(connection) => connection,
        Err(disposition) => return all(disposition),
    };
    let sub_customers = connection
        .connection
        .settings
        .customers
        .syncs_other_kind(kind);
    if sub_customers {
        // The contacts' companies re-derive their bill-to e-mail as under `hubspot_only`.
        let queued = queue_contacts_companies(ctx, &connection, jobs).await;
        if let Some(held) = queued.iter().find(|d| **d != Disposition::Done) {
            return all(held.clone());
        }
    }
    let connection = if sub_customers {
        // Sub-customers sync HubSpot → QBO only (docs/admin.md §6).
        let mut one_way = connection.clone();
        one_way.connection.settings.contact.direction = Direction::ToQuickbooks;
        one_way
    } else {
        connection
    };
    let settings = &connection.connection.settings;
    if settings.customers.model.is_other_customer_kind(kind) && !sub_customers {
        // A QBO Customer change is queued for both customer kinds (intake/quickbooks.rs);
        // the model's other kind has nothing to do (docs/admin.md §6), except that a HubSpot
        // contact's change re-syncs its companies (their bill-to e-mail is its e-mail).
        if kind == ObjectKind::Contact {
            return queue_contacts_companies(ctx, &connection, jobs).await;
        }
        return all(Disposition::Done);
    }
    let object = settings.object(kind);
    if object.state == SyncState::Deleted
        && let Err(error) = ctx.store.forget_kind(connection_id, kind).await
    {
        // "Deleted" forgets links and cursors; try again with the next job of this kind.
        tracing::warn!(%error, %kind, "could not forget a deleted kind");
    }
    if object.state != SyncState::Enabled {
        return all(Disposition::Dropped {
            reason: format!("{kind} sync is {:?} for {connection_id}", object.state),
        });
    }
    let mappings = match MappingSet::build(kind, object) {
        Ok(mappings) => mappings,
        Err(error) => {
            return all(Disposition::Dropped {
                reason: format!("invalid settings: {error}"),
            });
        }
    };
    let known = known_qbo_changes(ctx, connection_id, kind, jobs).await;
    if known.iter().all(|k| *k) {
        return all(Disposition::Done);
    }
    let gateways = match ctx.gateways.gateways(&connection).await {
        Ok(gateways) => gateways,
        // No gateways means no record was tried: the jobs wait (a reconnect may fix it).
        Err(error) => {
            return all(Disposition::RetryAfter {
                delay: gateway_wait(&error).unwrap_or(TRANSIENT_RETRY),
                reason: error.to_string(),
            });
        }
    };

    let mut scope = if settings.customers.sub_customers() {
        CustomerScope::TopLevel
    } else {
        CustomerScope::Any
    };
    let mut held: HashMap<String, Disposition> = HashMap::new();
    if sub_customers {
        match contact_parents(ctx, connection_id, &gateways, jobs).await {
            Ok(found) => {
                held = found.held;
                scope = CustomerScope::SubCustomers {
                    parents: found.parents,
                };
            }
            Err(disposition) => return all(disposition),
        }
    }

    let mut units: Vec<Unit> = Vec::new();
    let is_held = |job: &Job| job.side == Side::Hubspot && held.contains_key(&job.id);
    for (job, _) in jobs
        .iter()
        .zip(&known)
        .filter(|(job, known)| !**known && !is_held(job))
    {
        let anchor = RecordRef::new(job.side, job.id.clone());
        let merged_into = job
            .merged_into
            .as_ref()
            .map(|id| RecordRef::new(job.side, id.clone()));
        match units.iter_mut().find(|u| u.anchors.contains(&anchor)) {
            Some(unit) => {
                if unit.merged_into.is_none() {
                    unit.merged_into = merged_into;
                }
            }
            None => {
                let mut unit = Unit::new(anchor);
                unit.merged_into = merged_into;
                units.push(unit);
            }
        }
    }
    let mut session = Session {
        connection: &connection,
        kind,
        mappings: &mappings,
        store: ctx.store.as_ref(),
        gateways: &gateways,
        now: ctx.clock.now(),
        consumed: HashMap::new(),
        billed: jobs.iter().all(|j| j.reason == JobReason::Action),
        scope,
    };
    let steps = sync_units(&mut session, ctx.queue.as_ref(), &UnitOutcomes, units, None).await;

    let mut by_anchor: HashMap<RecordRef, Disposition> = HashMap::new();
    for step in &steps {
        let unit = match step {
            Step::Finished(report) => &report.unit,
            Step::Retry { unit, .. } | Step::Replan(unit) => unit,
        };
        for anchor in &unit.anchors {
            by_anchor.insert(anchor.clone(), disposition_of(step));
        }
    }
    jobs.iter()
        .map(|job| {
            let held = held.get(&job.id).filter(|_| job.side == Side::Hubspot);
            held.or_else(|| by_anchor.get(&RecordRef::new(job.side, job.id.clone())))
                .cloned()
                .unwrap_or(Disposition::Done)
        })
        .collect()
}

/// Per job, whether it is a QBO webhook whose change the link's baseline already holds (our
/// own write's echo: `engine::sync::echo_marks`), so it needs no read. One batch link lookup;
/// if the store cannot answer, every job is read as usual.
async fn known_qbo_changes(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
    kind: ObjectKind,
    jobs: &[&Job],
) -> Vec<bool> {
    let timed: Vec<String> = jobs
        .iter()
        .filter(|j| j.side == Side::Quickbooks && j.changed_at.is_some())
        .map(|j| j.id.clone())
        .collect();
    if timed.is_empty() {
        return vec![false; jobs.len()];
    }
    let links = match ctx
        .store
        .get_links(connection_id, kind, Side::Quickbooks, &timed)
        .await
    {
        Ok(links) => links,
        Err(error) => {
            tracing::warn!(%error, "could not look up links for echo checks; reading instead");
            return vec![false; jobs.len()];
        }
    };
    jobs.iter()
        .map(|job| {
            let (Side::Quickbooks, Some(changed_at)) = (job.side, job.changed_at) else {
                return false;
            };
            let known = links
                .iter()
                .any(|l| l.qbo_id == job.id && qbo_change_is_known(l, changed_at));
            if known {
                tracing::debug!(connection = %connection_id, %kind, id = %job.id, "QBO change already synced (our own write's echo); no read");
            }
            known
        })
        .collect()
}

fn disposition_of(step: &Step) -> Disposition {
    match step {
        Step::Finished(_) => Disposition::Done,
        Step::Retry { delay, reason, .. } => Disposition::RetryAfter {
            delay: *delay,
            reason: reason.clone(),
        },
        Step::Replan(_) => Disposition::RetryAfter {
            delay: TRANSIENT_RETRY,
            reason: "the records kept changing while being synced".into(),
        },
    }
}

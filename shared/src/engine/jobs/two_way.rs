//! The two-way flow of a job group: the connection's settings, mappings and gateways, then one
//! unit per record synced by `sync`; each job answered from its unit's final step.

use std::collections::HashMap;

use crate::engine::sync::rounds::sync_units;
use crate::engine::sync::session::Session;
use crate::engine::sync::unit::{Step, Unit};
use crate::engine::sync::waits::gateway_wait;
use crate::mapping::MappingSet;
use crate::model::{ConnectionId, ObjectKind, SyncState};
use crate::ports::{Job, RecordRef};

use super::active::active_connection;
use super::context::SyncContext;
use super::disposition::Disposition;
use super::outcomes::UnitOutcomes;
use super::retry_schedule::TRANSIENT_RETRY;

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
    let object = connection.connection.settings.object(kind);
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

    let mut units: Vec<Unit> = Vec::new();
    for job in jobs {
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
            by_anchor
                .get(&RecordRef::new(job.side, job.id.clone()))
                .cloned()
                .unwrap_or(Disposition::Done)
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

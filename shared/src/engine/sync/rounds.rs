//! The two-way sync of a set of units: bounded prepare/apply rounds (re-planning the units whose
//! records changed meanwhile), then the finished units handed to the outcome recorder.

use crate::ports::JobQueue;

use super::apply::apply;
use super::ports::RecordOutcomes;
use super::prepare::{PrepareResult, prepare};
use super::record_source::{RecordSource, Snapshot};
use super::session::Session;
use super::unit::{Step, Unit, UnitReport};
use super::waits::MAX_PLAN_ROUNDS;

/// Syncs `units` in up to `MAX_PLAN_ROUNDS` rounds (the first may read from `snapshot`),
/// records the finished ones, and returns the final step of every unit. Units still asking
/// for a re-plan after the last round are returned as `Step::Replan`.
pub(crate) async fn sync_units(
    session: &mut Session<'_>,
    queue: &dyn JobQueue,
    outcomes: &dyn RecordOutcomes,
    units: Vec<Unit>,
    snapshot: Option<&Snapshot>,
) -> Vec<Step> {
    let mut finals: Vec<Step> = Vec::new();
    let mut pending = units;
    for round in 0..MAX_PLAN_ROUNDS {
        if pending.is_empty() {
            break;
        }
        let source = match (round, snapshot) {
            (0, Some(snapshot)) => RecordSource::Snapshot(snapshot),
            _ => RecordSource::Live(session.gateways),
        };
        let mut ready = Vec::new();
        for result in prepare(session, std::mem::take(&mut pending), source).await {
            match result {
                PrepareResult::Ready(prepared) => ready.push(prepared),
                PrepareResult::Done(Step::Replan(unit)) => pending.push(unit),
                PrepareResult::Done(step) => finals.push(step),
                PrepareResult::AlreadyPaired => {}
            }
        }
        for step in apply(session, ready).await {
            match step {
                Step::Replan(unit) => pending.push(unit),
                other => finals.push(other),
            }
        }
    }
    finals.extend(pending.into_iter().map(Step::Replan));

    let reports: Vec<UnitReport> = finals
        .iter()
        .filter_map(|s| match s {
            Step::Finished(report) => Some(report.clone()),
            _ => None,
        })
        .collect();
    if let Err(error) = outcomes.record(session, queue, &reports).await {
        // The links are stored; only the status/log lines are missing. Say so, do not fail.
        tracing::error!(%error, "could not record sync outcomes");
    }
    finals
}

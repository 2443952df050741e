//! The second half of a round: claim natural keys, then apply every unit's writes with one batch
//! call per side and operation (creates, updates, deactivations), then commit links
//! conditionally. Failed conditions and stale versions send a unit back to be re-planned.

use std::collections::BTreeMap;

use crate::engine::sync::plan::{Action, LinkChange};
use crate::model::{Link, NativeValues, Record, Side, descriptor};
use crate::ports::{
    ClaimOutcome, CreateRequest, DeactivateRequest, FailureDetail, RecordError, RecordErrorKind,
    RecordRef, StoreError, UpdateRequest,
};

use super::echo_marks::remember_qbo_change;
use super::idempotency::create_key;
use super::pending_creates::{clear_pending, pending_create};
use super::prepare::Prepared;
use super::session::{Session, failed, gateway_failure, store_failure};
use super::unit::{Step, UnitReport, UnitResult};
use super::waits::{CLAIM_HELD_RETRY, CLAIM_TTL};

/// Renamed attempts after duplicate-name answers before the create is reported as failed.
pub const MAX_NAME_ATTEMPTS: u32 = 5;

/// A unit while its writes are applied.
struct Working {
    prep: Prepared,
    /// The record the create produced.
    created: Option<Record>,
    /// Records as returned by updates, per side.
    written: BTreeMap<Side, Record>,
    /// The claim taken for the create: (key, owner).
    claim: Option<(String, RecordRef)>,
    actions: Vec<String>,
    done: Option<Step>,
}

impl Working {
    fn alive(&self) -> bool {
        self.done.is_none()
    }

    fn finish(&mut self, step: Step) {
        if self.done.is_none() {
            self.done = Some(step);
        }
    }

    fn replan(&mut self) {
        let unit = self.prep.unit.clone();
        self.finish(Step::Replan(unit));
    }

    fn fail(&mut self, error: &RecordError) {
        let unit = self.prep.unit.clone();
        self.finish(failed(unit, detail_of(error), true));
    }

    /// The version of `side`'s record after this round's writes.
    fn version(&self, side: Side) -> Option<String> {
        if let Some(record) = self.written.get(&side) {
            return Some(record.version.clone());
        }
        if let Some(created) = self.created.as_ref().filter(|c| c.side == side) {
            return Some(created.version.clone());
        }
        self.prep.record(side).map(|r| r.version.clone())
    }

    /// When `side`'s record last changed, after this round's writes (the time a write
    /// returned, else the one read).
    fn modified_at(&self, side: Side) -> Option<chrono::DateTime<chrono::Utc>> {
        if let Some(record) = self.written.get(&side) {
            return Some(record.modified_at);
        }
        if let Some(created) = self.created.as_ref().filter(|c| c.side == side) {
            return Some(created.modified_at);
        }
        self.prep.record(side).map(|r| r.modified_at)
    }

    /// The baseline to store: the plan's, remembering the QBO record's change time so its
    /// webhook echo is dropped without a read (docs/architecture.md §14).
    fn baseline_to_store(&self) -> crate::model::CanonicalValues {
        let mut baseline = self.prep.plan.baseline.clone();
        if let Some(at) = self.modified_at(Side::Quickbooks) {
            remember_qbo_change(&mut baseline, at);
        }
        baseline
    }

    /// The id of `side`'s record of the pair, created ones included.
    fn id(&self, side: Side) -> Option<String> {
        if let Some(created) = self.created.as_ref().filter(|c| c.side == side) {
            return Some(created.id.clone());
        }
        if let Some(link) = &self.prep.link {
            return Some(link.id(side).to_owned());
        }
        self.prep.record(side).map(|r| r.id.clone())
    }
}

pub(crate) fn detail_of(error: &RecordError) -> FailureDetail {
    FailureDetail {
        code: error.code.clone(),
        message: error.message.clone(),
        suggested_fix: error.suggested_fix.clone(),
    }
}

/// Applies prepared units; one step per unit.
pub(crate) async fn apply(session: &Session<'_>, prepared: Vec<Prepared>) -> Vec<Step> {
    let mut units: Vec<Working> = prepared
        .into_iter()
        .map(|prep| Working {
            prep,
            created: None,
            written: BTreeMap::new(),
            claim: None,
            actions: Vec::new(),
            done: None,
        })
        .collect();

    claim_keys(session, &mut units).await;
    for side in Side::BOTH {
        create_on(session, &mut units, side).await;
    }
    for side in Side::BOTH {
        update_on(session, &mut units, side).await;
    }
    for side in Side::BOTH {
        deactivate_on(session, &mut units, side).await;
    }
    commit_links(session, &mut units).await;

    units
        .into_iter()
        .map(|w| w.done.expect("every unit ends with a step"))
        .collect()
}

/// The source record and target side of a unit's create, if it has one.
fn create_of(prep: &Prepared) -> Option<(&Record, Side, &NativeValues)> {
    match prep.create()? {
        Action::Create { side, values, .. } => Some((prep.record(side.other())?, *side, values)),
        _ => None,
    }
}

/// Claims the natural key of every create (invariant 2).
async fn claim_keys(session: &Session<'_>, units: &mut [Working]) {
    for w in units.iter_mut() {
        let Some(Action::Create { match_keys, .. }) = w.prep.create().cloned() else {
            continue;
        };
        let Some((source, target, _)) = create_of(&w.prep) else {
            continue;
        };
        let owner = RecordRef::new(source.side, source.id.clone());
        let key = match match_keys.first() {
            Some(key) => key.claim_key(),
            None => format!("record:{}:{}", source.side, source.id),
        };
        let outcome = session
            .store
            .claim_key(
                session.connection_id(),
                session.kind,
                &key,
                &owner,
                CLAIM_TTL,
                session.now,
            )
            .await;
        match outcome {
            Ok(ClaimOutcome::Claimed) => w.claim = Some((key, owner)),
            Ok(ClaimOutcome::AlreadyOwned(claim)) => {
                let earlier = claim
                    .created_id
                    .map(|id| RecordRef::new(target, id))
                    .filter(|r| w.prep.unit.counterpart.as_ref() != Some(r));
                w.claim = Some((key, owner));
                if let Some(earlier) = earlier {
                    // An earlier attempt created it and stopped before linking: link that one.
                    w.prep.unit.notes.push(format!(
                        "linked the {target} record {} created by an earlier attempt",
                        earlier.id
                    ));
                    w.prep.unit.counterpart = Some(earlier);
                    w.replan();
                }
            }
            Ok(ClaimOutcome::HeldBy(claim)) => {
                let unit = w.prep.unit.clone();
                w.finish(Step::Retry {
                    unit,
                    delay: CLAIM_HELD_RETRY,
                    reason: format!(
                        "{key} is being created for the {} record {}",
                        claim.owner.side, claim.owner.id
                    ),
                });
            }
            Err(error) => {
                let unit = w.prep.unit.clone();
                w.finish(store_failure(unit, &error));
            }
        }
    }
}

async fn release_claim(session: &Session<'_>, w: &Working) {
    if let Some((key, owner)) = &w.claim
        && let Err(error) = session
            .store
            .release_key(session.connection_id(), session.kind, key, owner)
            .await
    {
        // The claim expires on its own; only a later create of the same key waits for it.
        tracing::warn!(%error, "could not release a natural-key claim");
    }
}

/// One create call for all creates targeting `side`.
async fn create_on(session: &Session<'_>, units: &mut [Working], side: Side) {
    let mut requests = Vec::new();
    let mut owners = Vec::new();
    for (i, w) in units.iter().enumerate() {
        if !w.alive() {
            continue;
        }
        let Some((source, target, values)) = create_of(&w.prep) else {
            continue;
        };
        if target != side {
            continue;
        }
        let mut values = values.clone();
        if side == Side::Hubspot {
            values.insert(
                descriptor(session.kind).hubspot.qbo_id_property.to_owned(),
                serde_json::Value::String(source.id.clone()),
            );
        }
        requests.push(CreateRequest {
            idempotency_key: create_key(
                session.connection_id(),
                session.kind,
                source.side,
                &source.id,
                &source.version,
                w.prep.unit.name_attempt,
            ),
            values,
        });
        owners.push(i);
    }
    if side == Side::Quickbooks {
        (requests, owners) = note_pending_creates(session, units, requests, owners).await;
    }
    if requests.is_empty() {
        return;
    }
    let results = match session
        .gateways
        .side(side)
        .create(session.kind, requests)
        .await
    {
        Ok(results) => results,
        Err(error) => {
            for i in owners {
                let unit = units[i].prep.unit.clone();
                units[i].finish(gateway_failure(unit, &error));
            }
            return;
        }
    };
    for (i, result) in owners.into_iter().zip(results) {
        let w = &mut units[i];
        match result {
            Ok(record) => {
                if let Some((key, owner)) = &w.claim
                    && let Err(error) = session
                        .store
                        .note_created(
                            session.connection_id(),
                            session.kind,
                            key,
                            owner,
                            &record.id,
                        )
                        .await
                {
                    tracing::warn!(%error, "could not note the created record on its claim");
                }
                w.actions.push(format!(
                    "created {} {} {}",
                    side,
                    session.kind.vendor_name(side),
                    record.id
                ));
                w.created = Some(record);
            }
            Err(error) => on_create_error(session, w, side, error).await,
        }
    }
}

/// Notes a pending create for each QBO create before it is sent (engine/sync/pending_creates.rs):
/// a crash before the link write then still leads to the created record. A create whose note
/// could not be stored is not sent; its job comes back.
async fn note_pending_creates(
    session: &Session<'_>,
    units: &mut [Working],
    requests: Vec<CreateRequest>,
    owners: Vec<usize>,
) -> (Vec<CreateRequest>, Vec<usize>) {
    let mut kept = (Vec::new(), Vec::new());
    for (request, i) in requests.into_iter().zip(owners) {
        let Some((source, _, _)) = create_of(&units[i].prep) else {
            continue;
        };
        let pending = pending_create(
            source,
            &request.idempotency_key,
            &request.values,
            session.now,
        );
        match session
            .store
            .put_pending_create(session.connection_id(), session.kind, &pending)
            .await
        {
            Ok(()) => {
                units[i].prep.unit.clears_pending = true;
                kept.0.push(request);
                kept.1.push(i);
            }
            Err(error) => {
                let unit = units[i].prep.unit.clone();
                units[i].finish(store_failure(unit, &error));
            }
        }
    }
    kept
}

/// Forgets the pending create of `w`'s HubSpot record, if it left one.
async fn clear_pending_of(session: &Session<'_>, w: &Working) {
    if !w.prep.unit.clears_pending {
        return;
    }
    if let Some(hubspot_id) = w.id(Side::Hubspot) {
        clear_pending(session, &RecordRef::new(Side::Hubspot, hubspot_id)).await;
    }
}

async fn on_create_error(session: &Session<'_>, w: &mut Working, side: Side, error: RecordError) {
    let unique_name = match w.prep.create() {
        Some(Action::Create { unique_name, .. }) => unique_name.clone(),
        _ => None,
    };
    // A refused create made no record: its pending create must not lead to the record that
    // holds the name or key instead (the next attempt notes its own).
    if matches!(
        error.kind,
        RecordErrorKind::DuplicateName | RecordErrorKind::Conflict { .. }
    ) {
        clear_pending_of(session, w).await;
    }
    match &error.kind {
        RecordErrorKind::DuplicateName if unique_name.is_some() => {
            let attempt = w.prep.unit.name_attempt + 1;
            if attempt >= MAX_NAME_ATTEMPTS {
                release_claim(session, w).await;
                w.fail(&error);
                return;
            }
            let name = unique_name.expect("checked above");
            w.prep.unit.notes.push(format!(
                "{} {:?} was taken in QBO; named it {:?}",
                name.field,
                name.candidate(attempt - 1),
                name.candidate(attempt)
            ));
            w.prep.unit.name_attempt = attempt;
            w.replan();
        }
        RecordErrorKind::Conflict { existing_id } => {
            // The vendor already holds a record with this key: link it instead.
            w.prep.unit.notes.push(format!(
                "{side} already had record {existing_id} with the same key; linked it"
            ));
            w.prep.unit.counterpart = Some(RecordRef::new(side, existing_id.clone()));
            w.replan();
        }
        _ => {
            release_claim(session, w).await;
            clear_pending_of(session, w).await;
            w.fail(&error);
        }
    }
}

/// One update call for all updates on `side`: the plans' updates, plus writing the linked QBO
/// id into the HubSpot record of a new link.
async fn update_on(session: &Session<'_>, units: &mut [Working], side: Side) {
    let mut requests = Vec::new();
    let mut owners: Vec<(usize, bool)> = Vec::new();
    for (i, w) in units.iter().enumerate() {
        if !w.alive() {
            continue;
        }
        let planned = w.prep.plan.actions.iter().find_map(|a| match a {
            Action::Update {
                side: s,
                id,
                expected_version,
                values,
            } if *s == side => Some((id.clone(), expected_version.clone(), values.clone())),
            _ => None,
        });
        let writeback = (side == Side::Hubspot)
            .then(|| writeback(session, w))
            .flatten();
        let writeback_only = planned.is_none() && writeback.is_some();
        let request = match (planned, writeback) {
            (Some((id, version, mut values)), Some((property, qbo_id))) => {
                values.insert(property, serde_json::Value::String(qbo_id));
                (id, version, values)
            }
            (Some(planned), None) => planned,
            (None, Some((property, qbo_id))) => {
                let Some(record) = w.prep.record(Side::Hubspot) else {
                    continue;
                };
                let values = [(property, serde_json::Value::String(qbo_id))].into();
                (record.id.clone(), record.version.clone(), values)
            }
            (None, None) => continue,
        };
        requests.push(UpdateRequest {
            id: request.0,
            expected_version: request.1,
            values: request.2,
        });
        owners.push((i, writeback_only));
    }
    if requests.is_empty() {
        return;
    }
    let fields: Vec<String> = requests
        .iter()
        .map(|r| r.values.keys().cloned().collect::<Vec<_>>().join(", "))
        .collect();
    let results = match session
        .gateways
        .side(side)
        .update(session.kind, requests)
        .await
    {
        Ok(results) => results,
        Err(error) => {
            for (i, writeback_only) in owners {
                if writeback_only {
                    units[i].prep.unit.notes.push(format!(
                        "could not store the QBO id on the HubSpot record: {error}"
                    ));
                    continue;
                }
                let unit = units[i].prep.unit.clone();
                units[i].finish(gateway_failure(unit, &error));
            }
            return;
        }
    };
    for (((i, writeback_only), result), fields) in owners.into_iter().zip(results).zip(fields) {
        let w = &mut units[i];
        match result {
            Ok(record) => {
                w.actions.push(if writeback_only {
                    format!("stored the QBO id on {side} {}", record.id)
                } else {
                    format!("updated {side} {}: {fields}", record.id)
                });
                w.written.insert(side, record);
            }
            Err(error) if writeback_only => {
                w.prep.unit.notes.push(format!(
                    "could not store the QBO id on the HubSpot record: {}",
                    error.message
                ));
            }
            Err(error) => match error.kind {
                RecordErrorKind::Stale | RecordErrorKind::NotFound => w.replan(),
                _ => w.fail(&error),
            },
        }
    }
}

/// For a linked (or being linked) pair: the HubSpot property and QBO id to write, unless the
/// HubSpot record already holds it, is archived, or is being created (its create carries it).
fn writeback(session: &Session<'_>, w: &Working) -> Option<(String, String)> {
    if w.prep.link.is_none() && !matches!(w.prep.plan.link, LinkChange::Create { .. }) {
        return None;
    }
    if w.created.as_ref().is_some_and(|c| c.side == Side::Hubspot) {
        return None;
    }
    let hubspot = w.prep.record(Side::Hubspot).filter(|r| r.active)?;
    let qbo_id = w.id(Side::Quickbooks)?;
    let property = descriptor(session.kind).hubspot.qbo_id_property;
    let current = hubspot.value(property).and_then(|v| v.as_str());
    (current != Some(qbo_id.as_str())).then(|| (property.to_owned(), qbo_id))
}

/// One deactivate call for all deactivations on `side`.
async fn deactivate_on(session: &Session<'_>, units: &mut [Working], side: Side) {
    let mut requests = Vec::new();
    let mut owners = Vec::new();
    for (i, w) in units.iter().enumerate() {
        if !w.alive() {
            continue;
        }
        for action in &w.prep.plan.actions {
            if let Action::Deactivate {
                side: s,
                id,
                expected_version,
            } = action
                && *s == side
            {
                requests.push(DeactivateRequest {
                    id: id.clone(),
                    expected_version: expected_version.clone(),
                });
                owners.push(i);
            }
        }
    }
    if requests.is_empty() {
        return;
    }
    let ids: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
    let results = match session
        .gateways
        .side(side)
        .deactivate(session.kind, requests)
        .await
    {
        Ok(results) => results,
        Err(error) => {
            for i in owners {
                let unit = units[i].prep.unit.clone();
                units[i].finish(gateway_failure(unit, &error));
            }
            return;
        }
    };
    for ((i, result), id) in owners.into_iter().zip(results).zip(ids) {
        let w = &mut units[i];
        match result {
            Ok(()) => w.actions.push(format!(
                "{} {side} {id}",
                if side == Side::Hubspot {
                    "archived"
                } else {
                    "deactivated"
                }
            )),
            Err(error) => match error.kind {
                RecordErrorKind::Stale => w.replan(),
                // Already gone: nothing left to deactivate.
                RecordErrorKind::NotFound => {}
                _ => w.fail(&error),
            },
        }
    }
}

/// Stores each surviving unit's link change, conditionally (invariants 1 and 3).
async fn commit_links(session: &Session<'_>, units: &mut [Working]) {
    for w in units.iter_mut() {
        if !w.alive() {
            continue;
        }
        let change = match w.prep.plan.link.clone() {
            // A write outside the plan (the QBO id stored on HubSpot) moves the versions.
            LinkChange::Keep if !w.written.is_empty() && w.prep.link.is_some() => {
                LinkChange::Update
            }
            change => change,
        };
        let result = match change {
            LinkChange::Keep => Ok(None),
            LinkChange::Update => {
                let Some(link) = w.prep.link.clone() else {
                    w.replan();
                    continue;
                };
                let next = Link {
                    baseline: w.baseline_to_store(),
                    hubspot_version: w
                        .version(Side::Hubspot)
                        .unwrap_or(link.hubspot_version.clone()),
                    qbo_version: w
                        .version(Side::Quickbooks)
                        .unwrap_or(link.qbo_version.clone()),
                    updated_at: session.now,
                    ..link
                };
                session.store.update_link(&next).await.map(Some)
            }
            LinkChange::Create { .. } => {
                let (Some(hubspot_id), Some(qbo_id)) =
                    (w.id(Side::Hubspot), w.id(Side::Quickbooks))
                else {
                    w.replan();
                    continue;
                };
                let link = Link {
                    connection: session.connection_id().clone(),
                    kind: session.kind,
                    hubspot_id,
                    qbo_id,
                    baseline: w.baseline_to_store(),
                    hubspot_version: w.version(Side::Hubspot).unwrap_or_default(),
                    qbo_version: w.version(Side::Quickbooks).unwrap_or_default(),
                    updated_at: session.now,
                    revision: 0,
                };
                session.store.create_link(&link).await.map(Some)
            }
        };
        match result {
            Ok(stored) => {
                if let Some(link) = &stored
                    && matches!(w.prep.plan.link, LinkChange::Create { .. })
                {
                    release_claim(session, w).await;
                    clear_pending_of(session, w).await;
                    if w.created.is_none() {
                        w.actions.push(format!(
                            "linked HubSpot {} with QBO {}",
                            link.hubspot_id, link.qbo_id
                        ));
                    }
                }
                let report = UnitReport {
                    unit: w.prep.unit.clone(),
                    hubspot_id: w.id(Side::Hubspot),
                    qbo_id: w.id(Side::Quickbooks),
                    result: UnitResult::Planned {
                        outcome: w.prep.plan.outcome.clone(),
                        conflicts: w.prep.plan.conflicts.clone(),
                        problems: w.prep.plan.problems.clone(),
                    },
                    actions: std::mem::take(&mut w.actions),
                };
                w.finish(Step::Finished(report));
            }
            Err(StoreError::AlreadyLinked { side, id }) if w.created.is_some() => {
                let created = w.created.clone().expect("checked");
                let detail = FailureDetail {
                    code: None,
                    message: format!(
                        "created {} record {} but the {side} record {id} was linked meanwhile; {} is a duplicate",
                        created.side, created.id, created.id
                    ),
                    suggested_fix: Some(format!(
                        "Merge or delete the duplicate {} record {}",
                        created.side, created.id
                    )),
                };
                release_claim(session, w).await;
                clear_pending_of(session, w).await;
                let unit = w.prep.unit.clone();
                w.finish(failed(unit, detail, false));
            }
            Err(StoreError::AlreadyLinked { .. } | StoreError::RevisionMismatch { .. }) => {
                w.replan()
            }
            Err(error) => {
                let unit = w.prep.unit.clone();
                w.finish(store_failure(unit, &error));
            }
        }
    }
}

//! The first half of a round: find each unit's link, read both sides in batches, match unlinked
//! records against the other side (batched lookups, then `choose_match`), and plan each pair.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::engine::sync::plan::{
    Action, MatchChoice, PairFieldTimes, Plan, PlanError, PlanInput, active_key, choose_match,
    plan_record_sync,
};
use crate::mapping::MatchKey;
use crate::model::{CanonicalValue, ConflictWinner, Link, Record, Side};
use crate::ports::{FailureDetail, FieldTimes, GatewayError, RecordRef};

use super::markers::match_by_marker;
use super::merges::follow_merges;
use super::pending_creates::match_by_pending_create;
use super::record_source::RecordSource;
use super::session::{Session, failed, gateway_failure, store_failure};
use super::unit::{Step, Unit};

/// Most values per vendor lookup call (keeps QBO `IN (...)` queries and HubSpot filters small).
const LOOKUP_CHUNK: usize = 50;

/// A unit ready to apply: its link (as read), both records (as read) and its plan.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub unit: Unit,
    pub link: Option<Link>,
    pub hubspot: Option<Record>,
    pub quickbooks: Option<Record>,
    pub plan: Plan,
}

impl Prepared {
    pub fn record(&self, side: Side) -> Option<&Record> {
        match side {
            Side::Hubspot => self.hubspot.as_ref(),
            Side::Quickbooks => self.quickbooks.as_ref(),
        }
    }

    /// The single create action of the plan, if any.
    pub fn create(&self) -> Option<&Action> {
        self.plan
            .actions
            .iter()
            .find(|a| matches!(a, Action::Create { .. }))
    }
}

/// What preparing gave for one unit.
// Built and consumed once per unit and round, moved twice: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum PrepareResult {
    Ready(Prepared),
    Done(Step),
    /// The unit's record was already paired earlier in this session (a preview).
    AlreadyPaired,
}

/// Prepares `units`; every input unit ends in exactly one result (merged units in the unit
/// that absorbed them).
pub(crate) async fn prepare(
    session: &mut Session<'_>,
    units: Vec<Unit>,
    source: RecordSource<'_>,
) -> Vec<PrepareResult> {
    let mut out = Vec::new();

    // 1. Links of every anchor and counterpart, in one batch per side.
    let links = match load_links(session, &units).await {
        Ok(links) => links,
        Err(error) => {
            return units
                .into_iter()
                .map(|u| PrepareResult::Done(store_failure(u, &error)))
                .collect();
        }
    };
    let mut pairs: Vec<(Unit, Option<Link>)> = Vec::new();
    let mut by_link: HashMap<String, usize> = HashMap::new();
    for mut unit in units {
        let link = unit.anchors.iter().find_map(|a| links.get(a).cloned());
        if let Some(link) = &link {
            unit.counterpart = None;
            if let Some(&at) = by_link.get(&link.hubspot_id) {
                pairs[at].0.absorb(unit);
                continue;
            }
            by_link.insert(link.hubspot_id.clone(), pairs.len());
        } else if session.paired_elsewhere(unit.primary(), unit.primary()) {
            out.push(PrepareResult::AlreadyPaired);
            continue;
        } else if let Some(counterpart) = unit.counterpart.clone()
            && let Some(taken) = links.get(&counterpart)
        {
            let detail = FailureDetail {
                code: None,
                message: format!(
                    "the {} record {} that matches this one is already linked to {} record {}",
                    counterpart.side,
                    counterpart.id,
                    counterpart.side.other(),
                    taken.id(counterpart.side.other())
                ),
                suggested_fix: Some(
                    "Two records on one side share the natural key; merge or change one of them"
                        .into(),
                ),
            };
            out.push(PrepareResult::Done(failed(unit, detail, false)));
            continue;
        }
        pairs.push((unit, link));
    }

    // 2. Both sides' records, one read per side.
    let mut wanted: BTreeMap<Side, Vec<String>> = BTreeMap::new();
    for (unit, link) in &pairs {
        let refs: Vec<RecordRef> = match link {
            Some(link) => Side::BOTH
                .iter()
                .map(|&s| RecordRef::new(s, link.id(s)))
                .collect(),
            None => unit
                .anchors
                .iter()
                .take(1)
                .chain(unit.counterpart.as_ref())
                .cloned()
                .collect(),
        };
        for r in refs {
            let ids = wanted.entry(r.side).or_default();
            if !ids.contains(&r.id) {
                ids.push(r.id);
            }
        }
    }
    let mut records: HashMap<RecordRef, Record> = HashMap::new();
    for (side, ids) in &wanted {
        match source.read(session.kind, *side, ids).await {
            Ok(found) => {
                for record in found.into_iter().filter(|r| session.scope.admits(r)) {
                    records.insert(RecordRef::new(record.side, record.id.clone()), record);
                }
            }
            Err(error) => {
                out.extend(
                    pairs
                        .into_iter()
                        .map(|(u, _)| PrepareResult::Done(gateway_failure(u, &error))),
                );
                return out;
            }
        }
    }

    // 2b. Merged records hand their links to their survivors, before anything is planned as
    // a deletion (docs/architecture.md §13). A snapshot (initial sync, sweep) lists a merged-away
    // HubSpot record as archived, or not at all: those linked pairs are read live in the next
    // round instead (a live read follows the merge), unless the link already took the
    // archive into account.
    if let RecordSource::Snapshot(_) = source {
        let (vanished, kept): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(_, link)| link.as_ref().is_some_and(|l| read_live(l, &records)));
        out.extend(
            vanished
                .into_iter()
                .map(|(unit, _)| PrepareResult::Done(Step::Replan(unit))),
        );
        pairs = kept;
    }
    if let RecordSource::Live(_) = source {
        match follow_merges(session, &mut pairs, &mut records, source).await {
            Ok(finished) => out.extend(finished.into_iter().map(PrepareResult::Done)),
            Err(steps) => {
                out.extend(steps.into_iter().map(PrepareResult::Done));
                return out;
            }
        }
    }

    // 3. Matching for unlinked records without a known counterpart: first by the marker an
    // earlier create left on its record, then by natural key, then, before a create, by a
    // pending QBO create an earlier attempt left (docs/architecture.md §5 invariant 2).
    if let Err(steps) = match_by_marker(session, &mut pairs, &mut records, source).await {
        out.extend(steps.into_iter().map(PrepareResult::Done));
        return out;
    }
    if let Err(steps) = match_unlinked(session, &mut pairs, &mut records, source).await {
        out.extend(steps.into_iter().map(PrepareResult::Done));
        return out;
    }
    if let Err(steps) = match_by_pending_create(session, &mut pairs, &mut records, source).await {
        out.extend(steps.into_iter().map(PrepareResult::Done));
        return out;
    }

    // 4. Plan each pair. A pair whose plan settles a conflict by "newest edit wins" is
    // planned again with the fields' own times where the vendor keeps them: a write to another
    // property (ours included) moves a record's time, not the field's (docs/architecture.md §4).
    let no_times = PairFieldTimes::default();
    let mut planned = Vec::new();
    for (unit, link) in pairs {
        let pick = |side: Side| -> Option<Record> {
            let id = match &link {
                Some(link) => link.id(side).to_owned(),
                None => unit
                    .anchors
                    .iter()
                    .take(1)
                    .chain(unit.counterpart.as_ref())
                    .find(|r| r.side == side)?
                    .id
                    .clone(),
            };
            records.get(&RecordRef::new(side, id)).cloned()
        };
        let pair = Pair {
            hubspot: pick(Side::Hubspot),
            quickbooks: pick(Side::Quickbooks),
            unit,
            link,
        };
        let plan = pair.plan_with(session, &no_times);
        planned.push((pair, plan));
    }
    let times = match newest_wins_field_times(session, source, &planned).await {
        Ok(times) => times,
        Err(error) => {
            out.extend(
                planned
                    .into_iter()
                    .map(|(pair, _)| PrepareResult::Done(gateway_failure(pair.unit, &error))),
            );
            return out;
        }
    };
    for (at, (pair, mut plan)) in planned.into_iter().enumerate() {
        if let Some(times) = times.get(&at) {
            plan = pair.plan_with(session, times);
        }
        match plan {
            Ok(mut plan) => {
                apply_name_attempt(&mut plan, pair.unit.name_attempt);
                out.push(PrepareResult::Ready(Prepared {
                    unit: pair.unit,
                    link: pair.link,
                    hubspot: pair.hubspot,
                    quickbooks: pair.quickbooks,
                    plan,
                }));
            }
            Err(error) => {
                let detail = FailureDetail {
                    code: None,
                    message: format!("internal planning error: {error}"),
                    suggested_fix: None,
                };
                out.push(PrepareResult::Done(failed(pair.unit, detail, false)));
            }
        }
    }
    out
}

/// One unit's link and records, as read, on their way to a plan.
struct Pair {
    unit: Unit,
    link: Option<Link>,
    hubspot: Option<Record>,
    quickbooks: Option<Record>,
}

impl Pair {
    fn record(&self, side: Side) -> Option<&Record> {
        match side {
            Side::Hubspot => self.hubspot.as_ref(),
            Side::Quickbooks => self.quickbooks.as_ref(),
        }
    }

    fn plan_with(
        &self,
        session: &Session<'_>,
        field_times: &PairFieldTimes,
    ) -> Result<Plan, PlanError> {
        plan_record_sync(&PlanInput {
            settings: &session.connection.connection.settings,
            mappings: session.mappings,
            link: self.link.as_ref(),
            hubspot: self.hubspot.as_ref(),
            quickbooks: self.quickbooks.as_ref(),
            billed: session.billed,
            field_times,
            parent: session.scope.parent_of(self.hubspot.as_ref()),
        })
    }
}

/// The field times of the pairs whose plan settled a conflict by "newest edit wins", for the
/// conflicting fields only: one history read per side for all of them (none when no plan has
/// such a conflict, the usual case).
async fn newest_wins_field_times(
    session: &Session<'_>,
    source: RecordSource<'_>,
    planned: &[(Pair, Result<Plan, PlanError>)],
) -> Result<HashMap<usize, PairFieldTimes>, GatewayError> {
    let mut fields: BTreeMap<Side, BTreeSet<String>> = BTreeMap::new();
    let mut ids: BTreeMap<Side, Vec<String>> = BTreeMap::new();
    let mut wanted = Vec::new();
    for (at, (pair, plan)) in planned.iter().enumerate() {
        let Ok(plan) = plan else { continue };
        let newest: Vec<&str> = plan
            .conflicts
            .iter()
            .filter(|c| c.rule == ConflictWinner::NewestWins)
            .map(|c| c.field.as_str())
            .collect();
        if newest.is_empty() {
            continue;
        }
        for side in Side::BOTH {
            let Some(record) = pair.record(side) else {
                continue;
            };
            ids.entry(side).or_default().push(record.id.clone());
            let keys = session
                .mappings
                .rows()
                .iter()
                .filter(|row| newest.contains(&row.field.as_str()))
                .map(|row| row.native_key(side).to_owned());
            fields.entry(side).or_default().extend(keys);
        }
        wanted.push((at, pair));
    }
    let mut by_side: BTreeMap<Side, BTreeMap<String, FieldTimes>> = BTreeMap::new();
    for (side, ids) in &ids {
        let fields: Vec<String> = fields.get(side).into_iter().flatten().cloned().collect();
        let times = source
            .field_times(session.kind, *side, ids, &fields)
            .await?;
        by_side.insert(*side, times);
    }
    let times_of = |side: Side, record: Option<&Record>| -> FieldTimes {
        record
            .and_then(|r| by_side.get(&side)?.get(&r.id).cloned())
            .unwrap_or_default()
    };
    Ok(wanted
        .into_iter()
        .map(|(at, pair)| {
            let times = PairFieldTimes {
                hubspot: times_of(Side::Hubspot, pair.hubspot.as_ref()),
                quickbooks: times_of(Side::Quickbooks, pair.quickbooks.as_ref()),
            };
            (at, times)
        })
        .filter(|(_, times)| *times != PairFieldTimes::default())
        .collect())
}

/// Links of all anchors and counterparts, keyed by the record they were found for.
async fn load_links(
    session: &Session<'_>,
    units: &[Unit],
) -> Result<HashMap<RecordRef, Link>, crate::ports::StoreError> {
    let mut ids: BTreeMap<Side, Vec<String>> = BTreeMap::new();
    for unit in units {
        for r in unit.anchors.iter().chain(unit.counterpart.as_ref()) {
            ids.entry(r.side).or_default().push(r.id.clone());
        }
    }
    let mut out = HashMap::new();
    for (side, ids) in ids {
        let links = session
            .store
            .get_links(session.connection_id(), session.kind, side, &ids)
            .await?;
        for link in links {
            out.insert(RecordRef::new(side, link.id(side)), link);
        }
    }
    Ok(out)
}

/// Puts the unique-name candidate of `attempt` into a QBO create.
fn apply_name_attempt(plan: &mut Plan, attempt: u32) {
    if attempt == 0 {
        return;
    }
    for action in &mut plan.actions {
        if let Action::Create {
            values,
            unique_name: Some(name),
            ..
        } = action
        {
            values.insert(
                name.field.clone(),
                serde_json::Value::String(name.candidate(attempt)),
            );
        }
    }
}

/// Finds counterparts for unlinked, active records by their match keys: one lookup per match
/// field and side (chunked), candidates already linked or paired removed, then `choose_match`.
async fn match_unlinked(
    session: &mut Session<'_>,
    pairs: &mut Vec<(Unit, Option<Link>)>,
    records: &mut HashMap<RecordRef, Record>,
    source: RecordSource<'_>,
) -> Result<(), Vec<Step>> {
    // Which units look for a match, with their keys.
    let mut seekers: Vec<(usize, Vec<MatchKey>)> = Vec::new();
    let mut lookups: BTreeMap<(Side, String), Vec<String>> = BTreeMap::new();
    for (i, (unit, link)) in pairs.iter().enumerate() {
        if link.is_some() || unit.counterpart.is_some() {
            continue;
        }
        let Some(record) = records.get(unit.primary()).filter(|r| r.active) else {
            continue;
        };
        let keys = session.mappings.record_match_keys(record);
        if keys.is_empty() {
            continue;
        }
        let other = record.side.other();
        for key in &keys {
            if let Some(row) = session.mappings.row(&key.field) {
                let values = lookups
                    .entry((other, row.native_key(other).to_owned()))
                    .or_default();
                if !values.contains(&key.value) {
                    values.push(key.value.clone());
                }
            }
        }
        seekers.push((i, keys));
    }
    if seekers.is_empty() {
        return Ok(());
    }

    let mut pool: HashMap<RecordRef, Record> = HashMap::new();
    for ((side, field), values) in &lookups {
        for chunk in values.chunks(LOOKUP_CHUNK) {
            match source.find(session.kind, *side, field, chunk).await {
                Ok(found) => {
                    for record in found.into_iter().filter(|r| session.scope.admits(r)) {
                        pool.insert(RecordRef::new(record.side, record.id.clone()), record);
                    }
                }
                Err(error) => {
                    let steps = std::mem::take(pairs)
                        .into_iter()
                        .map(|(u, _)| gateway_failure(u, &error))
                        .collect();
                    return Err(steps);
                }
            }
        }
    }
    // Candidates already linked are not available.
    let mut by_side: BTreeMap<Side, Vec<String>> = BTreeMap::new();
    for r in pool.keys() {
        by_side.entry(r.side).or_default().push(r.id.clone());
    }
    let mut linked: HashSet<RecordRef> = HashSet::new();
    for (side, ids) in by_side {
        match session
            .store
            .get_links(session.connection_id(), session.kind, side, &ids)
            .await
        {
            Ok(links) => linked.extend(links.iter().map(|l| RecordRef::new(side, l.id(side)))),
            Err(error) => {
                let steps = std::mem::take(pairs)
                    .into_iter()
                    .map(|(u, _)| store_failure(u, &error))
                    .collect();
                return Err(steps);
            }
        }
    }
    // Index the pool by (canonical field, normalised key value) for small candidate lists.
    let mut index: HashMap<(String, String), Vec<RecordRef>> = HashMap::new();
    for (r, record) in &pool {
        for key in session.mappings.record_match_keys(record) {
            index
                .entry((key.field, key.value))
                .or_default()
                .push(r.clone());
        }
    }

    let mut absorbed: Vec<usize> = Vec::new();
    for (i, keys) in seekers {
        let primary = pairs[i].0.primary().clone();
        if session.paired_elsewhere(&primary, &primary) {
            continue; // paired as another unit's counterpart in this batch
        }
        let mut candidate_refs: Vec<&RecordRef> = keys
            .iter()
            .flat_map(|k| {
                index
                    .get(&(k.field.clone(), k.value.clone()))
                    .into_iter()
                    .flatten()
            })
            // The pool holds lookups of both sides: only the other side's records are
            // candidates (a record never matches itself or its own side's twins).
            .filter(|r| r.side == primary.side.other())
            .filter(|r| !linked.contains(*r) && !session.paired_elsewhere(r, &primary))
            .collect();
        candidate_refs.sort();
        candidate_refs.dedup();
        let candidates: Vec<Record> = candidate_refs
            .iter()
            .filter_map(|r| pool.get(*r).cloned())
            .collect();
        let choice = choose_match(session.mappings, &keys, &candidates);
        let Some(chosen) = choice.chosen() else {
            continue;
        };
        let chosen_ref = RecordRef::new(chosen.side, chosen.id.clone());
        if let MatchChoice::Ambiguous { others, key, .. } = &choice {
            let ids: Vec<&str> = others.iter().map(|r| r.id.as_str()).collect();
            pairs[i].0.notes.push(format!(
                "several {} records share {key}: linked {}, not {}",
                chosen.side,
                chosen.id,
                ids.join(", ")
            ));
        }
        records.insert(chosen_ref.clone(), chosen.clone());
        session.consumed.insert(primary.clone(), primary);
        session
            .consumed
            .insert(chosen_ref.clone(), pairs[i].0.primary().clone());
        pairs[i].0.counterpart = Some(chosen_ref.clone());
        // A unit in this batch anchored on the chosen record joins this one.
        if let Some(j) = pairs
            .iter()
            .position(|(u, l)| l.is_none() && *u.primary() == chosen_ref)
            && j != i
        {
            let other = pairs[j].0.clone();
            pairs[i].0.absorb(other);
            absorbed.push(j);
        }
    }
    absorbed.sort_unstable();
    for j in absorbed.into_iter().rev() {
        pairs.remove(j);
    }
    Ok(())
}

/// Whether a linked pair a snapshot answered must be read live before planning: a record of
/// it is missing, or its HubSpot record is archived while the baseline still has it active
/// (a merge or an archive not yet planned; docs/architecture.md §13).
fn read_live(link: &Link, records: &HashMap<RecordRef, Record>) -> bool {
    Side::BOTH.iter().any(
        |&side| match records.get(&RecordRef::new(side, link.id(side))) {
            None => true,
            Some(record) => {
                side == Side::Hubspot
                    && !record.active
                    && !matches!(
                        link.baseline.get(active_key(side)),
                        Some(CanonicalValue::Bool(false))
                    )
            }
        },
    )
}

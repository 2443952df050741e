//! Following merges in prepare (docs/architecture.md §13): a linked record answered for by
//! another record, or reported merged by its vendor, hands its link to the survivor or is
//! marked "needs attention"; it is never planned as a deletion.

use std::collections::{BTreeMap, HashMap};

use crate::engine::sync::plan::{is_merge_survivor, merged_elsewhere, merged_ids, plan_merge};
use crate::model::{Link, Record, Side};
use crate::ports::{FailureDetail, RecordRef, StoreError};

use super::record_source::RecordSource;
use super::session::{Session, failed, gateway_failure, store_failure};
use super::unit::{Step, Unit};

type Pairs = Vec<(Unit, Option<Link>)>;

/// Follows the merges of the batch's pairs. Linked pairs: a record that a read answered with
/// another record (HubSpot follows merged-away ids to the result) or that the job names as
/// merged into another record (a QBO merge: the merged-away customer reads inactive, the kept
/// one active) is followed to its survivor. Unlinked HubSpot records whose merged-ids list
/// names linked records take over one of those links. `plan_merge` decides which link the
/// survivor keeps; a merged record whose survivor keeps another link finishes "needs
/// attention" (returned). Each merged id costs one read of its own.
pub(crate) async fn follow_merges(
    session: &Session<'_>,
    pairs: &mut Pairs,
    records: &mut HashMap<RecordRef, Record>,
    source: RecordSource<'_>,
) -> Result<Vec<Step>, Vec<Step>> {
    let mut done: Vec<(usize, Step)> = Vec::new();
    let mut absorbed: Vec<usize> = Vec::new();
    let mut unread: BTreeMap<Side, Vec<String>> = BTreeMap::new();
    for i in 0..pairs.len() {
        if done.iter().any(|(j, _)| *j == i) || absorbed.contains(&i) {
            continue;
        }
        let Some(link) = pairs[i].1.clone() else {
            if let Some(stored) = adopt_listed_links(session, pairs, i, records).await? {
                let other = Side::Hubspot.other();
                if !records.contains_key(&RecordRef::new(other, stored.id(other))) {
                    unread
                        .entry(other)
                        .or_default()
                        .push(stored.id(other).to_owned());
                }
                pairs[i].1 = Some(stored);
            }
            continue;
        };
        let unit = pairs[i].0.clone();
        for side in Side::BOTH {
            let id = link.id(side).to_owned();
            let Some(survivor) =
                find_survivor(session, &unit, side, &id, records, source, pairs).await?
            else {
                continue;
            };
            let survivor_ref = RecordRef::new(side, survivor.id.clone());
            let survivor_link = session
                .store
                .get_link(session.connection_id(), session.kind, side, &survivor.id)
                .await
                .map_err(|error| fail_all(pairs, |u| store_failure(u, &error)))?;
            let kept = match survivor_link {
                // Already moved (by another unit of this batch or an earlier run).
                Some(existing) if existing.id(side.other()) == link.id(side.other()) => existing,
                Some(existing) => {
                    let unit = pairs[i].0.clone();
                    done.push((i, needs_attention(session, unit, side, &link, &existing)));
                    break;
                }
                None => {
                    let mut merged = vec![link.clone()];
                    merged.extend(listed_links(session, side, &survivor, &id, pairs).await?);
                    let plan = plan_merge(side, &survivor.id, None, &merged, session.now);
                    let Some((old, new)) = plan.relink else {
                        continue;
                    };
                    let stored = match session.store.relink(&old, &new).await {
                        Ok(stored) => stored,
                        Err(
                            StoreError::RevisionMismatch { .. } | StoreError::AlreadyLinked { .. },
                        ) => {
                            // Someone else moved the links meanwhile: plan again from the store.
                            return Err(fail_all(pairs, Step::Replan));
                        }
                        Err(error) => return Err(fail_all(pairs, |u| store_failure(u, &error))),
                    };
                    if old.hubspot_id != link.hubspot_id || old.qbo_id != link.qbo_id {
                        // Another merged record's link went to the survivor.
                        let unit = pairs[i].0.clone();
                        done.push((i, needs_attention(session, unit, side, &link, &stored)));
                        break;
                    }
                    stored
                }
            };
            records.insert(survivor_ref.clone(), survivor.clone());
            pairs[i].0.notes.push(format!(
                "{side} {id} was merged into {}; the link moved to it",
                survivor.id
            ));
            let same = |l: &Option<Link>| {
                l.as_ref()
                    .is_none_or(|l| l.hubspot_id == kept.hubspot_id && l.qbo_id == kept.qbo_id)
            };
            // A job for the survivor in this batch is answered by this pair.
            let twin = pairs
                .iter()
                .enumerate()
                .position(|(j, (u, l))| j != i && *u.primary() == survivor_ref && same(l));
            pairs[i].1 = Some(kept);
            if let Some(j) = twin {
                let other = pairs[j].0.clone();
                pairs[i].0.absorb(other);
                absorbed.push(j);
            }
            break;
        }
    }
    // The partners of links adopted above, read in one call per side.
    for (side, ids) in unread {
        match source.read(session.kind, side, &ids).await {
            Ok(found) => {
                for record in found {
                    records.insert(RecordRef::new(record.side, record.id.clone()), record);
                }
            }
            Err(error) => return Err(fail_all(pairs, |u| gateway_failure(u, &error))),
        }
    }
    let mut removed: Vec<usize> = absorbed;
    removed.extend(done.iter().map(|(i, _)| *i));
    removed.sort_unstable();
    removed.dedup();
    for j in removed.into_iter().rev() {
        pairs.remove(j);
    }
    Ok(done.into_iter().map(|(_, step)| step).collect())
}

/// The record `id` (linked, on `side`) was merged into, if it was: another record answering a
/// read of it whose merged-ids list names it, or the kept record a QBO merge named when the
/// merged-away one reads inactive and the kept one active.
async fn find_survivor(
    session: &Session<'_>,
    unit: &Unit,
    side: Side,
    id: &str,
    records: &mut HashMap<RecordRef, Record>,
    source: RecordSource<'_>,
    pairs: &mut Pairs,
) -> Result<Option<Record>, Vec<Step>> {
    let read_one = |id: String| async move { source.read(session.kind, side, &[id]).await };
    if let Some(record) = records.get(&RecordRef::new(side, id.to_owned())) {
        let Some(into) = unit.merged_into.as_ref().filter(|r| {
            r.side == side && r.id != id && *unit.primary() == RecordRef::new(side, id)
        }) else {
            return Ok(None);
        };
        if record.active {
            return Ok(None);
        }
        let answer = read_one(into.id.clone())
            .await
            .map_err(|error| fail_all(pairs, |u| gateway_failure(u, &error)))?;
        return Ok(answer.into_iter().find(|r| r.id == into.id && r.active));
    }
    let answer = read_one(id.to_owned())
        .await
        .map_err(|error| fail_all(pairs, |u| gateway_failure(u, &error)))?;
    let [answer] = answer.as_slice() else {
        return Ok(None);
    };
    if answer.id == id {
        records.insert(RecordRef::new(side, id.to_owned()), answer.clone());
        return Ok(None);
    }
    Ok(is_merge_survivor(session.kind, answer, id).then(|| answer.clone()))
}

/// The links of the other ids `survivor` lists as merged into it (besides `id`), so every
/// unit of one merge makes the same choice whatever the order of its jobs.
async fn listed_links(
    session: &Session<'_>,
    side: Side,
    survivor: &Record,
    id: &str,
    pairs: &mut Pairs,
) -> Result<Vec<Link>, Vec<Step>> {
    let others: Vec<String> = merged_ids(session.kind, survivor)
        .into_iter()
        .filter(|other| other != id)
        .collect();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    session
        .store
        .get_links(session.connection_id(), session.kind, side, &others)
        .await
        .map_err(|error| fail_all(pairs, |u| store_failure(u, &error)))
}

/// An unlinked HubSpot record whose merged-ids list names linked records (the merge's other
/// jobs have not run yet, or only a poll saw it) takes over the link `plan_merge` picks.
async fn adopt_listed_links(
    session: &Session<'_>,
    pairs: &mut Pairs,
    i: usize,
    records: &HashMap<RecordRef, Record>,
) -> Result<Option<Link>, Vec<Step>> {
    let primary = pairs[i].0.primary().clone();
    if primary.side != Side::Hubspot || pairs[i].0.counterpart.is_some() {
        return Ok(None);
    }
    let Some(record) = records.get(&primary).filter(|r| r.active) else {
        return Ok(None);
    };
    let listed = merged_ids(session.kind, record);
    if listed.is_empty() {
        return Ok(None);
    }
    let links = session
        .store
        .get_links(
            session.connection_id(),
            session.kind,
            Side::Hubspot,
            &listed,
        )
        .await
        .map_err(|error| fail_all(pairs, |u| store_failure(u, &error)))?;
    let plan = plan_merge(Side::Hubspot, &record.id, None, &links, session.now);
    let Some((old, new)) = plan.relink else {
        return Ok(None);
    };
    match session.store.relink(&old, &new).await {
        Ok(stored) => {
            pairs[i].0.notes.push(format!(
                "hubspot {} was merged into {}; the link moved to it",
                old.hubspot_id, record.id
            ));
            Ok(Some(stored))
        }
        Err(StoreError::RevisionMismatch { .. } | StoreError::AlreadyLinked { .. }) => {
            Err(fail_all(pairs, Step::Replan))
        }
        Err(error) => Err(fail_all(pairs, |u| store_failure(u, &error))),
    }
}

/// The merged-away record's unit finishes "needs attention" on both records of its link,
/// which stays as it is: nothing is written, deactivated or created.
fn needs_attention(
    session: &Session<'_>,
    mut unit: Unit,
    side: Side,
    link: &Link,
    survivor_link: &Link,
) -> Step {
    let text = merged_elsewhere(
        session.kind,
        side,
        link,
        survivor_link.id(side),
        survivor_link.id(side.other()),
    );
    for anchor in Side::BOTH.map(|s| RecordRef::new(s, link.id(s))) {
        if !unit.anchors.contains(&anchor) {
            unit.anchors.push(anchor);
        }
    }
    let detail = FailureDetail {
        code: None,
        message: text.message,
        suggested_fix: Some(text.fix),
    };
    failed(unit, detail, false)
}

fn fail_all(pairs: &mut Pairs, step: impl Fn(Unit) -> Step) -> Vec<Step> {
    std::mem::take(pairs)
        .into_iter()
        .map(|(u, _)| step(u))
        .collect()
}

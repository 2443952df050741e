//! Finding the record an earlier create left behind by the marker it carries, before matching
//! by natural key: HubSpot records created from QBO hold the QBO id (docs/architecture.md §5).

use std::collections::{HashMap, HashSet};

use crate::model::kinds::descriptor;
use crate::model::{Link, Record, Side};
use crate::ports::{RecordRef, StoreError};

use super::record_source::RecordSource;
use super::session::{Session, gateway_failure, store_failure};
use super::unit::{Step, Unit};

/// Most ids per lookup call.
const LOOKUP_CHUNK: usize = 50;

/// For unlinked units without a counterpart: a HubSpot record whose QBO-id property names the
/// QBO primary (a create that lost its link: the person may have changed its e-mail since, so
/// the natural key no longer finds it), or the QBO record a HubSpot primary's QBO-id property
/// names (the id written back before the link). Candidates already linked are left alone.
pub(super) async fn match_by_marker(
    session: &mut Session<'_>,
    pairs: &mut Vec<(Unit, Option<Link>)>,
    records: &mut HashMap<RecordRef, Record>,
    source: RecordSource<'_>,
) -> Result<(), Vec<Step>> {
    let property = descriptor(session.kind).hubspot.qbo_id_property;
    // (unit index, the counterpart sought): a QBO id on the HubSpot side's property, or the
    // id of a QBO record.
    let mut by_qbo_primary: Vec<(usize, String)> = Vec::new();
    let mut by_hubspot_marker: Vec<(usize, String)> = Vec::new();
    for (i, (unit, link)) in pairs.iter().enumerate() {
        if link.is_some() || unit.counterpart.is_some() {
            continue;
        }
        let Some(record) = records.get(unit.primary()).filter(|r| r.active) else {
            continue;
        };
        match record.side {
            Side::Quickbooks => by_qbo_primary.push((i, record.id.clone())),
            Side::Hubspot => {
                if let Some(marker) = record
                    .values
                    .get(property)
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                {
                    by_hubspot_marker.push((i, marker.to_owned()));
                }
            }
        }
    }
    if by_qbo_primary.is_empty() && by_hubspot_marker.is_empty() {
        return Ok(());
    }
    let fail_all = |pairs: &mut Vec<(Unit, Option<Link>)>, step: &dyn Fn(Unit) -> Step| {
        std::mem::take(pairs)
            .into_iter()
            .map(|(u, _)| step(u))
            .collect::<Vec<_>>()
    };

    // Candidates, keyed by the unit they would pair with.
    let mut found: Vec<(usize, Record)> = Vec::new();
    let qbo_ids: Vec<String> = by_qbo_primary.iter().map(|(_, id)| id.clone()).collect();
    for chunk in qbo_ids.chunks(LOOKUP_CHUNK) {
        match source
            .find(session.kind, Side::Hubspot, property, chunk)
            .await
        {
            Ok(hits) => {
                for hit in hits {
                    let marker = hit.values.get(property).and_then(|v| v.as_str());
                    if let Some((i, _)) = by_qbo_primary
                        .iter()
                        .find(|(_, id)| Some(id.as_str()) == marker.map(str::trim))
                    {
                        found.push((*i, hit));
                    }
                }
            }
            Err(error) => return Err(fail_all(pairs, &|u| gateway_failure(u, &error))),
        }
    }
    let marked: Vec<String> = by_hubspot_marker.iter().map(|(_, id)| id.clone()).collect();
    match source.read(session.kind, Side::Quickbooks, &marked).await {
        Ok(hits) => {
            for hit in hits {
                for (i, _) in by_hubspot_marker.iter().filter(|(_, id)| *id == hit.id) {
                    found.push((*i, hit.clone()));
                }
            }
        }
        Err(error) => return Err(fail_all(pairs, &|u| gateway_failure(u, &error))),
    }
    if found.is_empty() {
        return Ok(());
    }

    // Only records no link holds yet.
    let candidates: Vec<RecordRef> = found
        .iter()
        .map(|(_, r)| RecordRef::new(r.side, r.id.clone()))
        .collect();
    let linked = match linked_among(session, &candidates).await {
        Ok(linked) => linked,
        Err(error) => return Err(fail_all(pairs, &|u| store_failure(u, &error))),
    };
    for (i, candidate) in found {
        let primary = pairs[i].0.primary().clone();
        let chosen = RecordRef::new(candidate.side, candidate.id.clone());
        if pairs[i].0.counterpart.is_some()
            || !candidate.active
            || linked.contains(&chosen)
            || session.paired_elsewhere(&chosen, &primary)
            || session.paired_elsewhere(&primary, &primary)
        {
            continue;
        }
        pairs[i].0.notes.push(format!(
            "linked the {} record {} an earlier create left (it carries {property})",
            chosen.side, chosen.id
        ));
        session.consumed.insert(primary.clone(), primary.clone());
        session.consumed.insert(chosen.clone(), primary);
        records.insert(chosen.clone(), candidate);
        pairs[i].0.counterpart = Some(chosen);
    }
    Ok(())
}

/// Which of `candidates` a link already holds (one store read per side).
pub(super) async fn linked_among(
    session: &Session<'_>,
    candidates: &[RecordRef],
) -> Result<HashSet<RecordRef>, StoreError> {
    let mut linked = HashSet::new();
    for side in Side::BOTH {
        let ids: Vec<String> = candidates
            .iter()
            .filter(|r| r.side == side)
            .map(|r| r.id.clone())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let links = session
            .store
            .get_links(session.connection_id(), session.kind, side, &ids)
            .await?;
        linked.extend(links.iter().map(|l| RecordRef::new(side, l.id(side))));
    }
    Ok(linked)
}

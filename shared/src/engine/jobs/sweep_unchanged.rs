//! The sweep's shortcut: a listed record whose link says nothing changed on either side since
//! its last sync (same versions, same settings of its kind) is not queued as a record job.

use std::collections::{BTreeSet, HashMap};

use crate::engine::sync::GatewayPair;
use crate::engine::sync::plan::synced_under;
use crate::model::{ConnectionSettings, Link, Record};
use crate::ports::Job;

use super::context::SyncContext;

/// The ids among `listed` (one page of `job`'s kind and side) that a sweep can leave alone:
/// linked, this side's version equal to the link's, the linked record on the other side read
/// back (one batch read) at the link's version, and the link synced under the kind's current
/// settings. Everything else is queued as before: unlinked records, changed ones, a linked
/// record the other side no longer returns (archived, deleted), a settings change. Any store
/// or vendor error here only costs the shortcut: the page is queued whole.
pub(crate) async fn unchanged_ids(
    ctx: &SyncContext,
    settings: &ConnectionSettings,
    gateways: &GatewayPair,
    job: &Job,
    listed: &[Record],
) -> BTreeSet<String> {
    if !job.kind.is_two_way() || listed.is_empty() {
        return BTreeSet::new();
    }
    let ids: Vec<String> = listed.iter().map(|r| r.id.clone()).collect();
    let links = match ctx
        .store
        .get_links(&job.connection, job.kind, job.side, &ids)
        .await
    {
        Ok(links) => links,
        Err(error) => {
            tracing::warn!(connection = %job.connection, kind = %job.kind, %error, "sweep: links unreadable; queueing the whole page");
            return BTreeSet::new();
        }
    };
    let by_id: HashMap<&str, &Link> = links.iter().map(|l| (l.id(job.side), l)).collect();
    let candidates: Vec<(&Record, &Link)> = listed
        .iter()
        .filter_map(|record| {
            let link = by_id.get(record.id.as_str())?;
            (link.version(job.side) == record.version
                && synced_under(&link.baseline, settings, job.kind))
            .then_some((record, *link))
        })
        .collect();
    if candidates.is_empty() {
        return BTreeSet::new();
    }
    let other = job.side.other();
    let other_ids: Vec<String> = candidates
        .iter()
        .map(|(_, link)| link.id(other).to_owned())
        .collect();
    let others = match gateways.side(other).read(job.kind, &other_ids).await {
        Ok(records) => records,
        Err(error) => {
            tracing::info!(connection = %job.connection, kind = %job.kind, %error, "sweep: linked records unreadable; queueing the whole page");
            return BTreeSet::new();
        }
    };
    let other_versions: HashMap<&str, &str> = others
        .iter()
        .filter(|r| r.active)
        .map(|r| (r.id.as_str(), r.version.as_str()))
        .collect();
    candidates
        .into_iter()
        .filter(|(record, link)| {
            record.active
                && other_versions
                    .get(link.id(other))
                    .is_some_and(|version| *version == link.version(other))
        })
        .map(|(record, _)| record.id.clone())
        .collect()
}

//! A person using the vendors: edits, archives and reads through the vendor APIs with their own
//! clients (not the engine's), and waits, with a bound, until a condition on a record holds.

use std::time::{Duration, Instant};

use hqsync::engine::sync::GatewayPair;
use hqsync::model::{NativeValues, ObjectKind, Record, Side};
use hqsync::ports::{DeactivateRequest, UpdateRequest};

/// How long the demo waits for the sync to show an edit before saying it did not.
pub const CONVERGENCE_BOUND: Duration = Duration::from_secs(20);

/// Time between re-reads while waiting: the watcher shares the company's rate limits with
/// the engine (QBO allows 10 requests per second per realm), so it must not flood them.
pub const RECHECK_EVERY: Duration = Duration::from_millis(300);

pub struct Actor {
    pub vendors: GatewayPair,
}

impl Actor {
    pub async fn read(&self, kind: ObjectKind, side: Side, id: &str) -> anyhow::Result<Record> {
        let mut records = self.vendors.side(side).read(kind, &[id.to_owned()]).await?;
        records
            .pop()
            .ok_or_else(|| anyhow::anyhow!("{side} {kind} {id} not found"))
    }

    /// Every record of `kind` on `side`, all pages.
    pub async fn list(&self, kind: ObjectKind, side: Side) -> anyhow::Result<Vec<Record>> {
        let mut records = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.vendors.side(side).list_page(kind, cursor).await?;
            records.extend(page.records);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(records),
            }
        }
    }

    /// Sets `values` on one record, as a user saving a form would.
    pub async fn edit(
        &self,
        kind: ObjectKind,
        side: Side,
        id: &str,
        values: NativeValues,
    ) -> anyhow::Result<Record> {
        let current = self.read(kind, side, id).await?;
        let mut results = self
            .vendors
            .side(side)
            .update(
                kind,
                vec![UpdateRequest {
                    id: id.to_owned(),
                    expected_version: current.version,
                    values,
                }],
            )
            .await?;
        match results.pop() {
            Some(Ok(record)) => Ok(record),
            Some(Err(error)) => anyhow::bail!("{side} refused the edit: {}", error.message),
            None => anyhow::bail!("{side} answered no result for the edit"),
        }
    }

    /// Archives (HubSpot) or makes inactive (QBO) one record.
    pub async fn archive(&self, kind: ObjectKind, side: Side, id: &str) -> anyhow::Result<()> {
        let current = self.read(kind, side, id).await?;
        let mut results = self
            .vendors
            .side(side)
            .deactivate(
                kind,
                vec![DeactivateRequest {
                    id: id.to_owned(),
                    expected_version: current.version,
                }],
            )
            .await?;
        match results.pop() {
            Some(Ok(())) => Ok(()),
            Some(Err(error)) => anyhow::bail!("{side} refused the archive: {}", error.message),
            None => anyhow::bail!("{side} answered no result for the archive"),
        }
    }

    /// Re-reads the record until `done` holds; the time it took, or `None` after the bound.
    pub async fn wait_for(
        &self,
        kind: ObjectKind,
        side: Side,
        id: &str,
        started: Instant,
        done: impl Fn(&Record) -> bool,
    ) -> anyhow::Result<Option<Duration>> {
        loop {
            let record = self.read(kind, side, id).await?;
            if done(&record) {
                return Ok(Some(started.elapsed()));
            }
            if started.elapsed() > CONVERGENCE_BOUND {
                return Ok(None);
            }
            tokio::time::sleep(RECHECK_EVERY).await;
        }
    }
}

/// "synced in 740 ms", or that it did not within the bound.
pub fn latency_text(latency: Option<Duration>) -> String {
    match latency {
        Some(d) => format!("{} ms", d.as_millis()),
        None => format!("not synced within {} s", CONVERGENCE_BOUND.as_secs()),
    }
}

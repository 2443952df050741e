//! One chaos run (docs/chaos.md): `ops` seeded operations (person edits, webhook deliveries
//! with drops, duplicates and reordering, worker steps, polls, vendor faults, crashes), then
//! quiet until the queue drains, then the checker over the final state and the history.

use std::time::{Duration, Instant};

use hqsync::mapping::MappingSet;
use hqsync::model::{NativeValues, ObjectKind, Side};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::checker::{Verdict, check};
use super::crash::{AfterWrite, Armed, WriteStep};
use super::history::{EditOp, Event, History, PersonEdit};
use super::ops::{EditableField, Fresh, editable_fields};
use super::snapshot::Snapshot;
use super::tenants::{ConnectionEnd, combined, connection_name, crossed_records};
use super::webhooks::Captured;
use super::world::{KINDS, StepOutcome, World, canonical_fields};

/// Quiet rounds at most (each delivers, drains, polls and moves 15 simulated minutes).
const MAX_QUIET_ROUNDS: usize = 200;
const QUIET_STEP: Duration = Duration::from_secs(15 * 60);
/// Quiet rounds with an unchanged final state after which a run counts as quiet (2 h).
const STABLE_ROUNDS: usize = 8;
/// The quiet round by which the sweep runs even if the queue is still busy.
const SWEEP_BY_ROUND: usize = 4;
/// Worker steps per quiet drain at most (a queue that never empties is a finding, not a hang).
const MAX_DRAIN_STEPS: usize = 5_000;
/// Past the queue's visibility timeout: a crashed job is visible again.
const VISIBILITY_PASSED: Duration = Duration::from_secs(15 * 60);

/// A scenario the generator can produce, forced by a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forced {
    /// A create whose worker crashes between the create and its link write, then a person
    /// changes the new record's match key before the retry (docs/architecture.md §5, 2).
    CrashThenRekey { kind: ObjectKind, side: Side },
    /// The same, then QBO forgets every `requestid` and the crashed job's retry runs before
    /// the edited record's webhooks are delivered: the retry must find its record without
    /// QBO's replay (engine/sync/pending_creates.rs).
    CrashRekeyRetryFirst { kind: ObjectKind, side: Side },
}

#[derive(Debug, Clone)]
pub struct ChaosOptions {
    pub seed: u64,
    pub ops: usize,
    /// Print a progress line to stderr every this many ops (0 = never).
    pub progress_every: usize,
    /// Run these scenarios first, then the seeded ops.
    pub forced: Vec<Forced>,
    /// Connections (1 or 2; docs/chaos.md §9): with 2, the second one's QBO refresh token is
    /// revoked halfway through the ops.
    pub connections: usize,
}

/// What a run found.
#[derive(Debug, Clone)]
pub struct ChaosOutcome {
    pub ops: usize,
    pub verdict: Verdict,
    pub digest: String,
    /// Lines about the run (counts, quiet rounds) printed before the details.
    pub info: Vec<String>,
    /// False when the quiet phase never reached a state with nothing left to do.
    pub quiesced: bool,
    pub history: History,
    /// The final state's lines (the digest's tail).
    pub final_state: Vec<String>,
    /// With several connections, how each one ended (empty with one).
    pub connections: Vec<ConnectionEnd>,
}

struct Run {
    world: World,
    rng: StdRng,
    fresh: Fresh,
    history: History,
    /// Captured webhooks not yet delivered (delivery order is the seed's choice).
    pending: Vec<Captured>,
    /// Records a person made: (connection index, kind, side, id).
    made: Vec<(usize, ObjectKind, Side, String)>,
    /// The connection the current operation works on (docs/chaos.md §9).
    t: usize,
}

pub async fn run(options: &ChaosOptions) -> anyhow::Result<ChaosOutcome> {
    let world = World::start(options.seed, options.connections).await?;
    let mut run = Run {
        world,
        rng: StdRng::seed_from_u64(options.seed),
        fresh: Fresh::default(),
        history: History::default(),
        pending: Vec::new(),
        made: Vec::new(),
        t: 0,
    };
    // With two connections the second one's QBO refresh token is revoked halfway.
    let fault_at = (options.connections > 1).then_some(options.ops / 2 + 1);
    let started = Instant::now();
    for forced in &options.forced {
        match *forced {
            Forced::CrashThenRekey { kind, side } => {
                run.crash_then_rekey(kind, side).await?;
            }
            Forced::CrashRekeyRetryFirst { kind, side } => {
                run.crash_rekey_retry_first(kind, side).await?
            }
        }
    }
    for n in 1..=options.ops {
        if fault_at == Some(n) {
            run.revoke_connection(1).await?;
        }
        run.op().await?;
        if options.progress_every > 0 && n % options.progress_every == 0 {
            eprintln!(
                "chaos seed {}: {n}/{} ops, {:.0} s",
                options.seed,
                options.ops,
                started.elapsed().as_secs_f64()
            );
        }
    }
    if fault_at.is_some_and(|n| n > options.ops) {
        run.revoke_connection(1).await?;
    }
    let rounds = run.quiet().await?;
    let mut snapshots = Vec::new();
    for t in 0..run.world.tenants.len() {
        snapshots.push(run.world.snapshot(t).await?);
    }
    let (verdict, ends) = if snapshots.len() == 1 {
        (check(&snapshots[0], run.history.edits()), Vec::new())
    } else {
        let mut ends = Vec::new();
        for (t, snapshot) in snapshots.iter().enumerate() {
            let (status, reason) = run.world.connection_state(t).await?;
            let own = || run.history.edits().filter(move |e| e.connection == t);
            let others = run.history.edits().filter(|e| e.connection != t);
            ends.push(ConnectionEnd {
                name: connection_name(t),
                status,
                reason,
                faulted: t == 1,
                verdict: check(snapshot, own()),
                crossed: crossed_records(snapshot, own(), others),
            });
        }
        (combined(&ends), ends)
    };
    let final_state = state_lines(&snapshots);
    let digest = run.history.digest(&final_state);
    let [edits, faults, deliveries, steps] = run.history.counts();
    let sum = |f: fn(&Snapshot) -> usize| snapshots.iter().map(f).sum::<usize>();
    let mut info = vec![format!(
        "seed={} edits={edits} faults={faults} deliveries={deliveries} steps={steps} records={} links={} failures={}",
        options.seed,
        sum(|s| s.records.len()),
        sum(|s| s.links.len()),
        sum(|s| s.failures.len())
    )];
    match rounds {
        Some(r) => info.push(format!("quiet after {r} rounds")),
        None => info.push(format!(
            "not quiet after {MAX_QUIET_ROUNDS} rounds: jobs or webhooks were still left"
        )),
    }
    let history = run.history.clone();
    run.world.shutdown().await;
    Ok(ChaosOutcome {
        ops: options.ops,
        verdict,
        digest,
        info,
        quiesced: rounds.is_some(),
        history,
        final_state,
        connections: ends,
    })
}

/// The final state's lines of every connection; the first one's as in a one-connection run,
/// the others' prefixed with their index.
fn state_lines(snapshots: &[Snapshot]) -> Vec<String> {
    let mut lines = Vec::new();
    for (t, snapshot) in snapshots.iter().enumerate() {
        lines.extend(snapshot.lines().into_iter().map(|line| match t {
            0 => line,
            t => format!("connection={t} {line}"),
        }));
    }
    lines
}

impl Run {
    fn now(&self) -> i64 {
        self.world.clock.now_ms()
    }

    /// `what`, named by its connection when it is not the first (whose lines stay those of
    /// a one-connection run).
    fn tagged(&self, what: String) -> String {
        match self.t {
            0 => what,
            t => format!("connection={t} {what}"),
        }
    }

    fn step_event(&mut self, what: String) {
        let what = self.tagged(what);
        let at_ms = self.now();
        self.history.push(Event::Step { at_ms, what });
    }

    fn fault_event(&mut self, what: String) {
        let what = self.tagged(what);
        let at_ms = self.now();
        self.history.push(Event::Fault { at_ms, what });
    }

    /// One seeded operation, after moving the clock 1-20 simulated seconds.
    async fn op(&mut self) -> anyhow::Result<()> {
        let advance = Duration::from_secs(self.rng.random_range(1..=20));
        self.world.clock.advance(advance).await?;
        let kind = KINDS[self.rng.random_range(0..KINDS.len())];
        let side = Side::BOTH[self.rng.random_range(0..2)];
        // One connection draws nothing here, so its history stays the one-connection run's.
        self.t = match self.world.tenants.len() {
            1 => 0,
            n => self.rng.random_range(0..n),
        };
        match self.rng.random_range(0..100) {
            0..12 => {
                self.create(kind, side).await?;
            }
            12..40 => self.update(kind, side).await?,
            40..45 => self.conflict(kind).await?,
            45..47 => self.deactivate(kind, side).await?,
            47..49 => {
                self.crash_then_rekey(kind, side).await?;
            }
            49..66 => self.deliver().await?,
            66..88 => {
                for _ in 0..self.rng.random_range(1..=3) {
                    self.step().await;
                }
            }
            88..91 => self.poll().await,
            _ => self.fault().await?,
        }
        self.collect().await;
        self.t = 0;
        Ok(())
    }

    /// The person disconnects the app from connection `t`'s QBO company (docs/chaos.md §9):
    /// the engine finds out at its next QBO call and marks it reconnect-required.
    async fn revoke_connection(&mut self, t: usize) -> anyhow::Result<()> {
        self.t = t;
        self.fault_event("QBO refresh token revoked (the app disconnected)".into());
        self.world.revoke_qbo_refresh_token(t).await?;
        self.t = 0;
        Ok(())
    }

    async fn collect(&mut self) {
        let captured = self.world.outgoing_webhooks().await;
        self.pending.extend(captured);
    }

    fn mappings(&self, kind: ObjectKind) -> anyhow::Result<MappingSet> {
        self.world.mappings(kind)
    }

    /// The edit's mapped fields as canonical text (only the ones it wrote).
    fn edit_fields(
        &self,
        kind: ObjectKind,
        side: Side,
        values: &NativeValues,
    ) -> anyhow::Result<std::collections::BTreeMap<String, Option<String>>> {
        let mappings = self.mappings(kind)?;
        let canonical = canonical_fields(&mappings, side, values);
        Ok(mappings
            .rows()
            .iter()
            .filter(|row| values.contains_key(row.native_key(side)))
            .map(|row| (row.field.clone(), canonical.get(&row.field).cloned()))
            .collect())
    }

    fn record_edit(
        &mut self,
        kind: ObjectKind,
        side: Side,
        id: &str,
        op: EditOp,
        fields: std::collections::BTreeMap<String, Option<String>>,
    ) {
        let at_ms = self.now();
        self.history.push(Event::Edit(PersonEdit {
            at_ms,
            connection: self.t,
            kind,
            side,
            id: id.to_owned(),
            op,
            fields,
        }));
    }

    async fn create(&mut self, kind: ObjectKind, side: Side) -> anyhow::Result<Option<String>> {
        let values = self.fresh.create(&mut self.rng, kind, side);
        let key = format!("chaos-person-{}", self.history.events().len());
        match self
            .world
            .create(self.t, kind, side, values.clone(), key)
            .await?
        {
            Ok(record) => {
                let fields = self.edit_fields(kind, side, &values)?;
                self.record_edit(kind, side, &record.id, EditOp::Create, fields);
                self.made.push((self.t, kind, side, record.id.clone()));
                Ok(Some(record.id))
            }
            Err(refusal) => {
                self.step_event(format!("person create {kind} {side} refused: {refusal}"));
                Ok(None)
            }
        }
    }

    /// An active record of `kind` on `side` a person could edit: one they made or one the sync
    /// linked (the links say which records exist; the edit itself goes through the API).
    async fn target(&mut self, kind: ObjectKind, side: Side) -> anyhow::Result<Option<String>> {
        let mut ids: Vec<String> = self
            .made
            .iter()
            .filter(|(t, k, s, _)| *t == self.t && *k == kind && *s == side)
            .map(|(_, _, _, id)| id.clone())
            .collect();
        let links = self
            .world
            .ctx
            .store
            .list_links(&self.world.tenants[self.t].connection, kind)
            .await?;
        ids.extend(links.iter().map(|l| l.id(side).to_owned()));
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(None);
        }
        let id = ids[self.rng.random_range(0..ids.len())].clone();
        let active = self
            .world
            .read(self.t, kind, side, &id)
            .await?
            .is_some_and(|r| r.active);
        Ok(active.then_some(id))
    }

    fn pick_field(&mut self, kind: ObjectKind) -> EditableField {
        let fields = editable_fields(kind);
        fields[self.rng.random_range(0..fields.len())]
    }

    async fn edit_field(
        &mut self,
        kind: ObjectKind,
        side: Side,
        id: &str,
        field: &EditableField,
    ) -> anyhow::Result<()> {
        let values = self.fresh.value(&mut self.rng, kind, side, field);
        match self
            .world
            .update(self.t, kind, side, id, values.clone())
            .await?
        {
            Ok(_) => {
                let fields = self.edit_fields(kind, side, &values)?;
                self.record_edit(kind, side, id, EditOp::Update, fields);
            }
            Err(refusal) => {
                self.step_event(format!("person edit {kind} {side} {id} refused: {refusal}"))
            }
        }
        Ok(())
    }

    async fn update(&mut self, kind: ObjectKind, side: Side) -> anyhow::Result<()> {
        let Some(id) = self.target(kind, side).await? else {
            return self.create(kind, side).await.map(|_| ());
        };
        let field = self.pick_field(kind);
        self.edit_field(kind, side, &id, &field).await
    }

    /// The same field edited on both sides of a pair between syncs.
    async fn conflict(&mut self, kind: ObjectKind) -> anyhow::Result<()> {
        let links = self
            .world
            .ctx
            .store
            .list_links(&self.world.tenants[self.t].connection, kind)
            .await?;
        if links.is_empty() {
            return Ok(());
        }
        let link = links[self.rng.random_range(0..links.len())].clone();
        let field = self.pick_field(kind);
        let first = Side::BOTH[self.rng.random_range(0..2)];
        for side in [first, first.other()] {
            let id = link.id(side).to_owned();
            if self
                .world
                .read(self.t, kind, side, &id)
                .await?
                .is_some_and(|r| r.active)
            {
                self.edit_field(kind, side, &id, &field).await?;
            }
            self.world.clock.advance(Duration::from_secs(1)).await?;
        }
        Ok(())
    }

    async fn deactivate(&mut self, kind: ObjectKind, side: Side) -> anyhow::Result<()> {
        let Some(id) = self.target(kind, side).await? else {
            return Ok(());
        };
        match self.world.deactivate(self.t, kind, side, &id).await? {
            Ok(()) => self.record_edit(kind, side, &id, EditOp::Deactivate, Default::default()),
            Err(refusal) => self.step_event(format!(
                "person archive {kind} {side} {id} refused: {refusal}"
            )),
        }
        Ok(())
    }

    /// Delivers some pending webhooks in a seeded order; some are dropped, some delivered
    /// twice (the copy later, signed anew), the rest wait (delayed).
    async fn deliver(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let n = self.rng.random_range(1..=self.pending.len().min(6));
        for _ in 0..n {
            let pick = self.rng.random_range(0..self.pending.len());
            let captured = self.pending.remove(pick);
            let roll = self.rng.random_range(0..100);
            if roll < 5 {
                self.fault_event(format!("webhook dropped {}", describe(&captured)));
                continue;
            }
            if roll < 10 {
                self.fault_event(format!("webhook duplicated {}", describe(&captured)));
                self.pending.push(captured.clone());
            }
            self.deliver_one(&captured).await?;
        }
        Ok(())
    }

    async fn deliver_one(&mut self, captured: &Captured) -> anyhow::Result<()> {
        let status = self.world.intake.deliver(captured, self.now()).await?;
        let at_ms = self.now();
        self.history.push(Event::Delivery {
            at_ms,
            what: format!("{} -> {status}", describe(captured)),
        });
        Ok(())
    }

    async fn step(&mut self) -> StepOutcome {
        let outcome = self.world.step().await;
        let fired = self.world.plan.take_fired();
        let what = match &outcome {
            StepOutcome::Idle => "idle".to_owned(),
            StepOutcome::Ran { lane, run } => format!(
                "{lane:?} done={} retried={} dropped={} dead_lettered={}",
                run.done, run.retried, run.dropped, run.dead_lettered
            ),
            StepOutcome::Crashed { lane } => format!("{lane:?} crashed"),
            StepOutcome::Failed(error) => format!("worker pass failed: {error}"),
        };
        for armed in fired {
            self.fault_event(format!(
                "{:?} after {:?} on {}",
                armed.then, armed.step, armed.side
            ));
        }
        self.step_event(what);
        outcome
    }

    async fn poll(&mut self) {
        // The poller passes by a connection that is not active (as the pipeline's does).
        if !self.active(self.t).await {
            return self.step_event("poll skipped: not active".into());
        }
        let what = match self.world.poll(self.t).await {
            Ok(jobs) => format!("poll queued {jobs}"),
            Err(error) => format!("poll failed: {error}"),
        };
        self.step_event(what);
    }

    /// A vendor fault for the next step: errors (5xx, 429) answered by the sandbox before it
    /// handles the request, or a crash or lost answer after the vendor applied a write.
    async fn fault(&mut self) -> anyhow::Result<()> {
        let side = Side::BOTH[self.rng.random_range(0..2)];
        let roll = self.rng.random_range(0..100);
        if roll < 10 {
            self.fault_event("QBO access tokens expire now".into());
            self.world.expire_qbo_tokens(self.t).await?;
            self.step().await;
            return Ok(());
        }
        if roll < 55 {
            let status = [500, 502, 503, 429][self.rng.random_range(0..4)];
            let count = self.rng.random_range(1..=3);
            let statuses = vec![status; count];
            self.fault_event(format!("{side} answers {statuses:?} next"));
            self.world.fail_next(self.t, side, &statuses).await?;
            self.step().await;
            self.world.clear_faults().await?;
            return Ok(());
        }
        let step = [WriteStep::Create, WriteStep::Update, WriteStep::Deactivate]
            [self.rng.random_range(0..3)];
        let then = if self.rng.random_bool(0.6) {
            AfterWrite::Crash
        } else {
            AfterWrite::Timeout
        };
        self.world.plan.arm(Armed { side, step, then });
        for _ in 0..4 {
            if matches!(self.step().await, StepOutcome::Idle) {
                break;
            }
        }
        self.world.plan.disarm();
        Ok(())
    }

    /// [`Forced::CrashRekeyRetryFirst`]: crash then re-key, QBO forgets its `requestid`s, and
    /// past the visibility timeout the crashed job runs again before any new webhook arrives.
    async fn crash_rekey_retry_first(
        &mut self,
        kind: ObjectKind,
        side: Side,
    ) -> anyhow::Result<()> {
        if !self.crash_then_rekey(kind, side).await? {
            return Ok(());
        }
        let forgotten = self.world.forget_request_ids(self.t).await?;
        self.fault_event(format!("QBO forgets {forgotten} requestids"));
        self.world.clock.advance(VISIBILITY_PASSED).await?;
        for _ in 0..8 {
            if matches!(self.step().await, StepOutcome::Idle) {
                break;
            }
        }
        Ok(())
    }

    /// Item 2 of docs/chaos.md §2: create on `side`, crash the worker between the other
    /// side's create and its link write, then a person edits the new record's match key;
    /// whether all of that happened.
    async fn crash_then_rekey(&mut self, kind: ObjectKind, side: Side) -> anyhow::Result<bool> {
        if self.create(kind, side).await?.is_none() {
            return Ok(false);
        }
        self.collect().await;
        for captured in std::mem::take(&mut self.pending) {
            self.deliver_one(&captured).await?;
        }
        let other = side.other();
        self.world.plan.arm(Armed {
            side: other,
            step: WriteStep::Create,
            then: AfterWrite::Crash,
        });
        let mut crashed = false;
        for _ in 0..8 {
            match self.step().await {
                StepOutcome::Crashed { .. } => {
                    crashed = true;
                    break;
                }
                StepOutcome::Idle => break,
                _ => {}
            }
        }
        self.world.plan.disarm();
        if !crashed {
            return Ok(false);
        }
        // The created record is the newest one on `other` that no link names yet.
        let links = self
            .world
            .ctx
            .store
            .list_links(&self.world.tenants[self.t].connection, kind)
            .await?;
        let mut unlinked = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.world.tenants[self.t]
                .user
                .side(other)
                .list_page(kind, cursor)
                .await?;
            unlinked.extend(
                page.records
                    .into_iter()
                    .filter(|r| r.active && !links.iter().any(|l| l.id(other) == r.id)),
            );
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        unlinked.sort_by_key(|r| (r.modified_at, r.id.parse::<u64>().unwrap_or(0)));
        let Some(created) = unlinked.last() else {
            return Ok(false);
        };
        let id = created.id.clone();
        let key = *editable_fields(kind)
            .iter()
            .find(|f| f.match_key)
            .expect("a match key field");
        // A person edits after the create, not in the same instant (newest-wins needs an order).
        self.world.clock.advance(Duration::from_secs(1)).await?;
        self.fault_event(format!(
            "person edits the match key of {kind} {other} {id} before the retry"
        ));
        self.edit_field(kind, other, &id, &key).await?;
        Ok(true)
    }

    /// Stops edits and faults, then delivers, drains and polls until nothing is left; `None`
    /// when that never happened.
    async fn quiet(&mut self) -> anyhow::Result<Option<usize>> {
        self.world.clear_faults().await?;
        self.world.plan.disarm();
        let mut swept = false;
        let mut calm = 0;
        let mut stable = 0;
        let mut last_state: Option<Vec<String>> = None;
        for round in 1..=MAX_QUIET_ROUNDS {
            self.collect().await;
            for captured in std::mem::take(&mut self.pending) {
                self.deliver_one(&captured).await?;
            }
            let mut ran = 0;
            for _ in 0..MAX_DRAIN_STEPS {
                match self.step().await {
                    StepOutcome::Idle => break,
                    _ => ran += 1,
                }
                self.collect().await;
                for captured in std::mem::take(&mut self.pending) {
                    self.deliver_one(&captured).await?;
                }
            }
            let mut polled = 0;
            let mut snapshots = Vec::new();
            for t in 0..self.world.tenants.len() {
                if !self.active(t).await {
                    continue;
                }
                self.t = t;
                polled += match self.world.poll(t).await {
                    Ok(jobs) => jobs,
                    Err(error) => {
                        self.step_event(format!("quiet poll failed: {error}"));
                        1
                    }
                };
            }
            self.t = 0;
            let waiting = self.world.pending_jobs().await?;
            for t in 0..self.world.tenants.len() {
                snapshots.push(self.world.snapshot(t).await?);
            }
            // A record that keeps failing is retried on its backoff for days (and a paused
            // connection's jobs wait for its reconnect): a state that stays the same for
            // STABLE_ROUNDS rounds after the sweep is quiet too.
            let state = state_lines(&snapshots);
            if swept && self.pending.is_empty() && last_state.as_ref() == Some(&state) {
                stable += 1;
                if stable >= STABLE_ROUNDS {
                    return Ok(Some(round));
                }
            } else {
                stable = 0;
            }
            last_state = Some(state);
            let idle = ran == 0 && polled == 0 && waiting == 0 && self.pending.is_empty();
            // The daily sweep once the queue is idle, or anyway after a few rounds (a record
            // retried on its backoff keeps it busy).
            if !swept && (idle || round >= SWEEP_BY_ROUND) {
                for t in 0..self.world.tenants.len() {
                    if !self.active(t).await {
                        continue;
                    }
                    self.t = t;
                    let (jobs, errors) = self.world.sweep(t).await;
                    self.step_event(format!("sweep queued {jobs} errors={errors:?}"));
                }
                self.t = 0;
                swept = true;
                calm = 0;
            } else if idle {
                calm += 1;
                if calm >= 2 {
                    return Ok(Some(round));
                }
            } else {
                calm = 0;
            }
            self.world.clock.advance(QUIET_STEP).await?;
        }
        Ok(None)
    }
}

impl Run {
    /// Whether connection `t` is stored active (the first one always is in a one-connection
    /// run: nothing here changes its status).
    async fn active(&self, t: usize) -> bool {
        if self.world.tenants.len() == 1 {
            return true;
        }
        matches!(
            self.world.connection_state(t).await,
            Ok((hqsync::ports::ConnectionStatus::Active, _))
        )
    }
}

fn describe(captured: &Captured) -> String {
    use sha2::{Digest, Sha256};
    let hash = hex::encode(Sha256::digest(captured.stable_text().as_bytes()));
    format!("{} {}", captured.side, &hash[..12])
}

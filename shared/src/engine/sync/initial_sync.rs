//! Initial sync (backfill): enumerate both sides, match, plan; a dry run returns a preview and
//! writes nothing, a real run applies through the worker's path (`sync_units`) chunk by chunk.
//! Mirrored kinds (invoices, estimates, payments) are backfilled by queueing one bulk job per
//! QBO record.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use crate::engine::sync::plan::{Action, Exclusion, LinkChange, Outcome};
use crate::mapping::{MappingSet, normalise_key};
use crate::model::kinds::QboOnlyForm;
use crate::model::{ConnectionId, CustomerModel, MatchForm, ObjectKind, Record, Side, SyncState};
use crate::ports::{Cursor, GatewayError, Job, JobReason, Page, RecordRef, StoreError};
use crate::ports::{Origin, lane_for};

use super::contact_merges::{ContactMerges, CustomerTargets, contact_merges};
use super::customer_scope::CustomerScope;
use super::describe::describe_exclusion;
use super::gateway_pair::GatewayPair;
use super::ports::SyncPorts;
use super::prepare::{PrepareResult, prepare};
use super::record_source::Snapshot;
use super::rounds::sync_units;
use super::session::Session;
use super::unit::{Step, Unit, UnitResult};

/// How an initial sync runs.
#[derive(Debug, Clone)]
pub struct InitialSyncOptions {
    /// Plan and report only; write nothing anywhere.
    pub dry_run: bool,
    /// Records per planning/apply chunk.
    pub chunk_size: usize,
    /// Examples kept per preview category.
    pub samples: usize,
    /// When the mirrored kinds (QBO invoices, payments) are backfilled.
    pub mirrored: MirroredBackfill,
}

/// When an initial sync queues the whole QBO history of a mirrored kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MirroredBackfill {
    /// Every run (an explicit initial sync).
    Always,
    /// Only for kinds never backfilled on this connection (no QBO cursor with a full sweep):
    /// the daily reconciliation, so connections made before a kind existed catch up once
    /// without re-queueing every invoice each day (the poller and overdue sweep cover the rest).
    IfNeverDone,
}

impl Default for InitialSyncOptions {
    fn default() -> Self {
        InitialSyncOptions {
            dry_run: false,
            chunk_size: 100,
            samples: 5,
            mirrored: MirroredBackfill::Always,
        }
    }
}

/// Progress reports for the CLI's bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncProgress {
    /// Records enumerated so far on one side.
    Listing {
        kind: ObjectKind,
        side: Side,
        records: usize,
    },
    /// Records planned (and applied, unless a dry run) so far.
    Syncing {
        kind: ObjectKind,
        done: usize,
        total: usize,
    },
}

/// Counts and examples of what the sync of one kind does (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindPreview {
    pub kind: Option<ObjectKind>,
    pub hubspot_records: usize,
    pub qbo_records: usize,
    /// Pairs linked before this run.
    pub already_linked: usize,
    /// Existing records paired by match key.
    pub new_links: usize,
    pub creates: BTreeMap<Side, usize>,
    pub updates: BTreeMap<Side, usize>,
    pub deactivations: BTreeMap<Side, usize>,
    /// Creates whose QBO name is already taken (they get a suffix).
    pub collisions: usize,
    /// Matches where several records share the key.
    pub ambiguous: usize,
    pub excluded: usize,
    /// QBO creates the "create only when billed" policy leaves until a workflow action bills
    /// the record (`qbo_create = "when_billed"`); not counted in `excluded`.
    pub creates_avoided: usize,
    /// Records that cannot be created on the other side, or (real run) failed.
    pub failed: usize,
    /// Records handed back to the queue (throttling, claims held), real run only.
    pub deferred: usize,
    pub samples: BTreeMap<&'static str, Vec<String>>,
}

impl KindPreview {
    fn sample(&mut self, category: &'static str, max: usize, text: impl FnOnce() -> String) {
        let list = self.samples.entry(category).or_default();
        if list.len() < max {
            list.push(text());
        }
    }
}

/// What the backfill of one mirrored kind queued (or, in a dry run, would queue).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MirroredPreview {
    pub kind: ObjectKind,
    /// The QBO-only form riding on `kind` (`Estimate`) when the row counts its records rather
    /// than the kind's own (model/kinds/forms.rs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<&'static str>,
    /// QBO records listed.
    pub qbo_records: usize,
    /// Bulk-lane jobs queued (0 in a dry run).
    pub queued: usize,
}

impl MirroredPreview {
    /// What the row counts, as people read it: `invoice`, `estimate`, `payment`.
    pub fn label(&self) -> String {
        match self.form {
            Some(form) => form.to_lowercase(),
            None => self.kind.to_string(),
        }
    }
}

/// The result of an initial sync (or its preview) for every enabled kind (the admin API's
/// preview answers it as JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct InitialSyncReport {
    pub dry_run: bool,
    /// The two-way kinds.
    pub kinds: Vec<KindPreview>,
    /// The mirrored kinds backfilled this run: invoices, estimates (a form riding on invoices),
    /// payments.
    pub mirrored: Vec<MirroredPreview>,
    /// Under the `company` customer model, a preview's contacts per company customer
    /// (docs/admin.md §6); absent otherwise and in a real run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_merges: Option<ContactMerges>,
}

#[derive(Debug, thiserror::Error)]
pub enum InitialSyncError {
    #[error("unknown connection {0}")]
    UnknownConnection(ConnectionId),
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error("listing {kind} records on {side} failed: {error}")]
    Listing {
        kind: ObjectKind,
        side: Side,
        error: GatewayError,
    },
    #[error("preparing the {side} account failed: {error}")]
    Schema { side: Side, error: GatewayError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("gateways for the connection: {0}")]
    Gateways(GatewayError),
    #[error("could not queue the {kind} backfill: {error}")]
    Queue {
        kind: ObjectKind,
        error: crate::ports::QueueError,
    },
}

/// Throttle waits tolerated per page while listing before giving up.
const MAX_LIST_THROTTLES: u32 = 10;

/// Prepares the vendor accounts of a connection for the kinds it syncs (HubSpot properties for
/// the linked QBO ids). Idempotent; run before the first sync.
pub async fn prepare_connection(
    gateways: &GatewayPair,
    kinds: &[ObjectKind],
) -> Result<(), InitialSyncError> {
    for side in Side::BOTH {
        gateways
            .side(side)
            .ensure_schema(kinds)
            .await
            .map_err(|error| InitialSyncError::Schema { side, error })?;
    }
    Ok(())
}

/// Runs (or previews) the initial sync of every enabled kind of `connection_id`.
pub async fn initial_sync(
    ports: &SyncPorts<'_>,
    connection_id: &ConnectionId,
    options: &InitialSyncOptions,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<InitialSyncReport, InitialSyncError> {
    let connection = ports
        .store
        .get_connection(connection_id)
        .await?
        .ok_or_else(|| InitialSyncError::UnknownConnection(connection_id.clone()))?;
    let gateways = ports
        .gateways
        .pair(&connection)
        .await
        .map_err(InitialSyncError::Gateways)?;
    let settings = &connection.connection.settings;
    let kinds: Vec<ObjectKind> = ObjectKind::TWO_WAY
        .into_iter()
        .filter(|k| settings.state(*k) == SyncState::Enabled)
        // Sub-customer contacts need their companies' customers first; they are created as
        // their changes arrive (docs/admin.md §6), never in a snapshot round.
        .filter(|k| !settings.customers.syncs_other_kind(*k))
        .collect();
    if !options.dry_run {
        prepare_connection(&gateways, &kinds).await?;
    }
    let mut report = InitialSyncReport {
        dry_run: options.dry_run,
        kinds: Vec::new(),
        mirrored: Vec::new(),
        contact_merges: None,
    };
    for kind in kinds {
        let mappings = MappingSet::build(kind, settings.object(kind))
            .map_err(|e| InitialSyncError::Settings(e.to_string()))?;
        let started = ports.clock.now();
        let mut snapshot = Snapshot::default();
        let mut preview = KindPreview {
            kind: Some(kind),
            ..KindPreview::default()
        };
        for side in Side::BOTH {
            let records = list_all(&gateways, kind, side, progress).await?;
            match side {
                Side::Hubspot => preview.hubspot_records = records.len(),
                Side::Quickbooks => preview.qbo_records = records.len(),
            }
            for record in records {
                snapshot.insert(record);
            }
        }
        for side in Side::BOTH {
            for field in mappings.match_fields() {
                if let Some(row) = mappings.row(field) {
                    snapshot.index_field(side, row.native_key(side), row.match_form);
                }
            }
        }
        if let Some(field) = unique_name_field(kind) {
            snapshot.index_field(Side::Quickbooks, field, MatchForm::Text);
        }

        let mut session = Session {
            connection: &connection,
            kind,
            mappings: &mappings,
            store: ports.store,
            gateways: &gateways,
            now: ports.clock.now(),
            consumed: HashMap::new(),
            billed: false,
            scope: if settings.customers.sub_customers() {
                CustomerScope::TopLevel
            } else {
                CustomerScope::Any
            },
        };
        let anchors: Vec<RecordRef> = snapshot
            .records()
            .into_iter()
            .map(|r| RecordRef::new(r.side, r.id.clone()))
            .collect();
        let total = anchors.len();
        let mut handled: HashSet<RecordRef> = HashSet::new();
        let mut names_taken: HashSet<String> = HashSet::new();
        let mut done = 0;
        // The preview of a company customer model also says which contacts merge where.
        let mut targets = (options.dry_run
            && kind == ObjectKind::Company
            && settings.customers.model == CustomerModel::Company)
            .then(CustomerTargets::default);
        for chunk in anchors.chunks(options.chunk_size.max(1)) {
            done += chunk.len();
            let units: Vec<Unit> = chunk
                .iter()
                .filter(|r| !handled.contains(*r))
                .cloned()
                .map(Unit::new)
                .collect();
            if options.dry_run {
                let results = prepare(
                    &mut session,
                    units,
                    super::record_source::RecordSource::Snapshot(&snapshot),
                )
                .await;
                for result in results {
                    if let Some(targets) = targets.as_mut() {
                        targets.note(&result);
                    }
                    count_planned(
                        &mut preview,
                        options.samples,
                        &snapshot,
                        &mut names_taken,
                        &mut handled,
                        result,
                    );
                }
            } else {
                session.now = ports.clock.now();
                let steps = sync_units(
                    &mut session,
                    ports.queue,
                    ports.outcomes,
                    units,
                    Some(&snapshot),
                )
                .await;
                let mut deferred = Vec::new();
                for step in steps {
                    count_applied(
                        &mut preview,
                        options.samples,
                        &mut handled,
                        &mut deferred,
                        step,
                    );
                }
                if !deferred.is_empty() {
                    let jobs: Vec<Job> = deferred
                        .into_iter()
                        .map(|(r, _)| {
                            Job::new(
                                connection_id.clone(),
                                kind,
                                r.side,
                                r.id,
                                JobReason::Backfill,
                                ports.clock.now(),
                            )
                        })
                        .collect();
                    preview.deferred += jobs.len();
                    if let Err(error) = ports
                        .queue
                        .enqueue(lane_for(Origin::Bulk), jobs, Some(Duration::from_secs(60)))
                        .await
                    {
                        tracing::error!(%error, "could not queue deferred backfill records");
                    }
                }
            }
            progress(SyncProgress::Syncing { kind, done, total });
        }
        if !options.dry_run {
            for side in Side::BOTH {
                let existing = ports.store.get_cursor(connection_id, side, kind).await?;
                let cursor = Cursor {
                    watermark: existing.map_or(started, |c| c.watermark.min(started)),
                    last_full_sweep: Some(ports.clock.now()),
                    queued: Vec::new(),
                };
                ports
                    .store
                    .put_cursor(connection_id, side, kind, &cursor)
                    .await?;
            }
        }
        if let Some(targets) = &targets {
            let merges = contact_merges(&gateways, &snapshot, targets, options.samples)
                .await
                .map_err(|error| InitialSyncError::Listing {
                    kind: ObjectKind::Contact,
                    side: Side::Hubspot,
                    error,
                })?;
            report.contact_merges = Some(merges);
        }
        report.kinds.push(preview);
    }
    for kind in ObjectKind::MIRRORED {
        if settings.state(kind) != SyncState::Enabled {
            continue;
        }
        if options.mirrored == MirroredBackfill::IfNeverDone
            && ports
                .store
                .get_cursor(connection_id, Side::Quickbooks, kind)
                .await?
                .is_some_and(|c| c.last_full_sweep.is_some())
        {
            continue;
        }
        let backfill = backfill_mirrored(
            ports,
            &gateways,
            connection_id,
            kind,
            None,
            options,
            progress,
        );
        report.mirrored.push(backfill.await?);
        for form in QboOnlyForm::backfilled_with(kind) {
            let backfill = backfill_mirrored(
                ports,
                &gateways,
                connection_id,
                kind,
                Some(form),
                options,
                progress,
            );
            report.mirrored.push(backfill.await?);
        }
    }
    Ok(report)
}

/// Queues one bulk job per QBO record of the mirrored `kind` (the worker mirrors each), page
/// by page, then sets the QBO cursor so the poller takes over from when the listing began.
/// With `form`, the form's records instead (its jobs are `kind` jobs named `Estimate:41`);
/// the kind's cursor, set by its own listing just before, already covers them (the kind's
/// CDC request asks for its forms too).
async fn backfill_mirrored(
    ports: &SyncPorts<'_>,
    gateways: &GatewayPair,
    connection_id: &ConnectionId,
    kind: ObjectKind,
    form: Option<&'static QboOnlyForm>,
    options: &InitialSyncOptions,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<MirroredPreview, InitialSyncError> {
    let side = Side::Quickbooks;
    let started = ports.clock.now();
    let mut preview = MirroredPreview {
        kind,
        form: form.map(|f| f.entity),
        qbo_records: 0,
        queued: 0,
    };
    let mut cursor = None;
    let mut throttles = 0;
    loop {
        let page = match form {
            None => next_page(gateways, kind, side, cursor.take(), &mut throttles).await?,
            Some(form) => next_form_page(gateways, form, cursor.take(), &mut throttles).await?,
        };
        preview.qbo_records += page.records.len();
        // Progress reports the kind's own listing (a form's count would read as the kind's).
        if form.is_none() {
            progress(SyncProgress::Listing {
                kind,
                side,
                records: preview.qbo_records,
            });
        }
        if !options.dry_run && !page.records.is_empty() {
            let now = ports.clock.now();
            let jobs: Vec<Job> = page
                .records
                .into_iter()
                .map(|r| {
                    Job::new(
                        connection_id.clone(),
                        kind,
                        side,
                        r.id,
                        JobReason::Backfill,
                        now,
                    )
                })
                .collect();
            preview.queued += ports
                .queue
                .enqueue(lane_for(Origin::Bulk), jobs, None)
                .await
                .map_err(|error| InitialSyncError::Queue { kind, error })?;
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if !options.dry_run && form.is_none() {
        let existing = ports.store.get_cursor(connection_id, side, kind).await?;
        let cursor = Cursor {
            watermark: existing.map_or(started, |c| c.watermark.min(started)),
            last_full_sweep: Some(ports.clock.now()),
            queued: Vec::new(),
        };
        ports
            .store
            .put_cursor(connection_id, side, kind, &cursor)
            .await?;
    }
    Ok(preview)
}

/// Every record of `kind` on `side`, page by page, waiting out throttling.
async fn list_all(
    gateways: &GatewayPair,
    kind: ObjectKind,
    side: Side,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<Vec<Record>, InitialSyncError> {
    let mut records = Vec::new();
    let mut cursor = None;
    let mut throttles = 0;
    loop {
        let page = next_page(gateways, kind, side, cursor.take(), &mut throttles).await?;
        records.extend(page.records);
        progress(SyncProgress::Listing {
            kind,
            side,
            records: records.len(),
        });
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(records),
        }
    }
}

/// The page of `kind` on `side` after `cursor`, waiting out throttling (`throttles` counts
/// the waits of the whole listing, up to `MAX_LIST_THROTTLES`).
async fn next_page(
    gateways: &GatewayPair,
    kind: ObjectKind,
    side: Side,
    cursor: Option<String>,
    throttles: &mut u32,
) -> Result<Page, InitialSyncError> {
    loop {
        match gateways.side(side).list_page(kind, cursor.clone()).await {
            Ok(page) => return Ok(page),
            Err(GatewayError::Throttled { wait }) if *throttles < MAX_LIST_THROTTLES => {
                *throttles += 1;
                tokio::time::sleep(wait).await;
            }
            Err(error) => return Err(InitialSyncError::Listing { kind, side, error }),
        }
    }
}

/// The page of QBO-only `form` after `cursor`, waiting out throttling as [`next_page`] does.
async fn next_form_page(
    gateways: &GatewayPair,
    form: &'static QboOnlyForm,
    cursor: Option<String>,
    throttles: &mut u32,
) -> Result<Page, InitialSyncError> {
    let side = Side::Quickbooks;
    loop {
        match gateways
            .side(side)
            .list_form_page(form, cursor.clone())
            .await
        {
            Ok(page) => return Ok(page),
            Err(GatewayError::Throttled { wait }) if *throttles < MAX_LIST_THROTTLES => {
                *throttles += 1;
                tokio::time::sleep(wait).await;
            }
            Err(error) => {
                return Err(InitialSyncError::Listing {
                    kind: form.kind,
                    side,
                    error,
                });
            }
        }
    }
}

/// The QBO field holding the unique name of new records of `kind`.
fn unique_name_field(kind: ObjectKind) -> Option<&'static str> {
    crate::model::descriptor(kind)
        .qbo
        .unique_name
        .map(|rule| rule.field)
}

fn label(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "HubSpot",
        Side::Quickbooks => "QBO",
    }
}

/// Adds a planned (not applied) unit to the preview.
fn count_planned(
    preview: &mut KindPreview,
    max: usize,
    snapshot: &Snapshot,
    names_taken: &mut HashSet<String>,
    handled: &mut HashSet<RecordRef>,
    result: PrepareResult,
) {
    let prepared = match result {
        PrepareResult::Ready(prepared) => prepared,
        PrepareResult::AlreadyPaired => return,
        PrepareResult::Done(Step::Finished(report)) => {
            preview.failed += 1;
            if let UnitResult::Failed { detail, .. } = &report.result {
                preview.sample("failed", max, || detail.message.clone());
            }
            return;
        }
        PrepareResult::Done(_) => {
            preview.deferred += 1;
            return;
        }
    };
    for side in Side::BOTH {
        if let Some(record) = prepared.record(side) {
            handled.insert(RecordRef::new(side, record.id.clone()));
        }
    }
    let describe = |side: Side| {
        prepared
            .record(side)
            .map(|r| format!("{} {}", label(side), r.id))
            .unwrap_or_default()
    };
    for note in &prepared.unit.notes {
        preview.ambiguous += 1;
        preview.sample("ambiguous", max, || note.clone());
    }
    match &prepared.plan.outcome {
        Outcome::Excluded(Exclusion::NotBilled) => {
            preview.creates_avoided += 1;
            let who = describe(prepared.unit.primary().side);
            preview.sample("creates_avoided", max, || who);
        }
        Outcome::Excluded(exclusion) => {
            preview.excluded += 1;
            let who = describe(prepared.unit.primary().side);
            preview.sample("excluded", max, || {
                format!("{who}: {}", describe_exclusion(exclusion))
            });
        }
        Outcome::Unsyncable { reason, .. } => {
            preview.failed += 1;
            let who = describe(prepared.unit.primary().side);
            preview.sample("failed", max, || format!("{who}: {reason}"));
        }
        _ => {}
    }
    if prepared.link.is_some() {
        preview.already_linked += 1;
    } else if matches!(prepared.plan.link, LinkChange::Create { .. }) && prepared.create().is_none()
    {
        preview.new_links += 1;
        let (hs, qb) = (describe(Side::Hubspot), describe(Side::Quickbooks));
        preview.sample("links", max, || format!("{hs} ⇄ {qb}"));
    }
    for action in &prepared.plan.actions {
        match action {
            Action::Create {
                side,
                source_id,
                unique_name,
                ..
            } => {
                *preview.creates.entry(*side).or_default() += 1;
                let source = label(side.other());
                preview.sample(
                    if *side == Side::Hubspot {
                        "creates_hubspot"
                    } else {
                        "creates_qbo"
                    },
                    max,
                    || format!("{source} {source_id}"),
                );
                if let Some(name) = unique_name {
                    let wanted = normalise_key(&name.candidate(0));
                    let existing = !snapshot
                        .find(Side::Quickbooks, &name.field, std::slice::from_ref(&wanted))
                        .is_empty();
                    if existing || !names_taken.insert(wanted) {
                        preview.collisions += 1;
                        preview.sample("collisions", max, || {
                            format!(
                                "{:?} is taken; would try {:?}",
                                name.candidate(0),
                                name.candidate(1)
                            )
                        });
                    }
                }
            }
            Action::Update {
                side, id, values, ..
            } => {
                *preview.updates.entry(*side).or_default() += 1;
                let fields: Vec<&str> = values.keys().map(String::as_str).collect();
                preview.sample(
                    if *side == Side::Hubspot {
                        "updates_hubspot"
                    } else {
                        "updates_qbo"
                    },
                    max,
                    || format!("{} {id}: {}", label(*side), fields.join(", ")),
                );
            }
            Action::Deactivate { side, .. } => {
                *preview.deactivations.entry(*side).or_default() += 1;
            }
        }
    }
}

/// Adds an applied unit to the report; units handed back are collected in `deferred`.
fn count_applied(
    preview: &mut KindPreview,
    max: usize,
    handled: &mut HashSet<RecordRef>,
    deferred: &mut Vec<(RecordRef, String)>,
    step: Step,
) {
    let report = match step {
        Step::Finished(report) => report,
        Step::Retry { unit, reason, .. } => {
            deferred.push((unit.primary().clone(), reason));
            return;
        }
        Step::Replan(unit) => {
            deferred.push((unit.primary().clone(), "kept changing".into()));
            return;
        }
    };
    for side in Side::BOTH {
        if let Some(id) = report.id(side) {
            handled.insert(RecordRef::new(side, id.to_owned()));
        }
    }
    for note in &report.unit.notes {
        if note.contains("was taken in QBO") {
            preview.collisions += 1;
            preview.sample("collisions", max, || note.clone());
        } else if note.starts_with("several") {
            preview.ambiguous += 1;
            preview.sample("ambiguous", max, || note.clone());
        }
    }
    match &report.result {
        UnitResult::Failed { detail, .. } => {
            preview.failed += 1;
            preview.sample("failed", max, || detail.message.clone());
        }
        UnitResult::Planned { outcome, .. } => match outcome {
            Outcome::Created { side } => {
                *preview.creates.entry(*side).or_default() += 1;
                let text = report.actions.join("; ");
                preview.sample(
                    if *side == Side::Hubspot {
                        "creates_hubspot"
                    } else {
                        "creates_qbo"
                    },
                    max,
                    || text,
                );
            }
            Outcome::Linked => {
                preview.new_links += 1;
                let text = format!(
                    "HubSpot {} ⇄ QBO {}",
                    report.hubspot_id.clone().unwrap_or_default(),
                    report.qbo_id.clone().unwrap_or_default()
                );
                preview.sample("links", max, || text);
            }
            Outcome::Excluded(Exclusion::NotBilled) => {
                preview.creates_avoided += 1;
                let text = report.hubspot_id.clone().unwrap_or_default();
                preview.sample("creates_avoided", max, || format!("HubSpot {text}"));
            }
            Outcome::Excluded(exclusion) => {
                preview.excluded += 1;
                let text = describe_exclusion(exclusion);
                preview.sample("excluded", max, || text);
            }
            Outcome::Unsyncable { reason, .. } => {
                preview.failed += 1;
                preview.sample("failed", max, || reason.clone());
            }
            Outcome::Deactivated { side } => {
                *preview.deactivations.entry(*side).or_default() += 1;
            }
            _ => {
                preview.already_linked += 1;
            }
        },
    }
    for action in &report.actions {
        for side in Side::BOTH {
            if action.starts_with(&format!("updated {side}")) {
                *preview.updates.entry(side).or_default() += 1;
            }
        }
    }
}

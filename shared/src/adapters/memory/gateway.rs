//! `MemoryGateway`: a fake vendor behind the `RecordGateway` port for engine tests. It keeps
//! ids, versions and uniqueness like the real APIs and injects faults on demand.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::kinds::QboOnlyForm;
use crate::model::{NativeValues, ObjectKind, Record, Side};
use crate::ports::{
    Changes, Clock, CreateRequest, DeactivateRequest, GatewayError, Page, RecordError,
    RecordErrorKind, RecordGateway, UpdateRequest,
};

/// How a vendor answers a second record with the same unique field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueRule {
    /// QBO: 6240 "Duplicate Name Exists Error" (DisplayName, item Name).
    DuplicateName,
    /// HubSpot: 409 "Contact already exists. Existing ID: …" (email).
    Conflict,
}

/// Calls made through the port, per operation, and records written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GatewayCalls {
    pub ensure_schema: u32,
    pub read: u32,
    pub find: u32,
    pub create: u32,
    pub update: u32,
    pub deactivate: u32,
    pub list_page: u32,
    pub changed_since: u32,
    pub records_created: u32,
    pub records_updated: u32,
}

impl GatewayCalls {
    /// Every call made through the port.
    pub fn total(&self) -> u32 {
        self.ensure_schema
            + self.read
            + self.find
            + self.create
            + self.update
            + self.deactivate
            + self.list_page
            + self.changed_since
    }
}

/// Which records an injected per-record error hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultTarget {
    Id(String),
    /// A native field equal (case-insensitively) to this value, in the written values.
    Field {
        path: String,
        value: String,
    },
}

struct RecordFault {
    kind: ObjectKind,
    target: FaultTarget,
    error: RecordError,
    remaining: u32,
}

struct State {
    next_id: u64,
    records: BTreeMap<(ObjectKind, u64), Record>,
    /// QBO-only forms (estimates) by entity and id; their records carry their job ids.
    forms: BTreeMap<(&'static str, u64), Record>,
    deleted: Vec<(ObjectKind, String, DateTime<Utc>)>,
    idempotency: BTreeMap<String, (ObjectKind, u64)>,
    /// Merged-away ids -> the record they were merged into (reads follow it, as HubSpot's do).
    merged_into: BTreeMap<(ObjectKind, u64), u64>,
    record_faults: Vec<RecordFault>,
    call_faults: VecDeque<GatewayError>,
    lost_create_responses: u32,
    calls: GatewayCalls,
}

/// A fake vendor account for one side.
pub struct MemoryGateway {
    side: Side,
    clock: Arc<dyn Clock>,
    unique: Vec<(ObjectKind, &'static str, UniqueRule)>,
    enforce_versions: bool,
    /// Whether a repeated idempotency key replays the first create (QBO's `requestid`).
    replays_creates: bool,
    page_size: usize,
    state: Mutex<State>,
}

impl MemoryGateway {
    /// HubSpot-like: contact emails unique (409 with the existing id); no optimistic
    /// concurrency (updates never go stale); no idempotency keys (HubSpot has none: creates are
    /// upserts on a unique property, docs/hubspot.md §2.1); ids start at 1001.
    pub fn hubspot(clock: Arc<dyn Clock>) -> Self {
        Self::new(
            Side::Hubspot,
            clock,
            vec![(ObjectKind::Contact, "email", UniqueRule::Conflict)],
            false,
            1001,
        )
    }

    /// QBO-like: customer DisplayName and item Name unique (6240); updates must carry the
    /// current SyncToken (5010 otherwise); ids start at 1.
    pub fn quickbooks(clock: Arc<dyn Clock>) -> Self {
        Self::new(
            Side::Quickbooks,
            clock,
            vec![
                (
                    ObjectKind::Contact,
                    "DisplayName",
                    UniqueRule::DuplicateName,
                ),
                (ObjectKind::Product, "Name", UniqueRule::DuplicateName),
            ],
            true,
            1,
        )
    }

    fn new(
        side: Side,
        clock: Arc<dyn Clock>,
        unique: Vec<(ObjectKind, &'static str, UniqueRule)>,
        enforce_versions: bool,
        first_id: u64,
    ) -> Self {
        MemoryGateway {
            side,
            clock,
            unique,
            enforce_versions,
            replays_creates: side == Side::Quickbooks,
            page_size: 100,
            state: Mutex::new(State {
                next_id: first_id,
                records: BTreeMap::new(),
                deleted: Vec::new(),
                idempotency: BTreeMap::new(),
                merged_into: BTreeMap::new(),
                forms: BTreeMap::new(),
                record_faults: Vec::new(),
                call_faults: VecDeque::new(),
                lost_create_responses: 0,
                calls: GatewayCalls::default(),
            }),
        }
    }

    /// Records per `list_page` (default 100).
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ----- faults -----

    /// The next `times` writes of `kind` hitting `target` fail with `error`.
    pub fn fail_record_writes(
        &self,
        kind: ObjectKind,
        target: FaultTarget,
        error: RecordError,
        times: u32,
    ) {
        self.lock_state().record_faults.push(RecordFault {
            kind,
            target,
            error,
            remaining: times,
        });
    }

    /// The next calls (any operation) fail with these errors, one per call.
    pub fn fail_next_calls(&self, errors: impl IntoIterator<Item = GatewayError>) {
        self.lock_state().call_faults.extend(errors);
    }

    /// The next `count` create calls do their work but answer a transient error, as when the
    /// response is lost after the vendor wrote.
    pub fn lose_next_create_responses(&self, count: u32) {
        self.lock_state().lost_create_responses = count;
    }

    pub fn calls(&self) -> GatewayCalls {
        self.lock_state().calls
    }

    pub fn reset_calls(&self) {
        self.lock_state().calls = GatewayCalls::default();
    }

    // ----- a user working in the vendor's UI (not counted as calls) -----

    /// Creates a record directly (no uniqueness check, like data imported long ago).
    pub fn insert(&self, kind: ObjectKind, values: NativeValues) -> Record {
        let now = self.clock.now();
        let mut state = self.lock_state();
        let id = state.next_id;
        state.next_id += 1;
        let record = self.new_record(kind, id, values, now);
        state.records.insert((kind, id), record.clone());
        record
    }

    /// Seeds a QBO-only `form` record (an estimate) that `list_form_page` lists under its job
    /// id (`Estimate:7`), as a `form.kind` record.
    pub fn insert_form(&self, form: &'static QboOnlyForm, values: NativeValues) -> Record {
        let now = self.clock.now();
        let mut state = self.lock_state();
        let id = state.next_id;
        state.next_id += 1;
        let mut record = self.new_record(form.kind, id, values, now);
        record.id = form.job_id(&record.id);
        state.forms.insert((form.entity, id), record.clone());
        record
    }

    /// Changes fields directly (a JSON null clears a field); bumps version and modified time.
    pub fn edit(&self, kind: ObjectKind, id: &str, values: NativeValues) -> Option<Record> {
        let now = self.clock.now();
        let mut state = self.lock_state();
        let record = state.records.get_mut(&(kind, id.parse().ok()?))?;
        merge_values(&mut record.values, values);
        touch(record, now);
        Some(record.clone())
    }

    /// Archives / deactivates (false) or restores (true) directly.
    pub fn set_active(&self, kind: ObjectKind, id: &str, active: bool) -> Option<Record> {
        let now = self.clock.now();
        let mut state = self.lock_state();
        let record = state.records.get_mut(&(kind, id.parse().ok()?))?;
        record.active = active;
        touch(record, now);
        Some(record.clone())
    }

    /// Removes a record outright (HubSpot GDPR delete, QBO delete of a transaction).
    pub fn hard_delete(&self, kind: ObjectKind, id: &str) -> bool {
        let now = self.clock.now();
        let mut state = self.lock_state();
        let Ok(number) = id.parse() else { return false };
        let removed = state.records.remove(&(kind, number)).is_some();
        if removed {
            state.deleted.push((kind, id.to_owned(), now));
        }
        removed
    }

    /// Merges `merged` into `survivor` (HubSpot contact merge): the merged record disappears,
    /// reads of its id answer the survivor, which is touched and lists the id in
    /// `hs_merged_object_ids` (docs/hubspot.md §2.11).
    pub fn merge(&self, kind: ObjectKind, survivor: &str, merged: &str) -> Option<Record> {
        let now = self.clock.now();
        let (survivor, merged): (u64, u64) = (survivor.parse().ok()?, merged.parse().ok()?);
        let mut state = self.lock_state();
        state.records.remove(&(kind, merged))?;
        state.merged_into.insert((kind, merged), survivor);
        let record = state.records.get_mut(&(kind, survivor))?;
        if let Some(property) = crate::model::descriptor(kind).hubspot.merged_ids_property {
            let list = match record.values.get(property).and_then(|v| v.as_str()) {
                Some(list) if !list.is_empty() => format!("{list};{merged}"),
                _ => merged.to_string(),
            };
            record.values.insert(property.to_owned(), list.into());
        }
        touch(record, now);
        Some(record.clone())
    }

    pub fn get(&self, kind: ObjectKind, id: &str) -> Option<Record> {
        let state = self.lock_state();
        state.records.get(&(kind, id.parse().ok()?)).cloned()
    }

    /// All records of `kind`, active and inactive, in id order.
    pub fn records(&self, kind: ObjectKind) -> Vec<Record> {
        let state = self.lock_state();
        state
            .records
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, r)| r.clone())
            .collect()
    }

    // ----- internals -----

    fn new_record(
        &self,
        kind: ObjectKind,
        id: u64,
        values: NativeValues,
        now: DateTime<Utc>,
    ) -> Record {
        let mut clean = NativeValues::new();
        merge_values(&mut clean, values);
        Record {
            side: self.side,
            kind,
            id: id.to_string(),
            version: "0".into(),
            modified_at: now,
            active: true,
            values: clean,
        }
    }

    /// Takes the pending whole-call fault, if any, and counts the call.
    fn begin_call(&self, count: impl FnOnce(&mut GatewayCalls)) -> Result<(), GatewayError> {
        let mut state = self.lock_state();
        count(&mut state.calls);
        match state.call_faults.pop_front() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn unique_violation(
        &self,
        state: &State,
        kind: ObjectKind,
        values: &NativeValues,
        except: Option<u64>,
    ) -> Option<RecordError> {
        for (rule_kind, field, rule) in &self.unique {
            if *rule_kind != kind {
                continue;
            }
            let Some(wanted) = values.get(*field).and_then(value_text) else {
                continue;
            };
            let clash = state.records.iter().find(|((k, id), r)| {
                *k == kind
                    && Some(*id) != except
                    && r.values.get(*field).and_then(value_text).as_deref() == Some(&wanted)
            });
            if let Some((_, existing)) = clash {
                return Some(match rule {
                    UniqueRule::DuplicateName => RecordError::new(
                        RecordErrorKind::DuplicateName,
                        format!("Duplicate Name Exists Error: The name supplied already exists. : Id={}", existing.id),
                    )
                    .with_code("6240")
                    .with_fix(format!("Rename one of the records named {wanted:?}")),
                    UniqueRule::Conflict => RecordError::new(
                        RecordErrorKind::Conflict {
                            existing_id: existing.id.clone(),
                        },
                        format!("Contact already exists. Existing ID: {}", existing.id),
                    )
                    .with_code("CONFLICT"),
                });
            }
        }
        None
    }

    fn take_record_fault(
        state: &mut State,
        kind: ObjectKind,
        id: Option<&str>,
        values: &NativeValues,
    ) -> Option<RecordError> {
        let fault = state.record_faults.iter_mut().find(|f| {
            f.kind == kind
                && f.remaining > 0
                && match &f.target {
                    FaultTarget::Id(target) => Some(target.as_str()) == id,
                    FaultTarget::Field { path, value } => values
                        .get(path)
                        .and_then(value_text)
                        .is_some_and(|v| v == value.trim().to_lowercase()),
                }
        })?;
        fault.remaining -= 1;
        Some(fault.error.clone())
    }
}

/// Lower-cased trimmed text of a scalar JSON value (for uniqueness and lookups).
fn value_text(value: &serde_json::Value) -> Option<String> {
    let text = match value {
        serde_json::Value::String(s) => s.trim().to_lowercase(),
        serde_json::Value::Null => return None,
        other => other.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

fn merge_values(into: &mut NativeValues, values: NativeValues) {
    for (path, value) in values {
        if value.is_null() {
            into.remove(&path);
        } else {
            into.insert(path, value);
        }
    }
}

fn touch(record: &mut Record, now: DateTime<Utc>) {
    let version: u64 = record.version.parse().unwrap_or(0);
    record.version = (version + 1).to_string();
    record.modified_at = now;
}

fn parse_id(id: &str) -> Option<u64> {
    id.parse().ok()
}

fn not_found(kind: ObjectKind, side: Side, id: &str) -> RecordError {
    RecordError::new(
        RecordErrorKind::NotFound,
        format!("{} {id} not found", kind.vendor_name(side)),
    )
    .with_code("610")
}

#[async_trait]
impl RecordGateway for MemoryGateway {
    fn side(&self) -> Side {
        self.side
    }

    async fn ensure_schema(&self, _kinds: &[ObjectKind]) -> Result<(), GatewayError> {
        self.begin_call(|c| c.ensure_schema += 1)
    }

    async fn read(&self, kind: ObjectKind, ids: &[String]) -> Result<Vec<Record>, GatewayError> {
        self.begin_call(|c| c.read += 1)?;
        let state = self.lock_state();
        let resolve = |mut id: u64| {
            while let Some(next) = state.merged_into.get(&(kind, id)) {
                id = *next;
            }
            id
        };
        let mut out: Vec<Record> = Vec::new();
        for id in ids {
            let Some(record) = parse_id(id).and_then(|n| state.records.get(&(kind, resolve(n))))
            else {
                continue;
            };
            if !out.iter().any(|r| r.id == record.id) {
                out.push(record.clone());
            }
        }
        Ok(out)
    }

    async fn find_by_field(
        &self,
        kind: ObjectKind,
        field_path: &str,
        values: &[String],
    ) -> Result<Vec<Record>, GatewayError> {
        self.begin_call(|c| c.find += 1)?;
        let wanted: Vec<String> = values.iter().map(|v| v.trim().to_lowercase()).collect();
        let state = self.lock_state();
        Ok(state
            .records
            .iter()
            .filter(|((k, _), r)| {
                *k == kind
                    && r.values
                        .get(field_path)
                        .and_then(value_text)
                        .is_some_and(|v| wanted.contains(&v))
            })
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn create(
        &self,
        kind: ObjectKind,
        requests: Vec<CreateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        self.begin_call(|c| c.create += 1)?;
        let now = self.clock.now();
        let mut state = self.lock_state();
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            if let Some(&(k, id)) = state
                .idempotency
                .get(&request.idempotency_key)
                .filter(|_| self.replays_creates)
            {
                // Replay: answer what the first request created.
                let replay = state.records.get(&(k, id)).cloned();
                results.push(replay.ok_or_else(|| not_found(kind, self.side, &id.to_string())));
                continue;
            }
            if let Some(error) = Self::take_record_fault(&mut state, kind, None, &request.values)
                .or_else(|| self.unique_violation(&state, kind, &request.values, None))
            {
                results.push(Err(error));
                continue;
            }
            let id = state.next_id;
            state.next_id += 1;
            let record = self.new_record(kind, id, request.values, now);
            state.records.insert((kind, id), record.clone());
            state
                .idempotency
                .insert(request.idempotency_key, (kind, id));
            state.calls.records_created += 1;
            results.push(Ok(record));
        }
        if state.lost_create_responses > 0 {
            state.lost_create_responses -= 1;
            return Err(GatewayError::Transient {
                message: "connection reset after the request was sent".into(),
            });
        }
        Ok(results)
    }

    async fn update(
        &self,
        kind: ObjectKind,
        requests: Vec<UpdateRequest>,
    ) -> Result<Vec<Result<Record, RecordError>>, GatewayError> {
        self.begin_call(|c| c.update += 1)?;
        let now = self.clock.now();
        let mut state = self.lock_state();
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            let Some(number) =
                parse_id(&request.id).filter(|n| state.records.contains_key(&(kind, *n)))
            else {
                results.push(Err(not_found(kind, self.side, &request.id)));
                continue;
            };
            if let Some(error) =
                Self::take_record_fault(&mut state, kind, Some(&request.id), &request.values)
            {
                results.push(Err(error));
                continue;
            }
            let current = state.records[&(kind, number)].clone();
            if self.enforce_versions && current.version != request.expected_version {
                results.push(Err(RecordError::new(
                    RecordErrorKind::Stale,
                    "Stale Object Error: You and another user were working on the same thing.",
                )
                .with_code("5010")
                .retryable(true)));
                continue;
            }
            let mut merged = current.values.clone();
            merge_values(&mut merged, request.values);
            if let Some(error) = self.unique_violation(&state, kind, &merged, Some(number)) {
                results.push(Err(error));
                continue;
            }
            let record = state
                .records
                .get_mut(&(kind, number))
                .map(|record| {
                    record.values = merged;
                    touch(record, now);
                    record.clone()
                })
                .ok_or_else(|| not_found(kind, self.side, &request.id));
            state.calls.records_updated += 1;
            results.push(record);
        }
        Ok(results)
    }

    async fn deactivate(
        &self,
        kind: ObjectKind,
        requests: Vec<DeactivateRequest>,
    ) -> Result<Vec<Result<(), RecordError>>, GatewayError> {
        self.begin_call(|c| c.deactivate += 1)?;
        let now = self.clock.now();
        let mut state = self.lock_state();
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            let Some(number) = parse_id(&request.id) else {
                results.push(Err(not_found(kind, self.side, &request.id)));
                continue;
            };
            let enforce = self.enforce_versions;
            let result = match state.records.get_mut(&(kind, number)) {
                None => Err(not_found(kind, self.side, &request.id)),
                Some(record) if enforce && record.version != request.expected_version => Err(
                    RecordError::new(RecordErrorKind::Stale, "Stale Object Error")
                        .with_code("5010")
                        .retryable(true),
                ),
                Some(record) => {
                    record.active = false;
                    touch(record, now);
                    Ok(())
                }
            };
            results.push(result);
        }
        Ok(results)
    }

    async fn list_page(
        &self,
        kind: ObjectKind,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        self.begin_call(|c| c.list_page += 1)?;
        let after: u64 = match cursor {
            Some(c) => c.parse().map_err(|_| GatewayError::Other {
                message: format!("bad page cursor {c:?}"),
            })?,
            None => 0,
        };
        let state = self.lock_state();
        let mut records: Vec<Record> = state
            .records
            .range((kind, after + 1)..=(kind, u64::MAX))
            .take(self.page_size + 1)
            .map(|(_, r)| r.clone())
            .collect();
        let next = if records.len() > self.page_size {
            records.truncate(self.page_size);
            records.last().map(|r| r.id.clone())
        } else {
            None
        };
        Ok(Page { records, next })
    }

    async fn list_form_page(
        &self,
        form: &'static QboOnlyForm,
        cursor: Option<String>,
    ) -> Result<Page, GatewayError> {
        self.begin_call(|c| c.list_page += 1)?;
        let after: u64 = match cursor {
            Some(c) => c.parse().map_err(|_| GatewayError::Other {
                message: format!("bad page cursor {c:?}"),
            })?,
            None => 0,
        };
        let state = self.lock_state();
        let mut listed: Vec<(u64, Record)> = state
            .forms
            .range((form.entity, after + 1)..=(form.entity, u64::MAX))
            .take(self.page_size + 1)
            .map(|((_, id), r)| (*id, r.clone()))
            .collect();
        let next = if listed.len() > self.page_size {
            listed.truncate(self.page_size);
            listed.last().map(|(id, _)| id.to_string())
        } else {
            None
        };
        Ok(Page {
            records: listed.into_iter().map(|(_, r)| r).collect(),
            next,
        })
    }

    async fn changed_since(
        &self,
        kind: ObjectKind,
        since: DateTime<Utc>,
    ) -> Result<Changes, GatewayError> {
        self.begin_call(|c| c.changed_since += 1)?;
        let now = self.clock.now();
        let state = self.lock_state();
        let mut records: Vec<Record> = state
            .records
            .iter()
            .filter(|((k, _), r)| *k == kind && r.modified_at >= since)
            .map(|(_, r)| r.clone())
            .collect();
        records.sort_by_key(|r| r.modified_at);
        let deleted_ids = state
            .deleted
            .iter()
            .filter(|(k, _, at)| *k == kind && *at >= since)
            .map(|(_, id, _)| id.clone())
            .collect();
        Ok(Changes {
            records,
            deleted_ids,
            watermark: now,
        })
    }
}

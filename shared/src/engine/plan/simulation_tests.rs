//! Property tests: a test-only world of two vendors, a link store and a job queue, driven by
//! random edits, duplicated/reordered jobs and crashes; the planner must converge without dups.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::mapping::MappingSet;
use crate::model::{
    CanonicalValues, ConflictWinner, ConnectionId, ConnectionSettings, CustomMapping, Direction,
    Link, NativeValues, ObjectKind, Record, Side, TransformKind,
};

/// The native field of each side for the sim's fields: default contact rows plus two custom
/// rows (an enumeration and a number kept in a QBO text field).
const FIELDS: &[(&str, &str)] = &[
    ("email", "PrimaryEmailAddr.Address"),
    ("firstname", "GivenName"),
    ("lastname", "FamilyName"),
    ("phone", "PrimaryPhone.FreeFormNumber"),
    ("company", "CompanyName"),
    ("tier", "CustomerTypeRef.value"),
    ("credit", "Notes"),
];
/// Native values per side for the custom rows, spelled differently on each side.
const TIERS: [&[&str]; 2] = [&["gold", "silver", ""], &["1", "2", ""]];
const CREDITS: [&[&str]; 2] = [&["12.50", "7", ""], &["12.5", "7.00", "3"]];
const NAMES: &[&str] = &["Ada", "Ann", "", "Grace", " ada "];
const PHONES: &[&str] = &[
    "(415) 555-0100",
    "+14155550100",
    "",
    "555-0199",
    "+44 20 7946 0958",
];

fn native_key(side: Side, field: usize) -> &'static str {
    match side {
        Side::Hubspot => FIELDS[field].0,
        Side::Quickbooks => FIELDS[field].1,
    }
}

#[derive(Debug, Clone)]
struct Vendor {
    side: Side,
    records: BTreeMap<String, Record>,
    next_id: u64,
    /// Create idempotency: key -> the id created first (QBO `requestid`, HubSpot upsert/trace id).
    created_by_key: BTreeMap<String, String>,
}

impl Vendor {
    fn new(side: Side) -> Self {
        Vendor {
            side,
            records: BTreeMap::new(),
            next_id: 1,
            created_by_key: BTreeMap::new(),
        }
    }

    fn insert(&mut self, values: NativeValues, now: DateTime<Utc>) -> String {
        let id = self.next_id.to_string();
        self.next_id += 1;
        let record = Record {
            side: self.side,
            kind: ObjectKind::Contact,
            id: id.clone(),
            version: "0".into(),
            modified_at: now,
            active: true,
            values,
        };
        self.records.insert(id.clone(), record);
        id
    }

    fn touch(&mut self, id: &str, now: DateTime<Utc>) -> &mut Record {
        let record = self.records.get_mut(id).expect("known record");
        record.version = (record.version.parse::<u64>().unwrap() + 1).to_string();
        record.modified_at = now;
        record
    }

    fn email_taken(&self, email: &str) -> bool {
        let key = native_key(self.side, 0);
        self.records.values().any(|r| {
            r.values
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(email.trim()))
        })
    }

    fn display_name_taken(&self, name: &str) -> bool {
        self.records
            .values()
            .any(|r| r.values.get("DisplayName").and_then(Value::as_str) == Some(name))
    }
}

/// Links with the store's conditions: both ids unique, updates conditional on the revision.
#[derive(Debug, Clone, Default)]
struct LinkStoreSim {
    links: Vec<Link>,
}

impl LinkStoreSim {
    fn find(&self, side: Side, id: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.id(side) == id)
    }

    fn create(&mut self, mut link: Link) -> bool {
        if self.find(Side::Hubspot, &link.hubspot_id).is_some()
            || self.find(Side::Quickbooks, &link.qbo_id).is_some()
        {
            return false;
        }
        link.revision = 1;
        self.links.push(link);
        true
    }

    fn update(&mut self, link: &Link) -> bool {
        match self
            .links
            .iter_mut()
            .find(|l| l.hubspot_id == link.hubspot_id && l.qbo_id == link.qbo_id)
        {
            Some(stored) if stored.revision == link.revision => {
                *stored = Link {
                    revision: link.revision + 1,
                    ..link.clone()
                };
                true
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
struct World {
    settings: ConnectionSettings,
    mappings: MappingSet,
    hubspot: Vendor,
    qbo: Vendor,
    store: LinkStoreSim,
    jobs: VecDeque<(Side, String)>,
    clock: i64,
    fresh: u64,
    /// HubSpot contacts archived while linked: their partner must end up inactive. (A first
    /// link with an already archived contact propagates nothing, by design.)
    archived_while_linked: BTreeSet<String>,
}

/// What the worker read for a job, and the plan made from it.
type PlannedPair = (Option<Link>, Option<Record>, Option<Record>, Plan);

/// The apply stopped early: a simulated crash, or a failed condition (re-plan on redelivery).
#[derive(Debug)]
struct Interrupted;

impl World {
    fn new(conflict: ConflictWinner) -> Self {
        let mut settings = ConnectionSettings::default();
        settings.contact.conflict.default = conflict;
        settings.contact.custom_mappings = vec![
            CustomMapping {
                hubspot_property: "tier".into(),
                qbo_field: "CustomerTypeRef.value".into(),
                transform: TransformKind::Enumeration,
                direction: Direction::TwoWay,
                values: [("gold".into(), "1".into()), ("silver".into(), "2".into())].into(),
            },
            CustomMapping {
                hubspot_property: "credit".into(),
                qbo_field: "Notes".into(),
                transform: TransformKind::Number,
                direction: Direction::TwoWay,
                values: BTreeMap::new(),
            },
        ];
        settings
            .contact
            .conflict
            .per_field
            .insert("tier".into(), ConflictWinner::QuickbooksWins);
        let mappings = MappingSet::build(ObjectKind::Contact, &settings.contact).unwrap();
        World {
            settings,
            mappings,
            hubspot: Vendor::new(Side::Hubspot),
            qbo: Vendor::new(Side::Quickbooks),
            store: LinkStoreSim::default(),
            jobs: VecDeque::new(),
            clock: 0,
            fresh: 0,
            archived_while_linked: BTreeSet::new(),
        }
    }

    fn now(&mut self) -> DateTime<Utc> {
        self.clock += 1;
        Utc.timestamp_opt(1_780_000_000 + self.clock, 0).unwrap()
    }

    fn vendor(&mut self, side: Side) -> &mut Vendor {
        match side {
            Side::Hubspot => &mut self.hubspot,
            Side::Quickbooks => &mut self.qbo,
        }
    }

    fn vendor_ref(&self, side: Side) -> &Vendor {
        match side {
            Side::Hubspot => &self.hubspot,
            Side::Quickbooks => &self.qbo,
        }
    }

    /// A webhook for every write, ours included (echoes must plan to nothing).
    fn notify(&mut self, side: Side, id: &str) {
        self.jobs.push_back((side, id.to_owned()));
    }

    fn fresh_email(&mut self, upper: bool) -> String {
        self.fresh += 1;
        let email = format!("u{}@example.com", self.fresh);
        if upper { email.to_uppercase() } else { email }
    }

    // ---- user actions ----

    fn user_create(
        &mut self,
        side: Side,
        copy_email: Option<usize>,
        first: usize,
        phone: usize,
        upper: bool,
    ) {
        // Copy the email of a record of the other side that the sync has not paired yet (both
        // created independently: they must be matched, not duplicated). Emails stay unique per
        // side, as HubSpot enforces and as the no-duplicate check below relies on.
        let this = self.vendor_ref(side);
        let other: Vec<String> = self
            .vendor_ref(side.other())
            .records
            .values()
            .filter(|r| self.store.find(r.side, &r.id).is_none())
            .filter(|r| {
                !this
                    .created_by_key
                    .contains_key(&format!("{}:{}", r.side, r.id))
            })
            .filter(|r| {
                let creator = self.vendor_ref(side.other());
                !creator
                    .created_by_key
                    .values()
                    .any(|created| *created == r.id)
            })
            .filter_map(|r| {
                r.values
                    .get(native_key(side.other(), 0))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        let email = match copy_email
            .filter(|_| !other.is_empty())
            .map(|i| other[i % other.len()].clone())
        {
            Some(email) if !self.vendor_ref(side).email_taken(&email) => email,
            _ => self.fresh_email(upper),
        };
        let mut values: NativeValues = [
            (native_key(side, 0).to_owned(), json!(email)),
            (
                native_key(side, 1).to_owned(),
                json!(NAMES[first % NAMES.len()]),
            ),
            (
                native_key(side, 3).to_owned(),
                json!(PHONES[phone % PHONES.len()]),
            ),
        ]
        .into();
        if side == Side::Quickbooks {
            self.fresh += 1;
            values.insert(
                "DisplayName".into(),
                json!(format!("Customer {}", self.fresh)),
            );
        }
        let now = self.now();
        let id = self.vendor(side).insert(values, now);
        self.notify(side, &id);
    }

    fn user_edit(&mut self, side: Side, record: usize, field: usize, value: usize, upper: bool) {
        let active: Vec<String> = self
            .vendor_ref(side)
            .records
            .values()
            .filter(|r| r.active)
            .map(|r| r.id.clone())
            .collect();
        if active.is_empty() {
            return;
        }
        let id = active[record % active.len()].clone();
        let field = field % FIELDS.len();
        let new_value = match field {
            0 => self.fresh_email(upper),
            3 => PHONES[value % PHONES.len()].to_owned(),
            5 | 6 => {
                let pool = if field == 5 { TIERS } else { CREDITS }[side as usize];
                pool[value % pool.len()].to_owned()
            }
            _ => NAMES[value % NAMES.len()].to_owned(),
        };
        let now = self.now();
        let record = self.vendor(side).touch(&id, now);
        record
            .values
            .insert(native_key(side, field).to_owned(), json!(new_value));
        self.notify(side, &id);
    }

    fn user_archive(&mut self, record: usize) {
        let active: Vec<String> = self
            .hubspot
            .records
            .values()
            .filter(|r| r.active)
            .map(|r| r.id.clone())
            .collect();
        if active.is_empty() {
            return;
        }
        let id = active[record % active.len()].clone();
        if self.store.find(Side::Hubspot, &id).is_some() {
            self.archived_while_linked.insert(id.clone());
        }
        let now = self.now();
        self.hubspot.touch(&id, now).active = false;
        self.notify(Side::Hubspot, &id);
    }

    // ---- the worker: read, plan, apply (with an optional crash after `crash_after` steps) ----

    fn read_and_plan(&self, side: Side, id: &str) -> Option<PlannedPair> {
        let link = self.store.find(side, id).cloned();
        let (hubspot, qbo) = match &link {
            Some(link) => (
                self.hubspot.records.get(&link.hubspot_id).cloned(),
                self.qbo.records.get(&link.qbo_id).cloned(),
            ),
            None => {
                let record = self.vendor_ref(side).records.get(id)?.clone();
                // What the claims remember across a crash between a create and its link: the
                // record created for this one, or the record this one was created for.
                let created_for_this = self
                    .vendor_ref(side.other())
                    .created_by_key
                    .get(&format!("{side}:{id}"))
                    .cloned();
                let this_created_for = self
                    .vendor_ref(side)
                    .created_by_key
                    .iter()
                    .find(|(_, created)| created.as_str() == id)
                    .map(|(source, _)| source.split_once(':').unwrap().1.to_owned());
                let created = created_for_this
                    .or(this_created_for)
                    .filter(|partner| self.store.find(side.other(), partner).is_none())
                    .and_then(|partner| {
                        self.vendor_ref(side.other()).records.get(&partner).cloned()
                    });
                let keys = self.mappings.record_match_keys(&record);
                let candidates: Vec<Record> = self
                    .vendor_ref(side.other())
                    .records
                    .values()
                    .filter(|c| self.store.find(side.other(), &c.id).is_none())
                    .cloned()
                    .collect();
                let chosen = created.or_else(|| {
                    choose_match(&self.mappings, &keys, &candidates)
                        .chosen()
                        .cloned()
                });
                match side {
                    Side::Hubspot => (Some(record), chosen),
                    Side::Quickbooks => (chosen, Some(record)),
                }
            }
        };
        let plan = plan_record_sync(&PlanInput {
            settings: &self.settings,
            mappings: &self.mappings,
            link: link.as_ref(),
            hubspot: hubspot.as_ref(),
            quickbooks: qbo.as_ref(),
        })
        .expect("the world passes consistent inputs");
        Some((link, hubspot, qbo, plan))
    }

    fn process(
        &mut self,
        side: Side,
        id: &str,
        crash_after: Option<usize>,
    ) -> Result<(), Interrupted> {
        let Some((link, hubspot, qbo, plan)) = self.read_and_plan(side, id) else {
            return Ok(());
        };
        let mut steps = 0;
        let step = |steps: &mut usize| {
            *steps += 1;
            if crash_after == Some(*steps) {
                Err(Interrupted)
            } else {
                Ok(())
            }
        };
        let mut created = None;
        for action in &plan.actions {
            let now = self.now();
            match action {
                Action::Create {
                    side,
                    source_id,
                    values,
                    unique_name,
                    ..
                } => {
                    let key = format!("{}:{source_id}", side.other());
                    let existing = self.vendor(*side).created_by_key.get(&key).cloned();
                    let id = match existing {
                        Some(id) => id, // a replayed create answers the first record
                        None => {
                            let mut values = values.clone();
                            if let Some(name) = unique_name {
                                let mut attempt = 0;
                                while self
                                    .vendor(*side)
                                    .display_name_taken(&name.candidate(attempt))
                                {
                                    attempt += 1; // the 6240 retry loop
                                }
                                values.insert(name.field.clone(), json!(name.candidate(attempt)));
                            }
                            let values = values.into_iter().filter(|(_, v)| !v.is_null()).collect();
                            let id = self.vendor(*side).insert(values, now);
                            self.vendor(*side).created_by_key.insert(key, id.clone());
                            self.notify(*side, &id);
                            id
                        }
                    };
                    created = Some(id);
                }
                Action::Update {
                    side,
                    id,
                    expected_version,
                    values,
                } => {
                    let record = self
                        .vendor(*side)
                        .records
                        .get(id)
                        .expect("planned on a read record");
                    if *side == Side::Quickbooks && &record.version != expected_version {
                        return Err(Interrupted); // 5010: re-read and re-plan
                    }
                    let record = self.vendor(*side).touch(id, now);
                    for (key, value) in values {
                        if key == "Active" {
                            record.active = value.as_bool().unwrap();
                        } else if value.is_null() {
                            record.values.remove(key);
                        } else {
                            record.values.insert(key.clone(), value.clone());
                        }
                    }
                    self.notify(*side, id);
                }
                Action::Deactivate { side, id, .. } => {
                    self.vendor(*side).touch(id, now).active = false;
                    self.notify(*side, id);
                }
            }
            step(&mut steps)?;
        }
        let version = |world: &World, side: Side, id: &str| {
            world
                .vendor_ref(side)
                .records
                .get(id)
                .map(|r| r.version.clone())
                .unwrap_or_default()
        };
        let now = self.now();
        match &plan.link {
            LinkChange::Keep => {}
            LinkChange::Update => {
                let mut link = link.expect("update of an existing link");
                link.baseline = plan.baseline.clone();
                link.hubspot_version = version(self, Side::Hubspot, &link.hubspot_id);
                link.qbo_version = version(self, Side::Quickbooks, &link.qbo_id);
                link.updated_at = now;
                if !self.store.update(&link) {
                    return Err(Interrupted);
                }
            }
            LinkChange::Create { hubspot_id, qbo_id } => {
                let pick = |given: &Option<String>| {
                    given
                        .clone()
                        .or_else(|| created.clone())
                        .expect("created id")
                };
                let (hubspot_id, qbo_id) = (pick(hubspot_id), pick(qbo_id));
                let link = Link {
                    connection: ConnectionId::new("sim").unwrap(),
                    kind: ObjectKind::Contact,
                    hubspot_version: version(self, Side::Hubspot, &hubspot_id),
                    qbo_version: version(self, Side::Quickbooks, &qbo_id),
                    hubspot_id,
                    qbo_id,
                    baseline: plan.baseline.clone(),
                    updated_at: now,
                    revision: 0,
                };
                if !self.store.create(link) {
                    return Err(Interrupted);
                }
            }
        }
        step(&mut steps)?;

        // Invariant 5, checked at once: the pair as just written plans no write.
        if let Some(linked) = self.store.find(side, id).cloned()
            && hubspot.as_ref().is_none_or(|r| r.active)
            && qbo.as_ref().is_none_or(|r| r.active)
        {
            let (_, _, _, again) = self
                .read_and_plan(Side::Hubspot, &linked.hubspot_id)
                .unwrap();
            assert!(
                again.writes_nothing(),
                "echo planned writes: {again:?}\nafter {plan:?}"
            );
        }
        Ok(())
    }

    fn drain(&mut self) {
        let mut budget = 10_000;
        while let Some((side, id)) = self.jobs.pop_front() {
            budget -= 1;
            assert!(budget > 0, "jobs never stop: the sync does not settle");
            if self.process(side, &id, None).is_err() {
                self.jobs.push_back((side, id));
            }
        }
    }

    /// The poller's full sweep: a job for every record of both sides.
    fn sweep(&mut self) {
        for side in Side::BOTH {
            let ids: Vec<String> = self.vendor_ref(side).records.keys().cloned().collect();
            for id in ids {
                self.notify(side, &id);
            }
        }
        self.drain();
    }

    fn canonical(&self, record: &Record) -> CanonicalValues {
        self.mappings
            .to_canonical(record.side, &record.values)
            .values
    }

    fn check_invariants(&self) {
        // 1. Links are one-to-one.
        for side in Side::BOTH {
            let ids: BTreeSet<&str> = self.store.links.iter().map(|l| l.id(side)).collect();
            assert_eq!(
                ids.len(),
                self.store.links.len(),
                "a {side} record is linked twice"
            );
        }
        // No duplicates: emails stay unique on each side (users never duplicate them here, so a
        // duplicate can only be a second create by the sync).
        for side in Side::BOTH {
            let mut seen = BTreeSet::new();
            for record in self.vendor_ref(side).records.values() {
                if let Some(email) = self.canonical(record).get("email") {
                    assert!(
                        seen.insert(email.as_text()),
                        "two {side} records with {email}"
                    );
                }
            }
        }
        for side in Side::BOTH {
            for record in self.vendor_ref(side).records.values().filter(|r| r.active) {
                let link = self.store.find(side, &record.id);
                assert!(
                    link.is_some(),
                    "active {side} record {} never entered the sync",
                    record.id
                );
            }
        }
        for link in &self.store.links {
            let hubspot = &self.hubspot.records[&link.hubspot_id];
            let qbo = &self.qbo.records[&link.qbo_id];
            if self.archived_while_linked.contains(&hubspot.id) {
                assert!(!qbo.active, "HubSpot archive not propagated: {link:?}");
            }
            // 4. Convergence: linked active pairs hold the same values, equal to the baseline.
            if hubspot.active && qbo.active {
                let (hs, qb) = (self.canonical(hubspot), self.canonical(qbo));
                assert_eq!(hs, qb, "sides differ for {link:?}");
                let fields: CanonicalValues = link
                    .baseline
                    .iter()
                    .filter(|(k, _)| !is_state_key(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                assert_eq!(fields, hs, "baseline is not the merged values");
            }
        }
        // 5. Echoes: every record plans no write.
        for side in Side::BOTH {
            for id in self.vendor_ref(side).records.keys() {
                if let Some((_, _, _, plan)) = self.read_and_plan(side, id) {
                    assert!(
                        plan.writes_nothing(),
                        "{side} {id} still plans writes: {plan:?}"
                    );
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        side: Side,
        copy_email: Option<usize>,
        first: usize,
        phone: usize,
        upper: bool,
    },
    Edit {
        side: Side,
        record: usize,
        field: usize,
        value: usize,
        upper: bool,
    },
    Archive {
        record: usize,
    },
    /// Process the job at `pick` (reordering); `crash_after` stops the apply after that many
    /// steps; `duplicate` leaves the job queued after success (a duplicated delivery).
    Work {
        pick: usize,
        crash_after: Option<usize>,
        duplicate: bool,
    },
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Hubspot), Just(Side::Quickbooks)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (side(), proptest::option::of(0usize..8), 0usize..8, 0usize..8, any::<bool>())
            .prop_map(|(side, copy_email, first, phone, upper)| Op::Create { side, copy_email, first, phone, upper }),
        4 => (side(), 0usize..8, 0usize..8, 0usize..8, any::<bool>())
            .prop_map(|(side, record, field, value, upper)| Op::Edit { side, record, field, value, upper }),
        1 => (0usize..8).prop_map(|record| Op::Archive { record }),
        6 => (0usize..16, proptest::option::of(1usize..4), any::<bool>())
            .prop_map(|(pick, crash_after, duplicate)| Op::Work { pick, crash_after, duplicate }),
    ]
}

fn conflict_rule() -> impl Strategy<Value = ConflictWinner> {
    prop_oneof![
        Just(ConflictWinner::NewestWins),
        Just(ConflictWinner::HubspotWins),
        Just(ConflictWinner::QuickbooksWins)
    ]
}

fn run(conflict: ConflictWinner, ops: &[Op]) -> World {
    let mut world = World::new(conflict);
    for op in ops {
        match op.clone() {
            Op::Create {
                side,
                copy_email,
                first,
                phone,
                upper,
            } => world.user_create(side, copy_email, first, phone, upper),
            Op::Edit {
                side,
                record,
                field,
                value,
                upper,
            } => world.user_edit(side, record, field, value, upper),
            Op::Archive { record } => world.user_archive(record),
            Op::Work {
                pick,
                crash_after,
                duplicate,
            } => {
                if world.jobs.is_empty() {
                    continue;
                }
                let at = pick % world.jobs.len();
                let (side, id) = world.jobs[at].clone();
                let done = world.process(side, &id, crash_after).is_ok();
                if done && !duplicate {
                    world.jobs.remove(at);
                }
            }
        }
    }
    world.drain();
    world.sweep();
    world
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_jobs_and_crashes_converge_without_duplicates_or_echoes(
        conflict in conflict_rule(),
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let world = run(conflict, &ops);
        world.check_invariants();
    }
}

#[test]
fn the_simulation_detects_what_it_claims_to() {
    // A scripted run: a contact and a customer created apart with the same email are linked,
    // not duplicated; a conflict settles; everything is linked and equal at the end.
    let ops = [
        Op::Create {
            side: Side::Hubspot,
            copy_email: None,
            first: 0,
            phone: 0,
            upper: false,
        },
        Op::Create {
            side: Side::Quickbooks,
            copy_email: Some(0),
            first: 1,
            phone: 1,
            upper: false,
        },
        Op::Work {
            pick: 0,
            crash_after: Some(1),
            duplicate: false,
        },
        Op::Edit {
            side: Side::Hubspot,
            record: 0,
            field: 2,
            value: 3,
            upper: false,
        },
        Op::Edit {
            side: Side::Quickbooks,
            record: 0,
            field: 2,
            value: 1,
            upper: false,
        },
    ];
    let world = run(ConflictWinner::NewestWins, &ops);
    world.check_invariants();
    assert_eq!(
        (
            world.hubspot.records.len(),
            world.qbo.records.len(),
            world.store.links.len()
        ),
        (1, 1, 1)
    );
    let qbo = world.qbo.records.values().next().unwrap();
    assert_eq!(
        world.canonical(qbo)["lastname"].as_text(),
        "Ann",
        "the newer QBO edit wins"
    );

    // And the checks can fail: a second customer with the same email is a duplicate.
    let mut broken = world.clone();
    let copy = qbo.values.clone();
    broken.qbo.insert(copy, Utc::now());
    let caught = std::panic::catch_unwind(move || broken.check_invariants());
    assert!(caught.is_err());
}

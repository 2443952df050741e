//! The chaos run's history: every person edit (with its canonical values and simulated time),
//! every injected fault, webhook delivery and worker step, in order, and its SHA-256 digest.

use std::collections::BTreeMap;

use hqsync::model::{ObjectKind, Side};
use sha2::{Digest, Sha256};

/// What a person did to one record through the vendor's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOp {
    Create,
    Update,
    /// HubSpot archive or QBO `Active=false`.
    Deactivate,
}

/// One person edit: the record, when (simulated epoch milliseconds), and the mapped fields it
/// set, as canonical text (`None` = cleared). A create sets every field it names.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonEdit {
    pub at_ms: i64,
    /// Which connection's accounts (0 = the first; docs/chaos.md §9).
    pub connection: usize,
    pub kind: ObjectKind,
    pub side: Side,
    pub id: String,
    pub op: EditOp,
    pub fields: BTreeMap<String, Option<String>>,
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Edit(PersonEdit),
    /// A fault injected (vendor error, crash, token expiry, webhook drop or duplicate...).
    Fault {
        at_ms: i64,
        what: String,
    },
    /// A webhook POST delivered to the intake, with the intake's status code.
    Delivery {
        at_ms: i64,
        what: String,
    },
    /// One worker step or poll and what it did (done, retried, dead-lettered, writes).
    Step {
        at_ms: i64,
        what: String,
    },
}

impl Event {
    /// One stable line per event (the digest hashes these).
    pub fn line(&self) -> String {
        match self {
            Event::Edit(e) => {
                let fields: Vec<String> = e
                    .fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("∅")))
                    .collect();
                // The first connection's lines are the one-connection run's, unchanged.
                let connection = match e.connection {
                    0 => String::new(),
                    n => format!(" connection={n}"),
                };
                format!(
                    "{} edit {:?} {} {} {} {}{connection}",
                    e.at_ms,
                    e.op,
                    e.kind,
                    e.side,
                    e.id,
                    fields.join(",")
                )
            }
            Event::Fault { at_ms, what } => format!("{at_ms} fault {what}"),
            Event::Delivery { at_ms, what } => format!("{at_ms} delivery {what}"),
            Event::Step { at_ms, what } => format!("{at_ms} step {what}"),
        }
    }
}

/// The ordered history of one run.
#[derive(Debug, Clone, Default)]
pub struct History {
    events: Vec<Event>,
}

impl History {
    pub fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The person edits, in the order they happened.
    pub fn edits(&self) -> impl Iterator<Item = &PersonEdit> {
        self.events.iter().filter_map(|e| match e {
            Event::Edit(edit) => Some(edit),
            _ => None,
        })
    }

    /// How many events of each sort were recorded (edits, faults, deliveries, steps).
    pub fn counts(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for event in &self.events {
            let slot = match event {
                Event::Edit(_) => 0,
                Event::Fault { .. } => 1,
                Event::Delivery { .. } => 2,
                Event::Step { .. } => 3,
            };
            counts[slot] += 1;
        }
        counts
    }

    /// SHA-256 over every event's line and then `tail` (the final state's lines), hex.
    pub fn digest(&self, tail: &[String]) -> String {
        let mut hash = Sha256::new();
        for line in self
            .events
            .iter()
            .map(Event::line)
            .chain(tail.iter().cloned())
        {
            hash.update(line.as_bytes());
            hash.update(b"\n");
        }
        hex::encode(hash.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(at_ms: i64, value: &str) -> Event {
        Event::Edit(PersonEdit {
            at_ms,
            connection: 0,
            kind: ObjectKind::Contact,
            side: Side::Hubspot,
            id: "1".into(),
            op: EditOp::Update,
            fields: [("company".to_owned(), Some(value.to_owned()))].into(),
        })
    }

    #[test]
    fn the_digest_changes_with_any_event_and_with_the_tail() {
        let mut a = History::default();
        a.push(edit(1, "Acme"));
        let mut b = History::default();
        b.push(edit(1, "Acme"));
        assert_eq!(a.digest(&[]), b.digest(&[]));
        b.push(edit(2, "Beta"));
        assert_ne!(a.digest(&[]), b.digest(&[]));
        assert_ne!(a.digest(&[]), a.digest(&["x".into()]));
        assert_eq!(a.digest(&[]).len(), 64);
        assert_eq!(b.counts(), [2, 0, 0, 0]);
    }
}

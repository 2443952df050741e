//! Pending QBO creates (docs/architecture.md §5 invariant 2): noted before a HubSpot-to-QBO
//! create and cleared with its link, so a crash in between still leads to the created record.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::kinds::descriptor;
use crate::model::{Link, NativeValues, Record, Side};
use crate::ports::{PendingCreate, RecordRef, StoreError};

use super::markers::linked_among;
use super::record_source::RecordSource;
use super::session::{Session, gateway_failure, store_failure};
use super::unit::{Step, Unit};

/// How long a pending create is kept: well past a job's last receive (8 receives on a backoff
/// capped at 6 h, docs/architecture.md §3), after which its job is gone and it is dropped.
pub const PENDING_CREATE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// How far QBO's `MetaData.LastUpdatedTime` may run behind our clock.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// The pending create a QBO create of `source` leaves before it is sent.
pub(super) fn pending_create(
    source: &Record,
    request_id: &str,
    values: &NativeValues,
    now: DateTime<Utc>,
) -> PendingCreate {
    PendingCreate {
        source: RecordRef::new(source.side, source.id.clone()),
        request_id: request_id.to_owned(),
        values: values.clone(),
        at: now,
        expires_at: now + chrono::Duration::from_std(PENDING_CREATE_TTL).unwrap_or_default(),
    }
}

/// Forgets `source`'s pending create once its link is written (or its create refused); a
/// failure only leaves it to expire.
pub(super) async fn clear_pending(session: &Session<'_>, source: &RecordRef) {
    if let Err(error) = session
        .store
        .clear_pending_create(session.connection_id(), session.kind, source)
        .await
    {
        tracing::warn!(%error, "could not clear a pending create; it expires on its own");
    }
}

/// Whether `record` is what `pending`'s create made: a QBO record changed no earlier than the
/// create was sent that still holds what the create wrote — the unique name QBO keeps
/// (`DisplayName`, `Name`) and at least half of the other values, or every value but one (a
/// person may have edited one field, the match key among them, since).
pub fn was_created_by(pending: &PendingCreate, record: &Record, name_field: Option<&str>) -> bool {
    if record.side != Side::Quickbooks || !record.active || pending.values.is_empty() {
        return false;
    }
    if record.modified_at + CLOCK_SKEW < pending.at {
        return false;
    }
    let holds = |path: &str, written: &Value| {
        record
            .value(path)
            .is_some_and(|now| same_value(written, now))
    };
    let name_holds = name_field.is_some_and(|field| {
        pending
            .values
            .get(field)
            .is_some_and(|written| holds(field, written))
    });
    let others: Vec<(&String, &Value)> = pending
        .values
        .iter()
        .filter(|(path, _)| Some(path.as_str()) != name_field)
        .collect();
    let changed_others = others.iter().filter(|(p, v)| !holds(p, v)).count();
    let changed = changed_others + usize::from(name_field.is_some() && !name_holds);
    (name_holds && changed_others * 2 <= others.len())
        || (pending.values.len() >= 2 && changed <= 1)
}

/// Written and read values compare as text, trimmed and case-insensitive, numbers by value
/// (QBO reads `12.5` back for a written `"12.50"`).
fn same_value(written: &Value, read: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    if let (Some(a), Some(b)) = (number(written), number(read)) {
        return (a - b).abs() < 1e-9;
    }
    match (text(written), text(read)) {
        (Some(a), Some(b)) => a == b,
        _ => written == read,
    }
}

/// For unlinked units still without a counterpart, before the sync would create their
/// counterpart: a QBO primary that a pending create made is paired with that create's HubSpot
/// record (instead of copying it into a second HubSpot record), and a HubSpot primary with a
/// pending create is paired with the QBO record it made (found by the unique name it wrote),
/// so a retry finds its record even when QBO no longer replays the `requestid`. One store read
/// per batch that has such units; expired pending creates are dropped with a reason.
pub(super) async fn match_by_pending_create(
    session: &mut Session<'_>,
    pairs: &mut Vec<(Unit, Option<Link>)>,
    records: &mut std::collections::HashMap<RecordRef, Record>,
    source: RecordSource<'_>,
) -> Result<(), Vec<Step>> {
    let Some(rule) = descriptor(session.kind).qbo.unique_name else {
        return Ok(()); // the sync never creates this kind in QBO
    };
    let seekers: Vec<usize> = pairs
        .iter()
        .enumerate()
        .filter(|(_, (unit, link))| link.is_none() && unit.counterpart.is_none())
        .filter(|(_, (unit, _))| records.get(unit.primary()).is_some_and(|r| r.active))
        .map(|(i, _)| i)
        .collect();
    if seekers.is_empty() {
        return Ok(());
    }
    let fail_all = |pairs: &mut Vec<(Unit, Option<Link>)>, step: &dyn Fn(Unit) -> Step| {
        std::mem::take(pairs)
            .into_iter()
            .map(|(u, _)| step(u))
            .collect::<Vec<_>>()
    };
    let pending = match live_pending(session).await {
        Ok(pending) => pending,
        Err(error) => return Err(fail_all(pairs, &|u| store_failure(u, &error))),
    };
    if pending.is_empty() {
        return Ok(());
    }

    // HubSpot primaries with a pending create: the QBO records holding the name it wrote.
    let own: Vec<(usize, &PendingCreate)> = seekers
        .iter()
        .filter_map(|&i| {
            let primary = pairs[i].0.primary();
            pending
                .iter()
                .find(|p| p.source == *primary)
                .map(|p| (i, p))
        })
        .collect();
    let names: Vec<String> = own
        .iter()
        .filter_map(|(_, p)| p.values.get(rule.field).and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let by_name = match source
        .find(session.kind, Side::Quickbooks, rule.field, &names)
        .await
    {
        Ok(found) => found,
        Err(error) => return Err(fail_all(pairs, &|u| gateway_failure(u, &error))),
    };
    // (unit index, candidate): a QBO record for a HubSpot primary, a HubSpot id for a QBO one.
    let mut found: Vec<(usize, RecordRef)> = Vec::new();
    for (i, p) in &own {
        let made: Vec<&Record> = by_name
            .iter()
            .filter(|r| was_created_by(p, r, Some(rule.field)))
            .collect();
        if let [record] = made.as_slice() {
            records.insert(
                RecordRef::new(Side::Quickbooks, record.id.clone()),
                (*record).clone(),
            );
            found.push((*i, RecordRef::new(Side::Quickbooks, record.id.clone())));
        }
    }
    // QBO primaries a pending create made: that create's source.
    for &i in &seekers {
        let Some(record) = records
            .get(pairs[i].0.primary())
            .filter(|r| r.side == Side::Quickbooks)
        else {
            continue;
        };
        let makers: Vec<&PendingCreate> = pending
            .iter()
            .filter(|p| was_created_by(p, record, Some(rule.field)))
            .collect();
        if let [maker] = makers.as_slice() {
            found.push((i, maker.source.clone()));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    let sources: Vec<String> = found
        .iter()
        .filter(|(_, r)| r.side == Side::Hubspot)
        .map(|(_, r)| r.id.clone())
        .filter(|id| !records.contains_key(&RecordRef::new(Side::Hubspot, id.clone())))
        .collect();
    match source.read(session.kind, Side::Hubspot, &sources).await {
        Ok(read) => {
            for record in read {
                records.insert(RecordRef::new(Side::Hubspot, record.id.clone()), record);
            }
        }
        Err(error) => return Err(fail_all(pairs, &|u| gateway_failure(u, &error))),
    }

    // Only records no link holds yet.
    let candidates: Vec<RecordRef> = found.iter().map(|(_, r)| r.clone()).collect();
    let linked = match linked_among(session, &candidates).await {
        Ok(linked) => linked,
        Err(error) => return Err(fail_all(pairs, &|u| store_failure(u, &error))),
    };
    let mut absorbed: Vec<usize> = Vec::new();
    for (i, chosen) in found {
        let primary = pairs[i].0.primary().clone();
        let active = records.get(&chosen).is_some_and(|r| r.active);
        if pairs[i].0.counterpart.is_some()
            || absorbed.contains(&i)
            || !active
            || linked.contains(&chosen)
            || session.paired_elsewhere(&chosen, &primary)
            || session.paired_elsewhere(&primary, &primary)
        {
            continue;
        }
        pairs[i].0.notes.push(format!(
            "linked the {} record {} a pending QBO create left",
            chosen.side, chosen.id
        ));
        session.consumed.insert(primary.clone(), primary.clone());
        session.consumed.insert(chosen.clone(), primary);
        pairs[i].0.counterpart = Some(chosen.clone());
        pairs[i].0.clears_pending = true;
        // A unit in this batch anchored on the chosen record joins this one.
        if let Some(j) = pairs
            .iter()
            .position(|(u, l)| l.is_none() && *u.primary() == chosen)
            && j != i
        {
            let other = pairs[j].0.clone();
            pairs[i].0.absorb(other);
            absorbed.push(j);
        }
    }
    absorbed.sort_unstable();
    absorbed.dedup();
    for j in absorbed.into_iter().rev() {
        pairs.remove(j);
    }
    Ok(())
}

/// The kind's pending creates that have not expired; expired ones are cleared, with the reason
/// logged (their job is gone: dead-lettered, or never retried).
async fn live_pending(session: &Session<'_>) -> Result<Vec<PendingCreate>, StoreError> {
    let all = session
        .store
        .pending_creates(session.connection_id(), session.kind)
        .await?;
    let (live, expired): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|p| p.expires_at > session.now);
    for p in expired {
        tracing::warn!(
            kind = %session.kind,
            source = %p.source.id,
            "dropped the pending QBO create of a HubSpot record sent at {}: no attempt linked it \
             within {} days, so its job is gone",
            p.at,
            PENDING_CREATE_TTL.as_secs() / 86_400
        );
        clear_pending(session, &p.source).await;
    }
    Ok(live)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObjectKind;
    use serde_json::json;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(1_800_000_000 + seconds)
    }

    fn customer(values: &[(&str, Value)], modified: i64) -> Record {
        Record {
            side: Side::Quickbooks,
            kind: ObjectKind::Contact,
            id: "7".into(),
            version: "1".into(),
            modified_at: at(modified),
            active: true,
            values: values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }

    fn written() -> PendingCreate {
        let source = Record {
            side: Side::Hubspot,
            id: "101".into(),
            ..customer(&[], 0)
        };
        let values: NativeValues = [
            ("DisplayName".to_owned(), json!("Ada Lovelace")),
            ("GivenName".to_owned(), json!("Ada")),
            ("FamilyName".to_owned(), json!("Lovelace")),
            (
                "PrimaryEmailAddr.Address".to_owned(),
                json!("ada@example.com"),
            ),
        ]
        .into();
        pending_create(&source, "rid", &values, at(100))
    }

    #[test]
    fn the_created_record_is_found_after_its_key_changed() {
        let rekeyed = customer(
            &[
                ("DisplayName", json!("Ada Lovelace")),
                ("GivenName", json!("Ada")),
                ("FamilyName", json!("Lovelace")),
                ("PrimaryEmailAddr.Address", json!("ada.new@example.com")),
            ],
            160,
        );
        assert!(was_created_by(&written(), &rekeyed, Some("DisplayName")));
        // A person renamed it instead: every other value still holds.
        let renamed = customer(
            &[
                ("DisplayName", json!("Countess Lovelace")),
                ("GivenName", json!("Ada")),
                ("FamilyName", json!("Lovelace")),
                ("PrimaryEmailAddr.Address", json!("ADA@example.com ")),
            ],
            160,
        );
        assert!(was_created_by(&written(), &renamed, Some("DisplayName")));
    }

    #[test]
    fn older_inactive_or_different_records_are_not_the_created_one() {
        let same = [
            ("DisplayName", json!("Ada Lovelace")),
            ("GivenName", json!("Ada")),
            ("FamilyName", json!("Lovelace")),
            ("PrimaryEmailAddr.Address", json!("ada@example.com")),
        ];
        // Last changed well before the create was sent.
        assert!(!was_created_by(
            &written(),
            &customer(&same, 100 - 3600),
            Some("DisplayName")
        ));
        let mut inactive = customer(&same, 160);
        inactive.active = false;
        assert!(!was_created_by(&written(), &inactive, Some("DisplayName")));
        // Another name and another e-mail: two values changed.
        let other = customer(
            &[
                ("DisplayName", json!("Ada King")),
                ("GivenName", json!("Ada")),
                ("FamilyName", json!("Lovelace")),
                ("PrimaryEmailAddr.Address", json!("king@example.com")),
            ],
            160,
        );
        assert!(!was_created_by(&written(), &other, Some("DisplayName")));
        // The same name but most other values differ.
        let namesake = customer(
            &[
                ("DisplayName", json!("Ada Lovelace")),
                ("GivenName", json!("A.")),
                ("FamilyName", json!("L.")),
            ],
            160,
        );
        assert!(!was_created_by(&written(), &namesake, Some("DisplayName")));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(same_value(&json!("12.50"), &json!(12.5)));
        assert!(same_value(&json!(3), &json!(3.0)));
        assert!(!same_value(&json!("12.50"), &json!(12.51)));
        assert!(same_value(&json!(" Service "), &json!("service")));
    }
}

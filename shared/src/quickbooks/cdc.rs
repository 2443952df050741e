//! Change data capture (docs/quickbooks.md §7): changes since a time within 30 days, deletions
//! surfaced, and saturated (~1000-object) answers narrowed until the result is complete.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, SecondsFormat, Timelike, Utc};
use reqwest::Method;
use serde_json::Value;

use super::client::{Body, QboClient};
use super::entities::{Entity, is_name_list};
use super::error::QboError;
use super::limits::{CDC_LOOKBACK, CDC_SATURATED_AT};
use super::query::Query;

/// Halvings of the window before giving up on a single entity that stays saturated.
const MAX_NARROWING_STEPS: u32 = 24;

/// A deleted object as CDC and delete responses report it:
/// `{"status":"Deleted","Id":..,"MetaData":{"LastUpdatedTime":..}}` (§5.5, §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub entity: String,
    pub id: String,
    pub last_updated: Option<DateTime<FixedOffset>>,
}

impl Deleted {
    /// Reads a deletion marker; `None` when `value` is not one.
    pub fn from_marker(entity: &str, value: &Value) -> Option<Self> {
        let status = value.get("status")?.as_str()?;
        if !status.eq_ignore_ascii_case("Deleted") {
            return None;
        }
        Some(Self {
            entity: entity.to_string(),
            id: value.get("Id")?.as_str()?.to_string(),
            last_updated: value
                .pointer("/MetaData/LastUpdatedTime")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
        })
    }
}

/// Deletions found by CDC.
pub type CdcDeletion = Deleted;

/// What changed since a point in time, complete (never a truncated page).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CdcChanges {
    /// Created, updated, voided or inactivated objects, by entity name, as returned (full
    /// payloads). Use [`CdcChanges::changed`] for typed access.
    pub objects: BTreeMap<String, Vec<Value>>,
    /// Objects reported with `status: Deleted`.
    pub deleted: Vec<Deleted>,
    /// The earliest response `time` among the requests made (a safe watermark, with overlap).
    pub server_time: Option<DateTime<FixedOffset>>,
    /// CDC requests made (the fallback queries not included).
    pub cdc_requests: u32,
    /// Set when an entity changed so much that part of the window had to be read by query:
    /// deletions before this time could not be enumerated (queries do not return them).
    pub deletions_unknown_before: Option<DateTime<FixedOffset>>,
}

impl CdcChanges {
    /// The changed objects of `E`, typed.
    pub fn changed<E: Entity>(&self) -> Result<Vec<E>, QboError> {
        self.objects
            .get(E::NAME)
            .map(|list| {
                list.iter()
                    .map(|v| {
                        serde_json::from_value(v.clone()).map_err(|e| QboError::Decode {
                            context: format!("CDC {}", E::NAME),
                            message: e.to_string(),
                            intuit_tid: None,
                        })
                    })
                    .collect()
            })
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Objects and deletions counted together (what the 1000 cap applies to).
    pub fn len(&self) -> usize {
        self.objects.values().map(Vec::len).sum::<usize>() + self.deleted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn merge(&mut self, other: CdcChanges) {
        for (entity, list) in other.objects {
            self.objects.entry(entity).or_default().extend(list);
        }
        self.deleted.extend(other.deleted);
        self.server_time = match (self.server_time, other.server_time) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.cdc_requests += other.cdc_requests;
        self.deletions_unknown_before = match (
            self.deletions_unknown_before,
            other.deletions_unknown_before,
        ) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Parses one CDC response body (`{"CDCResponse":[{"QueryResponse":[{...}]}],"time":..}`).
pub fn parse_cdc_response(body: &Value) -> Result<CdcChanges, QboError> {
    let responses = body
        .get("CDCResponse")
        .and_then(Value::as_array)
        .ok_or_else(|| QboError::Decode {
            context: "CDC".into(),
            message: "no CDCResponse array".into(),
            intuit_tid: None,
        })?;
    let mut changes = CdcChanges {
        server_time: body
            .get("time")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
        cdc_requests: 1,
        ..CdcChanges::default()
    };
    for response in responses {
        let groups = response
            .get("QueryResponse")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for group in groups {
            let Some(group) = group.as_object() else {
                continue;
            };
            for (entity, list) in group {
                let Some(list) = list.as_array() else {
                    continue;
                };
                for object in list {
                    match Deleted::from_marker(entity, object) {
                        Some(deleted) => changes.deleted.push(deleted),
                        None => changes
                            .objects
                            .entry(entity.clone())
                            .or_default()
                            .push(object.clone()),
                    }
                }
            }
        }
    }
    Ok(changes)
}

impl QboClient {
    /// One raw CDC request: `GET /cdc?entities=...&changedSince=...` (§7). The answer may be
    /// truncated at ~1000 objects; [`QboClient::changes_since`] handles that.
    pub async fn cdc_once(
        &self,
        entities: &[&str],
        changed_since: DateTime<FixedOffset>,
    ) -> Result<CdcChanges, QboError> {
        check_window(changed_since)?;
        let since = changed_since.to_rfc3339_opts(SecondsFormat::Secs, false);
        let list = entities.join(",");
        let params = [
            ("entities", list.as_str()),
            ("changedSince", since.as_str()),
        ];
        let body = self
            .send(Method::GET, "cdc", &params, Body::None, false)
            .await?;
        parse_cdc_response(&body.body).map_err(|e| e.with_intuit_tid(body.intuit_tid))
    }

    /// Everything in `entities` changed since `changed_since` (within 30 days), complete: a
    /// saturated answer is split by entity, then, for one entity, narrowed to a later start
    /// whose answer is not saturated, with the earlier part read by `MetaData.LastUpdatedTime`
    /// queries (see [`CdcChanges::deletions_unknown_before`]).
    pub async fn changes_since(
        &self,
        entities: &[&str],
        changed_since: DateTime<FixedOffset>,
    ) -> Result<CdcChanges, QboError> {
        check_window(changed_since)?;
        let mut result = CdcChanges::default();
        let mut pending: Vec<Vec<&str>> = vec![entities.to_vec()];
        while let Some(group) = pending.pop() {
            if group.is_empty() {
                continue;
            }
            let answer = self.cdc_once(&group, changed_since).await?;
            if answer.len() < CDC_SATURATED_AT {
                result.merge(answer);
            } else if group.len() > 1 {
                let (a, b) = group.split_at(group.len() / 2);
                result.cdc_requests += answer.cdc_requests;
                pending.push(a.to_vec());
                pending.push(b.to_vec());
            } else {
                result.cdc_requests += answer.cdc_requests;
                let narrowed = self.narrowed(group[0], changed_since).await?;
                result.merge(narrowed);
            }
        }
        Ok(result)
    }

    /// One saturated entity: find a later start `t` whose CDC answer is complete, and read
    /// `[changed_since, t]` by query. When no start is late enough (more than ~1000 changes in
    /// the last second), the whole window is read by query.
    async fn narrowed(
        &self,
        entity: &str,
        changed_since: DateTime<FixedOffset>,
    ) -> Result<CdcChanges, QboError> {
        let now = Utc::now().with_timezone(changed_since.offset());
        let mut start = changed_since;
        let mut complete = None;
        let mut requests = 0;
        for _ in 0..MAX_NARROWING_STEPS {
            // `changedSince` has whole seconds; stop when the window cannot shrink further.
            let next = whole_seconds(start + (now - start) / 2);
            if next <= start {
                break;
            }
            start = next;
            let answer = self.cdc_once(&[entity], start).await?;
            requests += answer.cdc_requests;
            if answer.len() < CDC_SATURATED_AT {
                complete = Some(answer);
                break;
            }
        }
        let (mut recent, older_until) = match complete {
            Some(answer) => (answer, Some(start)),
            None => (CdcChanges::default(), None),
        };
        recent.cdc_requests = requests;
        let mut query = Query::select(entity).ge("MetaData.LastUpdatedTime", changed_since);
        if let Some(until) = older_until {
            query = query.le("MetaData.LastUpdatedTime", until);
        }
        if is_name_list(entity) {
            query = query.include_inactive();
        }
        let older: Vec<Value> = self.query_all_named(entity, query).await?;
        let seen: std::collections::HashSet<String> = recent
            .objects
            .get(entity)
            .into_iter()
            .flatten()
            .filter_map(|o| o.get("Id").and_then(Value::as_str).map(str::to_string))
            .chain(recent.deleted.iter().map(|d| d.id.clone()))
            .collect();
        let list = recent.objects.entry(entity.to_string()).or_default();
        list.extend(older.into_iter().filter(|o| {
            o.get("Id")
                .and_then(Value::as_str)
                .is_none_or(|id| !seen.contains(id))
        }));
        recent.deletions_unknown_before = Some(older_until.unwrap_or(now));
        Ok(recent)
    }
}

/// `t` without its fraction of a second.
fn whole_seconds(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.with_nanosecond(0).unwrap_or(t)
}

fn check_window(changed_since: DateTime<FixedOffset>) -> Result<(), QboError> {
    let oldest = Utc::now() - chrono::Duration::from_std(CDC_LOOKBACK).expect("30 days fits");
    if changed_since < oldest {
        return Err(QboError::CdcWindowTooOld { changed_since });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../tests/fixtures/quickbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn the_documented_cdc_sample_splits_changes_and_deletions() {
        let changes = parse_cdc_response(&fixture("cdc-response.json")).unwrap();
        assert_eq!(changes.objects["Customer"].len(), 2);
        assert_eq!(changes.objects["Estimate"].len(), 2);
        assert_eq!(
            changes.deleted,
            vec![Deleted {
                entity: "Estimate".into(),
                id: "979".into(),
                last_updated: Some(
                    DateTime::parse_from_rfc3339("2015-12-23T12:55:50-08:00").unwrap()
                ),
            }]
        );
        assert_eq!(changes.len(), 5);
        assert_eq!(
            changes.server_time.unwrap().to_rfc3339(),
            "2015-12-23T12:56:06.196-08:00"
        );
        let customers = changes.changed::<crate::quickbooks::Customer>().unwrap();
        assert_eq!(customers[1].id.as_deref(), Some("99"));
    }

    #[test]
    fn an_empty_cdc_answer_has_no_changes() {
        let changes = parse_cdc_response(&fixture("cdc-response-empty.json")).unwrap();
        assert!(changes.is_empty());
        assert!(changes.server_time.is_some());
    }

    #[test]
    fn windows_older_than_thirty_days_are_refused_before_sending() {
        let old = (Utc::now() - chrono::Duration::days(31)).fixed_offset();
        assert!(matches!(
            check_window(old),
            Err(QboError::CdcWindowTooOld { .. })
        ));
        let recent = (Utc::now() - chrono::Duration::days(29)).fixed_offset();
        assert!(check_window(recent).is_ok());
    }

    #[test]
    fn delete_responses_are_deletion_markers() {
        let body = fixture("invoice-delete-response.json");
        let d = Deleted::from_marker("Invoice", &body["Invoice"]).unwrap();
        assert_eq!(d.id, "33");
        assert!(Deleted::from_marker("Invoice", &serde_json::json!({"Id": "1"})).is_none());
    }
}

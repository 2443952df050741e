//! The local durable `JobQueue` on SQLite: the same delivery rules as SQS (delay, visibility
//! timeout, receive count, receipts), so jobs survive a restart of `hqsync dev`; turns between
//! connections on the bulk lane; dead letters kept with reason and lane, listed and redriven.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::db::{SqliteDb, SqliteError, from_json, to_json};
use crate::ports::{
    Clock, DeadLetter, DeadLetters, Delivery, Job, JobQueue, Lane, PurgeQueue, QueueError, Receipt,
    dedup_jobs,
};

/// How long a received job stays invisible unless acked or retried.
pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(60);

impl From<SqliteError> for QueueError {
    fn from(error: SqliteError) -> Self {
        match error {
            SqliteError::Corrupt(message) => QueueError::Corrupt(message),
            other => QueueError::Backend(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for QueueError {
    fn from(error: rusqlite::Error) -> Self {
        QueueError::Backend(error.to_string())
    }
}

pub struct SqliteJobQueue {
    db: SqliteDb,
    clock: Arc<dyn Clock>,
    visibility_timeout: Duration,
}

impl SqliteJobQueue {
    pub fn new(db: SqliteDb, clock: Arc<dyn Clock>) -> Self {
        Self::with_visibility_timeout(db, clock, DEFAULT_VISIBILITY_TIMEOUT)
    }

    pub fn with_visibility_timeout(
        db: SqliteDb,
        clock: Arc<dyn Clock>,
        visibility_timeout: Duration,
    ) -> Self {
        SqliteJobQueue {
            db,
            clock,
            visibility_timeout,
        }
    }
}

fn lane_name(lane: Lane) -> &'static str {
    match lane {
        Lane::Live => "live",
        Lane::Bulk => "bulk",
    }
}

fn lane_of(name: &str) -> Result<Lane, QueueError> {
    match name {
        "live" => Ok(Lane::Live),
        "bulk" => Ok(Lane::Bulk),
        other => Err(QueueError::Corrupt(format!("unknown lane {other:?}"))),
    }
}

fn millis_after(now: DateTime<Utc>, delay: Duration) -> i64 {
    let delay = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    now.timestamp_millis().saturating_add(delay)
}

/// The identity of a signal (same record, same work), for coalescing.
fn subject(job: &Job) -> String {
    job.subject().to_string()
}

fn parse_receipt(receipt: &Receipt) -> Result<i64, QueueError> {
    receipt
        .0
        .split_once(':')
        .and_then(|(id, _)| id.parse().ok())
        .ok_or_else(|| QueueError::UnknownReceipt(receipt.0.clone()))
}

#[async_trait]
impl PurgeQueue for SqliteJobQueue {
    async fn purge(&self) -> Result<usize, QueueError> {
        self.db
            .run(|conn| Ok(conn.execute("DELETE FROM jobs", [])?))
            .await
    }
}

#[async_trait]
impl JobQueue for SqliteJobQueue {
    async fn enqueue(
        &self,
        lane: Lane,
        jobs: Vec<Job>,
        delay: Option<Duration>,
    ) -> Result<usize, QueueError> {
        let visible_at = millis_after(self.clock.now(), delay.unwrap_or_default());
        let jobs = dedup_jobs(jobs);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let mut written = 0;
                for job in jobs {
                    let subject = subject(&job);
                    // Coalesce with a waiting (not in-flight) message for the same record.
                    let waiting: Option<(i64, String, i64)> = tx
                        .query_row(
                            "SELECT id, body, visible_at_ms FROM jobs WHERE lane = ?1 AND subject = ?2 AND receipt IS NULL LIMIT 1",
                            params![lane_name(lane), subject],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()?;
                    if let Some((id, body, waiting_visible_at)) = waiting {
                        let mut waiting_job: Job = from_json(&body)?;
                        waiting_job.absorb(&job);
                        tx.execute(
                            "UPDATE jobs SET body = ?2, visible_at_ms = ?3 WHERE id = ?1",
                            params![id, to_json(&waiting_job)?, waiting_visible_at.min(visible_at)],
                        )?;
                        continue;
                    }
                    tx.execute(
                        "INSERT INTO jobs (lane, subject, body, visible_at_ms) VALUES (?1, ?2, ?3, ?4)",
                        params![lane_name(lane), subject, to_json(&job)?, visible_at],
                    )?;
                    written += 1;
                }
                tx.commit()?;
                Ok(written)
            })
            .await
    }

    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Delivery>, QueueError> {
        let now = self.clock.now();
        let hidden_until = millis_after(now, self.visibility_timeout);
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let due: Vec<(i64, String, u32)> = {
                    let mut stmt = tx.prepare(match lane {
                        Lane::Live => "SELECT id, body, receive_count FROM jobs WHERE lane = ?1 AND visible_at_ms <= ?2 ORDER BY id LIMIT ?3",
                        // One job per connection in turn, oldest first within each (the
                        // subject starts with `connection|`), so one connection's backfill
                        // never starves another's (docs/architecture.md §14).
                        Lane::Bulk => "SELECT id, body, receive_count FROM (
                             SELECT id, body, receive_count, ROW_NUMBER() OVER (
                                 PARTITION BY substr(subject, 1, instr(subject, '|')) ORDER BY id) AS turn
                             FROM jobs WHERE lane = ?1 AND visible_at_ms <= ?2)
                           ORDER BY turn, id LIMIT ?3",
                    })?;
                    stmt.query_map(params![lane_name(lane), now.timestamp_millis(), max], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<Result<_, _>>()?
                };
                let mut out = Vec::with_capacity(due.len());
                for (id, body, count) in due {
                    let receive_count = count + 1;
                    let receipt = format!("{id}:{receive_count}");
                    tx.execute(
                        "UPDATE jobs SET receive_count = ?2, receipt = ?3, visible_at_ms = ?4 WHERE id = ?1",
                        params![id, receive_count, receipt, hidden_until],
                    )?;
                    out.push(Delivery {
                        receipt: Receipt(receipt),
                        job: from_json(&body)?,
                        receive_count,
                    });
                }
                tx.commit()?;
                Ok(out)
            })
            .await
    }

    async fn ack(&self, receipts: &[Receipt]) -> Result<(), QueueError> {
        let receipts = receipts
            .iter()
            .map(|r| Ok((parse_receipt(r)?, r.0.clone())))
            .collect::<Result<Vec<_>, QueueError>>()?;
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                for (id, receipt) in receipts {
                    // A stale receipt (redelivered since) deletes nothing, like SQS.
                    tx.execute(
                        "DELETE FROM jobs WHERE id = ?1 AND receipt = ?2",
                        params![id, receipt],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn retry_later(&self, receipt: &Receipt, delay: Duration) -> Result<(), QueueError> {
        let id = parse_receipt(receipt)?;
        let receipt = receipt.0.clone();
        let visible_at = millis_after(self.clock.now(), delay);
        self.db
            .run(move |conn| {
                let changed = conn.execute(
                    "UPDATE jobs SET receipt = NULL, visible_at_ms = ?3 WHERE id = ?1 AND receipt = ?2",
                    params![id, receipt, visible_at],
                )?;
                if changed == 0 {
                    return Err(QueueError::UnknownReceipt(receipt));
                }
                Ok(())
            })
            .await
    }

    async fn pending(&self, lane: Lane) -> Result<usize, QueueError> {
        self.db
            .run(move |conn| {
                let count: i64 = conn.query_row(
                    "SELECT COUNT(*) FROM jobs WHERE lane = ?1 AND receipt IS NULL",
                    params![lane_name(lane)],
                    |r| r.get(0),
                )?;
                Ok(usize::try_from(count).unwrap_or(0))
            })
            .await
    }

    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Result<(), QueueError> {
        let id = parse_receipt(&delivery.receipt)?;
        let receipt = delivery.receipt.0.clone();
        let reason = reason.to_owned();
        let now = self.clock.now().to_rfc3339();
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                // Moved in one transaction: a crash leaves it a job or a dead letter, never both.
                let moved = tx.execute(
                    "INSERT INTO dead_letters (id, lane, body, reason, receive_count, dead_lettered_at)
                     SELECT id, lane, body, ?3, receive_count, ?4 FROM jobs WHERE id = ?1 AND receipt = ?2",
                    params![id, receipt, reason, now],
                )?;
                if moved > 0 {
                    tx.execute("DELETE FROM jobs WHERE id = ?1", params![id])?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }
}

type DeadRow = (i64, String, String, String, u32, String);

fn dead_letter_of(row: DeadRow) -> Result<DeadLetter, QueueError> {
    let (id, lane, body, reason, receive_count, at) = row;
    Ok(DeadLetter {
        id: id.to_string(),
        lane: lane_of(&lane)?,
        // A body that no longer parses is still listed (and redriven as it is).
        job: serde_json::from_str(&body).ok(),
        reason: Some(reason),
        receive_count,
        dead_lettered_at: DateTime::parse_from_rfc3339(&at)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
    })
}

const DEAD_COLUMNS: &str = "id, lane, body, reason, receive_count, dead_lettered_at";

fn dead_rows(
    conn: &rusqlite::Connection,
    lane: Lane,
    max: i64,
) -> Result<Vec<DeadRow>, QueueError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {DEAD_COLUMNS} FROM dead_letters WHERE lane = ?1 ORDER BY id LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![lane_name(lane), max], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

#[async_trait]
impl DeadLetters for SqliteJobQueue {
    async fn list_dead_letters(
        &self,
        lane: Lane,
        max: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let rows = self.db.run(move |conn| dead_rows(conn, lane, max)).await?;
        rows.into_iter().map(dead_letter_of).collect()
    }

    async fn redrive(
        &self,
        lane: Lane,
        ids: Option<&[String]>,
        max: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let ids: Option<Vec<String>> = ids.map(<[String]>::to_vec);
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let now = self.clock.now().timestamp_millis();
        let rows = self
            .db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let rows: Vec<DeadRow> = dead_rows(&tx, lane, i64::MAX)?
                    .into_iter()
                    .filter(|row| ids.as_ref().is_none_or(|ids| ids.contains(&row.0.to_string())))
                    .take(usize::try_from(max).unwrap_or(usize::MAX))
                    .collect();
                for (id, lane, body, ..) in &rows {
                    let subject = serde_json::from_str::<Job>(body)
                        .map(|job| subject(&job))
                        .unwrap_or_else(|_| format!("dead-letter|{id}"));
                    // Back on its lane as a fresh message (receives counted from zero again).
                    tx.execute(
                        "INSERT INTO jobs (lane, subject, body, visible_at_ms) VALUES (?1, ?2, ?3, ?4)",
                        params![lane, subject, body, now],
                    )?;
                    tx.execute("DELETE FROM dead_letters WHERE id = ?1", params![id])?;
                }
                tx.commit()?;
                Ok::<_, QueueError>(rows)
            })
            .await?;
        rows.into_iter().map(dead_letter_of).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::ManualClock;
    use crate::ports::contract::job_queue as contract;

    async fn fresh(_test: &str) -> Option<contract::QueueUnderTest> {
        let clock = Arc::new(ManualClock::fixed());
        let visibility = Duration::from_secs(45);
        let queue = SqliteJobQueue::with_visibility_timeout(
            SqliteDb::open_in_memory().expect("open"),
            clock.clone(),
            visibility,
        );
        Some(contract::QueueUnderTest::on_manual_clock(
            queue, clock, visibility,
        ))
    }

    crate::job_queue_contract_tests!(fresh, local);

    #[tokio::test]
    async fn dead_letters_keep_reason_and_lane_and_redrive() {
        let queue = SqliteJobQueue::new(
            SqliteDb::open_in_memory().expect("open"),
            Arc::new(ManualClock::fixed()),
        );
        crate::ports::contract::dead_letters::dead_letters_keep_reason_and_lane_and_redrive(&queue)
            .await;
    }

    #[tokio::test]
    async fn jobs_survive_a_restart_and_in_flight_ones_come_back() {
        use crate::model::{ConnectionId, ObjectKind, Side};
        use crate::ports::JobReason;

        let dir = std::env::temp_dir().join(format!("hqsync-queue-test-{}", uuid::Uuid::new_v4()));
        let path = SqliteDb::default_path(&dir);
        let clock = Arc::new(ManualClock::fixed());
        let job = |id: &str| {
            Job::new(
                ConnectionId::new("restart").unwrap(),
                ObjectKind::Contact,
                Side::Quickbooks,
                id,
                JobReason::Poll,
                clock.now(),
            )
        };
        {
            let queue = SqliteJobQueue::new(SqliteDb::open(&path).unwrap(), clock.clone());
            queue
                .enqueue(Lane::Live, vec![job("1"), job("2")], None)
                .await
                .unwrap();
            // "1" is in flight when the process dies.
            assert_eq!(queue.receive(Lane::Live, 1).await.unwrap().len(), 1);
        }
        let queue = SqliteJobQueue::new(SqliteDb::open(&path).unwrap(), clock.clone());
        let waiting = queue.receive(Lane::Live, 10).await.unwrap();
        assert_eq!(
            waiting
                .iter()
                .map(|d| d.job.id.as_str())
                .collect::<Vec<_>>(),
            ["2"]
        );
        clock.advance(DEFAULT_VISIBILITY_TIMEOUT + Duration::from_secs(1));
        let back = queue.receive(Lane::Live, 10).await.unwrap();
        assert_eq!(back.len(), 2, "the crashed delivery and the unacked one");
        assert_eq!(
            back.iter()
                .find(|d| d.job.id == "1")
                .map(|d| d.receive_count),
            Some(2)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

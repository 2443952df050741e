//! An in-memory `JobQueue` with SQS-like behaviour: delays, a visibility timeout (a crashed
//! worker's jobs come back), receive counts, coalescing of identical waiting signals, turns
//! between connections on the bulk lane, and the dead letters (listed and redriven to their lane).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::ConnectionId;
use crate::ports::{
    Clock, DeadLetter, DeadLetters, Delivery, Job, JobQueue, Lane, PurgeQueue, QueueError, Receipt,
    dedup_jobs,
};

/// How long a received job stays invisible unless acked or retried (SQS's default is 30 s).
pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(60);

struct Message {
    lane: Lane,
    job: Job,
    visible_at: DateTime<Utc>,
    receive_count: u32,
    /// Set while a worker holds the message.
    receipt: Option<String>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    messages: BTreeMap<u64, Message>,
    /// The waiting (not in-flight) message of each lane and subject, so a signal coalesces in
    /// constant time however long the queue (a 10,000-job backlog, docs/architecture.md §14).
    waiting: HashMap<(Lane, String), u64>,
    /// Dead letters by id (ids are shared with messages, so never reused).
    dead: BTreeMap<u64, DeadLetter>,
}

pub struct MemoryJobQueue {
    clock: Arc<dyn Clock>,
    visibility_timeout: Duration,
    state: Mutex<State>,
}

impl MemoryJobQueue {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_visibility_timeout(clock, DEFAULT_VISIBILITY_TIMEOUT)
    }

    pub fn with_visibility_timeout(clock: Arc<dyn Clock>, visibility_timeout: Duration) -> Self {
        MemoryJobQueue {
            clock,
            visibility_timeout,
            state: Mutex::new(State::default()),
        }
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn after(now: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
}

/// The ids to hand out, from the due messages in id order: oldest first on the live lane; on
/// the bulk lane one message per connection in turn, oldest first within each, so one
/// connection's backfill never starves another's (docs/architecture.md §14).
fn in_turns(lane: Lane, due: Vec<(u64, &ConnectionId)>, max: usize) -> Vec<u64> {
    if lane == Lane::Live {
        return due.into_iter().map(|(id, _)| id).take(max).collect();
    }
    let mut queues: Vec<(&ConnectionId, std::collections::VecDeque<u64>)> = Vec::new();
    for (id, connection) in due {
        match queues.iter_mut().find(|(c, _)| *c == connection) {
            Some((_, ids)) => ids.push_back(id),
            None => queues.push((connection, [id].into())),
        }
    }
    let mut out = Vec::new();
    while out.len() < max && queues.iter().any(|(_, ids)| !ids.is_empty()) {
        for (_, ids) in &mut queues {
            if out.len() >= max {
                break;
            }
            out.extend(ids.pop_front());
        }
    }
    out
}

fn parse_receipt(receipt: &Receipt) -> Result<u64, QueueError> {
    receipt
        .0
        .split_once(':')
        .and_then(|(id, _)| id.parse().ok())
        .ok_or_else(|| QueueError::UnknownReceipt(receipt.0.clone()))
}

#[async_trait]
impl PurgeQueue for MemoryJobQueue {
    async fn purge(&self) -> Result<usize, QueueError> {
        let mut state = self.lock_state();
        let count = state.messages.len();
        state.messages.clear();
        state.waiting.clear();
        Ok(count)
    }
}

#[async_trait]
impl JobQueue for MemoryJobQueue {
    async fn enqueue(
        &self,
        lane: Lane,
        jobs: Vec<Job>,
        delay: Option<Duration>,
    ) -> Result<usize, QueueError> {
        let now = self.clock.now();
        let visible_at = after(now, delay.unwrap_or_default());
        let mut state = self.lock_state();
        let State {
            next_id,
            messages,
            waiting,
            ..
        } = &mut *state;
        let mut written = 0;
        for job in dedup_jobs(jobs) {
            let key = (lane, job.subject().to_string());
            // Coalesce with a waiting (not in-flight) message for the same record.
            if let Some(held) = waiting.get(&key).and_then(|id| messages.get_mut(id)) {
                held.visible_at = held.visible_at.min(visible_at);
                held.job.absorb(&job);
                continue;
            }
            *next_id += 1;
            waiting.insert(key, *next_id);
            messages.insert(
                *next_id,
                Message {
                    lane,
                    job,
                    visible_at,
                    receive_count: 0,
                    receipt: None,
                },
            );
            written += 1;
        }
        Ok(written)
    }

    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Delivery>, QueueError> {
        let now = self.clock.now();
        let mut state = self.lock_state();
        let due: Vec<(u64, &ConnectionId)> = state
            .messages
            .iter()
            .filter(|(_, m)| m.lane == lane && m.visible_at <= now)
            .map(|(id, m)| (*id, &m.job.connection))
            .collect();
        let chosen = in_turns(lane, due, max);
        let mut out = Vec::with_capacity(chosen.len());
        for id in chosen {
            let Some(message) = state.messages.get_mut(&id) else {
                continue;
            };
            message.receive_count += 1;
            let receipt = format!("{id}:{}", message.receive_count);
            message.receipt = Some(receipt.clone());
            message.visible_at = after(now, self.visibility_timeout);
            let delivery = Delivery {
                receipt: Receipt(receipt),
                job: message.job.clone(),
                receive_count: message.receive_count,
            };
            let key = (lane, delivery.job.subject().to_string());
            if state.waiting.get(&key) == Some(&id) {
                state.waiting.remove(&key);
            }
            out.push(delivery);
        }
        Ok(out)
    }

    async fn ack(&self, receipts: &[Receipt]) -> Result<(), QueueError> {
        let mut state = self.lock_state();
        for receipt in receipts {
            let id = parse_receipt(receipt)?;
            // Acking a message whose receipt expired (redelivered since) is ignored, as SQS does
            // for stale receipt handles of already-deleted messages.
            if state.messages.get(&id).and_then(|m| m.receipt.as_deref())
                == Some(receipt.0.as_str())
            {
                state.messages.remove(&id);
            }
        }
        Ok(())
    }

    async fn retry_later(&self, receipt: &Receipt, delay: Duration) -> Result<(), QueueError> {
        let now = self.clock.now();
        let mut state = self.lock_state();
        let id = parse_receipt(receipt)?;
        match state.messages.get_mut(&id) {
            Some(message) if message.receipt.as_deref() == Some(receipt.0.as_str()) => {
                message.receipt = None;
                message.visible_at = after(now, delay);
                let key = (message.lane, message.job.subject().to_string());
                state.waiting.entry(key).or_insert(id);
                Ok(())
            }
            _ => Err(QueueError::UnknownReceipt(receipt.0.clone())),
        }
    }

    async fn pending(&self, lane: Lane) -> Result<usize, QueueError> {
        let state = self.lock_state();
        Ok(state
            .messages
            .values()
            .filter(|m| m.lane == lane && m.receipt.is_none())
            .count())
    }

    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Result<(), QueueError> {
        let now = self.clock.now();
        let id = parse_receipt(&delivery.receipt)?;
        let mut state = self.lock_state();
        let held = state
            .messages
            .get(&id)
            .is_some_and(|m| m.receipt.as_deref() == Some(delivery.receipt.0.as_str()));
        if !held {
            return Ok(());
        }
        if let Some(message) = state.messages.remove(&id) {
            state.dead.insert(
                id,
                DeadLetter {
                    id: id.to_string(),
                    lane: message.lane,
                    job: Some(message.job),
                    reason: Some(reason.to_owned()),
                    receive_count: message.receive_count,
                    dead_lettered_at: Some(now),
                },
            );
        }
        Ok(())
    }
}

#[async_trait]
impl DeadLetters for MemoryJobQueue {
    async fn list_dead_letters(
        &self,
        lane: Lane,
        max: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let state = self.lock_state();
        Ok(state
            .dead
            .values()
            .filter(|d| d.lane == lane)
            .take(max)
            .cloned()
            .collect())
    }

    async fn redrive(
        &self,
        lane: Lane,
        ids: Option<&[String]>,
        max: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let now = self.clock.now();
        let mut state = self.lock_state();
        let chosen: Vec<u64> = state
            .dead
            .values()
            .filter(|d| d.lane == lane && ids.is_none_or(|ids| ids.contains(&d.id)))
            .filter_map(|d| d.id.parse().ok())
            .take(max)
            .collect();
        let mut moved = Vec::with_capacity(chosen.len());
        for id in chosen {
            let Some(letter) = state.dead.remove(&id) else {
                continue;
            };
            if let Some(job) = letter.job.clone() {
                // Back on its lane as a fresh message (receives counted from zero again).
                state.next_id += 1;
                let next = state.next_id;
                let key = (letter.lane, job.subject().to_string());
                state.waiting.entry(key).or_insert(next);
                state.messages.insert(
                    next,
                    Message {
                        lane: letter.lane,
                        job,
                        visible_at: now,
                        receive_count: 0,
                        receipt: None,
                    },
                );
            }
            moved.push(letter);
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::ManualClock;
    use crate::ports::contract::job_queue as contract;

    #[test]
    fn jobs_have_the_documented_wire_format() {
        contract::job_wire_format();
    }

    async fn fresh(_test: &str) -> Option<contract::QueueUnderTest> {
        let clock = Arc::new(ManualClock::fixed());
        let visibility = Duration::from_secs(45);
        let queue = MemoryJobQueue::with_visibility_timeout(clock.clone(), visibility);
        Some(contract::QueueUnderTest::on_manual_clock(
            queue, clock, visibility,
        ))
    }

    crate::job_queue_contract_tests!(fresh, local);

    #[tokio::test]
    async fn dead_letters_keep_reason_and_lane_and_redrive() {
        let queue = MemoryJobQueue::new(Arc::new(ManualClock::fixed()));
        crate::ports::contract::dead_letters::dead_letters_keep_reason_and_lane_and_redrive(&queue)
            .await;
    }
}

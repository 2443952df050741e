//! Outbound webhook delivery: events queued on every change, batched per POST, with
//! configurable delay/duplicate/reorder/drop, vendor signing, and retries on the sandbox clock.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::clock::SandboxClock;

/// The vendor-specific part of a delivery: how a batch becomes a body, and how it is signed.
pub trait WebhookFormat: Send + Sync + 'static {
    /// The POST body for `events` on attempt `attempt` (0 = first try; HubSpot puts it in
    /// each event's `attemptNumber`).
    fn encode(&self, events: &[Value], attempt: u32) -> Vec<u8>;

    /// The headers that sign `body` (e.g. HubSpot's `X-HubSpot-Signature-v3`), computed with
    /// `secret` for a `method` request to `url` at sandbox time `now_ms`.
    fn sign(
        &self,
        secret: &str,
        method: &str,
        url: &str,
        body: &[u8],
        now_ms: i64,
    ) -> Vec<(String, String)>;
}

/// Delivery settings, changeable at runtime (`GET`/`PUT /_sandbox/webhooks`, camelCase JSON).
/// The secret is set separately ([`WebhookDelivery::set_secret`]) so it is never serialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeliveryConfig {
    /// Where batches are POSTed; `None` discards events (counted in `discardedNoTarget`).
    pub target_url: Option<String>,
    /// Most events per POST.
    pub max_batch: usize,
    /// Sandbox milliseconds an event waits before it can be sent (lets batches form).
    pub delay_ms: u64,
    /// Probability an event is sent twice (the copy goes in a later batch).
    pub duplicate_rate: f64,
    /// Probability each pick for a batch takes a random ready event instead of the oldest.
    pub reorder_rate: f64,
    /// Probability an event is never sent.
    pub drop_rate: f64,
    /// Sandbox milliseconds to wait before retry n (index n-1) after a non-2xx, a connection
    /// failure or a timeout; its length is the number of retries.
    pub retry_schedule_ms: Vec<u64>,
    /// Real milliseconds a POST may take before it counts as failed.
    pub timeout_ms: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            target_url: None,
            max_batch: 100,
            delay_ms: 0,
            duplicate_rate: 0.0,
            reorder_rate: 0.0,
            drop_rate: 0.0,
            retry_schedule_ms: Vec::new(),
            timeout_ms: 5_000,
        }
    }
}

/// Counters for tests and `GET /_sandbox/webhooks` (camelCase JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryCounters {
    /// Events handed to [`WebhookDelivery::enqueue`].
    pub enqueued: u64,
    /// Events waiting in the queue now.
    pub queued: u64,
    /// Events dropped on purpose (`dropRate`).
    pub dropped: u64,
    /// Extra copies queued (`duplicateRate`).
    pub duplicated: u64,
    /// Events discarded because no target was set.
    pub discarded_no_target: u64,
    /// Batches formed (each is POSTed at least once).
    pub batches: u64,
    /// POSTs made, retries included.
    pub attempts: u64,
    /// POSTs that failed (non-2xx, connection error, timeout).
    pub failed_attempts: u64,
    /// Batches that got a 2xx.
    pub delivered_batches: u64,
    /// Events in batches that got a 2xx.
    pub delivered_events: u64,
    /// Batches given up after the last retry.
    pub abandoned_batches: u64,
    /// Batches being sent or waiting for a retry now.
    pub in_flight: u64,
}

#[derive(Debug)]
struct Pending {
    event: Value,
    ready_at_ms: i64,
    is_copy: bool,
}

#[derive(Default)]
struct Counts {
    enqueued: AtomicU64,
    dropped: AtomicU64,
    duplicated: AtomicU64,
    discarded_no_target: AtomicU64,
    batches: AtomicU64,
    attempts: AtomicU64,
    failed_attempts: AtomicU64,
    delivered_batches: AtomicU64,
    delivered_events: AtomicU64,
    abandoned_batches: AtomicU64,
    in_flight: AtomicU64,
}

struct Shared {
    clock: SandboxClock,
    format: Arc<dyn WebhookFormat>,
    config: Mutex<DeliveryConfig>,
    secret: Mutex<SecretString>,
    queue: Mutex<VecDeque<Pending>>,
    rng: Mutex<StdRng>,
    counts: Counts,
    /// Bumped by `clear`; in-flight retries of an older generation stop.
    generation: AtomicU64,
    stopped: AtomicBool,
    http: reqwest::Client,
    concurrency: Arc<Semaphore>,
}

/// The delivery engine: a background dispatcher task plus one task per batch in flight
/// (at most `max_concurrent` at once). Cheap to clone (shared).
#[derive(Clone)]
pub struct WebhookDelivery {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WebhookDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookDelivery")
            .field("config", &self.config())
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

/// How often the dispatcher looks for ready events (real time).
const DISPATCH_TICK: Duration = Duration::from_millis(10);

impl WebhookDelivery {
    /// Starts the dispatcher (needs a Tokio runtime). `max_concurrent` bounds batches in flight
    /// (HubSpot: 10 per account, docs/hubspot.md §5.4). `rng_seed` makes the random rates
    /// reproducible.
    pub fn start(
        clock: SandboxClock,
        format: Arc<dyn WebhookFormat>,
        config: DeliveryConfig,
        secret: SecretString,
        max_concurrent: usize,
        rng_seed: u64,
    ) -> Self {
        let shared = Arc::new(Shared {
            clock,
            format,
            config: Mutex::new(sanitize(config)),
            secret: Mutex::new(secret),
            queue: Mutex::new(VecDeque::new()),
            rng: Mutex::new(StdRng::seed_from_u64(rng_seed)),
            counts: Counts::default(),
            generation: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("reqwest client"),
            concurrency: Arc::new(Semaphore::new(max_concurrent.max(1))),
        });
        tokio::spawn(dispatch_loop(shared.clone()));
        Self { shared }
    }

    /// Queues one event (a JSON object); it is sent after `delay_ms` of sandbox time.
    pub fn enqueue(&self, event: Value) {
        self.enqueue_all(std::iter::once(event));
    }

    /// Queues several events at once (same ready time).
    pub fn enqueue_all(&self, events: impl IntoIterator<Item = Value>) {
        let delay = self.shared.config.lock().expect("webhook lock").delay_ms as i64;
        let ready_at_ms = self.shared.clock.now_ms() + delay;
        let mut queue = self.shared.queue.lock().expect("webhook lock");
        for event in events {
            self.shared.counts.enqueued.fetch_add(1, Ordering::Relaxed);
            queue.push_back(Pending {
                event,
                ready_at_ms,
                is_copy: false,
            });
        }
    }

    /// The current settings.
    pub fn config(&self) -> DeliveryConfig {
        self.shared.config.lock().expect("webhook lock").clone()
    }

    /// Replaces the settings (rates clamped to `0..=1`, `max_batch` at least 1).
    pub fn set_config(&self, config: DeliveryConfig) {
        *self.shared.config.lock().expect("webhook lock") = sanitize(config);
    }

    /// Changes the signing secret.
    pub fn set_secret(&self, secret: SecretString) {
        *self.shared.secret.lock().expect("webhook lock") = secret;
    }

    /// The counters now.
    pub fn counters(&self) -> DeliveryCounters {
        let c = &self.shared.counts;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        DeliveryCounters {
            enqueued: get(&c.enqueued),
            queued: self.shared.queue.lock().expect("webhook lock").len() as u64,
            dropped: get(&c.dropped),
            duplicated: get(&c.duplicated),
            discarded_no_target: get(&c.discarded_no_target),
            batches: get(&c.batches),
            attempts: get(&c.attempts),
            failed_attempts: get(&c.failed_attempts),
            delivered_batches: get(&c.delivered_batches),
            delivered_events: get(&c.delivered_events),
            abandoned_batches: get(&c.abandoned_batches),
            in_flight: get(&c.in_flight),
        }
    }

    /// Empties the queue, stops pending retries and zeroes the counters (settings are kept).
    pub fn clear(&self) {
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        self.shared.queue.lock().expect("webhook lock").clear();
        let c = &self.shared.counts;
        for a in [
            &c.enqueued,
            &c.dropped,
            &c.duplicated,
            &c.discarded_no_target,
            &c.batches,
            &c.attempts,
            &c.failed_attempts,
            &c.delivered_batches,
            &c.delivered_events,
            &c.abandoned_batches,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }

    /// Waits (real time) until nothing is queued or in flight; `false` if `timeout` passed first.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let c = self.counters();
            if c.queued == 0 && c.in_flight == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(DISPATCH_TICK).await;
        }
    }

    /// Stops the dispatcher and pending retries; queued events are not sent.
    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
    }
}

fn sanitize(mut c: DeliveryConfig) -> DeliveryConfig {
    c.max_batch = c.max_batch.max(1);
    c.duplicate_rate = c.duplicate_rate.clamp(0.0, 1.0);
    c.reorder_rate = c.reorder_rate.clamp(0.0, 1.0);
    c.drop_rate = c.drop_rate.clamp(0.0, 1.0);
    c.timeout_ms = c.timeout_ms.max(1);
    c
}

async fn dispatch_loop(shared: Arc<Shared>) {
    while !shared.stopped.load(Ordering::SeqCst) {
        // Counted in flight before the batch leaves the queue, so `wait_idle` never sees an
        // event that is neither queued nor in flight (it would report idle before the POST).
        shared.counts.in_flight.fetch_add(1, Ordering::SeqCst);
        let batch = take_batch(&shared);
        if batch.is_empty() {
            shared.counts.in_flight.fetch_sub(1, Ordering::SeqCst);
            tokio::time::sleep(DISPATCH_TICK).await;
            continue;
        }
        let target = shared
            .config
            .lock()
            .expect("webhook lock")
            .target_url
            .clone();
        if target.is_none() {
            shared
                .counts
                .discarded_no_target
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            shared.counts.in_flight.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        shared.counts.batches.fetch_add(1, Ordering::Relaxed);
        let Ok(permit) = shared.concurrency.clone().acquire_owned().await else {
            shared.counts.in_flight.fetch_sub(1, Ordering::SeqCst);
            return;
        };
        let task_shared = shared.clone();
        tokio::spawn(async move {
            let _permit = permit;
            deliver(&task_shared, batch).await;
            task_shared.counts.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Takes up to `max_batch` ready events, applying the drop, duplicate and reorder rates.
fn take_batch(shared: &Shared) -> Vec<Value> {
    let cfg = shared.config.lock().expect("webhook lock").clone();
    let now = shared.clock.now_ms();
    let mut rng = shared.rng.lock().expect("webhook lock");
    let mut queue = shared.queue.lock().expect("webhook lock");
    let mut batch = Vec::new();
    let mut copies = Vec::new();
    while batch.len() < cfg.max_batch {
        let ready: Vec<usize> = queue
            .iter()
            .enumerate()
            .filter(|(_, p)| p.ready_at_ms <= now)
            .map(|(i, _)| i)
            .take(cfg.max_batch * 4)
            .collect();
        if ready.is_empty() {
            break;
        }
        let index = if cfg.reorder_rate > 0.0 && rng.random::<f64>() < cfg.reorder_rate {
            ready[rng.random_range(0..ready.len())]
        } else {
            ready[0]
        };
        let pending = queue.remove(index).expect("index from ready list");
        if cfg.drop_rate > 0.0 && rng.random::<f64>() < cfg.drop_rate {
            shared.counts.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if !pending.is_copy && cfg.duplicate_rate > 0.0 && rng.random::<f64>() < cfg.duplicate_rate
        {
            shared.counts.duplicated.fetch_add(1, Ordering::Relaxed);
            copies.push(Pending {
                event: pending.event.clone(),
                ready_at_ms: now,
                is_copy: true,
            });
        }
        batch.push(pending.event);
    }
    queue.extend(copies);
    batch
}

async fn deliver(shared: &Shared, events: Vec<Value>) {
    let generation = shared.generation.load(Ordering::SeqCst);
    let mut attempt: u32 = 0;
    loop {
        if shared.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        let cfg = shared.config.lock().expect("webhook lock").clone();
        let Some(url) = cfg.target_url.clone() else {
            shared
                .counts
                .abandoned_batches
                .fetch_add(1, Ordering::Relaxed);
            return;
        };
        let body = shared.format.encode(&events, attempt);
        let headers = {
            let secret = shared.secret.lock().expect("webhook lock");
            shared.format.sign(
                secret.expose_secret(),
                "POST",
                &url,
                &body,
                shared.clock.now_ms(),
            )
        };
        let mut request = shared
            .http
            .post(&url)
            .timeout(Duration::from_millis(cfg.timeout_ms))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        shared.counts.attempts.fetch_add(1, Ordering::Relaxed);
        let ok = match request.send().await {
            Ok(response) => response.status().is_success(),
            Err(e) => {
                tracing::debug!(error = %e, "webhook POST failed");
                false
            }
        };
        if ok {
            shared
                .counts
                .delivered_batches
                .fetch_add(1, Ordering::Relaxed);
            shared
                .counts
                .delivered_events
                .fetch_add(events.len() as u64, Ordering::Relaxed);
            return;
        }
        shared
            .counts
            .failed_attempts
            .fetch_add(1, Ordering::Relaxed);
        let Some(wait_ms) = cfg.retry_schedule_ms.get(attempt as usize).copied() else {
            shared
                .counts
                .abandoned_batches
                .fetch_add(1, Ordering::Relaxed);
            return;
        };
        shared.clock.sleep(Duration::from_millis(wait_ms)).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct PlainJson;
    impl WebhookFormat for PlainJson {
        fn encode(&self, events: &[Value], _attempt: u32) -> Vec<u8> {
            serde_json::to_vec(events).expect("json")
        }
        fn sign(&self, _: &str, _: &str, _: &str, _: &[u8], _: i64) -> Vec<(String, String)> {
            Vec::new()
        }
    }

    fn shared(config: DeliveryConfig) -> Shared {
        Shared {
            clock: SandboxClock::default(),
            format: Arc::new(PlainJson),
            config: Mutex::new(sanitize(config)),
            secret: Mutex::new(SecretString::from("s")),
            queue: Mutex::new(VecDeque::new()),
            rng: Mutex::new(StdRng::seed_from_u64(7)),
            counts: Counts::default(),
            generation: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            http: reqwest::Client::new(),
            concurrency: Arc::new(Semaphore::new(1)),
        }
    }

    fn push(s: &Shared, n: i64, ready_at_ms: i64) {
        s.queue.lock().unwrap().push_back(Pending {
            event: Value::from(n),
            ready_at_ms,
            is_copy: false,
        });
    }

    #[test]
    fn batches_are_capped_and_wait_for_their_delay() {
        let s = shared(DeliveryConfig {
            max_batch: 2,
            ..Default::default()
        });
        for n in 0..3 {
            push(&s, n, 0);
        }
        push(&s, 99, i64::MAX);
        assert_eq!(take_batch(&s), vec![Value::from(0), Value::from(1)]);
        assert_eq!(take_batch(&s), vec![Value::from(2)]);
        assert!(take_batch(&s).is_empty(), "event not yet ready");
    }

    #[test]
    fn drop_and_duplicate_rates_of_one_are_exact() {
        let s = shared(DeliveryConfig {
            drop_rate: 1.0,
            ..Default::default()
        });
        push(&s, 1, 0);
        assert!(take_batch(&s).is_empty());
        assert_eq!(s.counts.dropped.load(Ordering::Relaxed), 1);

        let s = shared(DeliveryConfig {
            duplicate_rate: 1.0,
            ..Default::default()
        });
        push(&s, 1, 0);
        assert_eq!(take_batch(&s), vec![Value::from(1)]);
        assert_eq!(take_batch(&s), vec![Value::from(1)], "the copy comes later");
        assert!(take_batch(&s).is_empty(), "a copy is not copied again");
    }

    #[tokio::test]
    async fn unreachable_target_is_retried_on_schedule_then_abandoned() {
        // A port nobody listens on: bind, note the port, drop the listener.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let delivery = WebhookDelivery::start(
            SandboxClock::with_scale(1000.0),
            Arc::new(PlainJson),
            DeliveryConfig {
                target_url: Some(format!("http://127.0.0.1:{port}/hook")),
                retry_schedule_ms: vec![1_000, 2_000],
                timeout_ms: 500,
                ..Default::default()
            },
            SecretString::from("s"),
            2,
            1,
        );
        delivery.enqueue(Value::from(1));
        assert!(delivery.wait_idle(Duration::from_secs(10)).await);
        let c = delivery.counters();
        assert_eq!(c.batches, 1);
        assert_eq!(c.attempts, 3, "first try + 2 retries");
        assert_eq!(c.failed_attempts, 3);
        assert_eq!(c.abandoned_batches, 1);
        assert_eq!(c.delivered_batches, 0);
        delivery.stop();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_is_only_reported_once_every_taken_event_is_accounted_for() {
        // The dispatcher takes a batch off the queue before it posts or discards it; in that
        // gap the event is neither queued nor counted, and `wait_idle` must not answer idle.
        let delivery = WebhookDelivery::start(
            SandboxClock::default(),
            Arc::new(PlainJson),
            DeliveryConfig::default(),
            SecretString::from("s"),
            1,
            1,
        );
        for sent in 1..=300u64 {
            delivery.enqueue(Value::from(sent));
            assert!(delivery.wait_idle(Duration::from_secs(5)).await);
            assert_eq!(delivery.counters().discarded_no_target, sent);
        }
        delivery.stop();
    }

    #[tokio::test]
    async fn no_target_discards_and_counts() {
        let delivery = WebhookDelivery::start(
            SandboxClock::default(),
            Arc::new(PlainJson),
            DeliveryConfig::default(),
            SecretString::from("s"),
            1,
            1,
        );
        delivery.enqueue_all([Value::from(1), Value::from(2)]);
        assert!(delivery.wait_idle(Duration::from_secs(5)).await);
        assert_eq!(delivery.counters().discarded_no_target, 2);
        delivery.clear();
        assert_eq!(delivery.counters().enqueued, 0);
        delivery.stop();
    }

    #[test]
    fn reorder_changes_order_but_keeps_every_event() {
        let s = shared(DeliveryConfig {
            reorder_rate: 1.0,
            ..Default::default()
        });
        for n in 0..50 {
            push(&s, n, 0);
        }
        let batch = take_batch(&s);
        let mut sorted: Vec<i64> = batch.iter().map(|v| v.as_i64().unwrap()).collect();
        let original = sorted.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(
            original, sorted,
            "seeded shuffle of 50 differs from the input order"
        );
    }
}

//! Runs one fuzz target for N inputs: each input inside `catch_unwind`, outcome kinds counted,
//! peak and current RSS watched against the stated bounds, a failing input minimized.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::memory;
use super::minimize::minimize;
use super::mutate;
use super::targets::Target;

/// How a run is bounded and reported.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub inputs: u64,
    pub seed: u64,
    /// Fail when this process's peak RSS (`VmHWM`) passes this many MiB (docs/testing.md §3).
    /// `None` where other work shares the process (the integration-test binary).
    pub peak_limit_mib: Option<u64>,
    /// Fail when the current RSS grows by more than this many MiB between the end of the
    /// warm-up (the first 5% of inputs) and the end of the run: a leak, not a big input.
    pub growth_limit_mib: Option<u64>,
    /// Print progress to stderr this often (never when `None`).
    pub progress_every: Option<Duration>,
    /// Stop after this long even if fewer inputs ran (the report says so).
    pub time_limit: Option<Duration>,
}

impl RunConfig {
    /// The runner binary's bounds: 512 MiB peak, 64 MiB growth (docs/testing.md §3).
    pub fn bounded(inputs: u64, seed: u64) -> Self {
        RunConfig {
            inputs,
            seed,
            peak_limit_mib: Some(512),
            growth_limit_mib: Some(64),
            progress_every: Some(Duration::from_secs(10)),
            time_limit: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The production code panicked (the message and location of the panic).
    Panic(String),
    /// A property the target checks did not hold (e.g. a round trip changed the value).
    Property(String),
    /// Memory passed a bound.
    Memory(String),
}

/// The first failure of a run, with the input (minimized for panics and properties).
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: FailureKind,
    pub input_index: u64,
    pub original_len: usize,
    pub input: Vec<u8>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: &'static str,
    pub seed: u64,
    pub inputs_run: u64,
    /// Outcome kinds (`ok ...` or the error variant) and how often each was seen.
    pub outcomes: BTreeMap<String, u64>,
    pub panics: u64,
    pub peak_rss_kib: u64,
    pub rss_start_kib: u64,
    pub rss_end_kib: u64,
    pub largest_input: usize,
    pub elapsed: Duration,
    /// The run ended at `RunConfig::time_limit`, before all its inputs.
    pub stopped_by_time: bool,
    pub failure: Option<Failure>,
}

impl Report {
    /// Distinct error kinds (outcomes that are not `ok...`).
    pub fn error_kinds(&self) -> usize {
        self.outcomes
            .keys()
            .filter(|k| !k.starts_with("ok"))
            .count()
    }
}

/// Inputs that produced an outcome not seen before are kept (up to this many) and mutated
/// further: the runner's only feedback, as it has no coverage counters.
const POOL_LIMIT: usize = 128;

/// Runs `target` for `config.inputs` inputs, stopping at the first failure.
pub fn run_target(target: &dyn Target, config: &RunConfig) -> Report {
    memory::reset_peak();
    let started = Instant::now();
    let rss_start = memory::rss_kib();
    let mut report = Report {
        target: target.name(),
        seed: config.seed,
        inputs_run: 0,
        outcomes: BTreeMap::new(),
        panics: 0,
        peak_rss_kib: 0,
        rss_start_kib: rss_start,
        rss_end_kib: 0,
        largest_input: 0,
        elapsed: Duration::ZERO,
        stopped_by_time: false,
        failure: None,
    };
    let mut pool: Vec<Vec<u8>> = Vec::new();
    let mut rng = StdRng::seed_from_u64(config.seed ^ fnv(target.name()));
    let warm_up = (config.inputs / 20).max(1);
    let mut rss_after_warm_up = None;
    let mut last_progress = Instant::now();
    for index in 0..config.inputs {
        if config
            .time_limit
            .is_some_and(|limit| index % 64 == 0 && started.elapsed() >= limit)
        {
            report.stopped_by_time = true;
            break;
        }
        let input = if !pool.is_empty() && rng.random_ratio(1, 8) {
            let mut input = mutate::pick(&mut rng, &pool).clone();
            let others: Vec<&[u8]> = pool.iter().map(Vec::as_slice).collect();
            mutate::bytes_n(&mut rng, &mut input, &others, &[], 3);
            input
        } else {
            target.generate(&mut rng)
        };
        report.largest_input = report.largest_input.max(input.len());
        report.inputs_run += 1;
        match run_one(target, &input) {
            Ok(outcome) => {
                let seen = report.outcomes.entry(outcome).or_insert(0);
                *seen += 1;
                if *seen == 1 && pool.len() < POOL_LIMIT && input.len() <= mutate::MAX_LEN {
                    pool.push(input.clone());
                }
            }
            Err(kind) => {
                if matches!(kind, FailureKind::Panic(_)) {
                    report.panics += 1;
                }
                let original_len = input.len();
                let small = minimize(&input, 4_000, |candidate| {
                    run_one(target, candidate).err().as_ref() == Some(&kind)
                });
                report.failure = Some(Failure {
                    kind,
                    input_index: index,
                    original_len,
                    input: small,
                });
                break;
            }
        }
        if index + 1 == warm_up {
            rss_after_warm_up = Some(memory::rss_kib());
        }
        if (index % 64 == 0 || input.len() > mutate::MAX_LEN)
            && let Some(limit) = config.peak_limit_mib
        {
            let peak = memory::peak_kib();
            if peak > limit * 1024 {
                report.failure = Some(Failure {
                    kind: FailureKind::Memory(format!(
                        "peak RSS {} MiB is over the {limit} MiB bound",
                        peak / 1024
                    )),
                    input_index: index,
                    original_len: input.len(),
                    input,
                });
                break;
            }
        }
        if let Some(every) = config.progress_every
            && last_progress.elapsed() >= every
        {
            last_progress = Instant::now();
            eprintln!(
                "fuzz {}: {}/{} inputs, {} outcome kinds, RSS {} MiB (peak {} MiB), {:.0} s",
                target.name(),
                index + 1,
                config.inputs,
                report.outcomes.len(),
                memory::rss_kib() / 1024,
                memory::peak_kib() / 1024,
                started.elapsed().as_secs_f64()
            );
        }
    }
    report.rss_end_kib = memory::rss_kib();
    report.peak_rss_kib = memory::peak_kib();
    report.elapsed = started.elapsed();
    if report.failure.is_none()
        && let (Some(limit), Some(base)) = (config.growth_limit_mib, rss_after_warm_up)
        && report.rss_end_kib > base + limit * 1024
    {
        report.failure = Some(Failure {
            kind: FailureKind::Memory(format!(
                "RSS grew from {} MiB after the warm-up to {} MiB (bound: {limit} MiB growth)",
                base / 1024,
                report.rss_end_kib / 1024
            )),
            input_index: report.inputs_run,
            original_len: 0,
            input: Vec::new(),
        });
    }
    report
}

thread_local! {
    /// Where the last panic on this thread happened (set by [`quiet_panics`]' hook).
    static PANIC_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Replaces the panic hook with one that prints nothing and records the location, so a
/// minimizing run does not flood stderr; for the runner binary only (a test binary's other
/// tests need the default hook's messages).
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        PANIC_AT.with(|cell| *cell.borrow_mut() = at);
    }));
}

/// One input through the target, a panic caught and turned into its message (and location,
/// under [`quiet_panics`]).
fn run_one(target: &dyn Target, input: &[u8]) -> Result<String, FailureKind> {
    match catch_unwind(AssertUnwindSafe(|| target.run(input))) {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(property)) => Err(FailureKind::Property(property)),
        Err(payload) => {
            let mut message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            if let Some(at) = PANIC_AT.with(|cell| cell.borrow_mut().take()) {
                message = format!("{message} (at {at})");
            }
            Err(FailureKind::Panic(message))
        }
    }
}

/// FNV-1a of the target name, so each target draws its own stream from one `--seed`.
fn fnv(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

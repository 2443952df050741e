//! CI-size chaos runs (docs/chaos.md §6): three fixed seeds of 200 operations each through
//! the whole local pipeline end with the zeros line and a quiet queue.

use hqsync_cli::chaos::report::last_line;
use hqsync_cli::chaos::{ChaosOptions, run};

async fn zeros(seed: u64) {
    let outcome = run(&ChaosOptions {
        seed,
        ops: 200,
        progress_every: 0,
        forced: Vec::new(),
        connections: 1,
    })
    .await
    .expect("the chaos run starts and finishes");
    assert_eq!(
        last_line(outcome.ops, &outcome.verdict),
        "ops=200 duplicates=0 lost_updates=0 unconverged=0",
        "seed {seed}: {:#?}",
        outcome.verdict.details
    );
    assert!(
        outcome.quiesced,
        "seed {seed} became quiet: {:?}",
        outcome.info
    );
    assert_eq!(
        outcome.verdict.unaccounted, 0,
        "seed {seed}: {:?}",
        outcome.verdict.details
    );
    let [edits, faults, deliveries, steps] = outcome.history.counts();
    assert!(
        edits > 0 && faults > 0 && deliveries > 0 && steps > 0,
        "seed {seed} exercised edits, faults, deliveries and steps: {:?}",
        outcome.history.counts()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_seed_11_holds_every_invariant() {
    zeros(11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_seed_12_holds_every_invariant() {
    zeros(12).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_seed_13_holds_every_invariant() {
    zeros(13).await;
}

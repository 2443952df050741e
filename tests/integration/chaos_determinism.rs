//! One seed, one history (docs/chaos.md §5): two runs of a seed give the same `history=`
//! digest, event by event; another seed gives another.

use hqsync_cli::chaos::{ChaosOptions, ChaosOutcome, run};

async fn run_seed(seed: u64) -> ChaosOutcome {
    run(&ChaosOptions {
        seed,
        ops: 60,
        progress_every: 0,
        forced: Vec::new(),
        connections: 1,
    })
    .await
    .expect("the chaos run starts and finishes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_runs_of_one_seed_match_and_two_seeds_differ() {
    let first = run_seed(21).await;
    let again = run_seed(21).await;
    let lines =
        |o: &ChaosOutcome| -> Vec<String> { o.history.events().iter().map(|e| e.line()).collect() };
    assert_eq!(
        lines(&first),
        lines(&again),
        "the same events in the same order"
    );
    assert_eq!(first.final_state, again.final_state);
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.digest.len(), 64, "a SHA-256 in hex");
    let other = run_seed(22).await;
    assert_ne!(first.digest, other.digest, "seed 22 makes another history");
}

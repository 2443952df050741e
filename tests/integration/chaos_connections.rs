//! Two connections in one chaos run (docs/chaos.md §9): the second one's QBO refresh token is
//! revoked halfway; it ends reconnect-required with its reason, alone, while the first one
//! keeps syncing its person's edits and converges, and neither touched the other's records.

use hqsync::ports::ConnectionStatus;
use hqsync_cli::chaos::history::Event;
use hqsync_cli::chaos::report::last_line;
use hqsync_cli::chaos::{ChaosOptions, ChaosOutcome, run};

async fn two_connections(seed: u64, ops: usize) -> ChaosOutcome {
    run(&ChaosOptions {
        seed,
        ops,
        progress_every: 0,
        forced: Vec::new(),
        connections: 2,
    })
    .await
    .expect("the chaos run starts and finishes")
}

/// When the revocation happened (simulated epoch milliseconds).
fn revoked_at(outcome: &ChaosOutcome) -> i64 {
    outcome
        .history
        .events()
        .iter()
        .find_map(|e| match e {
            Event::Fault { at_ms, what }
                if what == "connection=1 QBO refresh token revoked (the app disconnected)" =>
            {
                Some(*at_ms)
            }
            _ => None,
        })
        .expect("the second connection's refresh token was revoked")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_two_connections_a_revoked_one_pauses_alone_while_the_other_converges() {
    let outcome = two_connections(11, 200).await;
    assert_eq!(
        last_line(outcome.ops, &outcome.verdict),
        "ops=200 duplicates=0 lost_updates=0 unconverged=0",
        "{:#?}\n{:#?}",
        outcome.verdict.details,
        outcome.connections
    );
    assert!(outcome.quiesced, "{:?}", outcome.info);
    assert_eq!(
        outcome.verdict.unaccounted, 0,
        "{:?}",
        outcome.verdict.details
    );
    let [healthy, faulted] = outcome.connections.as_slice() else {
        panic!("two connections: {:#?}", outcome.connections);
    };

    // The healthy one: active, every invariant held over its own edits, nothing crossed.
    assert_eq!(
        (healthy.name.as_str(), healthy.faulted, healthy.status),
        ("chaos", false, ConnectionStatus::Active)
    );
    assert!(healthy.verdict.holds(), "{:#?}", healthy.verdict);
    assert!(healthy.crossed.is_empty(), "{:?}", healthy.crossed);

    // The faulted one: reconnect-required, with the engine's reason; its jobs given up with a
    // reason each (none unaccounted), no duplicate and nothing crossed.
    assert_eq!(
        (faulted.name.as_str(), faulted.faulted, faulted.status),
        ("chaos-b", true, ConnectionStatus::ReconnectRequired)
    );
    assert!(
        faulted.reason.contains("chaos-b must be reconnected"),
        "{}",
        faulted.reason
    );
    assert_eq!(faulted.verdict.duplicates, 0, "{:#?}", faulted.verdict);
    assert_eq!(faulted.verdict.unaccounted, 0, "{:#?}", faulted.verdict);
    assert!(
        faulted.verdict.accounted > 0,
        "its waiting jobs failed with their reason: {:#?}",
        faulted.verdict
    );
    assert!(faulted.crossed.is_empty(), "{:?}", faulted.crossed);
    let line = faulted.line();
    assert!(
        line.starts_with("connection=chaos-b status=reconnect-required ")
            && line.contains("expected_state=true"),
        "{line}"
    );

    // Both synced before the fault (each has links of its own), and the person kept editing
    // both afterwards: the healthy one's later edits are in its converged state.
    let at = revoked_at(&outcome);
    let edits_after = |connection: usize| {
        outcome
            .history
            .edits()
            .filter(|e| e.connection == connection && e.at_ms > at)
            .count()
    };
    assert!(
        edits_after(0) > 0 && edits_after(1) > 0,
        "edits after the fault"
    );
    let links = |prefix: &str| {
        outcome
            .final_state
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    };
    assert!(links("link ") > 0, "the first connection linked records");
    assert!(
        links("connection=1 link ") > 0,
        "the second connection linked records before its fault"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_two_connections_give_the_same_history_for_the_same_seed() {
    let first = two_connections(23, 60).await;
    let second = two_connections(23, 60).await;
    assert_eq!(first.final_state, second.final_state);
    assert_eq!(first.digest, second.digest);
    assert!(
        first
            .final_state
            .iter()
            .any(|l| l.starts_with("connection=1 ")),
        "the second connection's state is in the digest's tail"
    );
}

//! The short fuzz run of CI (docs/testing.md §4): every target for 5,000 inputs from a fixed
//! seed with no panic and no broken property, the runner's own checks, and found regressions.

use hqsync_tests::fuzz::{self, FailureKind, RunConfig, Target};
use rand::rngs::StdRng;

/// Inputs per target here; the 1,000,000-input runs use the runner binary.
const INPUTS: u64 = 5_000;

fn short_run(name: &str) {
    let target = fuzz::target_by_name(name).expect("target exists");
    // No RSS bounds: the other tests share this process (the runner binary enforces them).
    let config = RunConfig {
        inputs: INPUTS,
        seed: 14,
        peak_limit_mib: None,
        growth_limit_mib: None,
        progress_every: None,
        time_limit: None,
    };
    let report = fuzz::run_target(target.as_ref(), &config);
    if let Some(failure) = &report.failure {
        panic!(
            "{name}: {:?} at input #{}; minimized input (hex): {}",
            failure.kind,
            failure.input_index,
            hex::encode(&failure.input)
        );
    }
    assert_eq!(report.inputs_run, INPUTS);
    assert_eq!(report.panics, 0);
    assert!(
        report.outcomes.keys().any(|k| k.starts_with("ok")),
        "{name}: no input was accepted: {:?}",
        report.outcomes
    );
    assert!(
        report.error_kinds() >= 1 && report.outcomes.len() >= 3,
        "{name}: the inputs reach too few outcomes: {:?}",
        report.outcomes
    );
}

#[test]
fn fuzz_hubspot_events() {
    short_run("hubspot-events");
}

#[test]
fn fuzz_hubspot_signature() {
    short_run("hubspot-signature");
}

#[test]
fn fuzz_qbo_events() {
    short_run("qbo-events");
}

#[test]
fn fuzz_qbo_signature() {
    short_run("qbo-signature");
}

#[test]
fn fuzz_workflow_action() {
    short_run("workflow-action");
}

#[test]
fn fuzz_settings() {
    short_run("settings");
}

#[test]
fn fuzz_qbo_query() {
    short_run("qbo-query");
}

/// A target that panics on `BOOM` (one input in 50), to show the runner catches the panic,
/// stops there and minimizes what it reports.
struct Planted;

impl Target for Planted {
    fn name(&self) -> &'static str {
        "planted"
    }

    fn generate(&self, rng: &mut StdRng) -> Vec<u8> {
        use rand::Rng;
        let mut input = b"xxxxxxxxxxxxxxxxxxxx".to_vec();
        if rng.random_ratio(1, 50) {
            input.splice(7..7, b"BOOM".iter().copied());
        }
        input
    }

    fn run(&self, input: &[u8]) -> Result<String, String> {
        if input.windows(4).any(|w| w == b"BOOM") {
            panic!("planted");
        }
        Ok("ok".into())
    }
}

#[test]
fn fuzz_runner_catches_and_minimizes_a_panic() {
    let config = RunConfig {
        inputs: 10_000,
        seed: 1,
        peak_limit_mib: None,
        growth_limit_mib: None,
        progress_every: None,
        time_limit: None,
    };
    let report = fuzz::run_target(&Planted, &config);
    let failure = report.failure.expect("the planted panic is found");
    assert!(matches!(&failure.kind, FailureKind::Panic(m) if m.starts_with("planted")));
    assert_eq!(report.panics, 1);
    assert!(report.inputs_run < 10_000, "the run stops at the panic");
    assert_eq!(failure.input, b"BOOM", "minimized to what triggers it");
}

/// Minimized inputs the fuzz runs found, each a bug since fixed: a v3 timestamp of i64::MIN
/// overflowed the age computation (a panic), and a signature at exactly the window's edge was
/// accepted twice by the replay guard.
const FOUND: &[(&str, &str)] = &[
    (
        "workflow-action",
        "0500000061616161613b00000061616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161610500000061616161610000000016000000582d48756253706f742d5369676e61747572652d76332c00000061616161616161616161616161616161616161616161616161616161616161616161616161616161616161611b000000582d48756253706f742d526571756573742d54696d657374616d70616161612d39323233333732303336383534373735383038",
    ),
    (
        "hubspot-signature",
        "030000004745540000000000000000000000000c000000616161616161616161616161100000006161616161616161616161616161616116000000582d48554253504f542d5349474e61545552452d56332c00000037336c4e61306c75314c6c416259777435556e756b35654b6930724b576430746a48486b726750537161733d1b000000782d68756273706f742d726571756573742d74696d657374616d706161616131373839393939373030303030",
    ),
];

#[test]
fn fuzz_found_inputs_stay_fixed() {
    for (name, input) in FOUND {
        let target = fuzz::target_by_name(name).expect("target exists");
        let input = hex::decode(input).expect("hex");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target.run(&input)));
        match outcome {
            Ok(Ok(kind)) => assert!(!kind.is_empty()),
            Ok(Err(property)) => panic!("{name}: {property}"),
            Err(_) => panic!("{name}: the found input panics again"),
        }
    }
}

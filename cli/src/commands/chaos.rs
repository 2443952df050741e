//! `hqsync chaos --seed N --ops M`: one seeded chaos run of the whole local pipeline
//! (docs/chaos.md); its last stdout line is `ops=M duplicates=D lost_updates=L unconverged=U`.

use clap::Args;
use hqsync::model::{ObjectKind, Side};
use hqsync_cli::chaos::{ChaosOptions, Forced, report};

#[derive(Debug, Args)]
pub struct ChaosArgs {
    /// The seed: the same seed gives the same history (`history=` digest).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seeded operations before the quiet phase.
    #[arg(long, default_value_t = 200)]
    pub ops: usize,
    /// A progress line on stderr every this many ops (0 = none).
    #[arg(long, default_value_t = 500)]
    pub progress_every: usize,
    /// Write the history (one line per event, then the final state) to this file: what the
    /// `history=` digest hashes, to compare two runs line by line.
    #[arg(long)]
    pub history: Option<std::path::PathBuf>,
    /// Run a scenario first, e.g. `crash-rekey:contact:hubspot` (docs/chaos.md §2: create a
    /// contact in HubSpot, crash after the QBO create, edit the new customer's email), or
    /// `crash-rekey-retry-first:…` (then QBO forgets its requestids and the retry runs first).
    #[arg(long = "force", value_parser = parse_forced)]
    pub forced: Vec<Forced>,
    /// Connections sharing the queue, worker, poller and store, each with its own sandbox
    /// pair (1 or 2). With 2, the second one's QBO refresh token is revoked halfway: it must
    /// end reconnect-required with its reason while the first converges (docs/chaos.md §9).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub connections: u8,
}

fn parse_forced(text: &str) -> Result<Forced, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let [name, kind, side] = parts.as_slice() else {
        return Err(format!("expected crash-rekey:KIND:SIDE, got {text:?}"));
    };
    if !["crash-rekey", "crash-rekey-retry-first"].contains(name) {
        return Err(format!(
            "unknown scenario {name:?}: expected crash-rekey or crash-rekey-retry-first"
        ));
    }
    let kind: ObjectKind = kind.parse().map_err(|_| format!("unknown kind {kind:?}"))?;
    let side = match *side {
        "hubspot" => Side::Hubspot,
        "quickbooks" => Side::Quickbooks,
        other => {
            return Err(format!(
                "unknown side {other:?}: expected hubspot or quickbooks"
            ));
        }
    };
    Ok(if *name == "crash-rekey" {
        Forced::CrashThenRekey { kind, side }
    } else {
        Forced::CrashRekeyRetryFirst { kind, side }
    })
}

/// Runs and reports; fails (non-zero exit) when any invariant was broken, a failure has no
/// reason, or the run never became quiet.
pub async fn run(args: ChaosArgs) -> anyhow::Result<()> {
    let outcome = hqsync_cli::chaos::run(&ChaosOptions {
        seed: args.seed,
        ops: args.ops,
        progress_every: args.progress_every,
        forced: args.forced,
        connections: usize::from(args.connections),
    })
    .await?;
    if let Some(path) = &args.history {
        let lines: Vec<String> = outcome
            .history
            .events()
            .iter()
            .map(|e| e.line())
            .chain(outcome.final_state.iter().cloned())
            .collect();
        std::fs::write(path, lines.join("\n") + "\n")?;
    }
    let mut out = std::io::stdout().lock();
    let info: Vec<String> = (outcome.info.iter().cloned())
        .chain(outcome.connections.iter().map(|c| c.line()))
        .collect();
    report::write(
        &mut out,
        outcome.ops,
        &outcome.digest,
        &outcome.verdict,
        &info,
    )?;
    drop(out);
    anyhow::ensure!(
        outcome.verdict.holds() && outcome.quiesced,
        "chaos seed {} broke an invariant (see the lines above)",
        args.seed
    );
    Ok(())
}

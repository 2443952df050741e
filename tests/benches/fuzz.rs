//! The fuzz runner (docs/testing.md): `--target NAME|all --inputs N --seed S`, one report per
//! target; exits non-zero with the minimized input in hex on a panic, a broken property or memory.

use std::process::ExitCode;
use std::time::Duration;

use hqsync_tests::fuzz::{self, FailureKind, Report, RunConfig};

struct Args {
    target: String,
    inputs: u64,
    seed: u64,
    peak_limit_mib: u64,
    growth_limit_mib: u64,
    max_seconds: Option<u64>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        target: "all".into(),
        inputs: 10_000,
        seed: 1,
        peak_limit_mib: 512,
        growth_limit_mib: 64,
        max_seconds: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo test --bench fuzz` passes `--bench`; nothing to do with it.
        if flag == "--bench" {
            continue;
        }
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|e| format!("{flag}: {e}"))
        };
        match flag.as_str() {
            "--target" => args.target = value()?,
            "--inputs" => args.inputs = number(value()?)?,
            "--seed" => args.seed = number(value()?)?,
            "--peak-mib" => args.peak_limit_mib = number(value()?)?,
            "--growth-mib" => args.growth_limit_mib = number(value()?)?,
            "--max-seconds" => args.max_seconds = Some(number(value()?)?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!(
                "{e}\nusage: fuzz [--target NAME|all] [--inputs N] [--seed S] [--peak-mib M] [--growth-mib M] [--max-seconds T]"
            );
            return ExitCode::from(2);
        }
    };
    let targets = if args.target == "all" {
        fuzz::all_targets()
    } else {
        match fuzz::target_by_name(&args.target) {
            Some(target) => vec![target],
            None => {
                let names: Vec<_> = fuzz::all_targets().iter().map(|t| t.name()).collect();
                eprintln!("no target {:?}; targets: {}", args.target, names.join(", "));
                return ExitCode::from(2);
            }
        }
    };
    fuzz::quiet_panics();
    let config = RunConfig {
        peak_limit_mib: Some(args.peak_limit_mib),
        growth_limit_mib: Some(args.growth_limit_mib),
        progress_every: Some(Duration::from_secs(15)),
        time_limit: args.max_seconds.map(Duration::from_secs),
        ..RunConfig::bounded(args.inputs, args.seed)
    };
    println!(
        "fuzz: {} inputs per target, seed {}, bounds: peak RSS {} MiB, RSS growth after warm-up {} MiB",
        args.inputs, args.seed, args.peak_limit_mib, args.growth_limit_mib
    );
    let mut failed = false;
    for target in &targets {
        let report = fuzz::run_target(target.as_ref(), &config);
        print_report(&report);
        failed |= report.failure.is_some();
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_report(report: &Report) {
    println!(
        "{:<18} inputs {:>9}  {:>7.1} s  {:>6.0}/s  outcome kinds {:>3} (errors {:>3})  panics {}  peak RSS {:>4} MiB  RSS {} -> {} MiB  largest input {} B",
        report.target,
        report.inputs_run,
        report.elapsed.as_secs_f64(),
        report.inputs_run as f64 / report.elapsed.as_secs_f64().max(1e-9),
        report.outcomes.len(),
        report.error_kinds(),
        report.panics,
        report.peak_rss_kib / 1024,
        report.rss_start_kib / 1024,
        report.rss_end_kib / 1024,
        report.largest_input,
    );
    if report.stopped_by_time {
        println!(
            "    stopped at the time limit after {} inputs",
            report.inputs_run
        );
    }
    for (outcome, count) in &report.outcomes {
        println!("    {count:>9}  {outcome}");
    }
    let Some(failure) = &report.failure else {
        return;
    };
    let what = match &failure.kind {
        FailureKind::Panic(m) => format!("PANIC: {m}"),
        FailureKind::Property(m) => format!("PROPERTY BROKEN: {m}"),
        FailureKind::Memory(m) => format!("MEMORY BOUND PASSED: {m}"),
    };
    println!(
        "  FAILED at input #{} (seed {}): {what}\n  input: {} bytes (minimized from {})",
        failure.input_index,
        report.seed,
        failure.input.len(),
        failure.original_len
    );
    let shown = &failure.input[..failure.input.len().min(4096)];
    println!("  hex: {}", hex::encode(shown));
    println!("  text: {:?}", String::from_utf8_lossy(shown));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
    let path = dir.join(format!(
        "{}-seed{}-input{}.bin",
        report.target, report.seed, failure.input_index
    ));
    if std::fs::create_dir_all(&dir).is_ok() && std::fs::write(&path, &failure.input).is_ok() {
        println!("  whole input: {}", path.display());
    }
}

//! The end of a chaos run on stdout (docs/chaos.md §5): violation details, the history digest,
//! and the contract's last line `ops=M duplicates=D lost_updates=L unconverged=U`.

use std::io::Write;

use super::checker::Verdict;

/// The last line, exactly as the contract says.
pub fn last_line(ops: usize, verdict: &Verdict) -> String {
    format!(
        "ops={ops} duplicates={} lost_updates={} unconverged={}",
        verdict.duplicates, verdict.lost_updates, verdict.unconverged
    )
}

/// Writes the details, the unaccounted-failure line when there are any, `history=<digest>`,
/// and the last line.
pub fn write(
    out: &mut dyn Write,
    ops: usize,
    digest: &str,
    verdict: &Verdict,
    extra: &[String],
) -> std::io::Result<()> {
    for line in extra.iter().chain(&verdict.details) {
        writeln!(out, "{line}")?;
    }
    if verdict.unaccounted > 0 {
        writeln!(
            out,
            "unaccounted_failures={}: failures without a reason remain",
            verdict.unaccounted
        )?;
    }
    writeln!(out, "history={digest}")?;
    writeln!(out, "{}", last_line(ops, verdict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_line_is_the_contract_and_the_digest_comes_before_it() {
        let verdict = Verdict {
            duplicates: 1,
            unaccounted: 2,
            ..Verdict::default()
        };
        let mut out = Vec::new();
        write(&mut out, 200, "ab12", &verdict, &["seed=7".into()]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.last().copied(),
            Some("ops=200 duplicates=1 lost_updates=0 unconverged=0")
        );
        assert_eq!(lines[lines.len() - 2], "history=ab12");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("unaccounted_failures=2"))
        );
        assert_eq!(lines[0], "seed=7");
    }
}

//! infra/DEPLOY.md against template.yaml: every stack output the guide reads with its `out NAME`
//! helper exists, and every DLQ redrive it shows names its destination queue.
//!
//! moto has no message-move tasks (docs/aws.md §6), so the redrive itself is tested through the
//! admin API's path (receive, send to the lane's queue, delete: the dead-letter contract suite on
//! SQS in aws_sqs.rs); this checks that the guide's command sends letters to that same queue.

use std::collections::BTreeSet;
use std::path::Path;

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository root");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The names under the template's `Outputs:` (two-space indented keys).
fn outputs(template: &str) -> BTreeSet<String> {
    template
        .lines()
        .skip_while(|l| *l != "Outputs:")
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' ') || l.starts_with('#'))
        .filter_map(|l| {
            let key = l.strip_prefix("  ")?.strip_suffix(':')?;
            (!key.starts_with(' ') && !key.starts_with('#')).then(|| key.to_owned())
        })
        .collect()
}

/// Every `out NAME` (and `$(out NAME)`) the guide's commands use.
fn outputs_read(guide: &str) -> BTreeSet<String> {
    guide
        .match_indices("out ")
        .filter(|(at, _)| {
            let before = &guide[..*at];
            before.ends_with("$(") || before.ends_with("; ")
        })
        .map(|(at, _)| {
            guide[at + 4..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn every_output_the_guide_reads_is_in_the_template() {
    let template = read("template.yaml");
    let have = outputs(&template);
    assert!(have.contains("TableName"), "outputs parsed: {have:?}");
    let guide = read("infra/DEPLOY.md");
    let used = outputs_read(&guide);
    assert!(
        used.contains("LiveQueueArn"),
        "the redrive reads the queue ARN: {used:?}"
    );
    let missing: Vec<_> = used.difference(&have).collect();
    assert!(
        missing.is_empty(),
        "DEPLOY.md reads outputs the template lacks: {missing:?}"
    );
}

#[test]
fn every_redrive_in_the_guide_names_its_destination() {
    let guide = read("infra/DEPLOY.md");
    let moves: Vec<&str> = guide
        .lines()
        .filter(|l| l.contains("start-message-move-task"))
        .collect();
    assert!(!moves.is_empty(), "the guide shows a DLQ redrive");
    for line in moves {
        assert!(
            line.contains("--destination-arn"),
            "a worker-dead-lettered job's original source is the DLQ itself; name the queue: {line}"
        );
    }
}

/// The parameter names `template.yaml` declares (two-space indented keys under `Parameters:`).
fn parameters(template: &str) -> BTreeSet<String> {
    template
        .lines()
        .skip_while(|l| *l != "Parameters:")
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' ') || l.starts_with('#'))
        .filter_map(|l| {
            let key = l.strip_prefix("  ")?.strip_suffix(':')?;
            (!key.starts_with(' ') && !key.starts_with('#')).then(|| key.to_owned())
        })
        .collect()
}

#[test]
fn the_example_samconfig_deploys_two_stacks_with_parameters_the_template_has() {
    let template = read("template.yaml");
    let known = parameters(&template);
    assert!(
        known.contains("Dashboard") && known.contains("PublicBaseUrl"),
        "{known:?}"
    );
    let config: toml::Table = read("samconfig.example.toml").parse().expect("valid TOML");
    let mut stacks = BTreeSet::new();
    for env in ["staging", "production"] {
        let deploy = config[env]["deploy"]["parameters"]
            .as_table()
            .unwrap_or_else(|| panic!("[{env}.deploy.parameters]"));
        stacks.insert(deploy["stack_name"].as_str().unwrap().to_owned());
        let overrides = deploy["parameter_overrides"].as_str().unwrap();
        for pair in overrides.split_whitespace() {
            let name = pair.split('=').next().unwrap();
            assert!(
                known.contains(name),
                "{env}: {name} is not a template parameter"
            );
        }
        let tags = deploy["tags"].as_str().unwrap();
        assert!(
            tags.contains(&format!("environment={env}")),
            "{env}: {tags}"
        );
    }
    assert_eq!(stacks.len(), 2, "two stacks side by side need two names");
}

//! `template.yaml` against the Cargo workspace: every function's `Metadata.BuildProperties.Binary`
//! names a `[[bin]]` of a crate under `functions/`, and every such binary is deployed once.
//!
//! Read line by line rather than with a YAML parser: the template's CloudFormation tags (`!Ref`,
//! `!Sub`, `!GetAtt`) are not plain YAML, and only two-line facts are needed here.

use std::collections::BTreeMap;
use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository root")
}

/// Each `Binary:` in the template, with its line number.
fn template_binaries(template: &str) -> Vec<(usize, String)> {
    template
        .lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let value = line.trim().strip_prefix("Binary:")?;
            Some((n + 1, value.trim().trim_matches('"').to_owned()))
        })
        .collect()
}

/// The `[[bin]]` names of a crate manifest.
fn manifest_binaries(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
            continue;
        }
        if in_bin && let Some(value) = line.strip_prefix("name") {
            let value = value.trim_start().trim_start_matches('=').trim();
            names.push(value.trim_matches('"').to_owned());
        }
    }
    names
}

#[test]
fn every_template_binary_is_a_function_crate_binary_and_every_one_is_deployed_once() {
    let template = std::fs::read_to_string(repo().join("template.yaml")).unwrap();
    let mut crates: BTreeMap<String, String> = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("functions")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        for name in manifest_binaries(&manifest) {
            crates.insert(name, dir.display().to_string());
        }
    }
    assert!(!crates.is_empty(), "no function binaries found");

    let deployed = template_binaries(&template);
    for (line, binary) in &deployed {
        assert!(
            crates.contains_key(binary),
            "template.yaml:{line} builds `{binary}`, which no crate under functions/ declares as [[bin]] (have: {:?})",
            crates.keys().collect::<Vec<_>>()
        );
    }
    for (binary, dir) in &crates {
        let count = deployed.iter().filter(|(_, b)| b == binary).count();
        assert_eq!(
            count, 1,
            "{dir} declares the binary `{binary}`; template.yaml deploys it {count} times"
        );
    }
}

#[test]
fn the_readers_see_what_they_should() {
    let template = "  Fn:\n    Metadata:\n      BuildProperties:\n        Binary: worker\n";
    assert_eq!(template_binaries(template), [(4, "worker".to_owned())]);
    let manifest = "[package]\nname = \"hqsync-worker\"\n[lib]\nname = \"x\"\n[[bin]]\nname = \"worker\"\npath = \"src/main.rs\"\n";
    assert_eq!(manifest_binaries(manifest), ["worker"]);
}

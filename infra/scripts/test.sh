#!/usr/bin/env bash
# The whole test suite, as the README's quick start runs it and CI runs it (.ci/run):
# formatting, lints, then every unit, contract, integration and end-to-end test.
# It installs and starts what the tests need and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings

step "Lambda crates link no local runtime (axum, rusqlite)"
./infra/scripts/lambda-deps.sh

step "python tools (local venv: cfn-lint, SAM translator, moto)"
./infra/scripts/python-tools.sh

step "template.yaml: cfn-lint + SAM transform"
./infra/scripts/validate-template.sh

step "browser tools (Debian's chromium and chromedriver, for the console's browser tests)"
# Under CI=true the browser tests fail (not skip) when either is missing.
./infra/scripts/browser-tools.sh

step "cargo test (workspace), with a private moto server for the AWS adapter and end-to-end tests"
# Under CI=true the moto-backed tests fail (not skip) when HQSYNC_MOTO_ENDPOINT is missing.
./infra/scripts/with-moto.sh cargo test --workspace --all-features --no-fail-fast

#!/usr/bin/env bash
# Builds the Lambda bootstraps as `sam build` does (cargo-lambda, release, arm64 for
# provided.al2023) and prints each bootstrap's size. Output: target/lambda/<binary>/bootstrap.
#
#   infra/scripts/build-lambdas.sh            # every function binary under functions/
#   infra/scripts/build-lambdas.sh worker     # only these binaries
#
# Installs what is missing: cargo-lambda and zig (PyPI packages, into the project venv .venv)
# and the aarch64 standard library (rustup target add aarch64-unknown-linux-gnu).
set -euo pipefail
cd "$(dirname "$0")/../.."

# The one place the versions live (docs/aws.md: cargo-lambda 1.9.x with zig from PyPI).
PINS=(
  "cargo-lambda==1.9.2"
  "ziglang==0.17.1"
)
TARGET=aarch64-unknown-linux-gnu
VENV=.venv
STAMP="$VENV/.hqsync-lambda-tools"

say() { printf 'build-lambdas: %s\n' "$*"; }

# Binaries: the arguments, or every [[bin]] of the function crates.
if [[ $# -gt 0 ]]; then
  BINARIES=("$@")
else
  mapfile -t BINARIES < <(
    for manifest in functions/*/Cargo.toml; do
      awk '/^\[\[bin\]\]/{bin=1; next} /^\[/{bin=0} bin && /^name *=/{gsub(/"/,"",$3); print $3}' "$manifest"
    done | sort
  )
fi
if [[ ${#BINARIES[@]} -eq 0 ]]; then
  say "error: no function binaries found under functions/" >&2
  exit 1
fi

# cargo-lambda and zig into the project venv (created by python-tools.sh, or here).
mkdir -p "$VENV"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$VENV/.lock" # the same lock python-tools.sh takes: one pip at a time per venv
  flock 9
fi
WANT="$(printf '%s\n' "${PINS[@]}")"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" || ! -x "$VENV/bin/cargo-lambda" ]]; then
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating venv $VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
  say "installing ${PINS[*]} (from PyPI)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
  printf '%s\n' "${PINS[@]}" >"$STAMP"
fi
if command -v flock >/dev/null 2>&1; then
  flock -u 9
fi

if ! rustup target list --installed | grep -qx "$TARGET"; then
  say "adding the $TARGET standard library (rustup)"
  rustup target add "$TARGET"
fi

# cargo-lambda finds zig through the venv's python (python -m ziglang).
export PATH="$PWD/$VENV/bin:$PATH"
bin_args=()
for bin in "${BINARIES[@]}"; do
  bin_args+=(--bin "$bin")
done
say "cargo lambda build --release --arm64 ${bin_args[*]}"
cargo lambda build --release --arm64 "${bin_args[@]}"

# Target dir as cargo resolves it (CARGO_TARGET_DIR or ./target).
target_dir="${CARGO_TARGET_DIR:-target}"
printf '\n%-22s %12s %10s\n' "binary" "bytes" "MiB"
status=0
for bin in "${BINARIES[@]}"; do
  bootstrap="$target_dir/lambda/$bin/bootstrap"
  if [[ -f "$bootstrap" ]]; then
    bytes=$(stat -c %s "$bootstrap")
    printf '%-22s %12d %10.1f\n' "$bin" "$bytes" "$(awk -v b="$bytes" 'BEGIN{print b/1048576}')"
  else
    printf '%-22s %12s\n' "$bin" "missing"
    status=1
  fi
done
exit "$status"

#!/usr/bin/env bash
# Creates (idempotently) the repository's Python venv at .venv with the pinned tools the build and
# tests need: cfn-lint + cfn-lint-serverless (its serverless rules) + aws-sam-translator (template
# validation) and moto[server] (local AWS).
#
# Needs only Python 3 and PyPI. Safe to run repeatedly and concurrently: a lock serialises runs,
# and a stamp file records the installed pins so a second run is a no-op.
# Other scripts use the tools as .venv/bin/cfn-lint, .venv/bin/python, .venv/bin/moto_server.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The one place the versions live. Bump them together and re-run; the stamp makes that reinstall.
PINS=(
  "cfn-lint==1.58.0"
  "cfn-lint-serverless==0.3.6"
  "aws-sam-translator==1.115.0"
  "moto[server]==5.2.5"
)

VENV=.venv
STAMP="$VENV/.hqsync-python-tools"
WANT="$(printf '%s\n' "${PINS[@]}")"

say() { printf 'python-tools: %s\n' "$*"; }

# Two scripts (or two engineers) may call this at once; pip into one venv concurrently corrupts it.
mkdir -p "$VENV"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$VENV/.lock"
  flock 9
fi

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/python" &&
  -x "$VENV/bin/cfn-lint" && -x "$VENV/bin/moto_server" ]]; then
  say "up to date in $VENV (${PINS[*]})"
  exit 0
fi

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  say "error: $PYTHON not found; install Python 3.9 or newer" >&2
  exit 1
fi

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  say "creating venv $VENV with $("$PYTHON" --version 2>&1)"
  if ! "$PYTHON" -m venv "$VENV" 2>/tmp/hqsync-venv.err; then
    # Debian/Ubuntu ship venv's ensurepip in a separate package.
    if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
      pyver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      say "python venv support missing; installing python3-venv / python${pyver}-venv with apt-get"
      apt-get update -qq >/dev/null
      apt-get install -y -qq "python${pyver}-venv" >/dev/null 2>&1 ||
        apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv "$VENV"
    else
      cat /tmp/hqsync-venv.err >&2
      say "error: '$PYTHON -m venv' failed; install your distribution's python3-venv package" >&2
      exit 1
    fi
  fi
fi

say "installing ${PINS[*]} (from PyPI)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"

"$VENV/bin/python" -c 'import cfnlint, cfn_lint_serverless, samtranslator, moto'
printf '%s\n' "${PINS[@]}" >"$STAMP"
say "ready: $VENV/bin/cfn-lint ($("$VENV/bin/cfn-lint" --version)), $VENV/bin/moto_server"

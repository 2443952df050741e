#!/usr/bin/env bash
# Fails when a Lambda crate (functions/*) links part of the local runtime: axum (the local
# webhook server and local cloud) or rusqlite (the local state store) in its normal
# dependency tree. They belong behind hqsync-shared's `local` feature and hqsync-aws-stack's
# `local-cloud` feature, which only the CLI and the tests turn on.
set -euo pipefail
cd "$(dirname "$0")/../.."

forbidden='^(axum|rusqlite) '
status=0
for manifest in functions/*/Cargo.toml; do
    crate=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1)
    found=$(cargo tree -p "$crate" -e normal --prefix none --quiet | grep -E "$forbidden" | sort -u || true)
    if [ -n "$found" ]; then
        printf '%s links local-runtime crates:\n%s\n' "$crate" "$found" >&2
        status=1
    else
        printf '%s: no axum, no rusqlite\n' "$crate"
    fi
done
exit "$status"

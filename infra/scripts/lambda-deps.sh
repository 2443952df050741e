#!/usr/bin/env bash
# Fails when a Lambda crate (functions/*) links part of the local runtime in its normal
# dependency tree. rusqlite (the local state store) is forbidden in every function: on the
# stack the state is in DynamoDB. axum (the local webhook server and local cloud) is forbidden
# in every function but functions/admin, which serves the admin router (hqsync::admin, an axum
# Router) through lambda_http: one router for `hqsync dev` and the stack, so the admin API
# cannot differ between them. The local runtime stays behind hqsync-shared's `local` feature
# and hqsync-aws-stack's `local-cloud` feature, which only the CLI and the tests turn on.
set -euo pipefail
cd "$(dirname "$0")/../.."

status=0
for manifest in functions/*/Cargo.toml; do
    crate=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1)
    if [ "$(dirname "$manifest")" = "functions/admin" ]; then
        forbidden='^rusqlite '
        allowed='axum allowed, no rusqlite'
    else
        forbidden='^(axum|rusqlite) '
        allowed='no axum, no rusqlite'
    fi
    found=$(cargo tree -p "$crate" -e normal --prefix none --quiet | grep -E "$forbidden" | sort -u || true)
    if [ -n "$found" ]; then
        printf '%s links local-runtime crates:\n%s\n' "$crate" "$found" >&2
        status=1
    else
        printf '%s: %s\n' "$crate" "$allowed"
    fi
done
exit "$status"

#!/usr/bin/env bash
# Runs CMD... with a private moto server (local AWS: DynamoDB, SQS, Secrets Manager) on a free
# loopback port, exported as HQSYNC_MOTO_ENDPOINT; stops moto afterwards and returns CMD's exit code.
#
#   infra/scripts/with-moto.sh cargo test -p hqsync-tests aws_
#
# moto comes from the project venv (.venv, made by infra/scripts/python-tools.sh); when it is
# missing and that script exists, it is run first.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

root="$(cd "$(dirname "$0")/../.." && pwd)"
moto="$root/.venv/bin/moto_server"
python="$root/.venv/bin/python"

if [ ! -x "$moto" ] && [ -x "$root/infra/scripts/python-tools.sh" ]; then
  "$root/infra/scripts/python-tools.sh" >&2
fi
if [ ! -x "$moto" ]; then
  echo "with-moto: $moto not found; create the venv with infra/scripts/python-tools.sh" >&2
  exit 1
fi

# A free port chosen by the kernel. (A tiny race with other processes is possible; moto's own
# failure to bind is detected below by the readiness check.)
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
log="$(mktemp -t moto.XXXXXX.log)"

"$moto" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!

stop_moto() {
  if kill -0 "$moto_pid" 2>/dev/null; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap stop_moto EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

endpoint="http://127.0.0.1:$port"
ready=""
for _ in $(seq 1 100); do
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    break
  fi
  if "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)' "$endpoint" 2>/dev/null; then
    ready=yes
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "with-moto: moto_server did not become ready on $endpoint; its log:" >&2
  cat "$log" >&2
  exit 1
fi
echo "with-moto: moto_server ready on $endpoint (pid $moto_pid)" >&2

set +e
HQSYNC_MOTO_ENDPOINT="$endpoint" "$@"
status=$?
set -e
exit "$status"

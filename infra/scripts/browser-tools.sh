#!/usr/bin/env bash
# Installs what the console's browser tests drive (tests/integration/console_browser.rs):
# Debian's headless-capable Chromium and its matching chromedriver, only when either is missing.
# The tests start and stop chromedriver themselves (tests/support/browser.rs).
#
#   infra/scripts/browser-tools.sh
#
# Needs root (or sudo) and the Debian package mirror; nothing else is fetched.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "browser-tools: $(/usr/bin/chromium --version 2>/dev/null) and chromedriver present" >&2
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "browser-tools: chromium/chromedriver missing and neither root nor sudo to install them;" >&2
  echo "  install them with: apt-get install -y --no-install-recommends chromium chromium-driver" >&2
  exit 1
fi

started=$SECONDS
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
echo "browser-tools: installed $(/usr/bin/chromium --version 2>/dev/null) in $((SECONDS - started)) s" >&2

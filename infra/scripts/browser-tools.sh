#!/usr/bin/env bash
# Installs what the console's browser tests drive (tests/integration/console_browser.rs):
# Debian's headless-capable Chromium and its matching chromedriver, only when either is missing,
# and the axe-core accessibility engine the tests inject into each page
# (tests/support/page_audit.rs), pinned and checked against the npm registry's integrity hash.
# The tests start and stop chromedriver themselves (tests/support/browser.rs).
#
#   infra/scripts/browser-tools.sh
#
# Needs root (or sudo) and the Debian package mirror for Chromium, and the npm registry for
# axe-core (a single JavaScript file; no Node is installed or run).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}

# axe-core: the version and sha512 integrity npm publishes for it
# (https://registry.npmjs.org/axe-core/4.10.3, dist.integrity).
AXE_VERSION=4.10.3
AXE_SHA512=Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg==
axe_dir=$target/browser-tools/axe-core-$AXE_VERSION
if [ -s "$axe_dir/axe.min.js" ]; then
  echo "browser-tools: axe-core $AXE_VERSION present" >&2
else
  # Python 3 (which the test command already needs) downloads, checks and unpacks it.
  python3 - "$AXE_VERSION" "$AXE_SHA512" "$axe_dir" <<'PY'
import base64, hashlib, io, os, sys, tarfile, urllib.request
version, integrity, into = sys.argv[1:4]
url = f"https://registry.npmjs.org/axe-core/-/axe-core-{version}.tgz"
for attempt in range(3):
    try:
        data = urllib.request.urlopen(url, timeout=60).read()
        break
    except OSError as error:
        if attempt == 2:
            sys.exit(f"browser-tools: cannot fetch {url}: {error}")
if base64.b64encode(hashlib.sha512(data).digest()).decode() != integrity:
    sys.exit(f"browser-tools: {url} does not match npm's integrity hash")
os.makedirs(into, exist_ok=True)
with tarfile.open(fileobj=io.BytesIO(data)) as archive:
    for name in ("axe.min.js", "LICENSE"):
        member = archive.extractfile(f"package/{name}")
        with open(os.path.join(into, name), "wb") as out:
            out.write(member.read())
PY
  echo "browser-tools: fetched axe-core $AXE_VERSION into $axe_dir" >&2
fi

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

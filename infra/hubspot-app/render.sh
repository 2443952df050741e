#!/usr/bin/env bash
# Renders the HubSpot project in this folder for one deployment: copies it to an output folder
# and fills in the placeholders ({{PUBLIC_BASE_URL}}, {{REDIRECT_URL}}, {{SUPPORT_EMAIL}}).
# Upload the rendered folder with the HubSpot CLI (`hs project upload`, see README.md).
#
# Usage: render.sh --base-url URL --support-email ADDRESS [--redirect-url URL] [--out DIR]
#   --base-url       the stack's public base URL, no trailing slash: the HubSpotWebhookUrl
#                    output without "/webhooks/hubspot" (or the PublicBaseUrl parameter)
#   --support-email  shown to users of the app
#   --redirect-url   OAuth redirect URL (default BASE_URL/oauth/hubspot/callback: the admin
#                    function's connect flow answers there, infra/DEPLOY.md §6)
#   --out            output folder (default ${TMPDIR:-/tmp}/hqsync-hubspot-app); replaced if it exists
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

base_url=""
support_email=""
redirect_url=""
out="${TMPDIR:-/tmp}/hqsync-hubspot-app"

die() {
  echo "render: $*" >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --base-url) base_url="${2:-}"; shift 2 ;;
    --support-email) support_email="${2:-}"; shift 2 ;;
    --redirect-url) redirect_url="${2:-}"; shift 2 ;;
    --out) out="${2:-}"; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
done

# HubSpot signs the exact URL it calls (v3 signature), so the URL must be the one the stack's
# PUBLIC_BASE_URL holds: https, no trailing slash, no percent-encoded characters.
[[ "$base_url" =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~-]+)*$ ]] ||
  die "--base-url must look like https://abc123.execute-api.us-east-1.amazonaws.com (no trailing slash), got '${base_url}'"
[[ "$support_email" =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]] ||
  die "--support-email must be an e-mail address, got '${support_email}'"
redirect_url="${redirect_url:-${base_url}/oauth/hubspot/callback}"
[[ "$redirect_url" =~ ^https?://[A-Za-z0-9.:/_~-]+$ ]] || die "--redirect-url must be an http(s) URL"
[[ -n "$out" && "$out" != "/" ]] || die "--out must name a folder"

rm -rf "$out"
mkdir -p "$out"
cp "$here/hsproject.json" "$out/"
cp -R "$here/src" "$out/"

# The values are validated above to hold no characters special to sed's replacement (| & \).
find "$out" -name '*.json' -print0 | while IFS= read -r -d '' f; do
  sed -i.bak \
    -e "s|{{PUBLIC_BASE_URL}}|${base_url}|g" \
    -e "s|{{REDIRECT_URL}}|${redirect_url}|g" \
    -e "s|{{SUPPORT_EMAIL}}|${support_email}|g" \
    "$f"
  rm -f "$f.bak"
done

if grep -rn '{{' "$out" >&2; then
  die "placeholders left unfilled (above)"
fi
if command -v python3 >/dev/null 2>&1; then
  find "$out" -name '*.json' -print0 | while IFS= read -r -d '' f; do
    python3 -m json.tool "$f" >/dev/null || die "$f is not valid JSON after rendering"
  done
fi

echo "render: HubSpot project written to $out"
echo "render:   webhooks  -> ${base_url}/webhooks/hubspot"
echo "render:   actions   -> ${base_url}/hubspot/actions/create-invoice (?document=estimate|sales_receipt)"
echo "render:   redirect  -> ${redirect_url}"
echo "render: next: cd $out && hs project upload"

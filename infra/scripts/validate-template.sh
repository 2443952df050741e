#!/usr/bin/env bash
# Validates the SAM stack offline: cfn-lint (CloudFormation schemas and best practices), then the
# SAM translator plus this project's stack rules (infra/scripts/sam_translate.py).
# Exits non-zero on any finding. Usage: validate-template.sh [TEMPLATE] (default template.yaml).
# Needs the venv from infra/scripts/python-tools.sh (run that first; CI does).
set -euo pipefail
cd "$(dirname "$0")/../.."

TEMPLATE="${1:-template.yaml}"
VENV=.venv

if [[ ! -x "$VENV/bin/cfn-lint" || ! -x "$VENV/bin/python" ]]; then
  echo "validate-template: $VENV has no cfn-lint; run infra/scripts/python-tools.sh first" >&2
  exit 1
fi
if [[ ! -f "$TEMPLATE" ]]; then
  echo "validate-template: $TEMPLATE not found" >&2
  exit 1
fi

# No AWS account is needed; a region keeps boto and cfn-lint from looking for one.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

echo "validate-template: cfn-lint $TEMPLATE (with the cfn-lint-serverless rules)"
# cfn-lint exits non-zero on errors, warnings and informational findings alike (unless told
# otherwise), so any finding fails the check. The serverless rules (the PyPI package
# cfn-lint-serverless, installed by python-tools.sh) add the Serverless Rules best practices;
# findings that do not apply are suppressed in the template's Metadata with the reason.
"$VENV/bin/cfn-lint" --regions "$AWS_DEFAULT_REGION" \
  --append-rules cfn_lint_serverless.rules -- "$TEMPLATE"

echo "validate-template: SAM transform + stack rules"
"$VENV/bin/python" infra/scripts/sam_translate.py "$TEMPLATE"

echo "validate-template: $TEMPLATE OK"

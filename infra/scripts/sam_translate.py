#!/usr/bin/env python3
"""Offline SAM transform of template.yaml, plus the stack rules cfn-lint cannot see.

Runs the AWS SAM translator (the code CloudFormation's AWS::Serverless transform runs) without an
AWS account: local CodeUris become placeholder S3 URIs and the managed-policy map is empty (as in
docs/aws.md). Then it checks the transformed stack against rules this project relies on:
  * every Lambda runs provided.al2023 on arm64, built by cargo-lambda from the workspace root;
  * every SQS event source reports partial batch failures (a typo such as
    `FunctionResponseType` passes cfn-lint but would silently retry whole batches);
  * every queue a function consumes has a DLQ (RedrivePolicy) and a visibility timeout of at
    least 6x the consuming function's timeout;
  * every dashboard body is valid JSON with a list of widgets (CloudFormation only finds out
    at deploy time);
  * every table is retained on deletion and replacement and has deletion protection;
  * every schedule is an EventBridge Scheduler schedule with a retry policy and a dead-letter
    queue, and every function it invokes (asynchronously) has an EventInvokeConfig with bounded
    retries and an on-failure destination.

Usage: sam_translate.py [TEMPLATE] [--out FILE]. Exit status 0 when all is well, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

PLACEHOLDER_BUCKET = "hqsync-placeholder-artifacts"
REGION = "us-east-1"
VISIBILITY_FACTOR = 6  # AWS: queue visibility timeout >= 6x the function timeout
EXPECTED_RUNTIME = "provided.al2023"
EXPECTED_ARCHITECTURES = ["arm64"]


class EmptyManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader, which would call IAM ListPolicies."""

    def load(self) -> dict[str, str]:
        return {}


def is_local_path(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def replace_local_code_uris(sam: dict[str, Any]) -> None:
    """What `sam package` would do: upload local code and point CodeUri at the S3 object."""
    globals_fn = sam.get("Globals", {}).get("Function", {})
    if is_local_path(globals_fn.get("CodeUri")):
        globals_fn["CodeUri"] = f"s3://{PLACEHOLDER_BUCKET}/globals.zip"
    for name, res in sam.get("Resources", {}).items():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::Function" and is_local_path(props.get("CodeUri")):
            props["CodeUri"] = f"s3://{PLACEHOLDER_BUCKET}/{name}.zip"
        if res.get("Type") == "AWS::Serverless::LayerVersion" and is_local_path(
            props.get("ContentUri")
        ):
            props["ContentUri"] = f"s3://{PLACEHOLDER_BUCKET}/{name}.zip"


def check_build_metadata(sam: dict[str, Any]) -> list[str]:
    """Rules on the SAM input (the translator drops Metadata): how `sam build` builds each function."""
    errors = []
    global_code_uri = sam.get("Globals", {}).get("Function", {}).get("CodeUri")
    for name, res in sam.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        meta = res.get("Metadata") or {}
        if meta.get("BuildMethod") != "rust-cargolambda":
            errors.append(f"{name}: Metadata.BuildMethod must be rust-cargolambda")
        if not (meta.get("BuildProperties") or {}).get("Binary"):
            errors.append(f"{name}: Metadata.BuildProperties.Binary must name the binary")
        code_uri = (res.get("Properties") or {}).get("CodeUri", global_code_uri)
        if code_uri not in (".", "./"):
            errors.append(f"{name}: CodeUri must be the workspace root '.', got {code_uri!r}")
    return errors


def logical_id(value: Any) -> str | None:
    """The resource a Ref / GetAtt points at, if it is one."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att:
            return str(att[0])
    return None


def check_transformed(cfn: dict[str, Any]) -> list[str]:
    """Rules on the CloudFormation the transform produced."""
    errors = []
    resources = cfn.get("Resources", {})
    for name, res in resources.items():
        if res.get("Type") != "AWS::Lambda::Function":
            continue
        props = res.get("Properties", {})
        if props.get("Runtime") != EXPECTED_RUNTIME:
            errors.append(f"{name}: Runtime must be {EXPECTED_RUNTIME}, got {props.get('Runtime')!r}")
        if props.get("Architectures") != EXPECTED_ARCHITECTURES:
            errors.append(f"{name}: Architectures must be {EXPECTED_ARCHITECTURES}")

    for name, res in resources.items():
        if res.get("Type") != "AWS::Lambda::EventSourceMapping":
            continue
        props = res.get("Properties", {})
        queue_id = logical_id(props.get("EventSourceArn"))
        queue = resources.get(queue_id or "", {})
        if queue.get("Type") != "AWS::SQS::Queue":
            continue
        if "ReportBatchItemFailures" not in (props.get("FunctionResponseTypes") or []):
            errors.append(f"{name}: SQS event source needs FunctionResponseTypes [ReportBatchItemFailures]")
        queue_props = queue.get("Properties", {})
        if "RedrivePolicy" not in queue_props:
            errors.append(f"{queue_id}: consumed by a function but has no RedrivePolicy (DLQ)")
        function = resources.get(logical_id(props.get("FunctionName")) or "", {})
        timeout = function.get("Properties", {}).get("Timeout", 3)
        visibility = queue_props.get("VisibilityTimeout", 30)
        if not isinstance(timeout, int) or not isinstance(visibility, int):
            errors.append(f"{name}: timeout and visibility timeout must be literal numbers to check")
        elif visibility < VISIBILITY_FACTOR * timeout:
            errors.append(
                f"{queue_id}: VisibilityTimeout {visibility}s < {VISIBILITY_FACTOR} x "
                f"function timeout {timeout}s"
            )
    return errors


def check_resilience(cfn: dict[str, Any]) -> list[str]:
    """Tables kept, schedules with retries and a DLQ, async targets with a failure destination."""
    errors = []
    resources = cfn.get("Resources", {})
    for name, res in resources.items():
        kind = res.get("Type")
        props = res.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
                if res.get(policy) != "Retain":
                    errors.append(f"{name}: {policy} must be Retain (links prevent duplicates)")
            if props.get("DeletionProtectionEnabled") is not True:
                errors.append(f"{name}: DeletionProtectionEnabled must be true")
        if kind == "AWS::Events::Rule":
            errors.append(f"{name}: use EventBridge Scheduler (SAM ScheduleV2), not a rule")
        if kind == "AWS::Scheduler::Schedule":
            target = props.get("Target", {})
            if "RetryPolicy" not in target:
                errors.append(f"{name}: the schedule's target needs a RetryPolicy")
            if "DeadLetterConfig" not in target:
                errors.append(f"{name}: the schedule's target needs a DeadLetterConfig")
            function = logical_id(target.get("Arn"))
            configs = [
                r.get("Properties", {})
                for r in resources.values()
                if r.get("Type") == "AWS::Lambda::EventInvokeConfig"
                and logical_id(r.get("Properties", {}).get("FunctionName")) == function
            ]
            if not configs:
                errors.append(f"{name}: {function} is invoked asynchronously without an EventInvokeConfig")
            for config in configs:
                if "MaximumRetryAttempts" not in config or "MaximumEventAgeInSeconds" not in config:
                    errors.append(f"{function}: EventInvokeConfig needs MaximumRetryAttempts and MaximumEventAgeInSeconds")
                if "OnFailure" not in config.get("DestinationConfig", {}):
                    errors.append(f"{function}: EventInvokeConfig needs an OnFailure destination")
    return errors


SUB_VARIABLE = re.compile(r"\$\{[^}!]+\}")


def check_dashboards(cfn: dict[str, Any]) -> list[str]:
    """Dashboard bodies: `${...}` of a Sub replaced by a plain word, the rest must be JSON."""
    errors = []
    for name, res in cfn.get("Resources", {}).items():
        if res.get("Type") != "AWS::CloudWatch::Dashboard":
            continue
        body = res.get("Properties", {}).get("DashboardBody")
        if isinstance(body, dict) and "Fn::Sub" in body:
            body = body["Fn::Sub"]
            body = body[0] if isinstance(body, list) else body
        if not isinstance(body, str):
            errors.append(f"{name}: DashboardBody must be a string or a Fn::Sub of one")
            continue
        try:
            doc = json.loads(SUB_VARIABLE.sub("placeholder", body))
        except json.JSONDecodeError as e:
            errors.append(f"{name}: DashboardBody is not valid JSON: {e}")
            continue
        widgets = doc.get("widgets") if isinstance(doc, dict) else None
        if not isinstance(widgets, list) or not widgets:
            errors.append(f"{name}: DashboardBody needs a non-empty widgets list")
            continue
        for i, widget in enumerate(widgets):
            props = widget.get("properties", {}) if isinstance(widget, dict) else {}
            if widget.get("type") == "metric" and not isinstance(props.get("metrics"), list):
                errors.append(f"{name}: widget {i} ({props.get('title')!r}) has no metrics list")
    return errors


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", default=os.path.join(here, "..", "..", "template.yaml"))
    parser.add_argument("--out", help="write the transformed CloudFormation JSON here")
    args = parser.parse_args()

    with open(args.template, encoding="utf-8") as f:
        sam = yaml_parse(f.read())
    if not isinstance(sam, dict):
        print(f"sam-translate: {args.template} is not a YAML mapping", file=sys.stderr)
        return 1

    errors = check_build_metadata(sam)
    replace_local_code_uris(sam)
    try:
        cfn = transform(sam, {"AWS::Region": REGION}, EmptyManagedPolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"sam-translate: {cause.message}", file=sys.stderr)
        return 1

    errors += check_transformed(cfn)
    errors += check_dashboards(cfn)
    errors += check_resilience(cfn)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(cfn, f, indent=2, sort_keys=True)
    for err in errors:
        print(f"sam-translate: {err}", file=sys.stderr)
    if errors:
        return 1
    kinds: dict[str, int] = {}
    for res in cfn.get("Resources", {}).values():
        kinds[res["Type"]] = kinds.get(res["Type"], 0) + 1
    summary = ", ".join(f"{n} {t}" for t, n in sorted(kinds.items()))
    print(f"sam-translate: OK ({len(cfn.get('Resources', {}))} resources: {summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

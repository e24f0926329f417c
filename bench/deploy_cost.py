"""What a first deploy and a no-change redeploy of each shipped config would cause, derived from templates.

`python -m bench deploy_cost`. For the default config of cdk.json and each `examples/*` config, the app is
synthesized twice (the CLI's way: `python app.py` with the context in `CDK_CONTEXT_JSON`) and the cloud
assemblies are read:

- stacks (top-level and in pipeline stages), nested stacks, resources (nested stacks' included);
- custom-resource invocations of a first deploy: one Create per custom resource;
- of a no-change redeploy: CloudFormation updates a custom resource only when its properties change, so
  an invocation per custom resource whose properties differ between the two syntheses. Goal: 0;
- interface endpoint-AZs: what an idle deployment pays for its interface VPC endpoints (one network interface
  per endpoint and subnet, each billed per hour; about USD 7.30 a month each in us-east-1).

Printed, never asserted; `tests/test_deploy_cost.py` asserts the no-change redeploy figure.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.synth import REPO_ROOT, cdk_context, synth_seconds

CUSTOM_RESOURCE_TYPE = "AWS::CloudFormation::CustomResource"


@dataclass(frozen=True)
class DeployCost:
    stacks: int
    nested_stacks: int
    resources: int
    custom_resources: int
    redeploy_invocations: int
    changed: tuple[str, ...]  # "<template>/<logical id>" of custom resources whose properties differ
    endpoint_azs: int = 0  # interface VPC endpoints x their subnets


def templates_in(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every template of a cloud assembly (stage assemblies and nested stacks included), by relative path."""
    return {
        str(file.relative_to(outdir)): json.loads(file.read_text()) for file in sorted(outdir.rglob("*.template.json"))
    }


def is_custom_resource(resource: dict[str, Any]) -> bool:
    kind = str(resource.get("Type", ""))
    return kind.startswith("Custom::") or kind == CUSTOM_RESOURCE_TYPE


def custom_resource_properties(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`<template>/<logical id>` -> properties, for every custom resource."""
    return {
        f"{name}/{logical_id}": resource.get("Properties", {})
        for name, template in templates.items()
        for logical_id, resource in template.get("Resources", {}).items()
        if is_custom_resource(resource)
    }


def deploy_cost(first: dict[str, dict[str, Any]], second: dict[str, dict[str, Any]]) -> DeployCost:
    """Figures of a first deploy of `first`, and of redeploying `second` (the same config) over it."""
    resources = [r for t in first.values() for r in t.get("Resources", {}).values()]
    before, after = custom_resource_properties(first), custom_resource_properties(second)
    changed = tuple(sorted(key for key in after if before.get(key) != after[key]))
    return DeployCost(
        stacks=sum(1 for name in first if not name.endswith(".nested.template.json")),
        nested_stacks=sum(1 for r in resources if r.get("Type") == "AWS::CloudFormation::Stack"),
        resources=len(resources),
        custom_resources=len(before),
        redeploy_invocations=len(changed),
        changed=changed,
        endpoint_azs=sum(
            len(r.get("Properties", {}).get("SubnetIds", []))
            for r in resources
            if r.get("Type") == "AWS::EC2::VPCEndpoint"
            and r.get("Properties", {}).get("VpcEndpointType") == "Interface"
        ),
    )


def shipped_configs() -> dict[str, dict[str, Any]]:
    """Context for each shipped config: cdk.json's own, and cdk.json's with `config=examples/<file>`."""
    context = cdk_context()
    configs = {"cdk.json (default)": context}
    for example in sorted((REPO_ROOT / "examples").glob("*.y*ml")) + sorted((REPO_ROOT / "examples").glob("*.json")):
        configs[f"examples/{example.name}"] = {**context, "config": str(example.relative_to(REPO_ROOT))}
    return configs


def measure(context: dict[str, Any]) -> DeployCost:
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as one, tempfile.TemporaryDirectory() as two:
        synth_seconds(REPO_ROOT / "app.py", context, Path(one))
        synth_seconds(REPO_ROOT / "app.py", context, Path(two))
        return deploy_cost(templates_in(Path(one)), templates_in(Path(two)))


def run() -> None:
    print(
        f"{'config':<28} {'stacks':>6} {'nested':>6} {'resources':>9} "
        f"{'CR first deploy':>15} {'CR no-change redeploy':>21} {'interface endpoint-AZs':>22}"
    )
    for name, context in shipped_configs().items():
        cost = measure(context)
        print(
            f"{name:<28} {cost.stacks:>6} {cost.nested_stacks:>6} {cost.resources:>9} "
            f"{cost.custom_resources:>15} {cost.redeploy_invocations:>21} {cost.endpoint_azs:>22}",
            flush=True,
        )
        for key in cost.changed:
            print(f"    properties change on every synth: {key}")

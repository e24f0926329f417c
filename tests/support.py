"""Helpers shared by the tests: synthesize apps, read templates, mask asset hashes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import cx_api

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.config import PlatformConfig, parse_config
from sagemaker_platform.constructs.function import grant_logs_encrypt
from sagemaker_platform.platform_app import platform_app
from sagemaker_platform.stacks import build_platform

REPO_ROOT = Path(__file__).resolve().parent.parent
CANARY_HANDLER = REPO_ROOT / "tests" / "lambda_assets" / "_canary"
"""A minimal handler (test-only) for `PlatformFunction` checks against the compliance gate."""
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")
# The account ids of examples/multi-account.yaml, for tests that build their own multi-account configs.
ACCOUNTS = {
    "tooling": "111111111111",
    "registry": "222222222222",
    "dev": "333333333333",
    "staging": "444444444444",
    "prod": "555555555555",
}


def function_stack(outdir: Path, name: str) -> tuple[cdk.App, cdk.Stack, kms.Key]:
    """An app writing to `outdir` with one stack and a key CloudWatch Logs may use: what a `PlatformFunction` needs."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, name)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    grant_logs_encrypt(key)
    return app, stack, key


def default_config_raw() -> dict[str, Any]:
    """The `platform` context of cdk.json, as written."""
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]["platform"]


def feature_flags() -> dict[str, Any]:
    """The feature flags of cdk.json (its context without `platform`): what `cdk synth` runs the app with."""
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return {key: value for key, value in context.items() if key != "platform"}


def synth_platform(config: PlatformConfig | dict[str, Any], outdir: Path, *, gate: bool = True) -> cx_api.CloudAssembly:
    """Synthesize the reference app for `config` into `outdir` with cdk.json's feature flags, as `cdk synth`
    does, and the compliance gate unless told not to."""
    return synth_platform_app(config, outdir, gate=gate)[1]


def synth_platform_app(
    config: PlatformConfig | dict[str, Any], outdir: Path, *, gate: bool = True
) -> tuple[cdk.App, cx_api.CloudAssembly]:
    """`synth_platform`, also returning the app (its construct tree is what the compliance audit reads)."""
    if isinstance(config, dict):
        config = parse_config(config)
    app = platform_app(str(outdir), context=feature_flags())
    build_platform(app, config)
    if gate:
        add_compliance_gate(app, control_tower=config.compliance.control_tower)
    return app, app.synth()


def templates_of(assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    """Every template in the assembly by stack name, nested stacks included (by file name)."""
    templates: dict[str, dict[str, Any]] = {}
    for stack in assembly.stacks_recursively:
        templates[stack.stack_name] = stack.template
    for nested in sorted(Path(assembly.directory).rglob("*.nested.template.json")):
        templates[nested.name.removesuffix(".nested.template.json")] = json.loads(nested.read_text())
    return templates


def stack_by_name(assembly: cx_api.CloudAssembly, name: str) -> cx_api.CloudFormationStackArtifact:
    """A stack of the assembly by stack name, looking inside pipeline stages too."""
    for stack in assembly.stacks_recursively:
        if stack.stack_name == name:
            return stack
    raise KeyError(f"no stack {name!r}; stacks: {sorted(s.stack_name for s in assembly.stacks_recursively)}")


def mask_asset_hashes(template: dict[str, Any]) -> dict[str, Any]:
    """The template with every 64-hex asset hash replaced, so a handler edit does not churn snapshots.

    Logical IDs are left alone: a changed logical ID must show up in the snapshot diff.
    """
    return json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True)))


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical ID -> resource, for every resource of `resource_type` in `template`."""
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == resource_type
    }

"""Every synthesized template: snapshot, cfn-lint clean, stateful logical IDs pinned (checkov: its own file).

Runs over the default (sandbox) app and the multi-account example, both synthesized once per session
with the compliance gate on, so a cdk-nag finding in either fails here too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from sagemaker_platform.synthdiff import STATEFUL_TYPES  # resource types whose loss loses data or identity
from tests.support import REPO_ROOT, mask_asset_hashes

PINNED_IDS_FILE = Path(__file__).parent / "stateful_logical_ids.json"


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_every_default_stack_matches_its_snapshot(
    default_templates: dict[str, dict[str, Any]], json_snapshot: SnapshotAssertion
) -> None:
    for name in sorted(default_templates):
        assert mask_asset_hashes(default_templates[name]) == json_snapshot(name=name)


def test_every_multi_account_stack_matches_its_snapshot(
    multi_account_templates: dict[str, dict[str, Any]], json_snapshot: SnapshotAssertion
) -> None:
    for name in sorted(multi_account_templates):
        assert mask_asset_hashes(multi_account_templates[name]) == json_snapshot(name=name)


def template_files(assembly_dirs: list[Path]) -> list[Path]:
    # rglob: the stacks of CDK Pipelines stages live in nested assemblies (assembly-<stage>/).
    return sorted(path for directory in assembly_dirs for path in directory.rglob("*.template.json"))


def test_cfn_lint_reports_nothing_on_any_template(assembly_dirs: list[Path]) -> None:
    files = template_files(assembly_dirs)
    assert files, "no templates synthesized"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cfnlint.runner.cli",  # cfn-lint 1.x has no `python -m cfnlint`
            "--config-file",
            str(REPO_ROOT / ".cfnlintrc"),
            "--format",
            "parseable",
            "--",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def stateful_ids(templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {
        stack: {
            logical_id: resource["Type"]
            for logical_id, resource in template.get("Resources", {}).items()
            if resource["Type"] in STATEFUL_TYPES
        }
        for stack, template in sorted(templates.items())
    }


def test_stateful_logical_ids_are_pinned(
    default_templates: dict[str, dict[str, Any]], multi_account_templates: dict[str, dict[str, Any]]
) -> None:
    """A changed logical ID replaces the resource: every stateful one is listed in stateful_logical_ids.json.

    If this fails because you added a stateful resource, add it to the file. If it fails because an
    ID changed or vanished, you are about to replace or delete data: restore the construct ID.
    """
    actual = {
        "default": {k: v for k, v in stateful_ids(default_templates).items() if v},
        "multi-account": {k: v for k, v in stateful_ids(multi_account_templates).items() if v},
    }
    pinned = json.loads(PINNED_IDS_FILE.read_text())
    assert actual == pinned

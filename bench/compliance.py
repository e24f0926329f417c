"""Findings of the compliance gate before acknowledgment, per pack, beside the figures before issue 15.

Prints (never asserts), for the default config (cdk.json) and examples/multi-account.yaml:
- the cdk-nag findings with no acknowledgment (the recount of `compliance_audit.recount`: the three packs
  re-run over the synthesized app), per pack, the AwsSolutions-IAM5 ones and the total, beside the figures
  measured before (issue 15: 243 and 413; then the ratchet at 212 and 403; goals <= 150 and <= 250);
- the Control Tower (cfn-guard) findings: acknowledged, and open (must be 0), and the controls they fall under;
- acknowledgments that match no finding (must be 0).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import yaml

from sagemaker_platform import compliance_audit
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.config import parse_config
from sagemaker_platform.stacks import build_platform

REPO_ROOT = Path(__file__).resolve().parent.parent
# Measured on main before issue 15 (the same recount), and the goals.
BEFORE = {
    "default": {
        "AwsSolutions": 149,
        "HIPAA.Security": 47,
        "NIST.800.53.R5": 47,
        "AwsSolutions-IAM5": 142,
        "total": 243,
    },
    "multi-account": {
        "AwsSolutions": 283,
        "HIPAA.Security": 67,
        "NIST.800.53.R5": 63,
        "AwsSolutions-IAM5": 276,
        "total": 413,
    },
}
# The ratchet when this session of issue 15 started (tests/test_compliance_audit.py CEILINGS 212 and 403).
RATCHET_START = {
    "default": {"AwsSolutions": 108, "HIPAA.Security": 52, "NIST.800.53.R5": 52, "AwsSolutions-IAM5": 99, "total": 212},
    "multi-account": {
        "AwsSolutions": 257,
        "HIPAA.Security": 75,
        "NIST.800.53.R5": 71,
        "AwsSolutions-IAM5": 244,
        "total": 403,
    },
}
# Control Tower before issue 15 (cfn-guard over the templates): 98 and 120 findings, 11 controls failing in each.
CONTROL_TOWER_BEFORE = {"default": 98, "multi-account": 120}
GOALS = {"default": 150, "multi-account": 250}


def _configs() -> dict[str, dict[str, Any]]:
    return {
        "default": json.loads((REPO_ROOT / "cdk.json").read_text())["context"]["platform"],
        "multi-account": yaml.safe_load((REPO_ROOT / "examples" / "multi-account.yaml").read_text()),
    }


def measure(name: str, raw: dict[str, Any]) -> None:
    config = parse_config(raw)
    with tempfile.TemporaryDirectory(prefix="bench-compliance-") as outdir:
        app = cdk.App(outdir=outdir)
        build_platform(app, config)
        control_tower = config.compliance.control_tower
        add_compliance_gate(app, control_tower=control_tower)
        assembly = app.synth()
        directory = Path(assembly.directory)
        now = compliance_audit.counts(compliance_audit.recount(app))
        before = BEFORE[name]
        start = RATCHET_START[name]
        print(f"{name}: cdk-nag findings before acknowledgment (before issue 15 -> ratchet at 212/403 -> now)")
        for key in ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "AwsSolutions-IAM5", "total"):
            print(f"  {key:<20} {before[key]:5d} -> {start[key]:5d} -> {now.get(key, 0):5d}")
        print(f"  goal: total <= {GOALS[name]}")
        report = compliance_audit.read_report(directory)
        for plugin in report["pluginReports"]:
            if plugin["pluginName"] != compliance_audit.CONTROL_TOWER_PACK:
                continue
            acked = Counter(
                violation["ruleName"]
                for violation in plugin.get("suppressedViolations") or []
                for _ in violation["violatingConstructs"]
            )
            open_ = sum(len(violation["violatingConstructs"]) for violation in plugin["violations"])
            was = CONTROL_TOWER_BEFORE.get(name)
            print(
                f"  Control Tower: {sum(acked.values())} acknowledged, {open_} open"
                + (f" (before issue 15: {was} open)" if was is not None else "")
            )
            for rule, count in sorted(acked.items()):
                print(f"    {count:3d} {rule}")
        if not control_tower:
            print("  Control Tower: off in this config (compliance.control_tower)")
        dead = compliance_audit.unmatched_acknowledgments(app, directory, control_tower=control_tower)
        print(f"  acknowledgments matching no finding: {len(dead)}")


def main() -> None:
    for name, raw in _configs().items():
        measure(name, raw)


if __name__ == "__main__":
    main()

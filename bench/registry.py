"""Model registry at scale: synth time and policy sizes against the service limits, by number of groups.

Synthesizes the multi-account example with 1 to N model package groups (gate off, then once with the
gate) and prints, for each: synth seconds, the largest group resource policy, the bucket and key
policies, and the most managed policies any workload role needs; each next to its AWS limit.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import yaml

from sagemaker_platform.constructs.registry import deployed_policy_size
from tests.support import REPO_ROOT, resources_of_type, synth_platform, templates_of

GROUP_COUNTS = (1, 10, 25, 50, 60)
# Limits: PutModelPackageGroupPolicy ResourcePolicy 20,480 chars; S3 bucket policy 20 KB; KMS key
# policy 32 KB; managed policies attached to a role: 10 by default (quota up to 20).
LIMITS = {"group_policy": 20_480, "bucket_policy": 20_480, "key_policy": 32_768, "policies_per_role": 10}


def _config(groups: int) -> dict[str, Any]:
    raw = yaml.safe_load((REPO_ROOT / "examples" / "multi-account.yaml").read_text())
    # Keep the example's own groups (its deploy section and endpoints refer to them) and add more up to `groups`.
    named = list(raw["registry"]["model_package_groups"])
    raw["registry"]["model_package_groups"] = (named + [f"model-{index:02d}" for index in range(groups)])[
        : max(groups, len(named))
    ]
    return raw


def _size(value: Any) -> int:
    return deployed_policy_size(value)


def measure(groups: int, *, gate: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        templates = templates_of(synth_platform(_config(groups), Path(out) / "cdk.out", gate=gate))
        seconds = time.perf_counter() - started
    registry = templates["mlplatform-registry"]
    group_policies = [
        _size(r["Properties"].get("ModelPackageGroupPolicy", {}))
        for r in resources_of_type(registry, "AWS::SageMaker::ModelPackageGroup").values()
    ]
    bucket_policies = [
        _size(r["Properties"]["PolicyDocument"]) for r in resources_of_type(registry, "AWS::S3::BucketPolicy").values()
    ]
    (key,) = [
        k
        for k in resources_of_type(registry, "AWS::KMS::Key").values()
        if "artifacts" in k["Properties"]["Description"]
    ]
    per_role = 0
    for name, template in templates.items():
        if not name.startswith("mlplatform-workload-access"):
            continue
        for logical_id in resources_of_type(template, "AWS::IAM::Role"):
            attached = [
                p
                for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
                if {"Ref": logical_id} in p["Properties"].get("Roles", [])
            ]
            per_role = max(per_role, len(attached))
    return {
        "seconds": seconds,
        "group_policy": max(group_policies),
        "bucket_policy": max(bucket_policies),
        "key_policy": _size(key["Properties"]["KeyPolicy"]),
        "policies_per_role": per_role,
    }


def main() -> None:
    print(
        f"{'groups':>6} {'gate':>4} {'synth s':>8} {'group policy':>13} {'bucket policy':>14} {'key policy':>11} "
        f"{'policies/role':>14}"
    )
    print(
        f"{'limit':>6} {'':>4} {'':>8} {LIMITS['group_policy']:>13} {LIMITS['bucket_policy']:>14} "
        f"{LIMITS['key_policy']:>11} {LIMITS['policies_per_role']:>14}"
    )
    runs = [(count, False) for count in GROUP_COUNTS] + [(GROUP_COUNTS[1], True)]
    for count, gate in runs:
        try:
            m = measure(count, gate=gate)
        except RuntimeError as exc:  # the registry's own size check refuses the synth
            print(f"{count:>6} {'on' if gate else 'off':>4}  refused: {str(exc).splitlines()[-1].strip()[:150]}")
            continue
        print(
            f"{count:>6} {'on' if gate else 'off':>4} {m['seconds']:>8.1f} {m['group_policy']:>13.0f} "
            f"{m['bucket_policy']:>14.0f} {m['key_policy']:>11.0f} {m['policies_per_role']:>14.0f}"
        )


if __name__ == "__main__":
    main()

"""Model lifecycle figures: the marginal synth cost of the lifecycle stacks, per 100 resources.

Prints (never asserts). The cost is measured in one process, so that the interpreter, jsii and the imports,
which every synth pays once, are paid before the clock starts and do not blur the difference:
- *with*: a fresh app holding the lifecycle stacks a config creates (one in the sandbox, one per account
  role otherwise), compliance gate on as `app.py` sets it up, synthesized;
- *without*: a fresh app holding one stack with one resource no rule inspects, gate on: the floor.
Each pair runs in alternating order (a burst of load on a shared machine then falls on both sides alike),
after one warm-up pair; the figure is the median of `BENCH_REPEAT` (default 5) per-pair differences, with
their range, divided by the lifecycle stacks' resources. The default config and the multi-account example.

Measured stack by stack, the figure leaves out what the lifecycle section adds to other stacks (the
registry's grants to the lookup role, the schedules' targets): a few statements, next to the stacks' own
pipelines, functions, rules and alarms.
"""

from __future__ import annotations

import os

# Before aws_cdk loads jsii: no Node end-of-life banner in the figures.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import yaml

from bench.synth import REPO_ROOT, cdk_context
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.config import PlatformConfig, parse_config
from sagemaker_platform.platform_app import platform_app
from sagemaker_platform.stacks.base import stack_env, stack_name
from sagemaker_platform.stacks.lifecycle import LifecycleStack, lifecycle_accounts


def feature_flags() -> dict[str, Any]:
    """cdk.json's context without the platform config: what `cdk synth` gives every app."""
    return {key: value for key, value in cdk_context().items() if key != "platform"}


def synth_lifecycle(config: PlatformConfig, outdir: Path) -> tuple[float, int]:
    """(seconds, resources) of building and synthesizing the config's lifecycle stacks, gate on."""
    start = time.perf_counter()
    app = platform_app(str(outdir), context=feature_flags())
    for role in lifecycle_accounts(config):
        name = stack_name(config, "lifecycle", None if config.is_sandbox else role)
        LifecycleStack(app, name, stack_name=name, env=stack_env(config, role), config=config, account=role)
    add_compliance_gate(app, control_tower=config.compliance.control_tower)
    assembly = app.synth()
    seconds = time.perf_counter() - start
    resources = sum(len(stack.template.get("Resources", {})) for stack in assembly.stacks)
    return seconds, resources


def synth_floor(config: PlatformConfig, outdir: Path) -> float:
    """Seconds of building and synthesizing an app with one stack and one resource no rule inspects, gate on."""
    start = time.perf_counter()
    app = platform_app(str(outdir), context=feature_flags())
    cdk.CfnResource(cdk.Stack(app, "Empty"), "Nothing", type="AWS::CloudFormation::WaitConditionHandle")
    add_compliance_gate(app, control_tower=config.compliance.control_tower)
    app.synth()
    return time.perf_counter() - start


def marginal(config: PlatformConfig, repeat: int, tmp: Path) -> tuple[list[float], list[float], int]:
    """(per-pair differences, floors, lifecycle resources) of `repeat` alternating pairs after a warm-up."""
    differences: list[float] = []
    floors: list[float] = []
    resources = 0
    for index in range(repeat + 1):
        first_with = index % 2 == 0
        if first_with:
            with_seconds, resources = synth_lifecycle(config, tmp / f"with-{index}")
            floor = synth_floor(config, tmp / f"floor-{index}")
        else:
            floor = synth_floor(config, tmp / f"floor-{index}")
            with_seconds, resources = synth_lifecycle(config, tmp / f"with-{index}")
        if index:  # the first pair warms caches and jsii up
            differences.append(with_seconds - floor)
            floors.append(floor)
    return differences, floors, resources


def configs() -> dict[str, PlatformConfig]:
    example = yaml.safe_load((REPO_ROOT / "examples" / "multi-account.yaml").read_text())
    return {"cdk.json": parse_config(cdk_context()["platform"]), "examples/multi-account.yaml": parse_config(example)}


def main() -> None:
    repeat = int(os.environ.get("BENCH_REPEAT", "5"))
    header = ("lifecycle stacks of", "resources", "floor s", "marginal s", "range s", "s / 100 res")
    print(f"{header[0]:<28} {header[1]:>9} {header[2]:>8} {header[3]:>10} {header[4]:>13} {header[5]:>11}")
    for label, config in configs().items():
        with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
            differences, floors, resources = marginal(config, repeat, Path(tmp))
        median = statistics.median(differences)
        spread = f"{min(differences):.2f}-{max(differences):.2f}"
        per_100 = median / resources * 100 if resources else float("nan")
        print(
            f"{label:<28} {resources:>9} {statistics.median(floors):>8.2f} {median:>10.2f} {spread:>13} "
            f"{per_100:>11.2f}",
            flush=True,
        )
    print(f"medians of {repeat} alternating pairs after a warm-up, in one process, compliance gate on")


if __name__ == "__main__":
    main()

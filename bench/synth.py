"""Synth cost of the reference app, the test suite's wall time, and how synth grows with Studio users.

Prints (never asserts):
- the synth time of the whole reference app divided by that of an empty CDK app (one stack, one bucket),
  both run the same way in this run: `python <flags> <app>` in a subprocess, with the interpreter flags of
  cdk.json's `app` command for both (`-O`: jsii's runtime argument type checks skipped, `interpreter_flags`),
  CDK_OUTDIR in a fresh temp dir, the
  cdk.json context handed over in CDK_CONTEXT_JSON as the CLI does, alternating, median of `BENCH_REPEAT`
  (default 3), and the seconds per 100 resources above the empty app. Goals: ratio at most 2.0, at most
  1.0 s per 100 resources. `BENCH_BASE=<dir>` times an earlier checkout (with its own cdk.json's flags) in the
  same alternation, and the
  reference app is also timed with only the three cdk-nag packs; each row adds the median CPU seconds of its
  process tree. Beside it (unless `BENCH_SKIP_BESIDE=1`):
  the multi-account example, 2,000 Studio users and 100 endpoints (seconds, resources, per-100 cost);
- the per-phase split of one synth (import, build, synth, validation plugins with their CPU seconds,
  dead-acknowledgment audit; `bench/phases.py`), with the Control Tower rule filter on and off;
- the wall time of `make test` (pytest in a subprocess); skipped when `BENCH_SKIP_TESTS=1` (set it in CI,
  where the suite has just run) or when run from inside pytest;
- synth time and the largest stack's resource count with 100, 500 and 2,000 Studio users, compliance gate
  on (it is part of `cdk synth`); skipped with `BENCH_SKIP_USER_SCALING=1`. Goal: growth at most linear.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sagemaker_platform.synthdiff import assembly as synthdiff_assembly

REPO_ROOT = Path(__file__).resolve().parent.parent
USER_COUNTS = (100, 500, 2000)
RATIO_GOAL = 2.0
PER_100_GOAL = 1.0

# The reference app's app.py turns Python's cyclic garbage collector off before its imports; so does the floor,
# so that the ratio compares the work of the two apps, not their collector settings.
EMPTY_APP = """
import gc
gc.disable()
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Empty")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def cdk_context(root: Path = REPO_ROOT) -> dict[str, Any]:
    return json.loads((root / "cdk.json").read_text())["context"]


def interpreter_flags(root: Path = REPO_ROOT) -> list[str]:
    """The Python flags of the `app` command in `root`'s cdk.json: ``.venv/bin/python -O app.py`` -> ``["-O"]``."""
    return synthdiff_assembly.interpreter_flags(root)


def synth_seconds(app: Path, context: dict[str, Any], outdir: Path, flags: list[str] | None = None) -> float:
    """Wall time of one `python <flags> <app>` synth into `outdir`. Default flags: this checkout's cdk.json's."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    start = time.perf_counter()
    flags = interpreter_flags() if flags is None else flags
    result = subprocess.run([sys.executable, *flags, str(app)], cwd=app.parent, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"synth of {app} failed:\n{result.stderr[-3000:]}")
    return elapsed


def children_cpu_seconds() -> float:
    """User + system CPU time of the finished child processes (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def synth_once(app: Path, context: dict[str, Any], flags: list[str] | None = None) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as outdir:
        return synth_seconds(app, context, Path(outdir), flags)


def largest_stack(outdir: Path) -> tuple[str, int, int]:
    """(template, resource count, bytes) of the template with the most resources, nested stacks included."""
    sizes = []
    for file in outdir.glob("*.template.json"):
        resources = len(json.loads(file.read_text()).get("Resources", {}))
        sizes.append((resources, file.stat().st_size, file.name.removesuffix(".template.json")))
    resources, size, name = max(sizes)
    return name, resources, size


def with_users(context: dict[str, Any], count: int) -> dict[str, Any]:
    scaled = json.loads(json.dumps(context))
    scaled["platform"]["studio"]["users"] = [
        {"name": f"user-{index:04d}", "own_role": index % 10 == 0} for index in range(count)
    ]
    return scaled


def resources_in(outdir: Path) -> int:
    """Resources of every template of a cloud assembly: stage assemblies and nested stacks included."""
    return sum(len(json.loads(f.read_text()).get("Resources", {})) for f in outdir.rglob("*.template.json"))


def beside_configs(context: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The configs reported beside the default app: the multi-account example, 2,000 users, 100 endpoints."""
    from tests.stacks.test_hosting import scale_config  # the hosting benchmark's own 100-endpoint shape

    endpoints = json.loads(json.dumps(context))
    # The default endpoint stays (deploy groups and the gateway name it), 99 more beside it.
    endpoints["platform"]["endpoints"] += scale_config(100 - len(endpoints["platform"]["endpoints"]))["endpoints"]
    return {
        "examples/multi-account.yaml": {**context, "config": "examples/multi-account.yaml"},
        "2,000 Studio users": with_users(context, 2000),
        "100 endpoints": endpoints,
    }


def timed(app: Path, context: dict[str, Any], flags: list[str] | None = None) -> tuple[float, int]:
    """(seconds, resources) of one synth of `app`."""
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as outdir:
        seconds = synth_seconds(app, context, Path(outdir), flags)
        return seconds, resources_in(Path(outdir))


def ratio_to_empty_app(repeat: int) -> None:
    """Medians of alternating runs: the empty app, the reference app (and the one at `BENCH_BASE`, if set).

    `BENCH_BASE=<dir>`: a checkout of an earlier commit (e.g. `git archive <ref> | tar -x -C <dir>`, with
    `.venv` and `node_modules` linked), timed in the same alternation: before and after in one run. The reference
    app is also timed with the gate as issue 18 was written (the three cdk-nag packs, Control Tower off).
    """
    context = cdk_context()
    nag_only = json.loads(json.dumps(context))
    nag_only["platform"].setdefault("compliance", {})["control_tower"] = False
    flags = interpreter_flags()
    apps = {"reference app": (REPO_ROOT / "app.py", context, flags)}
    base = os.environ.get("BENCH_BASE")
    if base:
        # Its own cdk.json: the reference app as it was configured then (a config key added since is unknown
        # there), run as that cdk.json ran it (an earlier one without -O).
        root = Path(base).resolve()
        apps["reference app at BENCH_BASE"] = (root / "app.py", cdk_context(root), interpreter_flags(root))
    apps["reference app, cdk-nag only"] = (REPO_ROOT / "app.py", nag_only, flags)
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty_app.py"
        empty.write_text(EMPTY_APP)
        # One warm-up run each, so the first measured run does not pay for cold file caches; then the apps
        # alternate, so that a burst of load on a shared machine hits them alike.
        for app, app_context, app_flags in ((empty, context, flags), *apps.values()):
            synth_once(app, app_context, app_flags)
        runs: dict[str, list[float]] = {"empty": [], **{name: [] for name in apps}}
        # CPU seconds beside the wall time: on a shared machine the CPU time moves less with the load, and the two
        # together tell work done from work spread over the cores.
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        resources: dict[str, int] = {}
        for _ in range(repeat):
            before = children_cpu_seconds()
            runs["empty"].append(synth_once(empty, context))
            cpu["empty"].append(children_cpu_seconds() - before)
            for name, (app, app_context, app_flags) in apps.items():
                before = children_cpu_seconds()
                seconds, resources[name] = timed(app, app_context, app_flags)
                cpu[name].append(children_cpu_seconds() - before)
                runs[name].append(seconds)
        floor = statistics.median(runs["empty"])
        print(f"{'app':<30} {'median s':>8} {'resources':>9} {'ratio':>6} {'s / 100 res':>11} {'CPU s':>6}  (gate on)")
        empty_cpu = statistics.median(cpu["empty"])
        print(f"{'empty CDK app (1 bucket)':<30} {floor:>8.2f} {1:>9} {'':>6} {'':>11} {empty_cpu:>6.2f}")
        for name in apps:
            seconds = statistics.median(runs[name])
            per_100 = (seconds - floor) / resources[name] * 100
            print(
                f"{name:<30} {seconds:>8.2f} {resources[name]:>9} {seconds / floor:>6.2f} {per_100:>11.2f} "
                f"{statistics.median(cpu[name]):>6.2f}"
            )
        print(
            f"goals: ratio <= {RATIO_GOAL}, <= {PER_100_GOAL} s per 100 resources above the floor; "
            f"medians of {repeat} alternating runs; python flags {shlex.join(flags) or '(none)'} for the empty and "
            "the reference app alike (cdk.json's app command)"
        )
        if os.environ.get("BENCH_SKIP_BESIDE") != "1":
            beside(empty, context)


def beside(empty: Path, context: dict[str, Any]) -> None:
    """Each `beside_configs` config once, right after an empty-app run (its own floor, same load)."""
    for name, scaled in beside_configs(context).items():
        floor = synth_once(empty, context)
        seconds, count = timed(REPO_ROOT / "app.py", scaled)
        per_100 = (seconds - floor) / count * 100
        print(f"{name:<30} {seconds:>8.2f} {count:>9} {seconds / floor:>6.2f} {per_100:>11.2f}", flush=True)


def phase_split() -> None:
    """Where one synth of the default app goes, in-process: import, build, synth, validation plugins, audit.

    Three runs in subprocesses, with the python flags of cdk.json's app command: the gate as cdk.json configures
    it (Control Tower on: the rule files that can apply, grouped, on reduced templates, in parallel workers), the
    same with the stock plugin (every rule file over every template in one run: before/after in one run), and no
    gate. The validation plugins' share, in seconds and in CPU seconds, is the difference between the synth
    phases (they run inside `app.synth()`).
    """
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(cdk_context())}
    phases = {}
    for variant in (("--gate",), ("--gate", "--unfiltered"), ("--no-gate",)):
        result = subprocess.run(
            [sys.executable, *interpreter_flags(), "-m", "bench.phases", *variant],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        phases[variant] = json.loads(result.stdout.strip().splitlines()[-1])
    off = phases[("--no-gate",)]
    for variant, label in (
        (("--gate",), "grouped rule files on reduced templates, parallel workers"),
        (("--gate", "--unfiltered"), "the stock plugin, every rule file in one run"),
    ):
        on = phases[variant]
        plugins = max(on["synth"] - off["synth"], 0.0)
        plugins_cpu = max(on["synth_cpu"] - off["synth_cpu"], 0.0)
        print(
            f"phases (default app, gate as in cdk.json, Control Tower {label}): import {on['import']:.2f} s, "
            f"build {on['build']:.2f} s, synth {off['synth']:.2f} s, validation plugins {plugins:.2f} s "
            f"({plugins_cpu:.2f} CPU s), dead-acknowledgment audit {on['audit']:.2f} s",
            flush=True,
        )


def test_suite_wall_time() -> None:
    if os.environ.get("BENCH_SKIP_TESTS") == "1" or "PYTEST_CURRENT_TEST" in os.environ:
        print("make test wall time: skipped (BENCH_SKIP_TESTS=1 or inside pytest)")
        return
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "(no output)"
    print(f"make test wall time: {elapsed:6.1f} s  ({summary})")


def user_scaling() -> None:
    context = cdk_context()
    print(f"{'users':>6} {'synth s':>8} {'s / 100 users':>14} {'largest stack':>32} {'resources':>9} {'KiB':>7}")
    for count in USER_COUNTS:
        with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
            seconds = synth_seconds(REPO_ROOT / "app.py", with_users(context, count), Path(tmp))
            name, resources, size = largest_stack(Path(tmp))
        per_100 = seconds / count * 100
        print(f"{count:>6} {seconds:>8.2f} {per_100:>14.2f} {name:>32} {resources:>9} {size / 1024:>7.0f}")


def main() -> None:
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    ratio_to_empty_app(repeat)
    phase_split()
    test_suite_wall_time()
    if os.environ.get("BENCH_SKIP_USER_SCALING") != "1":
        user_scaling()


if __name__ == "__main__":
    main()

"""Synth cost of the reference app, the test suite's wall time, and how synth grows with Studio users.

Prints (never asserts):
- the synth time of the whole reference app divided by that of an empty CDK app (one stack, one bucket),
  both run the same way in this run: `python <app>` in a subprocess, CDK_OUTDIR in a fresh temp dir, the
  cdk.json context handed over in CDK_CONTEXT_JSON as the CLI does, best of `BENCH_REPEAT` (default 3).
  Goal: at most 1.5;
- the wall time of `make test` (pytest in a subprocess); skipped when `BENCH_SKIP_TESTS=1` (set it in CI,
  where the suite has just run) or when run from inside pytest;
- synth time and the largest stack's resource count with 100, 500 and 2,000 Studio users, compliance gate
  on (it is part of `cdk synth`). Goal: growth at most linear in users.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
USER_COUNTS = (100, 500, 2000)
RATIO_GOAL = 1.5

EMPTY_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Empty")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def cdk_context() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


def synth_seconds(app: Path, context: dict[str, Any], outdir: Path) -> float:
    """Wall time of one `python <app>` synth into `outdir`."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(app)], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"synth of {app} failed:\n{result.stderr[-3000:]}")
    return elapsed


def synth_once(app: Path, context: dict[str, Any]) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as outdir:
        return synth_seconds(app, context, Path(outdir))


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


def ratio_to_empty_app(repeat: int) -> None:
    context = cdk_context()
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty_app.py"
        empty.write_text(EMPTY_APP)
        # One warm-up run each, so the first measured run does not pay for cold file caches; then the two
        # apps alternate, so that a burst of load on a shared machine hits both alike.
        synth_once(empty, context)
        synth_once(REPO_ROOT / "app.py", context)
        empty_runs, app_runs = [], []
        for _ in range(repeat):
            empty_runs.append(synth_once(empty, context))
            app_runs.append(synth_once(REPO_ROOT / "app.py", context))
        empty_s, app_s = min(empty_runs), min(app_runs)
    ratio = app_s / empty_s
    print(f"empty CDK app (1 stack, 1 bucket) synth: {empty_s:6.2f} s  (best of {repeat})")
    print(f"reference app synth (gate on):          {app_s:6.2f} s  (best of {repeat})")
    print(f"ratio reference / empty:                {ratio:6.2f}    (goal <= {RATIO_GOAL})")


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
    test_suite_wall_time()
    user_scaling()


if __name__ == "__main__":
    main()

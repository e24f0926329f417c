"""Gateway, Studio lifecycle and tuning handlers: cold import ratio, malformed-event counts, single-fault counts.

For each function: `(import index + import boto3) / import boto3` in CPU time (median of fresh interpreters,
runs alternating; goal <= 1.2) and the zipped asset size (goal < 100 KB).
For each entry point (`tests/handler_targets.py`):
- fuzz: every place of a valid event x a fixed set of bad values (`tests.fuzz.REPLACEMENTS`), counted as
  ok / refused (typed error, nothing written) / untyped / late (typed, but after a write). Goal: 0 untyped, 0 late.
- faults: one failure of each kind (`tests.faults.FaultKind`) on each AWS call the valid event makes, then
  the platform's retry of the same event without the fault. `stuck` counts retries that did not succeed.
  (Journeys across handlers, with state, are in tests/lambda/test_*_faults.py.)

    python -m bench handler_faults
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.handlers import IMPORT_GOAL, SIZE_GOAL_BYTES, asset_size
from sagemaker_platform.assets import handler_dir
from tests.faults import attempt, fault_plan, inject, record_calls
from tests.fuzz import Target, materialize, tally
from tests.handler_targets import all_targets
from tests.offline_aws import offline_aws

# (label, asset folder, environment that picks the function's entry point)
ASSETS: list[tuple[str, str, dict[str, str]]] = [
    *(
        (f"gateway_handlers:{f}", "gateway_handlers", {"GATEWAY_FUNCTION": f})
        for f in ("api", "invoke", "notify", "step")
    ),
    ("studio_teardown", "studio_teardown", {"STUDIO_TEARDOWN_PHASE": "is_complete"}),
    ("tuning_launcher", "tuning_launcher", {}),
    ("tuning_register", "tuning_register", {}),
    ("tuning_request", "tuning_request", {}),
]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


RUNS = 9


def _cpu_import(statement: str, path: Path | None, env: dict[str, str]) -> float:
    """CPU seconds a fresh interpreter spends on `statement` (CPU, not wall: the shared machine's load
    would otherwise swamp a 10 % difference)."""
    code = f"import time; t = time.process_time(); {statement}; print(time.process_time() - t)"
    environ = os.environ | env | {"PYTHONDONTWRITEBYTECODE": "1"}  # as in Lambda: the asset ships as source
    if path is not None:
        environ["PYTHONPATH"] = str(path)
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    return float(result.stdout)


def import_ratio(folder: Path, env: dict[str, str]) -> float:
    """Median over alternating runs of (import index + import boto3) / import boto3, in CPU time."""
    ratios = []
    for _ in range(RUNS):
        boto3_alone = _cpu_import("import boto3", None, {})
        ratios.append(_cpu_import("import index; import boto3", folder, env) / boto3_alone)
    return statistics.median(ratios)


def _succeeded(result: Any, error: BaseException | None) -> bool:
    if error is not None:
        return False
    if isinstance(result, dict) and result.get("batchItemFailures"):
        return False
    return not (isinstance(result, dict) and isinstance(result.get("statusCode"), int) and result["statusCode"] >= 500)


def fault_counts(target: Target) -> tuple[int, int]:
    """(faults injected, retries that did not recover) for the target's valid event."""
    event = materialize(target.valid_event)
    with _quiet(), offline_aws(target.answers()):
        calls = record_calls(lambda: target.run(event))
    stuck = 0
    plan = fault_plan(calls)
    for fault in plan:
        with _quiet():
            with inject(fault), offline_aws(target.answers()):
                attempt(lambda: target.run(event))
            with offline_aws(target.answers()):
                result, error = attempt(lambda: target.run(event))
        stuck += not _succeeded(result, error)
    return len(plan), stuck


def main() -> None:
    print(f"{'function':24} {'(import+boto3)/boto3':>21} {'zipped':>9}   goals: <= {IMPORT_GOAL}, < 100 KB")
    for label, asset, env in ASSETS:
        folder = handler_dir(asset)
        ratio = import_ratio(folder, env)
        size = asset_size(folder)
        verdict = "ok" if ratio <= IMPORT_GOAL and size < SIZE_GOAL_BYTES else "OVER"
        print(f"{label:24} {ratio:21.2f} {size / 1024:7.1f}KB   {verdict}", flush=True)
    print()
    columns = ("cases", "ok", "refused", "untyped", "late", "faults", "stuck")
    print(f"{'entry point':36} " + " ".join(f"{c:>{w}}" for c, w in zip(columns, (6, 5, 8, 8, 5, 7, 6), strict=True)))
    totals = [0] * 7
    started = time.perf_counter()
    for target in all_targets():
        cases, counts, _ = tally(target)
        faults, stuck = fault_counts(target)
        row = [cases, counts["ok"], counts["refused"], counts["untyped"], counts["late"], faults, stuck]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(f"{target.name:36} " + " ".join(f"{v:>{w}}" for v, w in zip(row, (6, 5, 8, 8, 5, 7, 6), strict=True)))
    print(f"{'total':36} " + " ".join(f"{v:>{w}}" for v, w in zip(totals, (6, 5, 8, 8, 5, 7, 6), strict=True)))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()

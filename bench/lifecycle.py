"""Model lifecycle figures: the marginal synth cost of the lifecycle stacks, beside the empty-app floor.

Prints (never asserts), in one run, best of `BENCH_REPEAT` (default 3), each synth as `python app.py` in a
subprocess with the cdk.json context (as `bench.synth` does):
- the empty CDK app (one stack, one bucket): the floor;
- the reference app with and without the `lifecycle` section, and the lifecycle stacks' resource count;
- marginal seconds per 100 resources of the lifecycle stacks: (with - without) / resources * 100.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.synth import EMPTY_APP, REPO_ROOT, cdk_context, synth_seconds


def without_lifecycle(context: dict[str, Any]) -> dict[str, Any]:
    """The context without `lifecycle` (the schedules then name pipelines the app does not create, as before)."""
    stripped = json.loads(json.dumps(context))
    stripped["platform"].pop("lifecycle", None)
    return stripped


def _lifecycle_resources(outdir: Path) -> int:
    return sum(
        len(json.loads(file.read_text()).get("Resources", {})) for file in outdir.glob("*lifecycle*.template.json")
    )


def main() -> None:
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    context = cdk_context()
    runs: dict[str, list[float]] = {"empty": [], "with": [], "without": []}
    resources = 0
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
        empty = Path(tmp) / "empty_app.py"
        empty.write_text(EMPTY_APP)
        for index in range(repeat):
            for label, app, ctx in (
                ("empty", empty, context),
                ("with", REPO_ROOT / "app.py", context),
                ("without", REPO_ROOT / "app.py", without_lifecycle(context)),
            ):
                outdir = Path(tmp) / f"{label}-{index}"
                runs[label].append(synth_seconds(app, ctx, outdir))
                if label == "with":
                    resources = _lifecycle_resources(outdir)
    best = {label: min(values) for label, values in runs.items()}
    marginal = best["with"] - best["without"]
    print(f"empty CDK app synth (floor):              {best['empty']:6.2f} s  (best of {repeat})")
    print(f"reference app synth without lifecycle:    {best['without']:6.2f} s")
    print(f"reference app synth with lifecycle:       {best['with']:6.2f} s  ({resources} lifecycle resources)")
    if resources:
        print(f"lifecycle marginal synth cost:            {marginal / resources * 100:6.2f} s per 100 resources")

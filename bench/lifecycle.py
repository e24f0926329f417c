"""Model lifecycle figures: the marginal synth cost of the lifecycle stacks, beside the empty-app floor.

Prints (never asserts), in one run, each synth as `python app.py` in a subprocess with the cdk.json context
(as `bench.synth` does). Under load a single with/without pair is noise, so the app is synthesized with and
without the `lifecycle` section in `BENCH_REPEAT` (default 5) adjacent pairs, alternating which goes first
(a slowdown during a pair then cancels across pairs), and the figure is the median of the per-pair
differences, with their range:
- the empty CDK app (one stack, one bucket): the floor (median);
- marginal seconds per 100 resources of the lifecycle stacks: median(with - without) / resources * 100.
"""

from __future__ import annotations

import json
import os
import statistics
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
    repeat = int(os.environ.get("BENCH_REPEAT", "5"))
    context = cdk_context()
    stripped = without_lifecycle(context)
    floors: list[float] = []
    differences: list[float] = []
    resources = 0
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
        empty = Path(tmp) / "empty_app.py"
        empty.write_text(EMPTY_APP)
        for index in range(repeat):
            floors.append(synth_seconds(empty, context, Path(tmp) / f"empty-{index}"))
            order = [("with", context), ("without", stripped)]
            if index % 2:
                order.reverse()
            seconds: dict[str, float] = {}
            for label, ctx in order:
                outdir = Path(tmp) / f"{label}-{index}"
                seconds[label] = synth_seconds(REPO_ROOT / "app.py", ctx, outdir)
                if label == "with":
                    resources = _lifecycle_resources(outdir)
            differences.append(seconds["with"] - seconds["without"])
    marginal = statistics.median(differences)
    print(f"empty CDK app synth (floor):              {statistics.median(floors):6.2f} s  (median of {repeat})")
    print(
        f"lifecycle stacks' marginal synth time:    {marginal:6.2f} s  (median of {repeat} alternating pairs; "
        f"range {min(differences):.2f} to {max(differences):.2f} s; {resources} lifecycle resources)"
    )
    if resources:
        print(f"lifecycle marginal synth cost:            {marginal / resources * 100:6.2f} s per 100 resources")


if __name__ == "__main__":
    main()

"""Deploy handlers under faults and malformed input: the counts issue 14 asks for (printed, never asserted).

    python -m bench handler_faults_deploy
    python -m bench.handler_faults_deploy --handlers DIR   # measure another copy (e.g. the original code)

Fault matrix: each scenario's AWS calls x 4 fault kinds (tests/deploy_faults.py), after the platform's retry.
Fuzz: generated malformed inputs per entry point (tests/deploy_fuzz.py). Cold import ratios are in
`bench/handlers.py`.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ_EXAMPLES = 200


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--handlers", default=None, help="folder holding the `deployer` package to measure")
    parser.add_argument("--fuzz-examples", type=int, default=FUZZ_EXAMPLES)
    args = parser.parse_args([] if argv is None else argv)
    sys.path.insert(0, str(ROOT))
    from tests.deploy_world import HANDLERS, use_handlers

    use_handlers(args.handlers or HANDLERS)
    from tests.deploy_faults import SCENARIOS, run_scenario
    from tests.deploy_fuzz import ENTRIES, fuzz

    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for scenario in SCENARIOS:
        outcomes, oracle = run_scenario(scenario)
        counts = totals[scenario.handler]
        counts["cases"] += len(outcomes) + 1
        counts["ordering/duplicate (fault-free)"] += len(oracle)
        for outcome in outcomes:
            counts["untyped"] += outcome.untyped
            for kind in ("lost", "stuck", "duplicated", "regressed"):
                counts[kind] += any(problem.startswith(kind) for problem in outcome.problems)
            counts["failed cases"] += bool(outcome.problems or outcome.untyped)
            if outcome.problems and "-v" in sys.argv:
                print(f"  {scenario.handler} / {scenario.name} / {outcome.fault}: {outcome.problems}")
        for problem in oracle:
            print(f"  {scenario.handler} / {scenario.name} (no fault): {problem}")
    print("fault matrix (one fault of each kind on each AWS call, then the platform's retry):")
    for handler, counts in totals.items():
        print(
            f"  {handler:9} "
            + "  ".join(
                f"{key}={counts[key]}"
                for key in (
                    "cases",
                    "failed cases",
                    "lost",
                    "stuck",
                    "duplicated",
                    "regressed",
                    "untyped",
                    "ordering/duplicate (fault-free)",
                )
            )
        )
    print(f"fuzz ({args.fuzz_examples} generated inputs per entry point):")
    for entry in ENTRIES:
        outcomes = fuzz(entry, args.fuzz_examples)
        bad = {key: count for key, count in outcomes.items() if key.startswith(("untyped", "late"))}
        print(f"  {entry:9} cases={sum(outcomes.values())} untyped/late={sum(bad.values())} {dict(bad) or ''}")


def run() -> None:
    main([])


if __name__ == "__main__":
    main(sys.argv[1:] and [arg for arg in sys.argv[1:] if arg != "-v"])

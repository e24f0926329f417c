"""Run every benchmark module listed below (`python -m bench`), or the ones named on the command line."""

from __future__ import annotations

import importlib
import sys

# Each module has `main() -> None` and prints its own figures. Add yours to the list.
BENCHMARKS = [
    "bench.gateway",
]


def main(argv: list[str]) -> int:
    selected = [f"bench.{name}" for name in argv] or BENCHMARKS
    unknown = sorted(set(selected) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in selected:
        print(f"== {name}")
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

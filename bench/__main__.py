"""Run every benchmark module listed in BENCHMARKS (each exposes `run() -> None` and prints its figures)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "bench.tuning",
]


def main(argv: list[str]) -> int:
    selected = [name for name in BENCHMARKS if not argv or name.rsplit(".", 1)[-1] in argv]
    for name in selected:
        print(f"== {name}")
        importlib.import_module(name).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""`python -m bench`: run every registered benchmark module's `run()` in turn."""

from __future__ import annotations

import importlib
import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# One line per benchmark module (each exposes `run() -> None`); add yours below.
BENCHMARKS: list[str] = [
    "bench.hosting",
]


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for name in BENCHMARKS:
        if wanted and name.rsplit(".", 1)[-1] not in wanted:
            continue
        print(f"== {name}", flush=True)
        importlib.import_module(name).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

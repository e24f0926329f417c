"""`python -m bench`: run every benchmark module listed here (each exposes `main()`), in order."""

from __future__ import annotations

import importlib
import sys

MODULES = [
    "bench.synthdiff",
]


def main(argv: list[str]) -> int:
    selected = [name for name in MODULES if not argv or name.rsplit(".", 1)[-1] in argv]
    for name in selected:
        print(f"== {name}")
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""`python -m bench`: run every benchmark module listed here, in order."""

from __future__ import annotations

import importlib

MODULES = [
    "bench.handlers",
]


def main() -> None:
    for name in MODULES:
        print(f"== {name}")
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()

"""`python -m bench`: run every benchmark module listed in MODULES (each exposes `main() -> None`), in order.

Add your module to MODULES. `python -m bench synth` runs only the modules named on the command line.
"""

from __future__ import annotations

import importlib
import sys

MODULES = [
    "bench.synth",
]


def main(argv: list[str]) -> int:
    selected = [name for name in MODULES if not argv or name.rsplit(".", 1)[-1] in argv]
    unknown = sorted(set(argv) - {name.rsplit(".", 1)[-1] for name in MODULES})
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(MODULES)}", file=sys.stderr)
        return 2
    for name in selected:
        print(f"== {name}", flush=True)
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""`python -m bench`: run every registered benchmark module in turn, printing its figures.

    python -m bench                 # all of them
    python -m bench synth hosting   # only these (by module name)

Each module exposes `main()` or `run()`; figures are printed, never asserted.
"""

from __future__ import annotations

import importlib
import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

BENCHMARKS: list[str] = [
    "bench.synth",
    "bench.deploy_cost",
    "bench.registry",
    "bench.hosting",
    "bench.tuning",
    "bench.synthdiff",
    "bench.gateway",
    "bench.handlers",
    "bench.handler_faults",
    "bench.handler_faults_deploy",
    "bench.compliance",
    "bench.lifecycle",
]


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for name in BENCHMARKS:
        if wanted and name.rsplit(".", 1)[-1] not in wanted:
            continue
        print(f"== {name}", flush=True)
        module = importlib.import_module(name)
        entry = getattr(module, "main", None) or module.run
        entry()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

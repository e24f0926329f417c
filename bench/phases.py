"""One in-process synth of the reference app, timed by phase; prints one JSON line. Run by `bench.synth`.

CDK_CONTEXT_JSON='{...}' python -m bench.phases --gate|--no-gate [--unfiltered]

With `--gate` the compliance gate is set up exactly as app.py does (Control Tower as the config says) and the
dead-acknowledgment audit is timed as a phase of its own; `--unfiltered` runs the stock Control Tower plugin
(every rule file over every template in one cfn-guard run), to compare with the grouped runs in one run. Besides
the seconds of each phase it prints the CPU seconds of the synth phase (`synth_cpu`: this process and every process
under it, the validation plugins included).
"""

from __future__ import annotations

import time

_started = time.perf_counter()

import gc  # noqa: E402

gc.disable()  # as app.py does, before the heavy imports

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from sagemaker_platform.compliance import add_compliance_gate  # noqa: E402
from sagemaker_platform.compliance_audit import check_acknowledgments  # noqa: E402
from sagemaker_platform.config import config_from_context  # noqa: E402
from sagemaker_platform.platform_app import platform_app  # noqa: E402
from sagemaker_platform.stacks import build_platform  # noqa: E402


def tree_cpu_seconds() -> float:
    """CPU seconds of this process and every process under it, finished or (Linux) still running: the jsii
    kernel, where cdk-nag and the stock Control Tower plugin run, lives until the end of the process."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system + _live_cpu_seconds("self")


def _live_cpu_seconds(pid: str) -> float:
    """CPU seconds of the live descendants of `pid` (and of their finished children)."""
    total = 0.0
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                # The fields after the command's closing parenthesis: utime, stime, cutime, cstime are 14-17.
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile: counted in children_* once waited for
            total += sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
            total += _live_cpu_seconds(child)
    return total


def main(argv: list[str]) -> int:
    imported = time.perf_counter()
    gate = "--no-gate" not in argv
    with tempfile.TemporaryDirectory(prefix="bench-phases-") as outdir:
        app = platform_app(outdir)  # reads CDK_CONTEXT_JSON, as under the CLI
        config = config_from_context(app.node.try_get_context)
        build_platform(app, config)
        built = time.perf_counter()
        control_tower = config.compliance.control_tower
        if gate:
            add_compliance_gate(app, control_tower=control_tower, filter_control_tower="--unfiltered" not in argv)
        cpu_before = tree_cpu_seconds()
        assembly = app.synth()
        synthesized = time.perf_counter()
        synth_cpu = tree_cpu_seconds() - cpu_before
        if gate:
            check_acknowledgments(app, Path(assembly.directory), control_tower=control_tower)
        audited = time.perf_counter()
    phases = {"import": imported - _started, "build": built - imported, "synth": synthesized - built}
    print(json.dumps({**phases, "audit": audited - synthesized, "synth_cpu": synth_cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

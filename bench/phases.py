"""One in-process synth of the reference app, timed by phase; prints one JSON line. Run by `bench.synth`.

CDK_CONTEXT_JSON='{...}' python -m bench.phases --gate|--no-gate [--unfiltered]

With `--gate` the compliance gate is set up exactly as app.py does (Control Tower as the config says) and the
dead-acknowledgment audit is timed as a phase of its own; `--unfiltered` runs the stock Control Tower plugin
(every rule file over every template in one cfn-guard run), to compare with the per-template workers in one run.
"""

from __future__ import annotations

import time

_started = time.perf_counter()

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
        assembly = app.synth()
        synthesized = time.perf_counter()
        if gate:
            check_acknowledgments(app, Path(assembly.directory), control_tower=control_tower)
        audited = time.perf_counter()
    phases = {"import": imported - _started, "build": built - imported, "synth": synthesized - built}
    print(json.dumps({**phases, "audit": audited - synthesized}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

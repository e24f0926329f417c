"""One in-process synth of the reference app, timed by phase; prints one JSON line. Run by `bench.synth`.

CDK_CONTEXT_JSON='{...}' python -m bench.phases --gate|--no-gate
"""

from __future__ import annotations

import time

_started = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from sagemaker_platform.compliance import add_compliance_gate  # noqa: E402
from sagemaker_platform.config import config_from_context  # noqa: E402
from sagemaker_platform.platform_app import platform_app  # noqa: E402
from sagemaker_platform.stacks import build_platform  # noqa: E402


def main(argv: list[str]) -> int:
    imported = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-phases-") as outdir:
        app = platform_app(outdir)  # reads CDK_CONTEXT_JSON, as under the CLI
        build_platform(app, config_from_context(app.node.try_get_context))
        built = time.perf_counter()
        if "--no-gate" not in argv:
            add_compliance_gate(app)
        app.synth()
        synthesized = time.perf_counter()
    print(json.dumps({"import": imported - _started, "build": built - imported, "synth": synthesized - built}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

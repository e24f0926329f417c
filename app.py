#!/usr/bin/env python3
"""The reference app: reads the platform config, builds the stacks, applies the compliance gate.

cdk synth                                # the `platform` config in cdk.json
cdk synth -c config=examples/multi-account.yaml
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from pathlib import Path
from typing import NoReturn

# A synth is a short batch that keeps nearly every object it makes until it writes the assembly: the cyclic
# collector walked them about 500 times per default synth, for 0.22 s of the main thread, and freed some 2,400
# objects (counted with gc.callbacks). Reference counting still frees the rest. Off before the heavy imports;
# bench/synth.py turns it off in the empty app it compares with, too.
gc.disable()

from sagemaker_platform.compliance import add_compliance_gate  # noqa: E402
from sagemaker_platform.compliance_audit import check_acknowledgments  # noqa: E402
from sagemaker_platform.config import config_from_context  # noqa: E402
from sagemaker_platform.errors import PlatformError  # noqa: E402
from sagemaker_platform.platform_app import platform_app  # noqa: E402
from sagemaker_platform.stacks import build_platform  # noqa: E402


def main() -> int:
    app = platform_app()
    try:
        # A config error stops here, before anything is written: no cloud assembly.
        config = config_from_context(app.node.try_get_context)
        build_platform(app, config)
        add_compliance_gate(app, control_tower=config.compliance.control_tower)
        assembly = app.synth()
        # An acknowledgment that hides nothing fails synth too, naming where it was made.
        check_acknowledgments(app, Path(assembly.directory), control_tower=config.compliance.control_tower)
    except PlatformError as exc:
        # One clear message, no traceback.
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def exit_without_teardown(code: int) -> NoReturn:
    """End the process once the cloud assembly is written, without tearing the interpreter down.

    Freeing the objects of the ~35 aws_cdk modules one by one took 0.4-0.6 s after `main` returned (measured on
    a loaded 2-core machine; more than the synth phase), and `cdk synth` waits for it. The exit handlers still run
    first (the jsii kernel is stopped, temporary directories are removed) and the output is flushed; only the
    interpreter's own clean-up, which writes nothing, is skipped.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_without_teardown(main())

#!/usr/bin/env python3
"""The reference app: reads the platform config, builds the stacks, applies the compliance gate.

cdk synth                                # the `platform` config in cdk.json
cdk synth -c config=examples/multi-account.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.compliance_audit import check_acknowledgments
from sagemaker_platform.config import config_from_context
from sagemaker_platform.errors import PlatformError
from sagemaker_platform.platform_app import platform_app
from sagemaker_platform.stacks import build_platform


def main() -> int:
    app = platform_app()
    try:
        config = config_from_context(app.node.try_get_context)
        build_platform(app, config)
    except PlatformError as exc:
        # One clear message and nothing written: no traceback, no cloud assembly.
        print(f"error: {exc}", file=sys.stderr)
        return 1
    add_compliance_gate(app, control_tower=config.compliance.control_tower)
    assembly = app.synth()
    try:
        # An acknowledgment that hides nothing fails synth too, naming where it was made.
        check_acknowledgments(app, Path(assembly.directory), control_tower=config.compliance.control_tower)
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

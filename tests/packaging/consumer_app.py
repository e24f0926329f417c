"""A consumer's CDK app: what an application team writes after ``pip install sagemaker-platform``.

tests/packaging/test_wheel.py copies this file into a temporary folder outside the repository and runs
it with the Python of a clean virtual environment where only the built wheel (and its dependencies)
is installed, so every import and every Lambda handler must come from the installed package.

INTEGRATOR: this is the one place to extend when the Studio, registry and hosting constructs land:
add to `build_consumer_stack` a Studio domain, a model package group import with a grant
(e.g. ``ModelPackageGroup.from_...(...).grant_read(role)``) and an asynchronous endpoint.
For now it exercises `PlatformFunction`, whose handler code is located inside the installed package.
"""

from __future__ import annotations

import json
import sys

import aws_cdk as cdk
from aws_cdk import aws_kms as kms

import sagemaker_platform
from sagemaker_platform.assets import handler_dir
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.function import PlatformFunction, grant_logs_encrypt

HANDLER = "_canary"


def build_consumer_stack(app: cdk.App) -> cdk.Stack:
    """The consumer's stack: single constructs of the library in an application team's own app."""
    stack = cdk.Stack(app, "ConsumerStack")
    key = kms.Key(stack, "Key", enable_key_rotation=True, removal_policy=cdk.RemovalPolicy.RETAIN)
    grant_logs_encrypt(key)
    PlatformFunction(stack, "Canary", handler_name=HANDLER, key=key, description="consumer canary")
    return stack


def main() -> int:
    app = cdk.App()
    build_consumer_stack(app)
    add_compliance_gate(app)
    app.synth()
    # What the test checks: where the package and its handler code were found.
    print(
        json.dumps(
            {
                "package_file": sagemaker_platform.__file__,
                "version": sagemaker_platform.__version__,
                "handler_dir": str(handler_dir(HANDLER)),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

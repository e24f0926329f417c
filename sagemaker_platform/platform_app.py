"""`platform_app()`: the `cdk.App` that the reference app, the tests and the benchmarks synthesize into.

It turns off aws-cdk-lib's built-in CloudFormation validation plugin (`CloudFormationValidatePlugin`, a
WebAssembly rule engine). That plugin only warns (its errors are downgraded unless the
`@aws-cdk/core:validateAgainstDefaultRules` flag is set), while the test suite runs cfn-lint and checkov on
every synthesized template and fails on any finding; compiling and running its engine was the largest
single cost of `cdk synth` (about 45% of the Node side, see `make bench`). The compliance gate (cdk-nag,
`add_compliance_gate`) is a separate set of plugins and stays on.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk


def platform_app(outdir: str | None = None, context: dict[str, Any] | None = None) -> cdk.App:
    """A `cdk.App` writing to `outdir` (default: the CLI's, else `cdk.out`), without the built-in CFN validation.

    `context` adds context values (tests pass cdk.json's feature flags, as `cdk synth` does). Default: none.
    """
    return cdk.App(outdir=outdir, context=context, builtin_cloud_formation_validation=False)

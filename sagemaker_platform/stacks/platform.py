"""Builds every stack of the reference app from the platform config."""

from __future__ import annotations

import aws_cdk as cdk

from sagemaker_platform.config import PlatformConfig


def build_platform(app: cdk.App | cdk.Stage, config: PlatformConfig) -> dict[str, cdk.Stack]:
    """Add the stacks that `config` enables to `app`; returns them by capability key."""
    stacks: dict[str, cdk.Stack] = {}
    return stacks

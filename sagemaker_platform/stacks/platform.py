"""Builds every stack of the reference app from the platform config."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform.config import PlatformConfig
from sagemaker_platform.stacks.base import AccountRole
from sagemaker_platform.stacks.pipeline import build_pipeline_stack


def build_platform(
    scope: Construct, config: PlatformConfig, *, account: AccountRole | None = None
) -> dict[str, cdk.Stack]:
    """Add the stacks that `config` enables to `scope` (an App or a Stage); returns them by key.

    `account`: build only the stacks that live in that account role (one CDK Pipelines stage per
    account). Default: every stack. In the sandbox (no `accounts`) every stack is env-agnostic.
    """
    stacks: dict[str, cdk.Stack] = {}

    def wants(role: AccountRole) -> bool:
        return account is None or account == role

    # Delivery: with `pipeline` (multi-account only) the app holds just the pipeline stack; its stages
    # (one per account) hold every other stack, built by calling build_platform again with `account`.
    if config.pipeline is not None and account is None:
        stacks["pipeline"] = build_pipeline_stack(
            scope, config, lambda stage, role: build_platform(stage, config, account=role)
        )
        return stacks

    # Each capability adds its stacks below, guarded by `wants(<account role where they live>)`.
    return stacks

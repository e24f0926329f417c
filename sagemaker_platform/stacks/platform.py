"""Builds every stack of the reference app from the platform config."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform.config import PlatformConfig
from sagemaker_platform.stacks.base import AccountRole, stack_env, stack_name
from sagemaker_platform.stacks.studio import StudioStack


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

    # Each capability adds its stacks below, guarded by `wants(<account role where they live>)`.
    if config.studio is not None and wants("dev"):
        stacks["studio"] = StudioStack(
            scope,
            "Studio",
            config=config,
            studio=config.studio,
            env=stack_env(config, "dev"),
            stack_name=stack_name(config, "studio"),
        )
    return stacks

"""Builds every stack of the reference app from the platform config."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform.config import PlatformConfig
from sagemaker_platform.stacks.base import AccountRole, stack_env, stack_name
from sagemaker_platform.stacks.deploy import DeployStack, PipelineSchedulesStack, schedule_accounts


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

    if config.deploy is not None and wants("tooling"):
        name = stack_name(config, "deploy")
        stacks["deploy"] = DeployStack(scope, name, stack_name=name, env=stack_env(config, "tooling"), config=config)
    for role in schedule_accounts(config):
        if wants(role):
            name = stack_name(config, "schedules", role)
            stacks[f"schedules-{role}"] = PipelineSchedulesStack(
                scope, name, stack_name=name, env=stack_env(config, role), config=config, account=role
            )
    return stacks

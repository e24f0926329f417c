"""Builds every stack of the reference app from the platform config."""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform.config import PlatformConfig
from sagemaker_platform.stacks.base import AccountRole, stack_env, stack_name
from sagemaker_platform.stacks.deploy import DeployStack, PipelineSchedulesStack, schedule_accounts
from sagemaker_platform.stacks.gateway import GatewayStack
from sagemaker_platform.stacks.hosting import HostingStack
from sagemaker_platform.stacks.pipeline import build_pipeline_stack
from sagemaker_platform.stacks.registry import ModelEventsStack, RegistryStack, WorkloadAccessStack, workload_accounts
from sagemaker_platform.stacks.studio import StudioStack
from sagemaker_platform.stacks.tuning import TuningStack


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
    _add_registry_stacks(scope, config, stacks, wants)
    if config.endpoints:
        for stage in ("staging", "prod"):
            if wants(stage):
                stacks[f"hosting-{stage}"] = HostingStack(
                    scope,
                    stack_name(config, "hosting", stage),
                    stack_name=stack_name(config, "hosting", stage),
                    config=config,
                    stage=stage,
                    env=stack_env(config, stage),
                )
    if (config.tuning or config.tuning_launcher is not None) and wants("dev"):
        stacks["tuning"] = TuningStack(
            scope, "Tuning", config=config, env=stack_env(config, "dev"), stack_name=stack_name(config, "tuning")
        )
    if config.gateway is not None and wants("prod"):
        stacks["gateway"] = GatewayStack(
            scope, "Gateway", config=config, env=stack_env(config, "prod"), stack_name=stack_name(config, "gateway")
        )

    if config.deploy is not None and wants("tooling"):
        name = stack_name(config, "deploy")
        stacks["deploy"] = DeployStack(scope, name, stack_name=name, env=stack_env(config, "tooling"), config=config)
        if "model_events" in stacks:
            stacks["deploy"].add_stack_dependency(stacks["model_events"], "its rules live on the model-events bus")
    for role in schedule_accounts(config):
        if wants(role):
            name = stack_name(config, "schedules", role)
            stacks[f"schedules-{role}"] = PipelineSchedulesStack(
                scope, name, stack_name=name, env=stack_env(config, role), config=config, account=role
            )
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


def _add_registry_stacks(
    scope: Construct, config: PlatformConfig, stacks: dict[str, cdk.Stack], wants: Callable[[AccountRole], bool]
) -> None:
    """Model registry: workload access (dev, staging, prod), then the registry, then the tooling bus.

    The dependencies order deployment: the registry's policies and the bus policy name roles that must exist.
    """
    if config.registry is None:
        return
    workload: list[cdk.Stack] = []
    for label, roles in workload_accounts(config):
        # In the sandbox one account plays dev, staging and prod: one stack, built with the dev stage.
        home = roles[0]
        if wants(home):
            key = "workload_access" if config.is_sandbox else f"workload_access_{home}"
            stacks[key] = WorkloadAccessStack(
                scope,
                f"WorkloadAccess{'' if config.is_sandbox else label}",
                stack_name=stack_name(config, "workload-access", None if config.is_sandbox else home),
                env=stack_env(config, home),
                config=config,
                account_roles=roles,
            )
            workload.append(stacks[key])
    if wants("registry"):
        stacks["registry"] = RegistryStack(
            scope,
            "Registry",
            stack_name=stack_name(config, "registry"),
            env=stack_env(config, "registry"),
            config=config,
        )
        for stack in workload:
            stacks["registry"].add_stack_dependency(stack, "the registry's policies name the workload roles")
    if wants("tooling"):
        stacks["model_events"] = ModelEventsStack(
            scope,
            "ModelEvents",
            stack_name=stack_name(config, "model-events"),
            env=stack_env(config, "tooling"),
            config=config,
        )
        if "registry" in stacks:
            stacks["model_events"].add_stack_dependency(stacks["registry"], "the bus policy names the forwarder role")

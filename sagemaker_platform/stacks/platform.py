"""Builds every stack of the reference app from the platform config."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict, cast

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform.config import PlatformConfig
from sagemaker_platform.stacks.access_logs import AccessLogsStack
from sagemaker_platform.stacks.base import AccountRole, Phase, stack_env, stack_name
from sagemaker_platform.stacks.ci import CiStack, ImagesStack
from sagemaker_platform.stacks.deploy import DeployIdentityStack, DeployStack, PipelineSchedulesStack, schedule_accounts
from sagemaker_platform.stacks.gateway import GatewayStack
from sagemaker_platform.stacks.hosting import HostingStack
from sagemaker_platform.stacks.lifecycle import LifecycleStack, lifecycle_accounts
from sagemaker_platform.stacks.pipeline import build_pipeline_stack
from sagemaker_platform.stacks.registry import ModelEventsStack, RegistryStack, WorkloadAccessStack, workload_accounts
from sagemaker_platform.stacks.studio import StudioStack
from sagemaker_platform.stacks.tuning import TuningStack

# Deploy order (namer, creator, why): the first stack's policies name a role or bus that the second creates, and
# IAM, S3, KMS, SageMaker and EventBridge refuse a principal (or a rule on a bus) that does not exist yet.
# tests/test_deploy_order.py finds these edges in the templates and checks the sandbox and the pipeline.
DEPLOY_ORDER: tuple[tuple[str, str, str], ...] = (
    *(
        (workload, "deploy_identity", "the deploy role trusts <name>-deploy-pipeline")
        for workload in ("workload_access", "workload_access_staging", "workload_access_prod")
    ),
    *(
        (workload, "tuning", "the pipeline-step role trusts <name>-tuning-register")
        for workload in ("workload_access", "workload_access_dev")
    ),
    *(
        ("registry", creator, "the registry's policies name the workload and endpoint roles")
        for creator in (
            "workload_access",
            "workload_access_dev",
            "workload_access_staging",
            "workload_access_prod",
            "hosting-staging",
            "hosting-prod",
        )
    ),
    ("registry", "studio", "the registry's policies name the Studio persona roles"),
    ("tuning", "studio", "its persona policy attaches to the Studio persona roles by name"),
    ("model_events", "registry", "the bus policy names the forwarder role"),
    ("deploy", "model_events", "its rules live on the model-events bus"),
    ("deploy", "deploy_identity", "its endpoint step assumes <name>-deploy-pipeline"),
    *(
        (
            f"lifecycle{suffix}",
            f"workload_access{suffix}",
            "its policies attach to the pipeline-step and execution roles",
        )
        for suffix in ("", "_dev", "_staging", "_prod")
    ),
    *(
        (f"lifecycle{suffix}", "ci", "its CI pipeline-access role trusts the CI roles")
        for suffix in ("", "_dev", "_staging", "_prod")
    ),
    *(
        ("registry", f"lifecycle{suffix}", "the registry's policies name the lifecycle lookup roles")
        for suffix in ("", "_dev", "_staging", "_prod")
    ),
    *(
        (f"schedules-{role}", f"lifecycle{suffix}", "its schedules and rules start the lifecycle pipelines")
        for role in ("dev", "staging", "prod")
        for suffix in ("", f"_{role}")
    ),
)


def build_platform(
    scope: Construct,
    config: PlatformConfig,
    *,
    account: AccountRole | None = None,
    phase: Phase | None = None,
    _asked: set[tuple[AccountRole, Phase]] | None = None,
) -> dict[str, cdk.Stack]:
    """Add the stacks that `config` enables to `scope` (an App or a Stage); returns them by key.

    `account`: build only the stacks that live in that account role, and `phase`: only those of that phase
    (one CDK Pipelines stage each). Default: every stack. In the sandbox (no `accounts`) every stack is
    env-agnostic. Stacks of one scope depend on each other as `DEPLOY_ORDER` says; across stages, the
    pipeline's stage order (`pipeline.STAGE_ORDER`) keeps the same order. (`_asked`: see `planned_stages`.)
    """
    stacks: dict[str, cdk.Stack] = {}

    def wants(role: AccountRole, stack_phase: Phase = "resources") -> bool:
        if _asked is not None:  # planned_stages: record the question, build nothing
            _asked.add((role, stack_phase))
            return False
        return (account is None or account == role) and (phase is None or phase == stack_phase)

    # Delivery: with `pipeline` (multi-account only) the app holds just the pipeline stack; its stages
    # (one per account and phase) hold every other stack, built by calling build_platform again.
    if config.pipeline is not None and account is None and _asked is None:
        stacks["pipeline"] = build_pipeline_stack(
            scope,
            config,
            lambda stage, role, phase: build_platform(stage, config, account=role, phase=phase),
            has_stacks=planned_stages(config).__contains__,
        )
        return stacks

    if config.deploy is not None and config.deploy.state_machine and wants("tooling", "identities"):
        placement = _placement(config, "tooling", "deploy-identity")
        stacks["deploy_identity"] = DeployIdentityStack(scope, placement["stack_name"], **placement)

    # First: the stacks of its account may place their functions in its VPC (`network.functions`).
    if config.studio is not None and wants("dev"):
        stacks["studio"] = StudioStack(
            scope,
            "Studio",
            studio=config.studio,
            # Only the notebook sharing bucket logs access: no sharing, no dependency on the log stack.
            access_logs=_access_logs(scope, config, stacks, "dev") if config.studio.notebook_output_sharing else None,
            **_placement(config, "dev", "studio"),
        )
    # Each capability adds its stacks below, guarded by `wants(<account role where they live>)`.
    _add_ci_stacks(scope, config, stacks, wants)
    _add_registry_stacks(scope, config, stacks, wants)
    _add_workload_stacks(scope, config, stacks, wants)
    _add_delivery_stacks(scope, config, stacks, wants)
    for namer, creator, reason in DEPLOY_ORDER:
        if namer in stacks and creator in stacks:
            stacks[namer].add_stack_dependency(stacks[creator], reason)
    return stacks


class Placement(TypedDict):
    """Where a platform stack goes and what it reads: the props every stack of `build_platform` takes alike."""

    stack_name: str
    env: cdk.Environment | None
    config: PlatformConfig


def _placement(
    config: PlatformConfig, role: AccountRole, capability: str, qualifier: AccountRole | None = None
) -> Placement:
    """A stack of `capability` in `role`'s account, named by `stack_name` (passed even where the construct id is the
    same name, so that a pipeline stage does not prefix it)."""
    return Placement(stack_name=stack_name(config, capability, qualifier), env=stack_env(config, role), config=config)


def _access_logs(
    scope: Construct, config: PlatformConfig, stacks: dict[str, cdk.Stack], role: AccountRole
) -> AccessLogsStack:
    """The server access log stack of `role`'s account (the sandbox: its one account), made by its first user.

    Called only for a stack that is being built, so the log stack exists exactly where a bucket logs to it: in
    the same scope (a pipeline stage holds one account's stacks of one phase) as the stacks that depend on it.
    """
    key = "access_logs" if config.is_sandbox else f"access_logs_{role}"
    if key not in stacks:
        placement = _placement(config, role, "access-logs", None if config.is_sandbox else role)
        stacks[key] = AccessLogsStack(scope, placement["stack_name"], **placement)
    stack = stacks[key]
    assert isinstance(stack, AccessLogsStack)
    return stack


def planned_stages(config: PlatformConfig) -> set[tuple[AccountRole, Phase]]:
    """The (account role, phase) pairs that `build_platform` adds at least one stack for, building none.

    Every stack of `build_platform` is created right after a `wants(role, phase)` that returns True, and `wants`
    is asked only once the config enables that stack: recording the questions and answering no lists the stages.
    """
    asked: set[tuple[AccountRole, Phase]] = set()
    build_platform(cast(Construct, None), config, _asked=asked)  # no scope needed: nothing is built
    return asked


def _add_registry_stacks(
    scope: Construct, config: PlatformConfig, stacks: dict[str, cdk.Stack], wants: Callable[[AccountRole], bool]
) -> None:
    """Model registry: workload access (dev, staging, prod), the registry, the tooling bus (`DEPLOY_ORDER`)."""
    if config.registry is None:
        return
    for label, roles in workload_accounts(config):
        # In the sandbox one account plays dev, staging and prod: one stack, built with the dev stage.
        home = roles[0]
        if wants(home):
            key = "workload_access" if config.is_sandbox else f"workload_access_{home}"
            stacks[key] = WorkloadAccessStack(
                scope,
                f"WorkloadAccess{'' if config.is_sandbox else label}",
                account_roles=roles,
                **_placement(config, home, "workload-access", None if config.is_sandbox else home),
            )
    if wants("registry"):
        stacks["registry"] = RegistryStack(
            scope,
            "Registry",
            access_logs=_access_logs(scope, config, stacks, "registry"),
            **_placement(config, "registry", "registry"),
        )
    if wants("tooling"):
        stacks["model_events"] = ModelEventsStack(scope, "ModelEvents", **_placement(config, "tooling", "model-events"))


def _add_ci_stacks(
    scope: Construct, config: PlatformConfig, stacks: dict[str, cdk.Stack], wants: Callable[..., bool]
) -> None:
    """Bring your own code: the image repositories and the CI identities. Both name roles only by name, so they
    deploy first (tooling identities phase); repositories in the registry account deploy with its resources."""
    if config.images is not None:
        home = config.images.account
        if wants(home, "identities" if home == "tooling" else "resources"):
            placement = _placement(config, home, "images")
            stacks["images"] = ImagesStack(scope, placement["stack_name"], **placement)
    if config.ci is not None and wants("tooling", "identities"):
        placement = _placement(config, "tooling", "ci")
        stacks["ci"] = CiStack(scope, placement["stack_name"], **placement)


def _add_workload_stacks(
    scope: Construct, config: PlatformConfig, stacks: dict[str, cdk.Stack], wants: Callable[[AccountRole], bool]
) -> None:
    """The workload accounts' capabilities: hosting (staging, prod), tuning (dev), the gateway (prod)."""
    if config.endpoints:
        for stage in ("staging", "prod"):
            if wants(stage):
                placement = _placement(config, stage, "hosting", stage)
                stacks[f"hosting-{stage}"] = HostingStack(
                    scope,
                    placement["stack_name"],
                    stage=stage,
                    access_logs=_access_logs(scope, config, stacks, stage),
                    **placement,
                )
    if (config.tuning or config.tuning_launcher is not None) and wants("dev"):
        stacks["tuning"] = TuningStack(
            scope,
            "Tuning",
            access_logs=_access_logs(scope, config, stacks, "dev"),
            **_placement(config, "dev", "tuning"),
        )
    if config.gateway is not None and wants("prod"):
        stacks["gateway"] = GatewayStack(
            scope,
            "Gateway",
            access_logs=_access_logs(scope, config, stacks, "prod"),
            **_placement(config, "prod", "gateway"),
        )


def _add_delivery_stacks(
    scope: Construct, config: PlatformConfig, stacks: dict[str, cdk.Stack], wants: Callable[[AccountRole], bool]
) -> None:
    """What moves models along: the deploy pipeline (tooling), pipeline schedules and lifecycle pipelines."""
    if config.deploy is not None and wants("tooling"):
        placement = _placement(config, "tooling", "deploy")
        stacks["deploy"] = DeployStack(scope, placement["stack_name"], **placement)
    for role in schedule_accounts(config):
        if wants(role):
            placement = _placement(config, role, "schedules", role)
            stacks[f"schedules-{role}"] = PipelineSchedulesStack(
                scope, placement["stack_name"], account=role, **placement
            )
    for role in lifecycle_accounts(config):
        if wants(role):
            key = "lifecycle" if config.is_sandbox else f"lifecycle_{role}"
            placement = _placement(config, role, "lifecycle", None if config.is_sandbox else role)
            stacks[key] = LifecycleStack(
                scope,
                placement["stack_name"],
                account=role,
                access_logs=_access_logs(scope, config, stacks, role),
                **placement,
            )

"""The model registry's stacks: `RegistryStack` (registry account), `WorkloadAccessStack` (each workload
account; one in the sandbox) and `ModelEventsStack` (tooling account).

They name each other's roles and bus by `naming`, never by exports, so each synthesizes (with no AWS
credentials) and deploys in its own account. Deploy order, because IAM, S3, KMS and EventBridge check
that a named role exists: workload access (dev, staging, prod), then registry, then model events.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.config import PlatformConfig, RegistryConfig, WorkloadAccountRole
from sagemaker_platform.constructs.registry import READ_ACTIONS, ModelEventsBus, ModelRegistry, RegistryAccess
from sagemaker_platform.constructs.workload_access import RegistryLocation, WorkloadAccess
from sagemaker_platform.stacks.base import AccountRole, tag_platform
from sagemaker_platform.stacks.lifecycle import lifecycle_accounts

CAPABILITY = "registry"


def account_of(config: PlatformConfig, role: AccountRole) -> str:
    """The account id of `role`, or the deploying account (`AWS::AccountId`) in the sandbox."""
    return cdk.Aws.ACCOUNT_ID if config.accounts is None else getattr(config.accounts, role)


def _registry_config(config: PlatformConfig) -> RegistryConfig:
    if config.registry is None:
        raise ValueError("the registry stacks need the `registry` config section")
    return config.registry


def _region(config: PlatformConfig) -> str:
    return cdk.Aws.REGION if config.accounts is None else config.region


class RegistryStack(cdk.Stack):
    """Registry account: the model package groups, the artifacts bucket and key, approval forwarding,
    and the resource-side access of every workload role and approver."""

    def __init__(self, scope: Construct, id: str, *, config: PlatformConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, description=f"{config.name}: central model registry", **kwargs)
        registry = _registry_config(config)
        tag_platform(self, config, CAPABILITY)
        tooling = account_of(config, "tooling")
        self.registry = ModelRegistry(
            self,
            "Registry",
            platform_name=config.name,
            model_package_groups=registry.model_package_groups,
            events_bus_arn=naming.event_bus_arn(
                self.partition, _region(config), tooling, naming.model_events_bus_name(config.name)
            ),
            forward_rejected=rejection_groups(config),
            organization_id=config.organization_id,
        )
        for label, roles in workload_accounts(config):
            access = workload_access_levels(config, roles)
            account = account_of(config, roles[0])
            for role_label, level in access.items():
                role_name = _ROLE_NAMES[role_label](config.name)
                role = iam.Role.from_role_arn(
                    self,
                    f"{label}{role_label}Role",
                    naming.role_arn(self.partition, account, role_name),
                    mutable=False,
                )
                self.registry.add_access(role, level)
        for label, account, role_name, level in extra_registry_roles(config):
            role = iam.Role.from_role_arn(
                self, f"{label}Role", naming.role_arn(self.partition, account, role_name), mutable=False
            )
            self.registry.add_access(role, level)
        # The lifecycle pipelines' lookup functions list and describe versions; no artifacts, so group policies only.
        for lifecycle_role in lifecycle_accounts(config):
            lookup = iam.Role.from_role_arn(
                self,
                f"LifecycleLookup{lifecycle_role.capitalize()}Role",
                naming.role_arn(
                    self.partition, account_of(config, lifecycle_role), naming.lifecycle_lookup_role_name(config.name)
                ),
                mutable=False,
            )
            for group in self.registry.groups.values():
                group.add_to_resource_policy(group.allow(lookup, READ_ACTIONS))


def rejection_groups(config: PlatformConfig) -> list[str]:
    """Groups whose Rejected versions the tooling account's deploy pipeline stops and rolls back."""
    deploy = config.deploy
    if deploy is None or not deploy.state_machine:
        return []  # without the state machine nothing listens for rejections
    return [group.model_package_group for group in deploy.groups]


class WorkloadAccessStack(cdk.Stack):
    """A workload account's registry roles: execution, pipeline-step and (staging, prod) deploy."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PlatformConfig,
        account_roles: tuple[WorkloadAccountRole, ...],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope, id, description=f"{config.name}: registry access of {', '.join(account_roles)}", **kwargs
        )
        registry = _registry_config(config)
        tag_platform(self, config, CAPABILITY)
        levels = workload_access_levels(config, account_roles)
        self.access = WorkloadAccess(
            self,
            "Access",
            platform_name=config.name,
            registry=RegistryLocation(
                platform_name=config.name,
                account=account_of(config, "registry"),
                region=_region(config),
                model_package_groups=registry.model_package_groups,
            ),
            registers=levels["PipelineStep"] is RegistryAccess.REGISTER,
            deploys="Deploy" in levels,
            tooling_account=account_of(config, "tooling"),
            trust_tuning_register="dev" in account_roles,
            batch_inference=levels["PipelineStep"] is RegistryAccess.DEPLOY,
            organization_id=config.organization_id,
            deploy_stages=[stage for stage in naming.STAGES if stage in account_roles],
            # Only the endpoints the deploy pipeline owns (deploy groups), not those CloudFormation manages.
            deployed_endpoints=[
                naming.endpoint_name(config.name, endpoint, stage)
                for group in (config.deploy.groups if config.deploy is not None else ())
                for endpoint in group.endpoints
                for stage in naming.STAGES
                if stage in account_roles
            ],
        )


class ModelEventsStack(cdk.Stack):
    """Tooling account: the bus that receives the registry's approval events."""

    def __init__(self, scope: Construct, id: str, *, config: PlatformConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, description=f"{config.name}: model package events from the registry", **kwargs)
        _registry_config(config)
        tag_platform(self, config, CAPABILITY)
        self.bus = ModelEventsBus(
            self,
            "ModelEvents",
            event_bus_name=naming.model_events_bus_name(config.name),
            forwarder_role_arn=naming.role_arn(
                self.partition, account_of(config, "registry"), naming.model_events_forwarder_role_name(config.name)
            ),
            organization_id=config.organization_id,
        )


_ROLE_NAMES = {
    "Execution": naming.sagemaker_execution_role_name,
    "PipelineStep": naming.pipeline_step_role_name,
    "Deploy": naming.deploy_role_name,
}


def workload_access_levels(
    config: PlatformConfig, account_roles: tuple[WorkloadAccountRole, ...]
) -> dict[str, RegistryAccess]:
    """Registry access of each role of the account playing `account_roles` (one, or all three in the sandbox)."""
    registry = _registry_config(config)
    registers = any(role in registry.register_from for role in account_roles)
    levels = {
        "Execution": RegistryAccess.WRITE if registers else RegistryAccess.READ,
        "PipelineStep": RegistryAccess.REGISTER if registers else RegistryAccess.READ,
    }
    if any(role in ("staging", "prod") for role in account_roles):
        levels["Deploy"] = RegistryAccess.DEPLOY
    # A batch inference pipeline's Model step creates a SageMaker model from a registry version as this role.
    batch_accounts = set() if config.lifecycle is None else {entry.account for entry in config.lifecycle.batch}
    if not registers and any(role in batch_accounts for role in account_roles):
        levels["PipelineStep"] = RegistryAccess.DEPLOY
    return levels


def extra_registry_roles(config: PlatformConfig) -> list[tuple[str, str, str, RegistryAccess]]:
    """(label, account, role name, access) of the roles beyond the workload roles: approvers, readers, and the
    execution role of every endpoint deployed from a registry group in staging and prod."""
    registry = _registry_config(config)
    roles = [
        (f"Approver{index}", account_of(config, entry.account), entry.role_name, RegistryAccess.APPROVE)
        for index, entry in enumerate(registry.approvers)
    ]
    roles += [
        (f"Reader{index}", account_of(config, entry.account), entry.role_name, RegistryAccess.READ)
        for index, entry in enumerate(registry.readers)
    ]

    # Each stage's hosting stack creates its own role (`naming.endpoint_role_name` carries the stage), in the
    # stage's account: both roles are granted, also in the sandbox where both stages share the one account.
    for endpoint in endpoint_roles_from_registry(config):
        for stage in naming.STAGES:
            label = f"{stage.capitalize()}Endpoint{''.join(p.capitalize() for p in endpoint.split('-'))}"
            role_name = naming.endpoint_role_name(config.name, endpoint, stage)
            roles.append((label, account_of(config, stage), role_name, RegistryAccess.READ))
    return roles


def endpoint_roles_from_registry(config: PlatformConfig) -> list[str]:
    """Names of the `endpoints` entries deployed from a model package group (their models read the artifacts).

    Read from the `endpoints` section when the config has one (the hosting capability's), by the fields
    the architecture fixes: `name` and `model_package_group`.
    """
    endpoints = getattr(config, "endpoints", None) or ()
    return [str(endpoint.name) for endpoint in endpoints if getattr(endpoint, "model_package_group", None) is not None]


def workload_accounts(config: PlatformConfig) -> list[tuple[str, tuple[WorkloadAccountRole, ...]]]:
    """(label, account roles) of each workload account: dev, staging, prod; one `Workload` in the sandbox."""
    if config.accounts is None:
        return [("Workload", ("dev", "staging", "prod"))]
    return [("Dev", ("dev",)), ("Staging", ("staging",)), ("Prod", ("prod",))]

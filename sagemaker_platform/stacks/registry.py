"""The model registry's stacks: `RegistryStack` (registry account), `WorkloadAccessStack` (each workload
account; one in the sandbox) and `ModelEventsStack` (tooling account).

They name each other's roles and bus by `naming`, never by exports, so each synthesizes (with no AWS
credentials) and deploys in its own account. Deploy order, because IAM, S3, KMS and EventBridge check
that a named role exists: workload access (dev, staging, prod), then registry, then model events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.config import PlatformConfig, RegistryConfig, WorkloadAccountRole
from sagemaker_platform.constructs.registry import (
    READ_ACTIONS,
    ModelEventsBus,
    ModelRegistry,
    RegistryAccess,
    WorkloadAccess,
)
from sagemaker_platform.stacks.access_logs import shared_access_logs
from sagemaker_platform.stacks.base import AccountRole, CapabilityStack, RegistryHome, tag_platform
from sagemaker_platform.stacks.lifecycle import lifecycle_accounts
from sagemaker_platform.stacks.studio_personas import studio_personas_in_use

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


class RegistryStack(CapabilityStack):
    """Registry account: the model package groups, the artifacts bucket and key, approval forwarding,
    and the resource-side access of every workload role and approver."""

    capability = CAPABILITY

    def _description(self, config: PlatformConfig) -> str:
        return f"{config.name}: central model registry"

    def _build(self, config: PlatformConfig) -> None:
        registry = _registry_config(config)
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
            access_logs=shared_access_logs(self, self.access_logs),
        )
        self._grant_workload_roles(config)
        self._grant_model_creators(config)
        self._grant_lifecycle_lookups(config)

    def _grant_workload_roles(self, config: PlatformConfig) -> None:
        """Resource-side access of each workload account's roles, and of the extra roles the config names."""
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
        for grantee in extra_registry_roles(config):
            role = iam.Role.from_role_arn(
                self,
                f"{grantee.label}Role",
                naming.role_arn(self.partition, grantee.account, grantee.role_name),
                mutable=False,
            )
            self.registry.add_access(role, grantee.access, groups=grantee.groups)

    def _grant_model_creators(self, config: PlatformConfig) -> None:
        for stage, groups in pinned_model_creators(config).items():
            # CloudFormation creates the pinned version's model in the stage's hosting stack, as the CDK bootstrap
            # execution role of that account: the caller of CreateModel needs the group's policy (another account).
            account = account_of(config, stage)
            self.registry.add_model_creator(
                iam.ArnPrincipal(cloudformation_execution_role_arn(self.partition, account, _region(config))),
                groups=groups,
            )

    def _grant_lifecycle_lookups(self, config: PlatformConfig) -> None:
        """The lifecycle pipelines' lookup functions list and describe versions; no artifacts, so group policies
        only."""
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
            registry=RegistryHome.of(config).location(config.name, registry.model_package_groups),
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
                self.partition, RegistryHome.of(config).account, naming.model_events_forwarder_role_name(config.name)
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


@dataclass(frozen=True)
class RegistryGrantee:
    """A role beyond the workload roles that the registry grants: who, where, at what level, on which groups."""

    label: str
    account: str
    role_name: str
    access: RegistryAccess
    groups: tuple[str, ...] | None = None
    """Default: every group of the registry."""


def extra_registry_roles(config: PlatformConfig) -> list[RegistryGrantee]:
    """The roles beyond the workload roles: approvers, readers, the Studio persona roles (dev), and the
    execution role of every endpoint fed by a registry group (a group, or a version pinned in one), in
    staging and prod, on that endpoint's group only."""
    registry = _registry_config(config)
    roles = [
        RegistryGrantee(f"Approver{index}", account_of(config, entry.account), entry.role_name, RegistryAccess.APPROVE)
        for index, entry in enumerate(registry.approvers)
    ]
    roles += [
        RegistryGrantee(f"Reader{index}", account_of(config, entry.account), entry.role_name, RegistryAccess.READ)
        for index, entry in enumerate(registry.readers)
    ]
    roles += studio_persona_grantees(config)
    # Each stage's hosting stack creates its own role (`naming.endpoint_role_name` carries the stage), in the
    # stage's account: both roles are granted, also in the sandbox where both stages share the one account.
    for endpoint, group in endpoint_roles_from_registry(config):
        for stage in naming.STAGES:
            label = f"{stage.capitalize()}Endpoint{''.join(p.capitalize() for p in endpoint.split('-'))}"
            role_name = naming.endpoint_role_name(config.name, endpoint, stage)
            roles.append(RegistryGrantee(label, account_of(config, stage), role_name, RegistryAccess.READ, (group,)))
    return roles


def studio_persona_grantees(config: PlatformConfig) -> list[RegistryGrantee]:
    """The Studio persona roles of the dev account: data scientists register versions (PendingManualApproval)
    when dev registers, else read; approvers may also approve or reject."""
    if config.studio is None:
        return []
    registry = _registry_config(config)
    dev = account_of(config, "dev")
    registers = "dev" in registry.register_from
    grantees = []
    for persona in studio_personas_in_use(config):
        label = "Studio" + "".join(part.capitalize() for part in persona.split("-"))
        role_name = naming.studio_persona_role_name(config.name, persona)
        grantees.append(
            RegistryGrantee(label, dev, role_name, RegistryAccess.REGISTER if registers else RegistryAccess.READ)
        )
        if persona == "approver":
            grantees.append(RegistryGrantee(f"{label}Approve", dev, role_name, RegistryAccess.APPROVE))
    return grantees


def endpoint_roles_from_registry(config: PlatformConfig) -> list[tuple[str, str]]:
    """(name, group) of the `endpoints` entries fed by a registry group: deployed from the group by the deploy
    pipeline, or pinned to one of its versions (`PlatformConfig.registry_group_of`)."""
    endpoints = getattr(config, "endpoints", None) or ()
    found = []
    for endpoint in endpoints:
        group = config.registry_group_of(endpoint)
        if group is not None:
            found.append((str(endpoint.name), group))
    return found


def pinned_model_creators(config: PlatformConfig) -> dict[naming.Stage, tuple[str, ...]]:
    """Stage -> the registry groups whose pinned versions that stage's hosting stack creates models from, for
    stages in another account than the registry (in one account, the caller's own policy suffices)."""
    if config.accounts is None:
        return {}
    groups = sorted(
        {
            group
            for endpoint in config.endpoints
            if endpoint.model_package_arn is not None
            for group in [config.registry_group_of(endpoint)]
            if group is not None
        }
    )
    return {stage: tuple(groups) for stage in naming.STAGES} if groups else {}


def cloudformation_execution_role_arn(partition: str, account: str, region: str) -> str:
    """The CDK bootstrap's CloudFormation execution role (default qualifier) of `account` in `region`."""
    qualifier = cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    return naming.role_arn(partition, account, f"cdk-{qualifier}-cfn-exec-role-{account}-{region}")


def workload_accounts(config: PlatformConfig) -> list[tuple[str, tuple[WorkloadAccountRole, ...]]]:
    """(label, account roles) of each workload account: dev, staging, prod; one `Workload` in the sandbox."""
    if config.accounts is None:
        return [("Workload", ("dev", "staging", "prod"))]
    return [("Dev", ("dev",)), ("Staging", ("staging",)), ("Prod", ("prod",))]

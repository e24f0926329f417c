"""`grant_groups`: the identity side of a role's access to model package groups (and their artifacts).

A `PlatformRole` gets the statements through the policies its stack's roles share (`SharedPolicies`): one for
the versions part of its access level (`RegistryRead<n>`, also WRITE's; `RegistryRegister`, `RegistryApprove`,
`RegistryDeploy`) and one for the artifacts (`RegistryArtifactsRead<n>`, `RegistryArtifactsWrite<n>`); any other
grantee in its own identity policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.constructs.registry.access import (
    GROUP_ACTIONS,
    REGISTER_ACTIONS,
    REGISTER_CONDITIONS,
    RegistryAccess,
)
from sagemaker_platform.constructs.registry.artifacts import AccessStatement, add_access_statements, artifact_statements
from sagemaker_platform.constructs.registry.policies import acknowledge_wildcard_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.shared_policies import SharedPolicies, SharedStatement
from sagemaker_platform.errors import PropsError

if TYPE_CHECKING:
    from sagemaker_platform.constructs.registry.group import IModelPackageGroup


def grant_groups(grantee: iam.IGrantable, groups: Sequence[IModelPackageGroup], access: RegistryAccess) -> iam.Grant:
    """Identity-side grant of `access` on several groups at once (and their artifacts, when known).

    One statement per set of actions with every group's ARNs in it, so that a role with access to many
    groups stays within its managed policy quota. The groups' resource policies are their owner's
    (`ModelPackageGroup` adds to its own; `ModelRegistry.add_access`).

    A `PlatformRole` gets the statements through the managed policies its stack's roles share
    (`SharedPolicies`): the roles with the same access to the same groups attach one policy, whose wildcards a
    reviewer then reads once.
    """
    if not groups:
        raise PropsError("grant_groups", ["groups=[]: give at least one model package group"])
    principal = grantee.grant_principal
    names = [group.model_package_group_name for group in groups]
    if isinstance(principal, PlatformRole):
        shared = SharedPolicies.of(principal)
        grants = [
            shared.attach(
                principal,
                name,
                [SharedStatement(item.statement, item.reason if item.wildcards else None) for item in statements],
                f"{name} (model registry groups {', '.join(names)})",
            )
            for name, statements in _shared_sets(groups, access, cdk.Stack.of(shared).account)
        ]
        grant = grants[0] if len(grants) == 1 else grants[0].combine(grants[1])
    else:
        account = cdk.Stack.of(grantee).account if isinstance(grantee, Construct) else None
        grant = add_access_statements(grantee, group_statements(groups, access, account))
    if access is RegistryAccess.DEPLOY:
        repositories = [repository for group in groups for repository in group.image_repositories]
        for repository in repositories:
            repository.grant_pull(grantee)
        if repositories:
            acknowledge_wildcard_resources(
                grantee,
                ["*"],
                "ecr:GetAuthorizationToken supports no resource-level permissions; the image pulls are granted "
                "on the named repositories only",
            )
    return grant


def group_statements(
    groups: Sequence[IModelPackageGroup], access: RegistryAccess, grantee_account: str | None
) -> list[AccessStatement]:
    """The identity statements of `access` on `groups` for a grantee of `grantee_account` (None: imported), the
    ECR pulls of DEPLOY aside: the group actions on the groups and their versions, then the artifacts."""
    return _version_statements(groups, access) + _artifact_part(groups, access, grantee_account)


def _version_statements(groups: Sequence[IModelPackageGroup], access: RegistryAccess) -> list[AccessStatement]:
    resources = [arn for group in groups for arn in (group.model_package_group_arn, *group.model_package_arns)]
    versions = tuple(arn for group in groups for arn in group.model_package_arns)
    reason = (
        "versions of a model package group get their numbers from SageMaker at registration; the grant covers "
        "the named groups' versions only"
    )
    statements = [
        AccessStatement(iam.PolicyStatement(actions=list(GROUP_ACTIONS[access]), resources=resources), versions, reason)
    ]
    if access is RegistryAccess.REGISTER:
        statements.append(
            AccessStatement(
                iam.PolicyStatement(
                    actions=list(REGISTER_ACTIONS), resources=resources, conditions=REGISTER_CONDITIONS
                ),
                versions,
                reason,
            )
        )
    return statements


def _artifact_part(
    groups: Sequence[IModelPackageGroup], access: RegistryAccess, grantee_account: str | None
) -> list[AccessStatement]:
    artifacts = [group.artifacts for group in groups if group.artifacts is not None]
    if access is RegistryAccess.APPROVE or not artifacts:
        return []
    return artifact_statements(artifacts, grantee_account, read=True, write=access.writes_artifacts)


def _shared_sets(
    groups: Sequence[IModelPackageGroup], access: RegistryAccess, account: str
) -> list[tuple[str, list[AccessStatement]]]:
    """`group_statements` as the (name, statements) sets that roles of a stack share: the versions part (WRITE's
    is READ's: the same actions) and the artifacts part (read, or read and write), each in a policy of its own,
    so that e.g. a deploying and a registering role of one stack share the artifacts they both read."""
    version_level = RegistryAccess.READ if access is RegistryAccess.WRITE else access
    sets = [(f"Registry{version_level.name.title()}", _version_statements(groups, version_level))]
    artifacts = _artifact_part(groups, access, account)
    if artifacts:
        sets.append(("RegistryArtifactsWrite" if access.writes_artifacts else "RegistryArtifactsRead", artifacts))
    return sets

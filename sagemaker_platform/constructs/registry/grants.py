"""`grant_groups`: the identity side of a role's access to model package groups (and their artifacts).

A `PlatformRole` gets the statements through the policies its stack's roles share (`RegistryAccessPolicies`);
any other grantee in its own identity policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.constructs.registry.access import (
    DEPLOY_ACTIONS,
    GROUP_ACTIONS,
    REGISTER_ACTIONS,
    REGISTER_CONDITIONS,
    RegistryAccess,
)
from sagemaker_platform.constructs.registry.artifacts import AccessStatement, add_access_statements, artifact_statements
from sagemaker_platform.constructs.registry.policies import acknowledge_wildcard_resources
from sagemaker_platform.constructs.registry.shared_policies import RegistryAccessPolicies
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.errors import PropsError

if TYPE_CHECKING:
    from sagemaker_platform.constructs.registry.group import IModelPackageGroup


def grant_groups(grantee: iam.IGrantable, groups: Sequence[IModelPackageGroup], access: RegistryAccess) -> iam.Grant:
    """Identity-side grant of `access` on several groups at once (and their artifacts, when known).

    One statement per set of actions with every group's ARNs in it, so that a role with access to many
    groups stays within its managed policy quota. The groups' resource policies are their owner's
    (`ModelPackageGroup` adds to its own; `ModelRegistry.add_access`).

    A `PlatformRole` gets the statements through the managed policies its stack's roles share
    (`RegistryAccessPolicies`): the roles with the same access to the same groups attach one policy, whose
    wildcards a reviewer then reads once.
    """
    if not groups:
        raise PropsError("grant_groups", ["groups=[]: give at least one model package group"])
    principal = grantee.grant_principal
    if isinstance(principal, PlatformRole):
        shared = RegistryAccessPolicies.of(principal)
        held = [
            pair
            for level, statements in _shared_sets(groups, access, cdk.Stack.of(shared).account)
            for pair in shared.attach(principal, level, statements)
        ]
        grant = principal.grant_held_by(*held[0])
        for policy, statement in held[1:]:
            grant = grant.combine(principal.grant_held_by(policy, statement))
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
    artifacts = [group.artifacts for group in groups if group.artifacts is not None]
    if access is not RegistryAccess.APPROVE and artifacts:
        statements += artifact_statements(artifacts, grantee_account, read=True, write=access.writes_artifacts)
    return statements


def _shared_sets(
    groups: Sequence[IModelPackageGroup], access: RegistryAccess, account: str
) -> list[tuple[RegistryAccess, list[AccessStatement]]]:
    """`group_statements` split into the sets roles share: DEPLOY is READ's statements (which the stack's
    readers share) and CreateModel on the groups alone."""
    if access is not RegistryAccess.DEPLOY:
        return [(access, group_statements(groups, access, account))]
    resources = [arn for group in groups for arn in (group.model_package_group_arn, *group.model_package_arns)]
    create_model = AccessStatement(
        iam.PolicyStatement(actions=list(DEPLOY_ACTIONS), resources=resources),
        tuple(arn for group in groups for arn in group.model_package_arns),
        "CreateModel from versions of the named groups, whose numbers SageMaker gives at registration",
    )
    return [(RegistryAccess.READ, group_statements(groups, RegistryAccess.READ, account)), (access, [create_model])]

"""The deploy pipeline role: the one principal the staging and prod deploy roles trust.

`DeployPipelineRole` is the stand-alone role (its own stack, deployed first); `render_pipeline_role` is the
same role created inside a `DeployPipeline` that is given none (the single-account sandbox).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.deploy.grants import assume_roles_statement
from sagemaker_platform.constructs.roles import PlatformRole

PIPELINE_ROLE_DESCRIPTION = "Deploy pipeline tasks: assumes the staging and prod deploy roles, nothing else"
PIPELINE_ROLE_SESSION = cdk.Duration.hours(1)


class DeployPipelineRole(PlatformRole):
    """The role named `naming.deploy_pipeline_role_name`: the only principal the stages' deploy roles trust.

    It may only assume those deploy roles, and only the deploy pipeline's endpoint step (the role named
    `naming.deploy_endpoint_step_role_name` in this account) may assume it. It lives in a stack of its own
    (`DeployIdentityStack`) deployed before everything else: the staging and prod deploy roles name it in their
    trust policies, and IAM refuses a principal that does not exist yet. For the same reason it trusts the
    endpoint step by `aws:PrincipalArn`, not by a role principal: that role is created later, with the pipeline.

    Example::

        DeployPipelineRole(self, "PipelineRole", platform_name="mlplatform",
                           deploy_role_arns=[staging_deploy_role_arn, prod_deploy_role_arn])

    :param platform_name: prefix of names (`PlatformConfig.name`).
    :param deploy_role_arns: ARNs of the staging and prod deploy roles.
    """

    def __init__(self, scope: Construct, id: str, *, platform_name: str, deploy_role_arns: Sequence[str]) -> None:
        stack = cdk.Stack.of(scope)
        caller = naming.role_arn(stack.partition, stack.account, naming.deploy_endpoint_step_role_name(platform_name))
        super().__init__(
            scope,
            id,
            role_name=naming.deploy_pipeline_role_name(platform_name),
            assumed_by=iam.AccountPrincipal(stack.account).with_conditions({"ArnEquals": {"aws:PrincipalArn": caller}}),
            description=PIPELINE_ROLE_DESCRIPTION,
            max_session_duration=PIPELINE_ROLE_SESSION,
        )
        self.add_to_principal_policy(assume_roles_statement(sorted(set(deploy_role_arns))))


def render_pipeline_role(
    scope: Construct, platform_name: str, endpoint_step_role: iam.IRole, deploy_role_arns: Sequence[str]
) -> PlatformRole:
    """`PipelineRole`: the named role the stage deploy roles trust, assumed by the endpoint step's role only."""
    role = PlatformRole(
        scope,
        "PipelineRole",
        role_name=naming.deploy_pipeline_role_name(platform_name),
        assumed_by=iam.ArnPrincipal(endpoint_step_role.role_arn),
        description=PIPELINE_ROLE_DESCRIPTION,
        max_session_duration=PIPELINE_ROLE_SESSION,
    )
    role.add_to_principal_policy(assume_roles_statement(sorted(set(deploy_role_arns))))
    return role

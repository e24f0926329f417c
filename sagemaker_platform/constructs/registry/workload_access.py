"""`WorkloadAccess`: the fixed-name roles of a workload account (dev, staging, prod) that reach the registry.

- `<name>-sagemaker-execution` (trusted by SageMaker): training, processing and model jobs; reads the
  registry's groups and artifacts, and writes artifacts in an account that registers.
- `<name>-pipeline-step` (trusted by SageMaker and, in the dev account, by `<name>-tuning-register`):
  registers versions (PendingManualApproval only) in an account that registers, else reads; passes the
  execution role to SageMaker jobs.
- `<name>-deploy` (staging and prod; trusted only by the tooling account's `<name>-deploy-pipeline`):
  creates, updates, describes and deletes models, endpoint configs and endpoints named `<name>-*`,
  manages their autoscaling (targets, policies and the alarms of step policies), passes the
  `<name>-endpoint-*` roles to SageMaker, reads SSM parameters under `/<name>/`, and deploys the
  registry's versions (describe, CreateModel, read and decrypt the artifacts).

Names come from `naming`, so the registry account's policies name these roles without exports.
The registry side of each grant (group, bucket and key policies) is `ModelRegistry.add_access`; the deploy role's
own statements are in `deploy_role`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.registry.access import RegistryAccess
from sagemaker_platform.constructs.registry.artifacts import ModelArtifacts
from sagemaker_platform.constructs.registry.deploy_role import SAGEMAKER_PRINCIPAL, render_deploy_role
from sagemaker_platform.constructs.registry.grants import grant_groups
from sagemaker_platform.constructs.registry.group import IModelPackageGroup, ModelPackageGroup
from sagemaker_platform.constructs.registry.policies import acknowledge_wildcard_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.errors import PropsError

JOB_LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


@dataclass(frozen=True)
class RegistryLocation:
    """Where the central registry is: everything a workload account needs to name it without exports.

    :param platform_name: the platform's name prefix.
    :param account: the registry account.
    :param region: the registry's region.
    :param model_package_groups: the registry's group names.
    """

    platform_name: str
    account: str
    region: str
    model_package_groups: tuple[str, ...]

    @property
    def bucket_name(self) -> str:
        """The registry's model artifacts bucket (`naming.model_artifacts_bucket_name`)."""
        return naming.model_artifacts_bucket_name(self.platform_name, self.account, self.region)

    def groups(self, scope: Construct) -> list[IModelPackageGroup]:
        """The registry's groups, imported into `scope` with their artifacts location (bucket prefix, key alias)."""
        bucket = s3.Bucket.from_bucket_attributes(
            scope, "RegistryArtifacts", bucket_name=self.bucket_name, account=self.account, region=self.region
        )
        return [
            ModelPackageGroup.from_model_package_group_name(
                scope,
                f"RegistryGroup{index}",
                name,
                account=self.account,
                region=self.region,
                artifacts=ModelArtifacts(
                    bucket=bucket,
                    prefix=f"{name}/",
                    key_alias=naming.model_artifacts_key_alias(self.platform_name),
                    key_account=self.account,
                    key_region=self.region,
                    key_policy_only=True,
                ),
            )
            for index, name in enumerate(self.model_package_groups)
        ]


class WorkloadAccess(Construct):
    """The registry roles of one workload account (or, in the sandbox, of the one account).

    :param platform_name: the platform's name prefix (role names from `naming`).
    :param registry: the central registry.
    :param registers: the account registers versions and writes artifacts (`registry.register_from`).
    :param deploys: create the deploy role (staging and prod).
    :param tooling_account: the account of `<name>-deploy-pipeline`, the deploy role's only trusted principal.
        Required when `deploys`.
    :param trust_tuning_register: the pipeline-step role also trusts this account's `<name>-tuning-register`
        role (the dev account).
    :param batch_inference: the pipeline-step role creates SageMaker models from registry versions (a batch
        inference pipeline's Model step), in an account that does not register. Default: False.
    :param organization_id: ``aws:PrincipalOrgID`` on the cross-account trust. Default: none.
    :param deploy_stages: the stages whose endpoints the deploy role deploys in this account (staging, prod;
        both in the sandbox): it may use their hosting keys (`naming.hosting_key_alias`) for SageMaker.
        Default: none.
    :param deployed_endpoints: names of the SageMaker endpoints the deploy pipeline owns in this account
        (`naming.endpoint_name` of each deploy group's endpoints and stage): the deploy role may update, delete
        and smoke-test those endpoints only, never one CloudFormation manages under the same prefix.
        Default: none given, every endpoint named ``<platform_name>-*``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform_name: str,
        registry: RegistryLocation,
        registers: bool,
        deploys: bool,
        tooling_account: str | None = None,
        trust_tuning_register: bool = False,
        batch_inference: bool = False,
        organization_id: str | None = None,
        deploy_stages: Sequence[naming.Stage] = (),
        deployed_endpoints: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        if deploys and tooling_account is None:
            raise PropsError("WorkloadAccess", ["deploys=True needs tooling_account (the deploy pipeline's account)"])
        groups = registry.groups(self)
        self.execution_role = PlatformRole(
            self,
            "ExecutionRole",
            role_name=naming.sagemaker_execution_role_name(platform_name),
            description=f"{platform_name}: SageMaker jobs and models of this account; reads the central registry",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_PRINCIPAL),
        )
        self.pipeline_step_role = self._render_pipeline_step_role(platform_name, trust_tuning_register)
        self.deploy_role: PlatformRole | None = None
        if tooling_account is not None and deploys:
            self.deploy_role = render_deploy_role(
                self,
                platform_name=platform_name,
                tooling_account=tooling_account,
                organization_id=organization_id,
                deploy_stages=tuple(deploy_stages),
                deployed_endpoints=tuple(sorted(set(deployed_endpoints))),
            )
        self._grant_registry(groups, registers=registers, batch_inference=batch_inference)
        self.pipeline_step_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PassExecutionRoleToSageMaker",
                actions=["iam:PassRole"],
                resources=[self.execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_PRINCIPAL}},
            )
        )
        self._grant_job_logs(self.execution_role)

    @property
    def roles(self) -> dict[str, iam.IRole]:
        """The roles by label (``Execution``, ``PipelineStep``, ``Deploy``)."""
        roles: dict[str, iam.IRole] = {"Execution": self.execution_role, "PipelineStep": self.pipeline_step_role}
        if self.deploy_role is not None:
            roles["Deploy"] = self.deploy_role
        return roles

    # --- private ---

    def _render_pipeline_step_role(self, platform_name: str, trust_tuning_register: bool) -> PlatformRole:
        stack = cdk.Stack.of(self)
        step_principals: list[iam.IPrincipal] = [iam.ServicePrincipal(SAGEMAKER_PRINCIPAL)]
        if trust_tuning_register:
            step_principals.append(
                iam.ArnPrincipal(
                    naming.role_arn(stack.partition, stack.account, naming.tuning_register_role_name(platform_name))
                )
            )
        return PlatformRole(
            self,
            "PipelineStepRole",
            role_name=naming.pipeline_step_role_name(platform_name),
            description=f"{platform_name}: SageMaker Pipelines steps; registers versions in the central registry",
            assumed_by=iam.CompositePrincipal(*step_principals),
        )

    def _grant_registry(self, groups: list[IModelPackageGroup], *, registers: bool, batch_inference: bool) -> None:
        # One grant over every group: the roles' statements grow with the groups' ARNs, not their number.
        grant_groups(self.execution_role, groups, RegistryAccess.WRITE if registers else RegistryAccess.READ)
        step_access = RegistryAccess.DEPLOY if batch_inference else RegistryAccess.READ
        grant_groups(self.pipeline_step_role, groups, RegistryAccess.REGISTER if registers else step_access)
        if self.deploy_role is not None:
            grant_groups(self.deploy_role, groups, RegistryAccess.DEPLOY)

    def _grant_job_logs(self, role: PlatformRole) -> None:
        """SageMaker jobs' logs under /aws/sagemaker/ and their metrics in SageMaker namespaces."""
        stack = cdk.Stack.of(self)
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws/sagemaker/*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        log_resources = [log_groups, f"{log_groups}:log-stream:*"]
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="SageMakerJobLogs", actions=list(JOB_LOG_ACTIONS), resources=log_resources)
        )
        acknowledge_wildcard_resources(
            role,
            log_resources,
            "SageMaker jobs log to groups and streams it names per job under /aws/sagemaker/; the grant covers that "
            "path only",
        )
        acknowledge_wildcard_resources(
            role,
            ["*"],
            "cloudwatch:PutMetricData takes no resource; it is limited to SageMaker namespaces by condition",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SageMakerJobMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
            )
        )

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
The registry side of each grant (group, bucket and key policies) is `ModelRegistry.add_access`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.registry import (
    ModelArtifacts,
    ModelPackageGroup,
    ModelPackageGroupBase,
    RegistryAccess,
    acknowledge_wildcard_resources,
    grant_groups,
)
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.errors import PropsError

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"

DEPLOY_SAGEMAKER_ACTIONS = (
    "sagemaker:AddTags",
    "sagemaker:CreateEndpoint",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateModel",
    "sagemaker:DeleteEndpoint",
    "sagemaker:DeleteEndpointConfig",
    "sagemaker:DeleteModel",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sagemaker:ListTags",
    "sagemaker:UpdateEndpoint",
    "sagemaker:UpdateEndpointWeightsAndCapacities",
)
"""Models, endpoint configs and endpoints named `<name>-*` (what the deploy pipeline applies)."""
DEPLOY_AUTOSCALING_ACTIONS = (
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:RegisterScalableTarget",
)
"""Scaling of SageMaker endpoint variants only (service-namespace and scalable-dimension conditions)."""
DEPLOY_AUTOSCALING_DESCRIBE_ACTIONS = (
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingActivities",
    "application-autoscaling:DescribeScalingPolicies",
)
SAGEMAKER_SCALABLE_DIMENSIONS = (
    "sagemaker:variant:DesiredInstanceCount",
    "sagemaker:variant:DesiredProvisionedConcurrency",
)
DEPLOY_ALARM_ACTIONS = ("cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm")
"""Step-scaling alarms of the deployment spec, and the target-tracking alarms Application Auto Scaling makes."""
DEPLOY_SMOKE_TEST_ACTIONS = ("sagemaker:InvokeEndpoint",)
"""The pipeline's smoke test of a deployed staging endpoint (`<name>-*` endpoints only)."""
DEPLOY_KEY_ACTIONS = ("kms:DescribeKey",)
DEPLOY_KEY_GRANT_ACTIONS = ("kms:CreateGrant",)
"""CreateEndpointConfig with a `KmsKeyId`: SageMaker describes the key and grants itself its use, as the caller."""
DEPLOY_PARAMETER_ACTIONS = ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath")
SAGEMAKER_AUTOSCALING_SLR = "sagemaker.application-autoscaling.amazonaws.com"
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
        return naming.model_artifacts_bucket_name(self.platform_name, self.account, self.region)

    def groups(self, scope: Construct) -> list[ModelPackageGroupBase]:
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
        stack = cdk.Stack.of(self)
        self._platform_name = platform_name
        self._organization_id = organization_id
        self._deploy_stages = tuple(deploy_stages)
        self._deployed_endpoints = tuple(sorted(set(deployed_endpoints)))
        groups = registry.groups(self)

        self.execution_role = PlatformRole(
            self,
            "ExecutionRole",
            role_name=naming.sagemaker_execution_role_name(platform_name),
            description=f"{platform_name}: SageMaker jobs and models of this account; reads the central registry",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_PRINCIPAL),
        )
        step_principals: list[iam.IPrincipal] = [iam.ServicePrincipal(SAGEMAKER_PRINCIPAL)]
        if trust_tuning_register:
            step_principals.append(
                iam.ArnPrincipal(
                    naming.role_arn(stack.partition, stack.account, naming.tuning_register_role_name(platform_name))
                )
            )
        self.pipeline_step_role = PlatformRole(
            self,
            "PipelineStepRole",
            role_name=naming.pipeline_step_role_name(platform_name),
            description=f"{platform_name}: SageMaker Pipelines steps; registers versions in the central registry",
            assumed_by=iam.CompositePrincipal(*step_principals),
        )
        self.deploy_role: PlatformRole | None = None
        if deploys:
            self.deploy_role = self._render_deploy_role(tooling_account)

        # One grant over every group: the roles' statements grow with the groups' ARNs, not their number.
        grant_groups(self.execution_role, groups, RegistryAccess.WRITE if registers else RegistryAccess.READ)
        step_access = RegistryAccess.DEPLOY if batch_inference else RegistryAccess.READ
        grant_groups(self.pipeline_step_role, groups, RegistryAccess.REGISTER if registers else step_access)
        if self.deploy_role is not None:
            grant_groups(self.deploy_role, groups, RegistryAccess.DEPLOY)
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

    def _render_deploy_role(self, tooling_account: str | None) -> PlatformRole:
        if tooling_account is None:
            raise PropsError("WorkloadAccess", ["deploys=True needs tooling_account (the deploy pipeline's account)"])
        stack = cdk.Stack.of(self)
        p = self._platform_name
        pipeline = iam.ArnPrincipal(
            naming.role_arn(stack.partition, tooling_account, naming.deploy_pipeline_role_name(p))
        )
        trusted: iam.IPrincipal = pipeline
        if self._organization_id is not None:
            trusted = pipeline.with_conditions({"StringEquals": {"aws:PrincipalOrgID": self._organization_id}})
        role = PlatformRole(
            self,
            "DeployRole",
            role_name=naming.deploy_role_name(p),
            description=f"{p}: assumed by the tooling account's deploy pipeline to deploy approved versions",
            assumed_by=trusted,
        )
        # Models and endpoint configs get a new name per deployment (under the platform prefix); endpoints are
        # named once, so the pipeline's own are listed by name.
        sagemaker_resources = [
            stack.format_arn(service="sagemaker", resource=kind, resource_name=f"{p}-*")
            for kind in ("model", "endpoint-config")
        ]
        endpoint_names = self._deployed_endpoints or (f"{p}-*",)
        endpoints = [
            stack.format_arn(service="sagemaker", resource="endpoint", resource_name=name) for name in endpoint_names
        ]
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ManagePlatformEndpoints",
                actions=list(DEPLOY_SAGEMAKER_ACTIONS),
                resources=[*sagemaker_resources, *endpoints],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ManageEndpointAutoscaling",
                actions=list(DEPLOY_AUTOSCALING_ACTIONS),
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "application-autoscaling:service-namespace": "sagemaker",
                        "application-autoscaling:scalable-dimension": list(SAGEMAKER_SCALABLE_DIMENSIONS),
                    }
                },
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DescribeEndpointAutoscaling", actions=list(DEPLOY_AUTOSCALING_DESCRIBE_ACTIONS), resources=["*"]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="CreateAutoscalingServiceLinkedRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/{SAGEMAKER_AUTOSCALING_SLR}/"
                    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
                ],
                conditions={"StringEquals": {"iam:AWSServiceName": SAGEMAKER_AUTOSCALING_SLR}},
            )
        )
        alarm_resources = [
            stack.format_arn(
                service="cloudwatch", resource="alarm", resource_name=name, arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
            )
            for name in (f"{p}-*", f"TargetTracking-endpoint/{p}-*")
        ]
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ManageScalingAlarms",
                actions=list(DEPLOY_ALARM_ACTIONS),
                resources=alarm_resources,
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SmokeTestPlatformEndpoints",
                actions=list(DEPLOY_SMOKE_TEST_ACTIONS),
                resources=endpoints,
            )
        )
        self._grant_hosting_keys(role)
        endpoint_roles = naming.role_arn(stack.partition, stack.account, f"{naming.endpoint_role_name_prefix(p)}*")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PassEndpointRoles",
                actions=["iam:PassRole"],
                resources=[endpoint_roles],
                conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_PRINCIPAL}},
            )
        )
        prefix = naming.deployment_spec_parameter_prefix(p).strip("/")
        parameters = stack.format_arn(service="ssm", resource="parameter", resource_name=f"{prefix}/*")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadDeploymentSpecs",
                actions=list(DEPLOY_PARAMETER_ACTIONS),
                resources=[parameters],
            )
        )
        acknowledge_wildcard_resources(
            role,
            sagemaker_resources,
            "the deploy pipeline names models and endpoint configs per deployment under the platform "
            f"prefix {p}-; the grant covers that prefix only",
        )
        if not self._deployed_endpoints:
            acknowledge_wildcard_resources(
                role,
                endpoints,
                f"no deployed endpoints were named, so every endpoint under the platform prefix {p}- (see "
                "`deployed_endpoints`)",
            )
        acknowledge_wildcard_resources(
            role,
            ["*"],
            "Application Auto Scaling identifies scalable targets by generated ids and its Describe actions take no "
            "resource; changes are limited to SageMaker endpoint variants by condition",
        )
        acknowledge_wildcard_resources(
            role,
            alarm_resources,
            f"step-scaling alarms of the deployment specs are named {p}-*, and Application Auto Scaling names "
            f"target-tracking alarms TargetTracking-endpoint/<endpoint>-...; the grant covers those names only",
        )
        acknowledge_wildcard_resources(
            role,
            [endpoint_roles],
            f"each hosted endpoint has its own execution role {naming.endpoint_role_name_prefix(p)}<endpoint>; "
            "they may be passed to SageMaker only",
        )
        acknowledge_wildcard_resources(
            role,
            [parameters],
            f"deployment specs are published per endpoint and stage under /{prefix}/; read access only",
        )
        return role

    def _grant_hosting_keys(self, role: PlatformRole) -> None:
        """The stages' hosting keys (the specs' `kms_key_arn`), by alias, through SageMaker, for AWS resources."""
        if not self._deploy_stages:
            return
        stack = cdk.Stack.of(self)
        keys = stack.format_arn(service="kms", resource="key", resource_name="*")
        aliases = [naming.hosting_key_alias(self._platform_name, stage) for stage in self._deploy_stages]
        conditions: dict[str, dict[str, object]] = {
            "StringEquals": {"kms:ViaService": f"sagemaker.{stack.region}.{stack.url_suffix}"},
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases},
        }
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DescribeHostingKeys", actions=list(DEPLOY_KEY_ACTIONS), resources=[keys], conditions=conditions
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="GrantHostingKeysToSageMaker",
                actions=list(DEPLOY_KEY_GRANT_ACTIONS),
                resources=[keys],
                conditions={**conditions, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        acknowledge_wildcard_resources(
            role,
            [keys],
            f"the hosting keys' ARNs are not known outside their stacks; the grant holds only for the keys carrying "
            f"{', '.join(aliases)} (kms:ResourceAliases), used by SageMaker (kms:ViaService) for its own resources",
        )

    def _grant_job_logs(self, role: PlatformRole) -> None:
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

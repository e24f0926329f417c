"""The deploy role of a staging or prod workload account (`<name>-deploy`), trusted only by the tooling
account's `<name>-deploy-pipeline`: manages the platform's models, endpoint configs and endpoints, their
autoscaling and alarms, passes the `<name>-endpoint-*` roles to SageMaker and reads the deployment specs.

The registry side (describe versions, CreateModel, read the artifacts) is `grant_groups` with
`RegistryAccess.DEPLOY`, added by `WorkloadAccess`.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.registry.policies import acknowledge_wildcard_resources
from sagemaker_platform.constructs.roles import PlatformRole

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


def render_deploy_role(
    scope: Construct,
    *,
    platform_name: str,
    tooling_account: str,
    organization_id: str | None,
    deploy_stages: Sequence[naming.Stage],
    deployed_endpoints: Sequence[str],
) -> PlatformRole:
    """Add the deploy role `DeployRole` to `scope` (a `WorkloadAccess`), with every statement it needs.

    :param deployed_endpoints: the endpoints it may update, delete and smoke-test; none: every endpoint
        named ``<platform_name>-*``.
    """
    p = platform_name
    role = _render_trusted_role(scope, p, tooling_account, organization_id)
    sagemaker_resources, endpoints = _add_endpoint_statement(role, p, deployed_endpoints)
    _add_autoscaling_statements(role)
    alarm_resources = _add_alarm_statement(role, p)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="SmokeTestPlatformEndpoints",
            actions=list(DEPLOY_SMOKE_TEST_ACTIONS),
            resources=endpoints,
        )
    )
    _grant_hosting_keys(role, p, deploy_stages)
    endpoint_roles, parameters = _add_pass_role_and_parameter_statements(role, p)
    acknowledge_wildcard_resources(
        role,
        sagemaker_resources,
        "the deploy pipeline names models and endpoint configs per deployment under the platform "
        f"prefix {p}-; the grant covers that prefix only",
    )
    if not deployed_endpoints:
        acknowledge_wildcard_resources(
            role,
            endpoints,
            f"no deployed endpoints were named, so every endpoint under the platform prefix {p}- (see "
            "`deployed_endpoints`)",
        )
    _acknowledge_fixed_wildcards(role, p, alarm_resources, endpoint_roles, parameters)
    return role


def _render_trusted_role(scope: Construct, p: str, tooling_account: str, organization_id: str | None) -> PlatformRole:
    stack = cdk.Stack.of(scope)
    pipeline = iam.ArnPrincipal(naming.role_arn(stack.partition, tooling_account, naming.deploy_pipeline_role_name(p)))
    trusted: iam.IPrincipal = pipeline
    if organization_id is not None:
        trusted = pipeline.with_conditions({"StringEquals": {"aws:PrincipalOrgID": organization_id}})
    return PlatformRole(
        scope,
        "DeployRole",
        role_name=naming.deploy_role_name(p),
        description=f"{p}: assumed by the tooling account's deploy pipeline to deploy approved versions",
        assumed_by=trusted,
    )


def _add_endpoint_statement(
    role: PlatformRole, p: str, deployed_endpoints: Sequence[str]
) -> tuple[list[str], list[str]]:
    """ManagePlatformEndpoints; returns (model and endpoint config patterns, endpoint ARNs)."""
    stack = cdk.Stack.of(role)
    # Models and endpoint configs get a new name per deployment (under the platform prefix); endpoints are
    # named once, so the pipeline's own are listed by name.
    sagemaker_resources = [
        stack.format_arn(service="sagemaker", resource=kind, resource_name=f"{p}-*")
        for kind in ("model", "endpoint-config")
    ]
    endpoint_names = tuple(deployed_endpoints) or (f"{p}-*",)
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
    return sagemaker_resources, endpoints


def _add_autoscaling_statements(role: PlatformRole) -> None:
    """Scale SageMaker endpoint variants only, describe scaling, create autoscaling's service-linked role."""
    stack = cdk.Stack.of(role)
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


def _add_alarm_statement(role: PlatformRole, p: str) -> list[str]:
    """ManageScalingAlarms (step-scaling and target-tracking alarms of the platform's endpoints)."""
    stack = cdk.Stack.of(role)
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
    return alarm_resources


def _grant_hosting_keys(role: PlatformRole, platform_name: str, deploy_stages: Sequence[naming.Stage]) -> None:
    """The stages' hosting keys (the specs' `kms_key_arn`), by alias, through SageMaker, for AWS resources."""
    if not deploy_stages:
        return
    stack = cdk.Stack.of(role)
    keys = stack.format_arn(service="kms", resource="key", resource_name="*")
    aliases = [naming.hosting_key_alias(platform_name, stage) for stage in deploy_stages]
    conditions: dict[str, dict[str, object]] = {
        "StringEquals": {"kms:ViaService": f"sagemaker.{stack.region}.{stack.url_suffix}"},
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases},
    }
    # One statement, so the keys' wildcard sits in one of the role's policies: DescribeKey requests carry no
    # kms:GrantIsForAWSResource (IfExists holds), every CreateGrant request carries it and must be for AWS resources.
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="UseHostingKeysThroughSageMaker",
            actions=[*DEPLOY_KEY_ACTIONS, *DEPLOY_KEY_GRANT_ACTIONS],
            resources=[keys],
            conditions={**conditions, "BoolIfExists": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    acknowledge_wildcard_resources(
        role,
        [keys],
        f"the hosting keys' ARNs are not known outside their stacks; the grant holds only for the keys carrying "
        f"{', '.join(aliases)} (kms:ResourceAliases), used by SageMaker (kms:ViaService) for its own resources",
    )


def _add_pass_role_and_parameter_statements(role: PlatformRole, p: str) -> tuple[str, str]:
    """PassEndpointRoles and ReadDeploymentSpecs; returns (endpoint roles pattern, parameters pattern)."""
    stack = cdk.Stack.of(role)
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
    return endpoint_roles, parameters


def _acknowledge_fixed_wildcards(
    role: PlatformRole, p: str, alarm_resources: list[str], endpoint_roles: str, parameters: str
) -> None:
    prefix = naming.deployment_spec_parameter_prefix(p).strip("/")
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

"""Helpers shared by the hosting constructs: content names, L1 overrides, models, alarms, runtime grants, scaling."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform.compliance import acknowledge, skip_checkov
from sagemaker_platform.constructs.hosting.models import (
    ModelSource,
)
from sagemaker_platform.constructs.hosting.settings import (
    INSTANCE_NAMESPACE,
    INVOCATION_NAMESPACE,
    LOG_ACTIONS,
    VOLUME_KEY_ACTIONS,
    VPC_ACTIONS,
    AlarmThresholds,
    alarm_name,
)
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.shared_policies import SharedPolicies, SharedStatement
from sagemaker_platform.constructs.wildcards import add_statement


def content_name(scope: Construct, prefix: str, content: Any) -> str:
    """A name that changes whenever `content` changes: `<prefix>-<8 hex of its resolved JSON>` (max 63).

    Endpoint configs and models are immutable: each change needs a new resource, and a fixed name would
    collide with the running one. The hash is of the content resolved to CloudFormation (references
    become logical IDs, which are stable), never of time or randomness.
    """
    resolved = json.dumps(cdk.Stack.of(scope).resolve(content), sort_keys=True, separators=(",", ":"))
    return f"{prefix[:54].rstrip('-')}-{hashlib.sha256(resolved.encode()).hexdigest()[:8]}"


def _first(value: Any, default: Any) -> Any:
    return value if value is not None else default


def _without_none(value: Any) -> Any:
    """Drop None values (CloudFormation wants absent keys, the spec keeps explicit nulls)."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def set_api_properties(resource: cdk.CfnResource, properties: dict[str, Any]) -> None:
    """Set API-shape properties on an L1 as they are (PascalCase keys are CloudFormation's; None dropped).

    The typed L1 props would need the same dictionaries re-spelled in jsii's camelCase: overriding keeps
    the rendered dictionaries, which the deployment spec also carries, the one source of truth.
    """
    for name, value in properties.items():
        if value is not None:
            resource.add_property_override(name, _without_none(value))


def create_alarm(
    scope: Construct,
    id: str,
    name: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    description: str,
    topic: sns.ITopic,
    *,
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
) -> cloudwatch.Alarm:
    """A named alarm over one 5-minute period to `topic`; no data (scaled to zero, not deployed) is healthy."""
    alarm = cloudwatch.Alarm(
        scope,
        id,
        alarm_name=name,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        evaluation_periods=1,
        comparison_operator=comparison,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    return alarm


def errors_5xx_alarm(
    scope: Construct, name: str, metric: cloudwatch.IMetric, thresholds: AlarmThresholds, topic: sns.ITopic
) -> cloudwatch.Alarm:
    """`Errors5xxAlarm`: `thresholds.errors_5xx` or more 5XX answers of endpoint `name` in 5 minutes; a deployment
    rolls back on it (by its name, `alarm_name(name, "errors_5xx")`)."""
    return create_alarm(
        scope,
        "Errors5xxAlarm",
        alarm_name(name, "errors_5xx"),
        metric,
        thresholds.errors_5xx,
        f"{name} returned {thresholds.errors_5xx} or more 5XX errors in 5 minutes",
        topic,
        comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    )


def latency_p99_alarm(
    scope: Construct, name: str, metric: cloudwatch.IMetric, thresholds: AlarmThresholds, topic: sns.ITopic
) -> cloudwatch.Alarm:
    """`LatencyP99Alarm`: p99 ModelLatency of `name` (an endpoint or an inference component) above
    `thresholds.latency_p99_ms`; a deployment rolls back on the endpoint's (`alarm_name(name, "latency_p99")`)."""
    return create_alarm(
        scope,
        "LatencyP99Alarm",
        alarm_name(name, "latency_p99"),
        metric,
        thresholds.latency_p99_ms * 1000,  # ModelLatency is in microseconds
        f"p99 model latency of {name} above {thresholds.latency_p99_ms} ms",
        topic,
    )


def create_model(
    scope: Construct,
    id: str,
    *,
    name_prefix: str,
    source: ModelSource,
    role: iam.IRole,
    vpc: dict[str, Any] | None,
    network_isolation: bool,
    multi_model: bool = False,
) -> sagemaker.CfnModel:
    """A SageMaker model from `source`, named from a hash of its content (a change gets a new name)."""
    container = source.container(scope, multi_model=multi_model)
    content = {"container": container, "role": role.role_arn, "vpc": vpc, "isolation": network_isolation}
    model = sagemaker.CfnModel(
        scope,
        id,
        model_name=content_name(scope, name_prefix, content),
        execution_role_arn=role.role_arn,
        enable_network_isolation=network_isolation,
    )
    set_api_properties(model, {"PrimaryContainer": container, "VpcConfig": vpc})
    model.node.add_dependency(role)
    if not network_isolation:
        skip_checkov(
            model, {"CKV_AWS_370": "network isolation turned off on purpose: the container needs outbound access"}
        )
    return model


NVME_NO_KEY_REASON = "instance type has local NVMe storage, hardware-encrypted; CreateEndpointConfig refuses KmsKeyId"


def acknowledge_no_volume_key(config: sagemaker.CfnEndpointConfig, reason: str) -> None:
    """cdk-nag and checkov findings of an endpoint config that may not have a volume KMS key."""
    acknowledge(
        config,
        {
            "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured": reason,
            "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured": reason,
        },
    )
    skip_checkov(config, {"CKV_AWS_98": reason})


def grant_endpoint_runtime(
    role: PlatformRole, endpoint_name: str, *, vpc: bool = False, volume_key: kms.IKey | None = None
) -> None:
    """What every endpoint's execution role needs at run time: its log group, metrics, VPC ENIs, volume key."""
    stack = cdk.Stack.of(role)
    log_group = (
        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws/sagemaker/Endpoints/{endpoint_name}"
    )
    add_statement(
        role,
        iam.PolicyStatement(actions=list(LOG_ACTIONS), resources=[log_group, f"{log_group}:*"]),
        "SageMaker names one log stream per variant and instance in the endpoint's own log group",
    )
    # The same for every endpoint: one policy per stack that every endpoint role attaches (`SharedPolicies`).
    shared = SharedPolicies.of(role)
    shared.attach(
        role,
        "EndpointMetrics",
        [
            SharedStatement(
                iam.PolicyStatement(
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": [INSTANCE_NAMESPACE, INVOCATION_NAMESPACE]}},
                ),
                "cloudwatch:PutMetricData supports no resource-level permissions; limited to SageMaker's endpoint "
                "namespaces by the cloudwatch:namespace condition",
            )
        ],
        "SageMaker endpoint metrics (instance and invocation namespaces)",
    )
    if vpc:
        shared.attach(
            role,
            "EndpointNetwork",
            [
                SharedStatement(
                    iam.PolicyStatement(actions=list(VPC_ACTIONS), resources=["*"]),
                    "the EC2 network-interface calls SageMaker makes for a VPC endpoint support no resource-level "
                    "permissions (Describe*) or act on interfaces that do not exist yet",
                )
            ],
            "the network interfaces of SageMaker endpoints in a VPC",
        )
    if volume_key is not None:
        add_statement(role, iam.PolicyStatement(actions=list(VOLUME_KEY_ACTIONS), resources=[volume_key.key_arn]))


def create_scaling(
    scope: Construct,
    id: str,
    *,
    resource_id: str,
    dimension: str,
    scaling: dict[str, Any],
    after: Construct,
) -> appscaling.CfnScalableTarget:
    """The scalable target of a rendered autoscaling block (created after `after`), with its scaling policies.

    An explicit minimum of 0 stays 0 (scale to zero); it is never replaced by the initial count.
    """
    target = appscaling.CfnScalableTarget(
        scope,
        id,
        service_namespace="sagemaker",
        resource_id=resource_id,
        scalable_dimension=dimension,
        min_capacity=scaling["min_capacity"],
        max_capacity=scaling["max_capacity"],
    )
    target.node.add_dependency(after)
    create_scaling_policies(scope, target, scaling)
    return target


def create_scaling_policies(scope: Construct, target: appscaling.CfnScalableTarget, scaling: dict[str, Any]) -> None:
    """The scaling policies and step-scaling alarms of a rendered autoscaling block, on `target`."""
    policies: dict[str, appscaling.CfnScalingPolicy] = {}
    for index, policy in enumerate(scaling["policies"]):
        tracking = policy.get("TargetTrackingScalingPolicyConfiguration")
        step = policy.get("StepScalingPolicyConfiguration")
        resource = appscaling.CfnScalingPolicy(
            scope,
            f"Policy{index}",
            policy_name=policy["PolicyName"],
            policy_type=policy["PolicyType"],
            scaling_target_id=target.ref,
        )
        set_api_properties(
            resource,
            {"TargetTrackingScalingPolicyConfiguration": tracking, "StepScalingPolicyConfiguration": step},
        )
        policies[policy["PolicyName"]] = resource
    for index, alarm in enumerate(scaling["alarms"]):
        cloudwatch.CfnAlarm(
            scope,
            f"Alarm{index}",
            alarm_name=alarm["AlarmName"],
            alarm_description=alarm["AlarmDescription"],
            metric_name=alarm["MetricName"],
            namespace=alarm["Namespace"],
            dimensions=[
                cloudwatch.CfnAlarm.DimensionProperty(name=d["Name"], value=d["Value"]) for d in alarm["Dimensions"]
            ],
            statistic=alarm["Statistic"],
            period=alarm["Period"],
            evaluation_periods=alarm["EvaluationPeriods"],
            datapoints_to_alarm=alarm["DatapointsToAlarm"],
            threshold=alarm["Threshold"],
            comparison_operator=alarm["ComparisonOperator"],
            treat_missing_data=alarm["TreatMissingData"],
            # The alarm's name is its policy's name: the deployer pairs them the same way.
            alarm_actions=[policies[alarm["AlarmName"]].ref],
        )

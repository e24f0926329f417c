"""GPU endpoint hosting: real-time, asynchronous (scale to zero), multi-model and serverless endpoints.

Public constructs:

- `Endpoint`: one SageMaker endpoint in any of the four modes, from a `ModelSource`, with its execution
  role, autoscaling, async output (S3 + SNS, KMS), data capture, alarms to an SNS topic and a dashboard.
  For a model package group the deploy pipeline creates the model, endpoint config and endpoint: the
  construct then creates everything else and publishes the deployment spec it would have used.
- `InferenceComponentEndpoint`: several models placed on one GPU endpoint as inference components, with
  managed instance scaling, so real-time GPU endpoints can also scale to zero.

One source of truth: `render_deployment_spec` and the `render_*` functions it is built from are pure
functions over `EndpointSettings`; `Endpoint` builds its CfnEndpointConfig, CfnEndpoint, scalable target,
scaling policies and scaling alarm from those very dictionaries, and publishes the same spec in SSM for
the deploy pipeline (schema version 1). API-shape keys are the service APIs' PascalCase, which are also
CloudFormation's for these resources.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.compliance import acknowledge, skip_checkov
from sagemaker_platform.constructs.hosting_catalog import (
    ContainerImage,
    InstanceSpec,
    ModelData,
    ModelSource,
    RegistryArtifacts,
    catalog_families,
    declared_instance_problems,
    hosting_defaults,
    instance_spec,
    multi_model_refusal,
)
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.storage import ACCESS_LOG_RETENTION, access_logs_bucket, encrypted_bucket
from sagemaker_platform.constructs.wildcards import add_statement
from sagemaker_platform.contracts import deployment_spec, names
from sagemaker_platform.errors import ProblemCollector

__all__ = [
    "AlarmThresholds",
    "AsyncSettings",
    "ContainerImage",
    "DataCaptureSettings",
    "DeploymentGuardrails",
    "Endpoint",
    "EndpointRef",
    "EndpointSettings",
    "HostingShared",
    "InferenceComponent",
    "InferenceComponentEndpoint",
    "ModelData",
    "ModelSource",
    "RegistryArtifacts",
    "ServerlessSettings",
    "VariantSettings",
    "VpcPlacement",
    "render_deployment_spec",
]

EndpointMode = Literal["realtime", "async", "multi-model", "serverless"]
SPEC_VERSION = deployment_spec.VERSION

# CloudWatch namespaces: invocation metrics, and per-instance (CPU/GPU) metrics of endpoints.
INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"

# Grants, in one place.
INVOKE_ACTIONS = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
INVOKE_ASYNC_ACTIONS = ("sagemaker:InvokeEndpointAsync",)
VPC_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
VOLUME_KEY_ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
)
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")

_ENDPOINT_NAME = names.NAME_63_RE
_SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
_VARIANT_DIMENSION = deployment_spec.SCALABLE_DIMENSION
_COMPONENT_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
# GPU endpoints take 5-10 minutes to start: scale out early, scale in slowly.
SCALE_OUT_COOLDOWN_SECONDS = 120
SCALE_IN_COOLDOWN_SECONDS = 600


# --- settings (pure data) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServerlessSettings:
    """A serverless variant (CPU only). Default: 2048 MB, 5 concurrent invocations, no provisioned concurrency."""

    memory_size_mb: int = 2048
    """1024-6144 in steps of 1024."""
    max_concurrency: int = 5
    """1-200."""
    provisioned_concurrency: int | None = None
    """Warm capacity (billed while idle), 1 to `max_concurrency`. Default: none (cold starts, no idle cost)."""


@dataclass(frozen=True)
class VariantSettings:
    """One production variant. For serverless, leave `instance_type` None and set `serverless`."""

    instance_type: str | None = None
    name: str = "AllTraffic"
    min_instances: int = 1
    """0 only for asynchronous endpoints (scale to zero)."""
    max_instances: int = 1
    initial_instances: int | None = None
    """Default: `min_instances`, at least 1."""
    initial_weight: float = 1.0
    max_rps_per_instance: float | None = None
    """Requests per second one instance sustains (from a load test); drives target tracking on
    SageMakerVariantInvocationsPerInstance = max_rps x safety_factor x 60. Default: no such policy."""
    safety_factor: float = 0.5
    gpu_utilization_target: float | None = None
    """Target GPU utilization in percent per GPU (the metric sums all GPUs of an instance; the target is
    multiplied by the GPU count). Default: no GPU policy."""
    volume_size_gb: int | None = None
    """Default: from the instance catalog (none on NVMe types, which refuse it)."""
    model_data_download_timeout_seconds: int | None = None
    """Default: from the instance catalog (large-model defaults on accelerated types)."""
    container_startup_health_check_timeout_seconds: int | None = None
    """Default: from the instance catalog (large-model defaults on accelerated types)."""
    serverless: ServerlessSettings | None = None
    declared_spec: InstanceSpec | None = None
    """What `instance_type` is, for a type the built-in catalog does not know (GPU count, GPU memory, local NVMe,
    accelerator family); validated like a catalog entry. Default: the catalog entry of `instance_type`."""

    @property
    def initial_count(self) -> int:
        return self.initial_instances if self.initial_instances is not None else max(self.min_instances, 1)

    @property
    def spec(self) -> InstanceSpec | None:
        if self.instance_type is None:
            return None
        if self.declared_spec is not None and self.declared_spec.instance_type == self.instance_type:
            return self.declared_spec
        return instance_spec(self.instance_type)


@dataclass(frozen=True)
class AsyncSettings:
    """Asynchronous inference. Default: SageMaker's concurrency, 15-minute invocation timeout, backlog target 5."""

    max_concurrent_invocations_per_instance: int | None = None
    """1-1000. Default: SageMaker chooses."""
    invocation_timeout_seconds: int = 900
    """Up to 3600: what clients pass as InvocationTimeoutSeconds (`Endpoint.invocation_timeout_seconds`)."""
    backlog_per_instance_target: float = 5.0
    """Target of ApproximateBacklogSizePerInstance for target tracking."""
    include_inference_response_in_notification: bool = False


@dataclass(frozen=True)
class DataCaptureSettings:
    """Capture requests and responses to S3 (KMS). Default: 20 % of requests, input and output."""

    sampling_percentage: int = 20
    capture_input: bool = True
    capture_output: bool = True


@dataclass(frozen=True)
class DeploymentGuardrails:
    """Blue/green update with traffic shifting and automatic rollback on the endpoint's alarms.

    Default: canary of 10 % of capacity, 10-minute bake, old fleet kept 10 minutes, rollback on the
    5XX and p99 latency alarms.
    """

    traffic_routing: Literal["CANARY", "LINEAR", "ALL_AT_ONCE"] = "CANARY"
    step_percent: int = 10
    """Canary size or linear step, percent of capacity (1-99)."""
    wait_seconds: int = 600
    termination_wait_seconds: int = 600
    maximum_execution_timeout_seconds: int | None = None
    """600-14400. Default: SageMaker's."""


@dataclass(frozen=True)
class AlarmThresholds:
    """Alarm thresholds. Default: p99 latency 10 s, 5 5XX errors in 5 min, GPU memory 90 %, backlog age 2x timeout."""

    latency_p99_ms: int = 10_000
    errors_5xx: int = 5
    gpu_memory_percent: float = 90.0
    """Percent per GPU (multiplied by the GPU count, like the metric)."""
    backlog_age_seconds: int | None = None
    """Async only. Default: twice the invocation timeout."""


@dataclass(frozen=True)
class VpcPlacement:
    """Subnets and security groups of the model containers (ids; tokens allowed)."""

    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class EndpointSettings:
    """Everything declarative about an endpoint: what `render_deployment_spec` and `Endpoint` both read."""

    mode: EndpointMode = "realtime"
    variants: tuple[VariantSettings, ...] = (VariantSettings(instance_type="ml.g5.xlarge"),)
    async_inference: AsyncSettings | None = None
    """Async mode only. Default (async mode): `AsyncSettings()`."""
    data_capture: DataCaptureSettings | None = None
    deployment: DeploymentGuardrails | None = None
    alarms: AlarmThresholds = field(default_factory=AlarmThresholds)
    vpc: VpcPlacement | None = None
    network_isolation: bool = True
    """Default: on. The container gets no network (SageMaker still fetches the model data and image);
    turn it off only for containers that must download at start (e.g. from a model hub)."""

    @property
    def async_settings(self) -> AsyncSettings:
        return self.async_inference if self.async_inference is not None else AsyncSettings()


@dataclass(frozen=True)
class AsyncOutput:
    """Where an async endpoint writes results (resolved names/ARNs, tokens allowed)."""

    output_path: str
    failure_path: str
    kms_key_arn: str
    success_topic_arn: str
    error_topic_arn: str


@dataclass(frozen=True)
class GatewayRouting:
    """Where an async endpoint served by the inference gateway reads requests and reports results.

    Built from the gateway's deterministic names (`naming`), so the hosting stack needs no reference to the
    gateway's stack (which must be deployed first: its bucket, key alias and topic must exist).

    :param input_bucket_name: the gateway's input bucket (requests under ``inputs/``).
    :param output_bucket_name: the gateway's output bucket (results under ``async/<endpoint>/``).
    :param key_alias: alias of the gateway's KMS key (``alias/...``), which encrypts those buckets and the topic.
    :param completion_topic_name: the gateway's completion topic: SuccessTopic and ErrorTopic.
    """

    input_bucket_name: str
    output_bucket_name: str
    key_alias: str
    completion_topic_name: str

    @staticmethod
    def for_platform(scope: Construct, platform_name: str) -> GatewayRouting:
        """The routing of `platform_name`'s gateway in `scope`'s account and region."""
        stack = cdk.Stack.of(scope)
        return GatewayRouting(
            input_bucket_name=naming.gateway_input_bucket_name(platform_name, stack.account, stack.region),
            output_bucket_name=naming.gateway_output_bucket_name(platform_name, stack.account, stack.region),
            key_alias=naming.gateway_key_alias(platform_name),
            completion_topic_name=naming.gateway_completion_topic_name(platform_name),
        )


# --- pure rendering: the one source of truth ---------------------------------------------------

AlarmKind = Literal["latency_p99", "errors_5xx", "gpu_memory", "backlog_age"]
_ALARM_SUFFIXES: dict[str, str] = {
    "latency_p99": "latency-p99",
    "errors_5xx": "5xx",
    "gpu_memory": "gpu-memory",
    "backlog_age": "backlog-age",
}


def alarm_name(endpoint_name: str, kind: AlarmKind) -> str:
    """The deterministic name of an endpoint's alarm (rollback alarms are referenced by it)."""
    return f"{endpoint_name}-{_ALARM_SUFFIXES[kind]}"


def variant_defaults(variant: VariantSettings) -> VariantSettings:
    """`variant` with the catalog's large-model defaults filled in where it leaves them None."""
    spec = variant.spec
    if spec is None:
        return variant
    defaults = hosting_defaults(spec)
    return VariantSettings(
        **{
            **variant.__dict__,
            "volume_size_gb": _first(variant.volume_size_gb, defaults.volume_size_gb),
            "model_data_download_timeout_seconds": _first(
                variant.model_data_download_timeout_seconds, defaults.model_data_download_timeout_seconds
            ),
            "container_startup_health_check_timeout_seconds": _first(
                variant.container_startup_health_check_timeout_seconds,
                defaults.container_startup_health_check_timeout_seconds,
            ),
        }
    )


def render_production_variants(settings: EndpointSettings, model_name: str | None) -> list[dict[str, Any]]:
    """ProductionVariants (API shape). `model_name` None leaves ModelName out (the deployer sets it)."""
    variants = []
    for raw in settings.variants:
        variant = variant_defaults(raw)
        rendered: dict[str, Any] = {"VariantName": variant.name}
        if model_name is not None:
            rendered["ModelName"] = model_name
        if variant.serverless is not None:
            serverless: dict[str, Any] = {
                "MemorySizeInMB": variant.serverless.memory_size_mb,
                "MaxConcurrency": variant.serverless.max_concurrency,
            }
            if variant.serverless.provisioned_concurrency is not None:
                serverless["ProvisionedConcurrency"] = variant.serverless.provisioned_concurrency
            rendered.update(
                {
                    "InstanceType": None,
                    "InitialInstanceCount": None,
                    "VolumeSizeInGB": None,
                    "ModelDataDownloadTimeoutInSeconds": None,
                    "ContainerStartupHealthCheckTimeoutInSeconds": None,
                    "ServerlessConfig": serverless,
                }
            )
        else:
            rendered.update(
                {
                    "InstanceType": variant.instance_type,
                    "InitialInstanceCount": variant.initial_count,
                    "InitialVariantWeight": variant.initial_weight,
                    "VolumeSizeInGB": variant.volume_size_gb,
                    "ModelDataDownloadTimeoutInSeconds": variant.model_data_download_timeout_seconds,
                    "ContainerStartupHealthCheckTimeoutInSeconds": (
                        variant.container_startup_health_check_timeout_seconds
                    ),
                    "ServerlessConfig": None,
                }
            )
        variants.append(rendered)
    return variants


def render_async_inference_config(settings: EndpointSettings, output: AsyncOutput) -> dict[str, Any]:
    """AsyncInferenceConfig (API shape)."""
    async_settings = settings.async_settings
    notification: dict[str, Any] = {"SuccessTopic": output.success_topic_arn, "ErrorTopic": output.error_topic_arn}
    if async_settings.include_inference_response_in_notification:
        notification["IncludeInferenceResponseIn"] = ["SUCCESS_NOTIFICATION_TOPIC"]
    config: dict[str, Any] = {
        "OutputConfig": {
            "S3OutputPath": output.output_path,
            "S3FailurePath": output.failure_path,
            "KmsKeyId": output.kms_key_arn,
            "NotificationConfig": notification,
        }
    }
    if async_settings.max_concurrent_invocations_per_instance is not None:
        config["ClientConfig"] = {
            "MaxConcurrentInvocationsPerInstance": async_settings.max_concurrent_invocations_per_instance
        }
    return config


def render_data_capture_config(
    capture: DataCaptureSettings, destination_s3_uri: str, kms_key_arn: str
) -> dict[str, Any]:
    """DataCaptureConfig (API shape)."""
    modes = [mode for mode, on in (("Input", capture.capture_input), ("Output", capture.capture_output)) if on]
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": capture.sampling_percentage,
        "DestinationS3Uri": destination_s3_uri,
        "KmsKeyId": kms_key_arn,
        "CaptureOptions": [{"CaptureMode": mode} for mode in modes],
        "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"], "CsvContentTypes": ["text/csv"]},
    }


def render_deployment_config(guardrails: DeploymentGuardrails, rollback_alarm_names: Sequence[str]) -> dict[str, Any]:
    """DeploymentConfig (API shape): blue/green traffic shifting and auto-rollback alarms."""
    routing: dict[str, Any] = {"Type": guardrails.traffic_routing, "WaitIntervalInSeconds": guardrails.wait_seconds}
    step = {"Type": "CAPACITY_PERCENT", "Value": guardrails.step_percent}
    if guardrails.traffic_routing == "CANARY":
        routing["CanarySize"] = step
    elif guardrails.traffic_routing == "LINEAR":
        routing["LinearStepSize"] = step
    policy: dict[str, Any] = {
        "TrafficRoutingConfiguration": routing,
        "TerminationWaitInSeconds": guardrails.termination_wait_seconds,
    }
    if guardrails.maximum_execution_timeout_seconds is not None:
        policy["MaximumExecutionTimeoutInSeconds"] = guardrails.maximum_execution_timeout_seconds
    return {
        "BlueGreenUpdatePolicy": policy,
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": name} for name in rollback_alarm_names]},
    }


def render_autoscaling(
    endpoint_name: str, settings: EndpointSettings, variant: VariantSettings
) -> dict[str, Any] | None:
    """Autoscaling of one variant: scalable target bounds, policies and step-scaling alarms (API shapes).

    None when the variant does not scale (serverless, or min = max with no policy).
    """
    if variant.serverless is not None:
        return None
    policies: list[dict[str, Any]] = []
    alarms: list[dict[str, Any]] = []
    endpoint_dims = [{"Name": "EndpointName", "Value": endpoint_name}]
    variant_dims = [*endpoint_dims, {"Name": "VariantName", "Value": variant.name}]
    cooldowns = {"ScaleInCooldown": SCALE_IN_COOLDOWN_SECONDS, "ScaleOutCooldown": SCALE_OUT_COOLDOWN_SECONDS}
    if settings.mode == "async":
        async_settings = settings.async_settings
        policies.append(
            {
                "PolicyName": f"{endpoint_name}-backlog-per-instance",
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": float(async_settings.backlog_per_instance_target),
                    "CustomizedMetricSpecification": {
                        "MetricName": "ApproximateBacklogSizePerInstance",
                        "Namespace": INVOCATION_NAMESPACE,
                        "Dimensions": endpoint_dims,
                        "Statistic": "Average",
                    },
                    **cooldowns,
                },
            }
        )
        # Target tracking cannot scale out from 0 instances (backlog per instance is undefined there):
        # this step policy adds one instance as soon as requests wait with no capacity.
        step_policy_name = f"{endpoint_name}-backlog-without-capacity"
        policies.append(
            {
                "PolicyName": step_policy_name,
                "PolicyType": "StepScaling",
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": "ChangeInCapacity",
                    "MetricAggregationType": "Average",
                    "Cooldown": SCALE_OUT_COOLDOWN_SECONDS,
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
                },
            }
        )
        alarms.append(
            {
                "AlarmName": step_policy_name,
                "AlarmDescription": f"{endpoint_name} has queued requests and no instance: scale out from zero",
                "MetricName": "HasBacklogWithoutCapacity",
                "Namespace": INVOCATION_NAMESPACE,
                "Dimensions": endpoint_dims,
                "Statistic": "Average",
                "Period": 60,
                "EvaluationPeriods": 2,
                "DatapointsToAlarm": 2,
                "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "missing",
            }
        )
    else:
        if variant.max_rps_per_instance is not None:
            policies.append(
                {
                    "PolicyName": f"{endpoint_name}-{variant.name}-invocations",
                    "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": {
                        "TargetValue": invocations_per_instance_target(variant),
                        "PredefinedMetricSpecification": {
                            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                        },
                        **cooldowns,
                    },
                }
            )
        if variant.gpu_utilization_target is not None:
            spec = variant.spec
            gpus = spec.gpu_count if spec is not None else 1
            policies.append(
                {
                    "PolicyName": f"{endpoint_name}-{variant.name}-gpu-utilization",
                    "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": {
                        "TargetValue": float(variant.gpu_utilization_target * max(gpus, 1)),
                        "CustomizedMetricSpecification": {
                            "MetricName": "GPUUtilization",
                            "Namespace": INSTANCE_NAMESPACE,
                            "Dimensions": variant_dims,
                            "Statistic": "Average",
                        },
                        **cooldowns,
                    },
                }
            )
    if not policies:
        return None
    return {
        "variant": variant.name,
        "min_capacity": variant.min_instances,
        "max_capacity": variant.max_instances,
        "policies": policies,
        "alarms": alarms,
    }


def invocations_per_instance_target(variant: VariantSettings) -> float:
    """AWS's load-test formula: SageMakerVariantInvocationsPerInstance = max RPS x safety factor x 60."""
    assert variant.max_rps_per_instance is not None
    return round(variant.max_rps_per_instance * variant.safety_factor * 60, 2)


def render_deployment_spec(
    *,
    endpoint_name: str,
    settings: EndpointSettings,
    execution_role_arn: str,
    kms_key_arn: str | None,
    async_output: AsyncOutput | None = None,
    data_capture_destination: str | None = None,
    data_capture_kms_key_arn: str | None = None,
    rollback_alarm_names: Sequence[str] = (),
) -> dict[str, Any]:
    """The endpoint deployment spec (schema version 1) the deploy pipeline applies with an approved package.

    `kms_key_arn`: the volume key (None where any variant's instance type has local NVMe storage).
    """
    vpc = (
        None
        if settings.vpc is None
        else {"Subnets": list(settings.vpc.subnet_ids), "SecurityGroupIds": list(settings.vpc.security_group_ids)}
    )
    data_capture = None
    if settings.data_capture is not None:
        assert data_capture_destination is not None and data_capture_kms_key_arn is not None
        data_capture = render_data_capture_config(
            settings.data_capture, data_capture_destination, data_capture_kms_key_arn
        )
    async_config = None
    if settings.mode == "async":
        assert async_output is not None
        async_config = render_async_inference_config(settings, async_output)
    deployment = (
        None if settings.deployment is None else render_deployment_config(settings.deployment, rollback_alarm_names)
    )
    return {
        "version": SPEC_VERSION,
        "endpoint_name": endpoint_name,
        "mode": settings.mode,
        "execution_role_arn": execution_role_arn,
        "enable_network_isolation": settings.network_isolation,
        "vpc_config": vpc,
        "variants": render_production_variants(settings, model_name=None),
        "async_inference_config": async_config,
        "data_capture_config": data_capture,
        "kms_key_arn": kms_key_arn,
        "deployment_config": deployment,
        "autoscaling": render_autoscaling(endpoint_name, settings, settings.variants[0]),
    }


# --- validation (pure) ------------------------------------------------------------------------


def endpoint_problems(
    endpoint_name: str, settings: EndpointSettings, model: ModelSource, *, volume_key_given: bool = False
) -> list[str]:
    """Every problem with an endpoint's props, each naming what was given and what is allowed."""
    problems = list(model.problems())
    if not cdk.Token.is_unresolved(endpoint_name) and not _ENDPOINT_NAME.match(endpoint_name):
        problems.append(
            f"endpoint_name={endpoint_name!r}: must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}$ "
            "(letters, digits and inner hyphens, at most 63 characters)"
        )
    if not settings.variants:
        return [*problems, "variants=(): at least one production variant is required"]
    names = [variant.name for variant in settings.variants]
    if len(set(names)) != len(names):
        problems.append(f"variants: names {names} must be unique")
    if settings.mode == "serverless":
        problems += _serverless_problems(settings, model)
    else:
        for variant in settings.variants:
            problems += _instance_variant_problems(settings, variant)
    if settings.mode == "async":
        problems += _async_problems(settings)
    elif settings.async_inference is not None:
        problems.append(f"async_inference is set but mode={settings.mode!r}; allowed only with mode='async'")
    if settings.mode == "multi-model":
        problems += _multi_model_problems(settings, model)
    if volume_key_given:
        nvme = [v.instance_type for v in settings.variants if v.spec is not None and v.spec.has_local_nvme]
        if nvme:
            problems.append(
                f"volume_key: instance type(s) {', '.join(str(t) for t in nvme)} have local NVMe storage "
                "(hardware-encrypted); SageMaker refuses a volume KMS key for them; allowed: omit volume_key, "
                "or choose a type without local storage (e.g. ml.p3.*, ml.inf2.*, ml.m5.*, ml.c5.*)"
            )
    if model.deployed_by_pipeline and len(settings.variants) != 1:
        problems.append(
            f"variants: {len(settings.variants)} given for a model package group; the deployment spec "
            "(version 1) carries exactly one variant"
        )
    if settings.data_capture is not None and not 0 <= settings.data_capture.sampling_percentage <= 100:
        problems.append(f"data_capture.sampling_percentage={settings.data_capture.sampling_percentage}: allowed 0-100")
    if settings.deployment is not None:
        problems += _guardrail_problems(settings.deployment)
    return problems


def _serverless_problems(settings: EndpointSettings, model: ModelSource) -> list[str]:
    problems = []
    if len(settings.variants) != 1:
        problems.append(f"variants: {len(settings.variants)} given; a serverless endpoint has exactly one variant")
    variant = settings.variants[0]
    spec = variant.spec
    if variant.instance_type is not None:
        if spec is not None and spec.is_accelerated:
            problems.append(
                f"instance_type={variant.instance_type!r} has {spec.accelerator_count} {spec.accelerator} "
                "accelerator(s): serverless endpoints run on CPU only and refuse GPUs; allowed: omit "
                "instance_type (serverless), or mode 'realtime'/'async' for GPU instances"
            )
        else:
            problems.append(
                f"instance_type={variant.instance_type!r}: serverless endpoints have no instance type; "
                "allowed: omit it and size the endpoint with serverless.memory_size_mb"
            )
    if model.image is not None and model.image.is_gpu_build:
        problems.append(
            f"image tag {model.image.tag!r} is a GPU build: serverless endpoints run on CPU only and refuse GPUs; "
            "allowed: a CPU image"
        )
    if variant.serverless is None:
        problems.append("serverless: required for mode='serverless' (memory_size_mb, max_concurrency)")
    else:
        problems += _serverless_size_problems(variant.serverless)
    if variant.max_rps_per_instance is not None or variant.gpu_utilization_target is not None:
        problems.append(
            "max_rps_per_instance/gpu_utilization_target: serverless endpoints scale by themselves; omit them"
        )
    if settings.data_capture is not None:
        problems.append("data_capture: SageMaker serverless endpoints do not support data capture; omit it")
    return problems


def _serverless_size_problems(serverless: ServerlessSettings) -> list[str]:
    problems = []
    if serverless.memory_size_mb not in _SERVERLESS_MEMORY_MB:
        problems.append(
            f"serverless.memory_size_mb={serverless.memory_size_mb}: "
            f"allowed {', '.join(map(str, _SERVERLESS_MEMORY_MB))}"
        )
    if not 1 <= serverless.max_concurrency <= 200:
        problems.append(f"serverless.max_concurrency={serverless.max_concurrency}: allowed 1-200")
    provisioned = serverless.provisioned_concurrency
    if provisioned is not None and not 1 <= provisioned <= serverless.max_concurrency:
        problems.append(
            f"serverless.provisioned_concurrency={provisioned}: "
            f"allowed 1 to max_concurrency={serverless.max_concurrency}"
        )
    return problems


def _instance_variant_problems(settings: EndpointSettings, variant: VariantSettings) -> list[str]:
    label = f"variant {variant.name!r}"
    if variant.instance_type is None:
        return [f"{label}: instance_type is required for mode={settings.mode!r}"]
    if variant.declared_spec is not None:
        declared_problems = declared_instance_problems(variant.declared_spec)
        if variant.declared_spec.instance_type != variant.instance_type:
            declared_problems.append(
                f"declared_spec.instance_type={variant.declared_spec.instance_type!r} differs from "
                f"instance_type={variant.instance_type!r}"
            )
        if declared_problems:
            return [f"{label}: {problem}" for problem in declared_problems]
    spec = variant.spec
    if spec is None:
        return [
            f"{label}: instance_type={variant.instance_type!r} is not in the catalog; allowed: {catalog_families()}, "
            "or declare it with VariantSettings.declared_spec"
        ]
    problems = []
    if variant.serverless is not None:
        problems.append(f"{label}: serverless settings are allowed only with mode='serverless'")
    minimum, initial, maximum = variant.min_instances, variant.initial_count, variant.max_instances
    if not 0 <= minimum <= initial <= maximum:
        problems.append(
            f"{label}: min_instances={minimum}, initial_instances={initial}, max_instances={maximum}: "
            "allowed 0 <= min <= initial <= max"
        )
    if initial < 1:
        problems.append(f"{label}: initial_instances={initial}: SageMaker starts an endpoint with at least 1 instance")
    if minimum == 0 and settings.mode != "async":
        problems.append(
            f"{label}: min_instances=0 with mode={settings.mode!r}: only asynchronous endpoints (and inference "
            "components) scale to zero; allowed: mode 'async', or min_instances >= 1"
        )
    if (
        settings.mode != "async"
        and minimum < maximum
        and variant.max_rps_per_instance is None
        and (variant.gpu_utilization_target is None)
    ):
        problems.append(
            f"{label}: min_instances={minimum} < max_instances={maximum} needs a scaling signal: "
            "set max_rps_per_instance and/or gpu_utilization_target"
        )
    if variant.gpu_utilization_target is not None and not spec.is_gpu:
        problems.append(
            f"{label}: gpu_utilization_target set on instance_type={variant.instance_type!r}, which has no GPU; "
            "allowed only on GPU instance types"
        )
    if variant.gpu_utilization_target is not None and not 1 <= variant.gpu_utilization_target <= 100:
        problems.append(f"{label}: gpu_utilization_target={variant.gpu_utilization_target}: allowed 1-100 (percent)")
    if variant.max_rps_per_instance is not None and variant.max_rps_per_instance <= 0:
        problems.append(f"{label}: max_rps_per_instance={variant.max_rps_per_instance}: must be > 0")
    if not 0 < variant.safety_factor <= 1:
        problems.append(f"{label}: safety_factor={variant.safety_factor}: allowed 0 < safety_factor <= 1")
    if variant.volume_size_gb is not None:
        if spec.has_local_nvme:
            problems.append(
                f"{label}: volume_size_gb={variant.volume_size_gb} on instance_type={variant.instance_type!r}, which "
                f"has {spec.local_nvme_gb} GB of local NVMe storage used instead of a volume; allowed: omit "
                "volume_size_gb for NVMe instance types"
            )
        elif not 1 <= variant.volume_size_gb <= 512:
            problems.append(f"{label}: volume_size_gb={variant.volume_size_gb}: allowed 1-512")
    for name in ("model_data_download_timeout_seconds", "container_startup_health_check_timeout_seconds"):
        value = getattr(variant, name)
        if value is not None and not 60 <= value <= 3600:
            problems.append(f"{label}: {name}={value}: allowed 60-3600")
    return problems


def _async_problems(settings: EndpointSettings) -> list[str]:
    problems = []
    async_settings = settings.async_settings
    if len(settings.variants) != 1:
        problems.append(f"variants: {len(settings.variants)} given; an asynchronous endpoint has exactly one variant")
    if not 1 <= async_settings.invocation_timeout_seconds <= 3600:
        problems.append(
            f"async_inference.invocation_timeout_seconds={async_settings.invocation_timeout_seconds}: allowed 1-3600"
        )
    concurrency = async_settings.max_concurrent_invocations_per_instance
    if concurrency is not None and not 1 <= concurrency <= 1000:
        problems.append(f"async_inference.max_concurrent_invocations_per_instance={concurrency}: allowed 1-1000")
    if async_settings.backlog_per_instance_target <= 0:
        problems.append(
            f"async_inference.backlog_per_instance_target={async_settings.backlog_per_instance_target}: must be > 0"
        )
    return problems


def _multi_model_problems(settings: EndpointSettings, model: ModelSource) -> list[str]:
    if model.kind != "image" or model.model_data is None or model.model_data.compressed:
        return [
            "model: a multi-model endpoint loads models from an S3 prefix; allowed: ModelSource.from_image(image, "
            "ModelData.from_url('s3://bucket/prefix/'))"
        ]
    refusals = [
        f"variant {v.name!r}: instance_type={v.instance_type!r}: {refusal}"
        for v in settings.variants
        if v.spec is not None and (refusal := multi_model_refusal(v.spec)) is not None
    ]
    if refusals:
        return refusals
    gpu_types = [v.instance_type for v in settings.variants if v.spec is not None and v.spec.is_gpu]
    if gpu_types and model.image is not None and not model.image.is_triton:
        return [
            f"image repository {model.image.repository_name!r} on GPU instance type(s) "
            f"{', '.join(map(str, gpu_types))}: "
            "GPU multi-model endpoints require an NVIDIA Triton Inference Server image (sagemaker-tritonserver)"
        ]
    return []


def _guardrail_problems(guardrails: DeploymentGuardrails) -> list[str]:
    problems = []
    if not 1 <= guardrails.step_percent <= 99:
        problems.append(f"deployment.step_percent={guardrails.step_percent}: allowed 1-99")
    if not 0 <= guardrails.wait_seconds <= 3600:
        problems.append(f"deployment.wait_seconds={guardrails.wait_seconds}: allowed 0-3600")
    if not 0 <= guardrails.termination_wait_seconds <= 3600:
        problems.append(f"deployment.termination_wait_seconds={guardrails.termination_wait_seconds}: allowed 0-3600")
    timeout = guardrails.maximum_execution_timeout_seconds
    if timeout is not None and not 600 <= timeout <= 14400:
        problems.append(f"deployment.maximum_execution_timeout_seconds={timeout}: allowed 600-14400")
    return problems


# --- shared pieces ----------------------------------------------------------------------------


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


def _override(resource: cdk.CfnResource, properties: dict[str, Any]) -> None:
    """Set API-shape properties on an L1 as they are (PascalCase keys are CloudFormation's; None dropped).

    The typed L1 props would need the same dictionaries re-spelled in jsii's camelCase: overriding keeps
    the rendered dictionaries, which the deployment spec also carries, the one source of truth.
    """
    for name, value in properties.items():
        if value is not None:
            resource.add_property_override(name, _without_none(value))


# --- constructs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointRef:
    """An endpoint known by name: enough to grant invoking it and to read its metrics."""

    endpoint_name: str
    endpoint_arn: str

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` invoke the endpoint (InvokeEndpoint, with response stream)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(INVOKE_ACTIONS), resource_arns=[self.endpoint_arn]
        )

    def grant_invoke_async(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` call InvokeEndpointAsync (S3 input/output grants are the bucket owner's to give)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(INVOKE_ASYNC_ACTIONS), resource_arns=[self.endpoint_arn]
        )


class HostingShared(Construct):
    """What many endpoints share: a KMS key, an S3 bucket (async input/output, data capture) and an alarm topic.

    The bucket is versioned, SSL-only, KMS-encrypted with `key` and logs access to its own log bucket.

    :param bucket_name: Default: generated by CloudFormation. Give a deterministic name when endpoints
        in other (nested) stacks use this bucket: their grants are then built from the name, with no
        cross-stack reference.
    :param removal_policy: of the key and buckets. Default: RETAIN.
    :param key_alias: an alias for the key (``alias/...``). Default: none. Give the deterministic one
        (`naming.hosting_key_alias`) when other accounts' or stacks' grants name the key by alias.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        key_alias: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.key = kms.Key(
            self,
            "Key",
            description="Endpoint volumes, async inference input/output, data capture, hosting SNS topics",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        limit_grants_to_aws_resources(self.key)
        self.key_alias: kms.Alias | None = None
        if key_alias is not None:
            self.key_alias = kms.Alias(self, "KeyAlias", alias_name=key_alias, target_key=self.key)
        # CloudWatch alarms publish to the KMS-encrypted alarm topic.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
            )
        )
        self.access_logs = access_logs_bucket(
            self,
            "AccessLogs",
            of="the hosting bucket",
            removal_policy=removal_policy,
            lifecycle_rules=[ACCESS_LOG_RETENTION],
        )
        self.bucket = encrypted_bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            key=self.key,
            access_logs=self.access_logs,
            access_logs_prefix="hosting/",
            removal_policy=removal_policy,
            holds="async inference payloads and results",
            replication="async inference payloads and captured data are working data, re-creatable from their sources",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(30))],
        )
        self.bucket_name: str = bucket_name if bucket_name is not None else self.bucket.bucket_name
        self.alarm_topic = sns.Topic(self, "AlarmTopic", master_key=self.key, enforce_ssl=True)

    def object_arn(self, scope: Construct, pattern: str) -> str:
        """ARN of the bucket's objects matching `pattern`, built from the bucket name."""
        return f"arn:{cdk.Stack.of(scope).partition}:s3:::{self.bucket_name}/{pattern}"


class Endpoint(Construct):
    """A SageMaker endpoint (real-time, asynchronous, multi-model or serverless) with everything around it.

    Example, an async GPU endpoint for a registry model package that scales to zero::

        Endpoint(self, "Churn", endpoint_name="churn-async",
                 model=ModelSource.from_model_package(package_arn),
                 settings=EndpointSettings(mode="async", variants=(VariantSettings(
                     instance_type="ml.g5.xlarge", min_instances=0, max_instances=4),)))

    :param endpoint_name: stable endpoint name (consumers such as Redshift ML call it by name).
    :param model: what the model is made from. From a model package group, the deploy pipeline creates
        the model, endpoint config and endpoint from `deployment_spec`; this construct creates the rest.
    :param settings: Default: a real-time endpoint with one ml.g5.xlarge instance.
    :param shared: key, bucket and alarm topic. Default: a new `HostingShared` inside this construct.
    :param role_name: name of the execution role. Default: generated by CloudFormation.
    :param volume_key: KMS key of the instances' storage volumes. Default: the shared key, except on
        instance types with local NVMe storage, where the API refuses one (refused here if given).
    :param deployment_spec_parameter_name: publish the deployment spec in this SSM String parameter.
        Default: not published.
    :param gateway: async endpoints only: served by the inference gateway, so results go to the gateway's
        output bucket (``async/<endpoint_name>/``) and completions to its topic, encrypted with its key, and
        the role may read the gateway's inputs. Default: the shared bucket and the endpoint's own topics.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        model: ModelSource,
        settings: EndpointSettings | None = None,
        shared: HostingShared | None = None,
        role_name: str | None = None,
        volume_key: kms.IKey | None = None,
        deployment_spec_parameter_name: str | None = None,
        gateway: GatewayRouting | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.settings = settings if settings is not None else EndpointSettings()
        problems = ProblemCollector(f"Endpoint {endpoint_name}")
        for problem in endpoint_problems(endpoint_name, self.settings, model, volume_key_given=volume_key is not None):
            problems.add(problem)
        if gateway is not None and self.settings.mode != "async":
            problems.add(f"gateway routing given for mode={self.settings.mode!r}; allowed only for mode='async'")
        problems.raise_if_any()

        self.endpoint_name = endpoint_name
        self.model_source = model
        self.shared = shared if shared is not None else HostingShared(self, "Shared")
        stack = cdk.Stack.of(self)
        self.endpoint_arn = stack.format_arn(
            service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower()
        )
        self._s3_prefix = f"async/{endpoint_name}"
        self.gateway = gateway
        has_nvme = any(v.spec is not None and v.spec.has_local_nvme for v in self.settings.variants)
        serverless = self.settings.mode == "serverless"
        self.volume_key: kms.IKey | None = (
            volume_key if volume_key is not None else (None if has_nvme or serverless else self.shared.key)
        )

        self.role = PlatformRole(
            self,
            "ExecutionRole",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of the models of SageMaker endpoint {endpoint_name}",
        )
        model.grant_read(self.role, self)
        grant_endpoint_runtime(self.role, endpoint_name, vpc=self.settings.vpc is not None, volume_key=self.volume_key)

        self.success_topic: sns.Topic | None = None
        self.error_topic: sns.Topic | None = None
        async_output = None
        if self.settings.mode == "async":
            async_output = self._async_output() if gateway is None else self._gateway_output(gateway)
        capture_destination = f"s3://{self.shared.bucket_name}/data-capture/{endpoint_name}"
        if self.settings.data_capture is not None:
            self._grant_bucket_write(
                f"data-capture/{endpoint_name}/*",
                "SageMaker names each data capture file by variant, date and hour, under this endpoint's prefix",
            )

        self.alarms = self._create_alarms()
        # Literal names (the alarms carry them): the pipeline's spec needs no token for them.
        rollback = [alarm_name(endpoint_name, "errors_5xx"), alarm_name(endpoint_name, "latency_p99")]
        self.deployment_spec: dict[str, Any] = render_deployment_spec(
            endpoint_name=endpoint_name,
            settings=self.settings,
            execution_role_arn=self.role.role_arn,
            kms_key_arn=None if self.volume_key is None else self.volume_key.key_arn,
            async_output=async_output,
            data_capture_destination=capture_destination,
            data_capture_kms_key_arn=self.shared.key.key_arn,
            rollback_alarm_names=rollback,
        )
        self.model: sagemaker.CfnModel | None = None
        self.endpoint_config: sagemaker.CfnEndpointConfig | None = None
        self.endpoint: sagemaker.CfnEndpoint | None = None
        if not model.deployed_by_pipeline:
            self._create_endpoint()
        self.dashboard = self._create_dashboard()
        self.deployment_spec_parameter: ssm.StringParameter | None = None
        if deployment_spec_parameter_name is not None:
            self.deployment_spec_parameter = ssm.StringParameter(
                self,
                "DeploymentSpec",
                parameter_name=deployment_spec_parameter_name,
                # json.dumps, not Stack.to_json_string, which drops the spec's explicit nulls. The tokens
                # embedded are ARNs and names: no character that JSON would need to escape.
                string_value=json.dumps(self.deployment_spec, separators=(",", ":")),
                description=f"Deployment spec (version {SPEC_VERSION}) of endpoint {endpoint_name}",
                tier=ssm.ParameterTier.STANDARD,
            )

    # --- imports ------------------------------------------------------------------------------

    @staticmethod
    def from_endpoint_name(scope: Construct, endpoint_name: str) -> EndpointRef:
        """An existing endpoint (e.g. one the deploy pipeline created, or another stack's) by its stable name."""
        arn = cdk.Stack.of(scope).format_arn(
            service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower()
        )
        return EndpointRef(endpoint_name=endpoint_name, endpoint_arn=arn)

    # --- public API ---------------------------------------------------------------------------

    @property
    def invocation_timeout_seconds(self) -> int | None:
        """What clients pass as InvocationTimeoutSeconds to InvokeEndpointAsync (async endpoints)."""
        return self.settings.async_settings.invocation_timeout_seconds if self.settings.mode == "async" else None

    @property
    def input_prefix(self) -> str:
        """S3 prefix (in the shared bucket) where async clients upload request payloads."""
        return f"{self._s3_prefix}/input/"

    def grant_invoke(self, grantee: iam.IGrantable, *, target_models: Sequence[str] | None = None) -> iam.Grant:
        """Let `grantee` invoke the endpoint (real-time, multi-model, serverless).

        `target_models`: multi-model endpoints only; limit the grant to these model archives (the
        `sagemaker:TargetModel` condition; wildcards allowed). Default: every model.
        """
        conditions = None
        if target_models is not None:
            if self.settings.mode != "multi-model":
                problems = ProblemCollector(f"Endpoint {self.endpoint_name}")
                problems.add(
                    f"target_models={list(target_models)} given for mode={self.settings.mode!r}; "
                    "allowed only for multi-model"
                )
                problems.raise_if_any()
            conditions = {"StringLike": {"sagemaker:TargetModel": list(target_models)}}
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(INVOKE_ACTIONS), resource_arns=[self.endpoint_arn], conditions=conditions
        )

    def grant_invoke_async(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` upload payloads under `input_prefix`, invoke asynchronously and read the results."""
        if self.settings.mode != "async":
            problems = ProblemCollector(f"Endpoint {self.endpoint_name}")
            problems.add(f"grant_invoke_async on mode={self.settings.mode!r}; allowed only for mode='async'")
            problems.raise_if_any()
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(INVOKE_ASYNC_ACTIONS), resource_arns=[self.endpoint_arn]
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:PutObject"],
                resource_arns=[self.shared.object_arn(self, f"{self.input_prefix}*")],
            )
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:GetObject"],
                resource_arns=self._result_object_arns(),
            )
        )
        return grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                resource_arns=[self.shared.key.key_arn],
            )
        )

    def metric(
        self, metric_name: str, *, per_instance: bool = False, variant: str | None = None, **props: Any
    ) -> cloudwatch.Metric:
        """A metric of this endpoint. `per_instance`: the /aws/sagemaker/Endpoints namespace (CPU, GPU).

        Dimensions: EndpointName, plus VariantName unless `variant` is "" (endpoint-level async metrics).
        Default variant: the first.
        """
        dims = {"EndpointName": self.endpoint_name}
        variant_name = self.settings.variants[0].name if variant is None else variant
        if variant_name:
            dims["VariantName"] = variant_name
        namespace = INSTANCE_NAMESPACE if per_instance else INVOCATION_NAMESPACE
        return cloudwatch.Metric(metric_name=metric_name, namespace=namespace, dimensions_map=dims, **props)

    def metric_invocations(self, **props: Any) -> cloudwatch.Metric:
        """Invocations, Sum over 5 minutes."""
        return self.metric("Invocations", statistic="Sum", period=cdk.Duration.minutes(5), **props)

    def metric_model_latency(self, **props: Any) -> cloudwatch.Metric:
        """ModelLatency in microseconds, p99 over 5 minutes."""
        return self.metric("ModelLatency", statistic="p99", period=cdk.Duration.minutes(5), **props)

    def metric_invocation_5xx_errors(self, **props: Any) -> cloudwatch.Metric:
        """Invocation5XXErrors, Sum over 5 minutes."""
        return self.metric("Invocation5XXErrors", statistic="Sum", period=cdk.Duration.minutes(5), **props)

    def metric_invocation_4xx_errors(self, **props: Any) -> cloudwatch.Metric:
        """Invocation4XXErrors, Sum over 5 minutes."""
        return self.metric("Invocation4XXErrors", statistic="Sum", period=cdk.Duration.minutes(5), **props)

    def metric_gpu_utilization(self, **props: Any) -> cloudwatch.Metric:
        """GPUUtilization (percent x GPU count), Average over 5 minutes."""
        return self.metric(
            "GPUUtilization", per_instance=True, statistic="Average", period=cdk.Duration.minutes(5), **props
        )

    def metric_gpu_memory_utilization(self, **props: Any) -> cloudwatch.Metric:
        """GPUMemoryUtilization (percent x GPU count), Average over 5 minutes."""
        return self.metric(
            "GPUMemoryUtilization", per_instance=True, statistic="Average", period=cdk.Duration.minutes(5), **props
        )

    def metric_backlog_size(self, **props: Any) -> cloudwatch.Metric:
        """ApproximateBacklogSize (async queue length), Average over 1 minute."""
        return self.metric(
            "ApproximateBacklogSize", variant="", statistic="Average", period=cdk.Duration.minutes(1), **props
        )

    def metric_backlog_size_per_instance(self, **props: Any) -> cloudwatch.Metric:
        """ApproximateBacklogSizePerInstance (what async target tracking follows), Average over 1 minute."""
        return self.metric(
            "ApproximateBacklogSizePerInstance",
            variant="",
            statistic="Average",
            period=cdk.Duration.minutes(1),
            **props,
        )

    def metric_backlog_age(self, **props: Any) -> cloudwatch.Metric:
        """ApproximateAgeOfOldestRequest in seconds (async), Maximum over 5 minutes."""
        return self.metric(
            "ApproximateAgeOfOldestRequest", variant="", statistic="Maximum", period=cdk.Duration.minutes(5), **props
        )

    def metric_has_backlog_without_capacity(self, **props: Any) -> cloudwatch.Metric:
        """HasBacklogWithoutCapacity (1 when requests wait at zero instances), Average over 1 minute."""
        return self.metric(
            "HasBacklogWithoutCapacity", variant="", statistic="Average", period=cdk.Duration.minutes(1), **props
        )

    # --- private ------------------------------------------------------------------------------

    def _result_object_arns(self) -> list[str]:
        if self.gateway is None:
            return [self.shared.object_arn(self, f"{self._s3_prefix}/{kind}/*") for kind in ("output", "failure")]
        partition = cdk.Stack.of(self).partition
        return [
            f"arn:{partition}:s3:::{self.gateway.output_bucket_name}/{self._s3_prefix}/{kind}/*"
            for kind in ("output", "failure")
        ]

    def _grant_bucket_write(self, pattern: str, reason: str) -> None:
        add_statement(
            self.role,
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[self.shared.object_arn(self, pattern)]),
            reason,
        )
        add_statement(
            self.role,
            iam.PolicyStatement(actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[self.shared.key.key_arn]),
        )

    def _async_output(self) -> AsyncOutput:
        key = self.shared.key
        self.success_topic = sns.Topic(self, "SuccessTopic", master_key=key, enforce_ssl=True)
        self.error_topic = sns.Topic(self, "ErrorTopic", master_key=key, enforce_ssl=True)
        # SageMaker reads each request from the input prefix and writes results with this role.
        add_statement(
            self.role,
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[self.shared.object_arn(self, f"{self.input_prefix}*")]
            ),
            "callers name each async request's payload object; all of them sit under this endpoint's input prefix",
        )
        self._grant_bucket_write(
            f"{self._s3_prefix}/output/*", "SageMaker names each async result by its inference id, under this prefix"
        )
        add_statement(
            self.role,
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[self.shared.object_arn(self, f"{self._s3_prefix}/failure/*")]
            ),
            "SageMaker names each async failure by its inference id, under this prefix",
        )
        add_statement(self.role, iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]))
        add_statement(
            self.role,
            iam.PolicyStatement(
                actions=["sns:Publish"], resources=[self.success_topic.topic_arn, self.error_topic.topic_arn]
            ),
        )
        return AsyncOutput(
            output_path=f"s3://{self.shared.bucket_name}/{self._s3_prefix}/output",
            failure_path=f"s3://{self.shared.bucket_name}/{self._s3_prefix}/failure",
            kms_key_arn=key.key_arn,
            success_topic_arn=self.success_topic.topic_arn,
            error_topic_arn=self.error_topic.topic_arn,
        )

    def _gateway_output(self, gateway: GatewayRouting) -> AsyncOutput:
        """Results to the gateway's bucket and topic; requests from the gateway's (or the shared) input prefix."""
        stack = cdk.Stack.of(self)
        partition = stack.partition
        add_statement(
            self.role,
            iam.PolicyStatement(
                sid="ReadRequests",
                actions=["s3:GetObject"],
                resources=[
                    self.shared.object_arn(self, f"{self.input_prefix}*"),
                    f"arn:{partition}:s3:::{gateway.input_bucket_name}/inputs/*",
                ],
            ),
            "each request's payload is an object named per request: under this endpoint's input prefix, or under "
            "the gateway's inputs/ prefix",
        )
        add_statement(
            self.role,
            iam.PolicyStatement(
                sid="WriteGatewayResults",
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[f"arn:{partition}:s3:::{gateway.output_bucket_name}/{self._s3_prefix}/*"],
            ),
            "SageMaker names each result and failure by its inference id, under this endpoint's prefix of the "
            "gateway's bucket",
        )
        topic_arn = stack.format_arn(
            service="sns", resource=gateway.completion_topic_name, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
        )
        add_statement(
            self.role,
            iam.PolicyStatement(sid="PublishGatewayCompletions", actions=["sns:Publish"], resources=[topic_arn]),
        )
        # Shared key: the shared input prefix. Gateway key (by alias): its inputs, the results, the topic.
        add_statement(self.role, iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.shared.key.key_arn]))
        add_statement(
            self.role,
            iam.PolicyStatement(
                sid="UseGatewayKey",
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                resources=[stack.format_arn(service="kms", resource="key", resource_name="*")],
                conditions={
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": gateway.key_alias},
                    "StringEquals": {
                        "kms:ViaService": [
                            f"s3.{stack.region}.{stack.url_suffix}",
                            f"sns.{stack.region}.{stack.url_suffix}",
                        ]
                    },
                },
            ),
            "the gateway's key lives in the gateway stack, named here by its alias only: the grant holds for the key "
            f"carrying {gateway.key_alias} (kms:ResourceAliases), used through S3 or SNS (kms:ViaService)",
        )
        output = f"s3://{gateway.output_bucket_name}/{self._s3_prefix}"
        return AsyncOutput(
            output_path=f"{output}/output",
            failure_path=f"{output}/failure",
            kms_key_arn=stack.format_arn(service="kms", resource=gateway.key_alias),
            success_topic_arn=topic_arn,
            error_topic_arn=topic_arn,
        )

    def _create_endpoint(self) -> None:
        settings = self.settings
        self.model = create_model(
            self,
            "Model",
            name_prefix=self.endpoint_name,
            source=self.model_source,
            role=self.role,
            vpc=self.deployment_spec["vpc_config"],
            network_isolation=settings.network_isolation,
            multi_model=settings.mode == "multi-model",
        )
        model_name = self.model.model_name
        assert model_name is not None
        spec = self.deployment_spec
        config_content = {
            "variants": render_production_variants(settings, model_name),
            "async": spec["async_inference_config"],
            "capture": spec["data_capture_config"],
            "kms": spec["kms_key_arn"],
        }
        config_name = content_name(self, self.endpoint_name, config_content)
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            endpoint_config_name=config_name,
            # Replaced below by the rendered variants (the typed prop is required).
            production_variants=[sagemaker.CfnEndpointConfig.ProductionVariantProperty(variant_name="rendered")],
            kms_key_id=spec["kms_key_arn"],
        )
        _override(
            self.endpoint_config,
            {
                "ProductionVariants": config_content["variants"],
                "AsyncInferenceConfig": spec["async_inference_config"],
                "DataCaptureConfig": spec["data_capture_config"],
            },
        )
        self.endpoint_config.node.add_dependency(self.model)
        if self.volume_key is None:
            acknowledge_no_volume_key(
                self.endpoint_config,
                "no volume KMS key: serverless endpoints have no customer volume"
                if settings.mode == "serverless"
                else NVME_NO_KEY_REASON,
            )
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=config_name,
        )
        _override(self.endpoint, {"DeploymentConfig": spec["deployment_config"]})
        if spec["deployment_config"] is not None:
            # The rollback alarms are named, not referenced: order them before the endpoint explicitly.
            self.endpoint.node.add_dependency(self.alarms["errors_5xx"], self.alarms["latency_p99"])
        self.endpoint.node.add_dependency(self.endpoint_config)
        self.endpoint.node.add_dependency(self.role)
        for variant in settings.variants:
            self._create_scaling(variant)

    def _create_scaling(self, variant: VariantSettings) -> None:
        scaling = render_autoscaling(self.endpoint_name, self.settings, variant)
        if scaling is None:
            return
        scope = Construct(self, f"Scaling{variant.name}")
        target = appscaling.CfnScalableTarget(
            scope,
            "Target",
            service_namespace="sagemaker",
            resource_id=f"endpoint/{self.endpoint_name}/variant/{variant.name}",
            scalable_dimension=_VARIANT_DIMENSION,
            # An explicit 0 stays 0 (scale to zero); never replaced by the initial count.
            min_capacity=scaling["min_capacity"],
            max_capacity=scaling["max_capacity"],
        )
        assert self.endpoint is not None
        target.node.add_dependency(self.endpoint)
        create_scaling_policies(scope, target, scaling)

    def _create_alarms(self) -> dict[str, cloudwatch.Alarm]:
        """p99 latency and 5XX per endpoint, GPU memory on GPU variants, backlog age on async; to the alarm topic."""
        thresholds = self.settings.alarms
        name = self.endpoint_name
        alarms: dict[str, cloudwatch.Alarm] = {
            "latency_p99": self._alarm(
                "LatencyP99Alarm",
                alarm_name(name, "latency_p99"),
                self.metric_model_latency(),
                thresholds.latency_p99_ms * 1000,  # ModelLatency is in microseconds
                f"p99 model latency of {name} above {thresholds.latency_p99_ms} ms",
            ),
            "errors_5xx": self._alarm(
                "Errors5xxAlarm",
                alarm_name(name, "errors_5xx"),
                self.metric_invocation_5xx_errors(),
                thresholds.errors_5xx,
                f"{name} returned {thresholds.errors_5xx} or more 5XX errors in 5 minutes",
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            ),
        }
        variant = self.settings.variants[0]
        spec = variant.spec
        if spec is not None and spec.is_gpu:
            alarms["gpu_memory"] = self._alarm(
                "GpuMemoryAlarm",
                alarm_name(name, "gpu_memory"),
                self.metric_gpu_memory_utilization(),
                thresholds.gpu_memory_percent * spec.gpu_count,  # the metric sums the instance's GPUs
                f"GPU memory of {name} above {thresholds.gpu_memory_percent} % per GPU",
            )
        if self.settings.mode == "async":
            age = thresholds.backlog_age_seconds
            if age is None:
                age = 2 * self.settings.async_settings.invocation_timeout_seconds
            alarms["backlog_age"] = self._alarm(
                "BacklogAgeAlarm",
                alarm_name(name, "backlog_age"),
                self.metric_backlog_age(),
                age,
                f"oldest queued request of {name} older than {age} s",
            )
        return alarms

    def _alarm(
        self,
        id: str,
        name: str,
        metric: cloudwatch.Metric,
        threshold: float,
        description: str,
        *,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    ) -> cloudwatch.Alarm:
        return create_alarm(
            self, id, name, metric, threshold, description, self.shared.alarm_topic, comparison=comparison
        )

    def _create_dashboard(self) -> cloudwatch.Dashboard:
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(
                title="Invocations and errors",
                left=[
                    self.metric_invocations(),
                    self.metric_invocation_4xx_errors(),
                    self.metric_invocation_5xx_errors(),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Model latency (microseconds)",
                left=[
                    self.metric_model_latency(),
                    self.metric("ModelLatency", statistic="p50", period=cdk.Duration.minutes(5)),
                ],
                width=12,
            ),
        ]
        spec = self.settings.variants[0].spec
        if spec is not None and spec.is_gpu:
            widgets.append(
                cloudwatch.GraphWidget(
                    title=f"GPU ({spec.gpu_count} x {spec.accelerator}; percent x GPU count)",
                    left=[self.metric_gpu_utilization(), self.metric_gpu_memory_utilization()],
                    width=12,
                )
            )
        if self.settings.mode == "async":
            widgets.append(
                cloudwatch.GraphWidget(
                    title="Async backlog",
                    left=[self.metric_backlog_size(), self.metric_backlog_size_per_instance()],
                    right=[self.metric_backlog_age(), self.metric_has_backlog_without_capacity()],
                    width=12,
                )
            )
        return cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.endpoint_name, widgets=[widgets])


@dataclass(frozen=True)
class InferenceComponent:
    """One model placed on an `InferenceComponentEndpoint`, with its share of the instance.

    Default: 1 accelerator, 1024 MB, 1 copy scaling between 0 and 1 copies on 5 invocations per copy.
    """

    name: str
    model: ModelSource
    accelerators: int = 1
    """NumberOfAcceleratorDevicesRequired per copy (0 on CPU instance types)."""
    memory_mb: int = 1024
    """MinMemoryRequiredInMb per copy."""
    copies: int = 1
    """Copies started on deployment."""
    min_copies: int = 0
    """0: the component scales to zero copies (and managed instance scaling can then remove instances)."""
    max_copies: int = 1
    invocations_per_copy_target: float = 5.0
    """Target of SageMakerInferenceComponentInvocationsPerCopy (per minute)."""
    network_isolation: bool = True
    """Default: on (no network for the container)."""


def render_component_autoscaling(component_name: str, component: InferenceComponent) -> dict[str, Any] | None:
    """Autoscaling of one inference component's copy count (API shapes); None when min = max copies."""
    if component.min_copies == component.max_copies:
        return None
    policies: list[dict[str, Any]] = [
        {
            "PolicyName": f"{component_name}-invocations-per-copy",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": float(component.invocations_per_copy_target),
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"
                },
                "ScaleInCooldown": SCALE_IN_COOLDOWN_SECONDS,
                "ScaleOutCooldown": SCALE_OUT_COOLDOWN_SECONDS,
            },
        }
    ]
    alarms: list[dict[str, Any]] = []
    if component.min_copies == 0:
        # At zero copies there is no per-copy load to track: requests that find no copy scale out by one.
        step_name = f"{component_name}-no-capacity"
        policies.append(
            {
                "PolicyName": step_name,
                "PolicyType": "StepScaling",
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": "ChangeInCapacity",
                    "MetricAggregationType": "Maximum",
                    "Cooldown": SCALE_OUT_COOLDOWN_SECONDS,
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
                },
            }
        )
        alarms.append(
            {
                "AlarmName": step_name,
                "AlarmDescription": f"{component_name} received requests with no copy: scale out from zero",
                "MetricName": "NoCapacityInvocationFailures",
                "Namespace": INVOCATION_NAMESPACE,
                "Dimensions": [{"Name": "InferenceComponentName", "Value": component_name}],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "DatapointsToAlarm": 1,
                "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "missing",
            }
        )
    return {
        "component": component_name,
        "min_capacity": component.min_copies,
        "max_capacity": component.max_copies,
        "policies": policies,
        "alarms": alarms,
    }


def inference_component_problems(
    endpoint_name: str,
    instance_type: str,
    components: Sequence[InferenceComponent],
    *,
    min_instances: int,
    initial_instances: int,
    max_instances: int,
) -> list[str]:
    """Every problem with an inference-component endpoint's props."""
    problems: list[str] = []
    if not cdk.Token.is_unresolved(endpoint_name) and not _ENDPOINT_NAME.match(endpoint_name):
        problems.append(f"endpoint_name={endpoint_name!r}: must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}$")
    spec = instance_spec(instance_type)
    if spec is None:
        return [*problems, f"instance_type={instance_type!r} is not in the catalog; allowed: {catalog_families()}"]
    if not 0 <= min_instances <= initial_instances <= max_instances or initial_instances < 1:
        problems.append(
            f"min_instances={min_instances}, initial_instances={initial_instances}, max_instances={max_instances}: "
            "allowed 0 <= min <= initial <= max, initial >= 1"
        )
    if not components:
        problems.append("components=(): at least one inference component is required")
    names = [c.name for c in components]
    if len(set(names)) != len(names):
        problems.append(f"components: names {names} must be unique")
    for component in components:
        label = f"component {component.name!r}"
        if component.model.deployed_by_pipeline:
            problems.append(
                f"{label}: a model package group is deployed by the pipeline; give a package ARN or an image"
            )
        if component.accelerators > spec.accelerator_count:
            problems.append(
                f"{label}: accelerators={component.accelerators} per copy, but {instance_type} has "
                f"{spec.accelerator_count} {spec.accelerator or 'accelerators'}; allowed 0-{spec.accelerator_count}"
            )
        if component.memory_mb > spec.memory_gib * 1024:
            problems.append(
                f"{label}: memory_mb={component.memory_mb} exceeds the {spec.memory_gib} GiB of {instance_type}"
            )
        if not 0 <= component.min_copies <= component.copies <= component.max_copies or component.copies < 1:
            problems.append(
                f"{label}: min_copies={component.min_copies}, copies={component.copies}, "
                f"max_copies={component.max_copies}: allowed 0 <= min <= copies <= max, copies >= 1"
            )
    if spec.accelerator_count:
        needed = sum(c.accelerators * c.max_copies for c in components)
        available = spec.accelerator_count * max_instances
        if needed > available:
            problems.append(
                f"components need {needed} accelerators at max_copies, but {max_instances} x {instance_type} "
                f"offer {available}; raise max_instances or lower max_copies"
            )
    return problems


class InferenceComponentEndpoint(Construct):
    """Several models on one (GPU) endpoint as inference components, with managed instance scaling.

    Each component reserves accelerators and memory per copy and scales its copy count on its own
    invocations; with `min_copies=0` and `min_instances=0` an idle endpoint keeps no instance.

    :param endpoint_name: stable endpoint name.
    :param instance_type: one instance type (from the catalog) for all components.
    :param components: the models and their resources.
    :param min_instances: Default: 0 (managed instance scaling removes idle instances).
    :param max_instances: Default: 1.
    :param initial_instances: Default: 1.
    :param shared: Default: a new `HostingShared`.
    :param role_name: Default: generated by CloudFormation.
    :param alarms: thresholds of the 5XX (endpoint) and p99 latency (per component) alarms.
        Default: `AlarmThresholds()`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        instance_type: str,
        components: Sequence[InferenceComponent],
        min_instances: int = 0,
        max_instances: int = 1,
        initial_instances: int = 1,
        shared: HostingShared | None = None,
        role_name: str | None = None,
        alarms: AlarmThresholds | None = None,
    ) -> None:
        super().__init__(scope, id)
        problems = ProblemCollector(f"InferenceComponentEndpoint {endpoint_name}")
        for problem in inference_component_problems(
            endpoint_name,
            instance_type,
            components,
            min_instances=min_instances,
            initial_instances=initial_instances,
            max_instances=max_instances,
        ):
            problems.add(problem)
        problems.raise_if_any()
        self.endpoint_name = endpoint_name
        self.endpoint_arn = cdk.Stack.of(self).format_arn(
            service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower()
        )
        self.shared = shared if shared is not None else HostingShared(self, "Shared")
        spec = instance_spec(instance_type)
        assert spec is not None
        self.role = PlatformRole(
            self,
            "ExecutionRole",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of the inference components of SageMaker endpoint {endpoint_name}",
        )
        volume_key = None if spec.has_local_nvme else self.shared.key
        grant_endpoint_runtime(self.role, endpoint_name, volume_key=volume_key)
        variant: dict[str, Any] = {
            "VariantName": "AllTraffic",
            "InstanceType": instance_type,
            "InitialInstanceCount": initial_instances,
            "ManagedInstanceScaling": {
                "Status": "ENABLED",
                "MinInstanceCount": min_instances,
                "MaxInstanceCount": max_instances,
            },
            "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
        }
        config_content = {"variant": variant, "role": self.role.role_arn, "kms": volume_key and volume_key.key_arn}
        config_name = content_name(self, endpoint_name, config_content)
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            endpoint_config_name=config_name,
            execution_role_arn=self.role.role_arn,
            production_variants=[sagemaker.CfnEndpointConfig.ProductionVariantProperty(variant_name="rendered")],
            kms_key_id=None if volume_key is None else volume_key.key_arn,
        )
        _override(self.endpoint_config, {"ProductionVariants": [variant]})
        self.endpoint_config.node.add_dependency(self.role)
        if volume_key is None:
            acknowledge_no_volume_key(self.endpoint_config, NVME_NO_KEY_REASON)
        self.endpoint = sagemaker.CfnEndpoint(
            self, "Endpoint", endpoint_name=endpoint_name, endpoint_config_name=config_name
        )
        self.endpoint.node.add_dependency(self.endpoint_config)
        defaults = hosting_defaults(spec)
        self.components: dict[str, sagemaker.CfnInferenceComponent] = {}
        self._component_scopes: dict[str, Construct] = {}
        for component in components:
            self.components[component.name] = self._component(component, defaults)
        self.alarms = self._create_alarms(alarms if alarms is not None else AlarmThresholds())
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=endpoint_name,
            widgets=[
                [
                    cloudwatch.GraphWidget(
                        title=title,
                        left=[self.metric(metric, c.name, statistic=statistic) for c in components],
                        width=8,
                    )
                    for title, metric, statistic in (
                        ("Invocations per component", "Invocations", "Sum"),
                        ("p99 model latency per component (microseconds)", "ModelLatency", "p99"),
                        ("Requests with no copy (scale from zero)", "NoCapacityInvocationFailures", "Sum"),
                    )
                ]
            ],
        )

    def component_name(self, component: str) -> str:
        """The deployed name of inference component `component`."""
        return f"{self.endpoint_name}-{component}"[:63]

    def metric(self, metric_name: str, component: str, **props: Any) -> cloudwatch.Metric:
        """A metric of one inference component (dimension InferenceComponentName), over 5 minutes."""
        return cloudwatch.Metric(
            metric_name=metric_name,
            namespace=INVOCATION_NAMESPACE,
            dimensions_map={"InferenceComponentName": self.component_name(component)},
            period=cdk.Duration.minutes(5),
            **props,
        )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` invoke the endpoint's components (InvokeEndpoint with InferenceComponentName)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(INVOKE_ACTIONS), resource_arns=[self.endpoint_arn]
        )

    def _create_alarms(self, thresholds: AlarmThresholds) -> dict[str, cloudwatch.Alarm]:
        topic = self.shared.alarm_topic
        errors = cloudwatch.Metric(
            metric_name="Invocation5XXErrors",
            namespace=INVOCATION_NAMESPACE,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": "AllTraffic"},
            statistic="Sum",
            period=cdk.Duration.minutes(5),
        )
        alarms = {
            "errors_5xx": create_alarm(
                self,
                "Errors5xxAlarm",
                alarm_name(self.endpoint_name, "errors_5xx"),
                errors,
                thresholds.errors_5xx,
                f"{self.endpoint_name} returned {thresholds.errors_5xx} or more 5XX errors in 5 minutes",
                topic,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            )
        }
        for component in self.components:
            name = self.component_name(component)
            alarms[f"latency_p99:{component}"] = create_alarm(
                self._component_scopes[component],
                "LatencyP99Alarm",
                alarm_name(name, "latency_p99"),
                self.metric("ModelLatency", component, statistic="p99"),
                thresholds.latency_p99_ms * 1000,  # microseconds
                f"p99 model latency of {name} above {thresholds.latency_p99_ms} ms",
                topic,
            )
        return alarms

    def _component(self, component: InferenceComponent, defaults: Any) -> sagemaker.CfnInferenceComponent:
        scope = Construct(self, component.name)
        self._component_scopes[component.name] = scope
        component.model.grant_read(self.role, scope)
        model = create_model(
            scope,
            "Model",
            name_prefix=self.component_name(component.name),
            source=component.model,
            role=self.role,
            vpc=None,
            network_isolation=component.network_isolation,
        )
        name = self.component_name(component.name)
        resource = sagemaker.CfnInferenceComponent(
            scope,
            "Component",
            inference_component_name=name,
            endpoint_name=self.endpoint_name,
            variant_name="AllTraffic",
            specification=sagemaker.CfnInferenceComponent.InferenceComponentSpecificationProperty(
                model_name="rendered"
            ),
        )
        startup = {
            "ModelDataDownloadTimeoutInSeconds": defaults.model_data_download_timeout_seconds,
            "ContainerStartupHealthCheckTimeoutInSeconds": defaults.container_startup_health_check_timeout_seconds,
        }
        _override(
            resource,
            {
                "Specification": {
                    "ModelName": model.model_name,
                    "ComputeResourceRequirements": {
                        "NumberOfAcceleratorDevicesRequired": component.accelerators or None,
                        "MinMemoryRequiredInMb": component.memory_mb,
                    },
                    "StartupParameters": startup if any(v is not None for v in startup.values()) else None,
                },
                "RuntimeConfig": {"CopyCount": component.copies},
            },
        )
        resource.node.add_dependency(model, self.endpoint)
        scaling = render_component_autoscaling(name, component)
        if scaling is not None:
            target = appscaling.CfnScalableTarget(
                scope,
                "ScalingTarget",
                service_namespace="sagemaker",
                resource_id=f"inference-component/{name}",
                scalable_dimension=_COMPONENT_DIMENSION,
                min_capacity=scaling["min_capacity"],
                max_capacity=scaling["max_capacity"],
            )
            target.node.add_dependency(resource)
            create_scaling_policies(scope, target, scaling)
        return resource


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
    _override(model, {"PrimaryContainer": container, "VpcConfig": vpc})
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
    add_statement(
        role,
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": [INSTANCE_NAMESPACE, INVOCATION_NAMESPACE]}},
        ),
        "cloudwatch:PutMetricData supports no resource-level permissions; limited to SageMaker's endpoint "
        "namespaces by the cloudwatch:namespace condition",
    )
    if vpc:
        add_statement(
            role,
            iam.PolicyStatement(actions=list(VPC_ACTIONS), resources=["*"]),
            "the EC2 network-interface calls SageMaker makes for a VPC endpoint support no resource-level "
            "permissions (Describe*) or act on interfaces that do not exist yet",
        )
    if volume_key is not None:
        add_statement(role, iam.PolicyStatement(actions=list(VOLUME_KEY_ACTIONS), resources=[volume_key.key_arn]))


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
        _override(
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

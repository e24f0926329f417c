"""Endpoint settings: frozen dataclasses, constants (grants, namespaces, cooldowns) and alarm names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.hosting.instances import (
    InstanceSpec,
    instance_spec,
)
from sagemaker_platform.constructs.hosting.models import (
    ModelSource,
)
from sagemaker_platform.contracts import deployment_spec, names

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
    """Also put the inference response into the success notification (``IncludeInferenceResponseIn``); it is
    written to the output path either way. Default: off."""


@dataclass(frozen=True)
class DataCaptureSettings:
    """Capture requests and responses to S3 (KMS). Default: 20 % of requests, input and output."""

    sampling_percentage: int = 20
    """Percent of requests captured (``InitialSamplingPercentage``), 0-100."""
    capture_input: bool = True
    """Capture the request payloads."""
    capture_output: bool = True
    """Capture the response payloads."""


@dataclass(frozen=True)
class DeploymentGuardrails:
    """Blue/green update with traffic shifting and automatic rollback on the endpoint's alarms.

    Default: canary of 10 % of capacity, 10-minute bake, old fleet kept 10 minutes, rollback on the
    5XX and p99 latency alarms.
    """

    traffic_routing: Literal["CANARY", "LINEAR", "ALL_AT_ONCE"] = "CANARY"
    """How traffic moves to the new fleet: one canary of `step_percent`, steps of `step_percent`, or all at once."""
    step_percent: int = 10
    """Canary size or linear step, percent of capacity (1-99)."""
    wait_seconds: int = 600
    """Bake time after each traffic shift, watching the rollback alarms (``WaitIntervalInSeconds``), 0-3600."""
    termination_wait_seconds: int = 600
    """How long the old fleet is kept once all traffic is on the new one (``TerminationWaitInSeconds``), 0-3600."""
    maximum_execution_timeout_seconds: int | None = None
    """600-14400. Default: SageMaker's."""


@dataclass(frozen=True)
class AlarmThresholds:
    """Alarm thresholds. Default: p99 latency 10 s, 5 5XX errors in 5 min, GPU memory 90 %, backlog age 2x timeout."""

    latency_p99_ms: int = 10_000
    """p99 model latency in milliseconds above which the latency alarm (a rollback alarm) fires."""
    errors_5xx: int = 5
    """Invocation 5XX errors in 5 minutes from which the errors alarm (a rollback alarm) fires."""
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

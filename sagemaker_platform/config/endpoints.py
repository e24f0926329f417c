"""The `endpoints` section: GPU endpoint hosting (real-time, async, multi-model, serverless)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sagemaker_platform.config.base import AccountId, Items, StrictModel, field_problem
from sagemaker_platform.config.images import PlatformImageConfig
from sagemaker_platform.contracts import names

ENDPOINT_NAME_PATTERN = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$"
MODEL_PACKAGE_ARN_PATTERN = r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[a-zA-Z0-9-]{1,63}/\d+$"


def _endpoint_entry_name(value: str) -> str:
    # <platform>-endpoint-<name>-<stage> must fit IAM's 64 characters with a 20-character platform name.
    if len(value) > 24 or not ENDPOINT_NAME_PATTERN.match(value):
        raise ValueError("must be 1-24 lowercase letters, digits and single inner hyphens, e.g. 'churn-async'")
    return value


class EndpointDlcImageConfig(StrictModel):
    """An AWS Deep Learning Container by repository and tag, resolved per region and partition."""

    repository: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/-]{0,255}$")]
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    account: AccountId | None = None
    """Registry account override. Default: the DLC registry of the region."""


EndpointPlatformImageConfig = PlatformImageConfig
"""`endpoints[].image: {platform_repository, tag}` (the same model as the tuning launcher's)."""


class EndpointAsyncConfig(StrictModel):
    """`endpoints[].async`: asynchronous inference settings (mode async only)."""

    max_concurrent_invocations_per_instance: Annotated[int, Field(ge=1, le=1000)] | None = None
    invocation_timeout_seconds: Annotated[int, Field(ge=1, le=3600)] = 900
    backlog_per_instance_target: Annotated[float, Field(gt=0)] = 5.0


class EndpointServerlessConfig(StrictModel):
    """`endpoints[].serverless`: serverless sizing (mode serverless only)."""

    memory_size_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    max_concurrency: Annotated[int, Field(ge=1, le=200)] = 5
    provisioned_concurrency: Annotated[int, Field(ge=1, le=200)] | None = None

    @model_validator(mode="after")
    def _provisioned_within_max(self) -> EndpointServerlessConfig:
        if self.provisioned_concurrency is not None and self.provisioned_concurrency > self.max_concurrency:
            raise field_problem(
                "provisioned_concurrency",
                self.provisioned_concurrency,
                f"must be <= max_concurrency ({self.max_concurrency})",
            )
        return self


class EndpointDeploymentConfig(StrictModel):
    """`endpoints[].deployment`: blue/green guardrails with auto-rollback on the endpoint's alarms."""

    traffic_routing: Literal["CANARY", "LINEAR", "ALL_AT_ONCE"] = "CANARY"
    step_percent: Annotated[int, Field(ge=1, le=99)] = 10
    wait_seconds: Annotated[int, Field(ge=0, le=3600)] = 600
    termination_wait_seconds: Annotated[int, Field(ge=0, le=3600)] = 600


class EndpointAlarmsConfig(StrictModel):
    """`endpoints[].alarms`: alarm thresholds."""

    latency_p99_ms: Annotated[int, Field(ge=1)] = 10_000
    errors_5xx: Annotated[int, Field(ge=1)] = 5
    gpu_memory_percent: Annotated[float, Field(gt=0, le=100)] = 90.0
    backlog_age_seconds: Annotated[int, Field(ge=60)] | None = None


class EndpointVpcConfig(StrictModel):
    """`endpoints[].vpc`: subnets and security groups of the model containers."""

    subnet_ids: Annotated[Items[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]], Field(min_length=1)]
    security_group_ids: Annotated[Items[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]], Field(min_length=1)]


class EndpointConfig(StrictModel):
    """One `endpoints` entry: a SageMaker endpoint per stage (staging, prod).

    The model is exactly one of `model_package_arn` (a pinned registry version, deployed by the hosting
    stack), `image` + `model_data_url` (deployed by the hosting stack) or `model_package_group` (each
    approved version deployed by the deploy pipeline with these settings).
    """

    name: Annotated[str, AfterValidator(_endpoint_entry_name)]
    mode: Literal["realtime", "async", "multi-model", "serverless"] = "realtime"
    model_package_arn: Annotated[str, Field(pattern=MODEL_PACKAGE_ARN_PATTERN)] | None = None
    model_package_group: Annotated[str, Field(pattern=names.NAME_63)] | None = None
    image: Annotated[str, Field(min_length=1)] | EndpointDlcImageConfig | EndpointPlatformImageConfig | None = None
    """A full image URI, or `{repository, tag, account?}` for an AWS Deep Learning Container."""
    model_data_url: Annotated[str, Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.*$")] | None = None
    """`s3://.../model.tar.gz`, or an uncompressed prefix ending in `/` (multi-model: the models' prefix)."""
    model_artifacts_bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] | None = None
    """The registry's artifacts bucket, readable by the endpoint role (model packages and groups)."""
    model_artifacts_key_arn: Annotated[str, Field(pattern=KMS_KEY_ARN_PATTERN)] | None = None
    instance_type: Annotated[str, Field(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")] | None = None
    min_instances: Annotated[int, Field(ge=0)] = 1
    max_instances: Annotated[int, Field(ge=1)] = 1
    initial_instances: Annotated[int, Field(ge=1)] | None = None
    max_rps_per_instance: Annotated[float, Field(gt=0)] | None = None
    safety_factor: Annotated[float, Field(gt=0, le=1)] = 0.5
    gpu_utilization_target: Annotated[float, Field(ge=1, le=100)] | None = None
    volume_size_gb: Annotated[int, Field(ge=1, le=512)] | None = None
    model_data_download_timeout_seconds: Annotated[int, Field(ge=60, le=3600)] | None = None
    container_startup_health_check_timeout_seconds: Annotated[int, Field(ge=60, le=3600)] | None = None
    async_: Annotated[EndpointAsyncConfig | None, Field(alias="async")] = None
    serverless: EndpointServerlessConfig | None = None
    data_capture_percent: Annotated[int, Field(ge=1, le=100)] | None = None
    """Capture this share of requests and responses to S3 (KMS). Default: no capture."""
    deployment: EndpointDeploymentConfig | None = None
    alarms: EndpointAlarmsConfig = EndpointAlarmsConfig()
    vpc: EndpointVpcConfig | None = None
    network_isolation: bool = True
    """Default: on (no network for the container); off for containers that download at start."""

    @model_validator(mode="after")
    def _one_model_source(self) -> EndpointConfig:
        given = [
            key
            for key, value in (
                ("model_package_arn", self.model_package_arn),
                ("image", self.image),
                ("model_package_group", self.model_package_group),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise field_problem(
                "model",
                given,
                "give exactly one of model_package_arn, image (+ model_data_url), model_package_group",
            )
        if self.model_data_url is not None and self.image is None:
            raise field_problem("model_data_url", self.model_data_url, "allowed only together with image")
        if self.async_ is not None and self.mode != "async":
            raise field_problem("async", self.mode, "async settings are allowed only with mode: async")
        if self.serverless is not None and self.mode != "serverless":
            raise field_problem("serverless", self.mode, "serverless settings are allowed only with mode: serverless")
        if self.mode != "serverless" and self.instance_type is None:
            raise field_problem("instance_type", None, f"required for mode: {self.mode}")
        if self.min_instances > self.max_instances:
            raise field_problem("min_instances", self.min_instances, f"must be <= max_instances ({self.max_instances})")
        return self


def pinned_package_parts(arn: str) -> tuple[str, str, str]:
    """(region, account, group) of a `model_package_arn` (already validated by MODEL_PACKAGE_ARN_PATTERN)."""
    _, _, _, region, account, resource = arn.split(":", 5)
    return region, account, resource.split("/")[1]


def _unique_endpoint_names(endpoints: tuple[EndpointConfig, ...]) -> tuple[EndpointConfig, ...]:
    names = [endpoint.name for endpoint in endpoints]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate endpoint name(s) {duplicates}: each name must appear once")
    return endpoints

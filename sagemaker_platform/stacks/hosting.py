"""`HostingStack`: the `endpoints` of the platform config, one stack per stage (staging, prod).

Each stage's stack holds what its endpoints share (KMS key, bucket, alarm topic) and spreads the
endpoints over nested stacks so that 100 endpoints stay far below CloudFormation's 500 resources and
1 MB per template. An endpoint's nested stack is chosen from a hash of its name, never from its position
in the list: adding or removing another endpoint never moves it (a move would delete and re-create it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.config import (
    EndpointConfig,
    EndpointDlcImageConfig,
    EndpointPlatformImageConfig,
    PlatformConfig,
)
from sagemaker_platform.constructs.hosting import (
    AlarmThresholds,
    AsyncSettings,
    DataCaptureSettings,
    DeploymentGuardrails,
    Endpoint,
    EndpointSettings,
    GatewayRouting,
    HostingShared,
    ServerlessSettings,
    VariantSettings,
    VpcPlacement,
)
from sagemaker_platform.constructs.hosting.images import ContainerImage
from sagemaker_platform.constructs.hosting.instances import InstanceSpec
from sagemaker_platform.constructs.hosting.models import ModelData, ModelSource, RegistryArtifacts
from sagemaker_platform.errors import ProblemCollector, PropsError
from sagemaker_platform.instance_types import declared_specs
from sagemaker_platform.stacks.access_logs import AccessLogsStack, shared_access_logs
from sagemaker_platform.stacks.base import RegistryHome, tag_platform
from sagemaker_platform.stacks.ci import platform_image
from sagemaker_platform.stacks.gateway import STAGE as GATEWAY_STAGE

ENDPOINT_GROUPS = 16
"""Nested stacks per stage. Fixed: changing it would move endpoints between nested stacks."""
MAX_ENDPOINTS_PER_GROUP = 20
"""About 20 resources per endpoint: 20 endpoints keep a nested stack under 500 resources."""


def endpoint_group(name: str) -> int:
    """The nested stack (0-15) of endpoint `name`: a stable hash of the name."""
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % ENDPOINT_GROUPS


class HostingStack(cdk.Stack):
    """The endpoints of one stage. Example: ``HostingStack(app, "mlplatform-hosting-prod", config=c, stage="prod")``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PlatformConfig,
        stage: naming.Stage,
        access_logs: AccessLogsStack | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, description=f"{config.name} GPU endpoint hosting ({stage})", **kwargs)
        tag_platform(self, config, "hosting")
        self.stage = stage
        # A deterministic bucket name: endpoints in the nested stacks build their grants from it.
        self.shared = HostingShared(
            self,
            "Shared",
            bucket_name=f"{config.name}-{stage}-ep-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}",
            # The deploy role's key grant (CreateEndpointConfig with the spec's kms_key_arn) names the key by alias.
            key_alias=naming.hosting_key_alias(config.name, stage),
            access_logs=shared_access_logs(self, access_logs),
        )
        served = gateway_served_endpoints(config, stage)
        gateway = GatewayRouting.for_platform(self, config.name) if served else None
        groups: dict[int, list[EndpointConfig]] = {}
        for entry in config.endpoints:
            groups.setdefault(endpoint_group(entry.name), []).append(entry)
        problems = ProblemCollector("HostingStack")
        for index, entries in sorted(groups.items()):
            problems.check(
                len(entries) <= MAX_ENDPOINTS_PER_GROUP,
                f"endpoints {[e.name for e in entries]} all hash to nested stack {index}; at most "
                f"{MAX_ENDPOINTS_PER_GROUP} fit one nested stack: rename one of them",
            )
        problems.raise_if_any()
        self.endpoints: dict[str, Endpoint] = {}
        for index, entries in sorted(groups.items()):
            group = cdk.NestedStack(self, f"Endpoints{index:02d}", description=f"{config.name} endpoints ({stage})")
            for entry in entries:
                model, settings = endpoint_props(
                    entry,
                    registry_artifacts(config, entry),
                    declared=declared_specs(config.instance_types),
                    config=config,
                )
                self.endpoints[entry.name] = Endpoint(
                    group,
                    entry.name,
                    endpoint_name=naming.endpoint_name(config.name, entry.name, stage),
                    model=model,
                    settings=settings,
                    shared=self.shared,
                    role_name=naming.endpoint_role_name(config.name, entry.name, stage),
                    deployment_spec_parameter_name=naming.deployment_spec_parameter_name(
                        config.name, entry.name, stage
                    ),
                    gateway=gateway if entry.name in served else None,
                )


def gateway_served_endpoints(config: PlatformConfig, stage: naming.Stage) -> frozenset[str]:
    """Names of the `endpoints` entries whose async output the gateway collects: the entries that an async
    `gateway.services` entry names, in the gateway's stage (prod) only."""
    if config.gateway is None or stage != GATEWAY_STAGE:
        return frozenset()
    return frozenset(service.endpoint for service in config.gateway.services if service.kind == "async")


def registry_artifacts(config: PlatformConfig, entry: EndpointConfig) -> RegistryArtifacts | None:
    """Where the model data of `entry`'s registry group is: its prefix of the platform registry's artifacts
    bucket, and the bucket's key (by their deterministic names). None when no platform group feeds `entry`."""
    group = config.registry_group_of(entry)
    if group is None:
        return None
    home = RegistryHome.of(config)
    return RegistryArtifacts(
        home.artifacts_bucket_name(config.name),
        key_alias=naming.model_artifacts_key_alias(config.name),
        key_account=home.account,
        key_region=home.region,
        prefix=f"{group}/",
        # The registry's key policy names the endpoint roles (`ModelRegistry.add_access`) and has no root statement.
        key_policy_only=True,
    )


def endpoint_props(
    entry: EndpointConfig,
    default_artifacts: RegistryArtifacts | None = None,
    *,
    declared: Mapping[str, InstanceSpec] | None = None,
    config: PlatformConfig | None = None,
) -> tuple[ModelSource, EndpointSettings]:
    """The construct props of one `endpoints` entry.

    `default_artifacts`: where a registry model's data is when the entry names no `model_artifacts_bucket`
    (its group's prefix of the platform's registry: `registry_artifacts`). `declared`: the config's
    `instance_types` (Default: none). `config`: resolves an image in a platform repository to the images
    account (required for such an image).
    """
    artifacts = (
        default_artifacts
        if entry.model_artifacts_bucket is None
        else RegistryArtifacts(entry.model_artifacts_bucket, entry.model_artifacts_key_arn)
    )
    variant = _variant_settings(entry, declared)
    async_config, deployment, alarms, vpc = entry.async_, entry.deployment, entry.alarms, entry.vpc
    settings = EndpointSettings(
        mode=entry.mode,
        variants=(variant,),
        # Each config section holds (a subset of) its settings dataclass's fields, under the same names.
        async_inference=None if async_config is None else AsyncSettings(**async_config.model_dump()),
        data_capture=None
        if entry.data_capture_percent is None
        else DataCaptureSettings(sampling_percentage=entry.data_capture_percent),
        deployment=None if deployment is None else DeploymentGuardrails(**deployment.model_dump()),
        alarms=AlarmThresholds(**alarms.model_dump()),
        vpc=None if vpc is None else VpcPlacement(tuple(vpc.subnet_ids), tuple(vpc.security_group_ids)),
        network_isolation=entry.network_isolation,
    )
    return _model_source(entry, artifacts, config), settings


def _model_source(
    entry: EndpointConfig, artifacts: RegistryArtifacts | None, config: PlatformConfig | None
) -> ModelSource:
    """The entry's model: a registry version or group, or an image with optional model data."""
    if entry.model_package_arn is not None:
        return ModelSource.from_model_package(entry.model_package_arn, artifacts=artifacts)
    if entry.model_package_group is not None:
        return ModelSource.from_model_package_group(entry.model_package_group, artifacts=artifacts)
    if isinstance(entry.image, EndpointPlatformImageConfig):
        if config is None:  # a caller's mistake, not a config one: an explicit check (the app runs with -O)
            problem = f"endpoints[{entry.name}]: an image in a platform repository needs `config`"
            raise PropsError("endpoint_props", [problem])
        image = platform_image(config, entry.image.platform_repository, entry.image.tag)
    elif isinstance(entry.image, EndpointDlcImageConfig):
        image = ContainerImage.from_dlc(entry.image.repository, entry.image.tag, account=entry.image.account)
    else:
        image = ContainerImage.from_uri(str(entry.image))
    data = None if entry.model_data_url is None else ModelData.from_url(entry.model_data_url)
    return ModelSource.from_image(image, data)


def _variant_settings(entry: EndpointConfig, declared: Mapping[str, InstanceSpec] | None) -> VariantSettings:
    """The entry's one production variant: instances, scaling, large-model timeouts, serverless sizing."""
    serverless = None
    if entry.mode == "serverless":
        sizing = entry.serverless
        serverless = (
            ServerlessSettings()
            if sizing is None
            else ServerlessSettings(sizing.memory_size_mb, sizing.max_concurrency, sizing.provisioned_concurrency)
        )
    return VariantSettings(
        instance_type=entry.instance_type,
        min_instances=entry.min_instances,
        max_instances=entry.max_instances,
        initial_instances=entry.initial_instances,
        max_rps_per_instance=entry.max_rps_per_instance,
        safety_factor=entry.safety_factor,
        gpu_utilization_target=entry.gpu_utilization_target,
        volume_size_gb=entry.volume_size_gb,
        model_data_download_timeout_seconds=entry.model_data_download_timeout_seconds,
        container_startup_health_check_timeout_seconds=entry.container_startup_health_check_timeout_seconds,
        serverless=serverless,
        declared_spec=None if declared is None or entry.instance_type is None else declared.get(entry.instance_type),
    )

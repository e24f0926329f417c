"""Pure `render_*` functions: the API-shape dictionaries of endpoint configs, scaling and the deployment spec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sagemaker_platform.constructs.hosting.instances import (
    hosting_defaults,
)
from sagemaker_platform.constructs.hosting.settings import (
    INSTANCE_NAMESPACE,
    INVOCATION_NAMESPACE,
    SCALE_IN_COOLDOWN_SECONDS,
    SCALE_OUT_COOLDOWN_SECONDS,
    SPEC_VERSION,
    AsyncOutput,
    DataCaptureSettings,
    DeploymentGuardrails,
    EndpointSettings,
    InferenceComponent,
    VariantSettings,
)
from sagemaker_platform.constructs.hosting.shared import (
    _first,
)


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
    alarms: list[dict[str, Any]] = []
    endpoint_dims = [{"Name": "EndpointName", "Value": endpoint_name}]
    variant_dims = [*endpoint_dims, {"Name": "VariantName", "Value": variant.name}]
    cooldowns = {"ScaleInCooldown": SCALE_IN_COOLDOWN_SECONDS, "ScaleOutCooldown": SCALE_OUT_COOLDOWN_SECONDS}
    if settings.mode == "async":
        policies, alarms = _render_async_scaling(endpoint_name, settings, endpoint_dims, cooldowns)
    else:
        policies = _render_variant_scaling(endpoint_name, variant, variant_dims, cooldowns)
    if not policies:
        return None
    return {
        "variant": variant.name,
        "min_capacity": variant.min_instances,
        "max_capacity": variant.max_instances,
        "policies": policies,
        "alarms": alarms,
    }


def _render_async_scaling(
    endpoint_name: str, settings: EndpointSettings, endpoint_dims: list[dict[str, str]], cooldowns: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Async: target tracking on the backlog per instance, and a step policy (with its alarm) out of zero."""
    policies: list[dict[str, Any]] = []
    alarms: list[dict[str, Any]] = []
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
    return policies, alarms


def _render_variant_scaling(
    endpoint_name: str, variant: VariantSettings, variant_dims: list[dict[str, str]], cooldowns: dict[str, int]
) -> list[dict[str, Any]]:
    """Real-time: target tracking on invocations per instance and/or GPU utilization, as the variant asks."""
    policies: list[dict[str, Any]] = []
    if variant.max_rps_per_instance is not None:
        policies.append(
            {
                "PolicyName": f"{endpoint_name}-{variant.name}-invocations",
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": invocations_per_instance_target(variant),
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
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
    return policies


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

"""Validation of endpoint and inference component settings: every problem, named by its prop."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk

from sagemaker_platform.constructs.hosting.instances import (
    InstanceSpec,
    catalog_families,
    declared_instance_problems,
    instance_spec,
    multi_model_refusal,
)
from sagemaker_platform.constructs.hosting.models import (
    ModelSource,
)
from sagemaker_platform.constructs.hosting.settings import (
    _ENDPOINT_NAME,
    _SERVERLESS_MEMORY_MB,
    DeploymentGuardrails,
    EndpointSettings,
    InferenceComponent,
    ServerlessSettings,
    VariantSettings,
)


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
    problems = _variant_capacity_problems(settings, variant, label)
    problems += _variant_tuning_problems(variant, spec, label)
    return problems


def _variant_capacity_problems(settings: EndpointSettings, variant: VariantSettings, label: str) -> list[str]:
    """Instance counts and their scaling signal."""
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
    return problems


def _variant_tuning_problems(variant: VariantSettings, spec: InstanceSpec, label: str) -> list[str]:
    """Scaling targets, volume size and timeouts, against the instance type."""
    problems = []
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

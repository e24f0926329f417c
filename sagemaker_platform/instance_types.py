"""The hosting catalog applied to the platform config: declared instance types and each endpoint's type.

`config.PlatformConfig` calls these at validation time so that a bad `endpoints[i].instance_type` stops synth
with one error naming that key (the `Endpoint` construct applies the same rules to its props).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sagemaker_platform.constructs.hosting.instances import (
    InstanceSpec,
    catalog_families,
    declared_instance_problems,
    instance_spec,
    multi_model_refusal,
)

if TYPE_CHECKING:
    from sagemaker_platform.config import EndpointConfig, InstanceTypeConfig

_TRITON = "tritonserver"


def declared_spec(declared: InstanceTypeConfig) -> InstanceSpec:
    """The catalog entry an `instance_types` entry stands for."""
    # The entry's keys are the spec's fields, two of them under the config's own names.
    return InstanceSpec(
        instance_type=declared.name,
        accelerator_kind=declared.accelerator_family,
        **declared.model_dump(exclude={"name", "accelerator_family"}),
    )


def declared_specs(declared: Iterable[InstanceTypeConfig]) -> Mapping[str, InstanceSpec]:
    """`instance_types` by name."""
    return {entry.name: declared_spec(entry) for entry in declared}


def instance_type_problem(declared: InstanceTypeConfig) -> str | None:
    """Why an `instance_types` entry is refused (e.g. it shadows a catalog type), or None."""
    problems = declared_instance_problems(declared_spec(declared))
    return "; ".join(problems) if problems else None


def endpoint_instance_problem(entry: EndpointConfig, declared: Iterable[InstanceTypeConfig]) -> str | None:
    """Why an endpoint's `instance_type` is refused (unknown, or no multi-model support), or None."""
    if entry.instance_type is None:
        return None
    spec = instance_spec(entry.instance_type, declared_specs(declared))
    if spec is None:
        return (
            f"not in the hosting catalog; allowed: {catalog_families()}, or declare it under `instance_types` "
            "(vcpus, memory_gib, accelerator_family, accelerator_count, accelerator_memory_gib, local_nvme_gb)"
        )
    if entry.mode == "multi-model":
        refusal = multi_model_refusal(spec)
        if refusal is not None:
            return refusal
        if spec.is_gpu and not _is_triton(entry):
            return (
                f"{spec.instance_type} is a GPU type: GPU multi-model endpoints run only NVIDIA Triton Inference "
                "Server (a sagemaker-tritonserver image); allowed: a Triton image, or a CPU instance type"
            )
    return None


def _is_triton(entry: EndpointConfig) -> bool:
    image = entry.image
    if image is None:
        return False
    if isinstance(image, str):
        return _TRITON in image
    name = getattr(image, "repository", None) or getattr(image, "platform_repository", "")
    return _TRITON in str(name)

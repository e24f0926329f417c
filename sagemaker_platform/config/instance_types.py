"""The `instance_types` section: instance types declared beyond the hosting catalog."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sagemaker_platform.config.base import StrictModel, field_problem


class InstanceTypeConfig(StrictModel):
    """`instance_types[]`: a SageMaker instance type the built-in hosting catalog does not know.

    Validated like a catalog entry (multi-model, serverless, NVMe and GPU-scaling rules use these figures).
    """

    name: Annotated[str, Field(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")]
    vcpus: Annotated[int, Field(ge=1, le=4096)]
    memory_gib: Annotated[int, Field(ge=1, le=65536)]
    accelerator_family: Literal["gpu", "inferentia", "trainium"] | None = None
    """Default: none (a CPU type)."""
    accelerator: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """The accelerator model, e.g. `NVIDIA B200`. Default: none."""
    accelerator_count: Annotated[int, Field(ge=0, le=64)] = 0
    accelerator_memory_gib: Annotated[int, Field(ge=0, le=65536)] = 0
    """Total accelerator memory of the instance (all GPUs or Neuron devices together)."""
    local_nvme_gb: Annotated[int, Field(ge=0, le=1_000_000)] = 0

    @model_validator(mode="after")
    def _consistent(self) -> InstanceTypeConfig:
        if self.accelerator_family is None and (self.accelerator_count or self.accelerator_memory_gib):
            raise field_problem(
                "accelerator_family",
                None,
                "required when accelerator_count or accelerator_memory_gib is set; allowed: gpu, inferentia, trainium",
            )
        if self.accelerator_family is not None and (self.accelerator_count < 1 or self.accelerator_memory_gib < 1):
            raise field_problem(
                "accelerator_count",
                self.accelerator_count,
                f"accelerator_family {self.accelerator_family} needs accelerator_count >= 1 and "
                "accelerator_memory_gib >= 1",
            )
        return self

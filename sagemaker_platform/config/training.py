"""Training job settings shared by `tuning_launcher` and `lifecycle.build[].training`.

Resource bounds (the tuning spec's, from `tuning_limits`), spot capacity and distributed training.
"""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import Field

from sagemaker_platform.config.base import field_problem
from sagemaker_platform.contracts.tuning_limits import (
    MAX_TRAINING_INSTANCE_COUNT,
    MAX_TRAINING_RUNTIME_SECONDS,
    MAX_TRAINING_VOLUME_GB,
)

Distribution = Literal["torchrun", "pytorchddp", "smdistributed"]
InstanceCount = Annotated[int, Field(ge=1, le=MAX_TRAINING_INSTANCE_COUNT)]
"""Instances of each training job: 1-100."""
VolumeSizeGb = Annotated[int, Field(ge=1, le=MAX_TRAINING_VOLUME_GB)]
"""Size of the storage volume attached to each training instance, GB: 1-16384."""
MaxRunSeconds = Annotated[int, Field(ge=1, le=MAX_TRAINING_RUNTIME_SECONDS)]
"""How long a training job may run before SageMaker stops it, seconds: 1-2419200 (28 days)."""
MaxWaitSeconds = Annotated[int, Field(ge=1, le=MAX_TRAINING_RUNTIME_SECONDS)]
"""Spot only: how long a job may wait for capacity, run included, seconds: up to 2419200 (28 days)."""


class ScalableJob(Protocol):
    """What the spot and distribution checks read of a training job config."""

    instance_type: str
    instance_count: int
    max_run_seconds: int
    use_spot: bool
    max_wait_seconds: int | None
    distribution: Distribution | None


def raise_scaling_problems(job: ScalableJob) -> None:
    """Spot wait and distribution checks (shared with the constructs), reported at the first key refused."""
    # Imported here: the catalog module the checks use imports the CDK.
    from sagemaker_platform.constructs.lifecycle.training import scaling_problems

    problems = scaling_problems(
        instance_type=job.instance_type,
        instance_count=job.instance_count,
        max_run_seconds=job.max_run_seconds,
        use_spot=job.use_spot,
        max_wait_seconds=job.max_wait_seconds,
        distribution=job.distribution,
    )
    if problems:
        first = problems[0]
        also = "".join(f"; also {other.key}={other.value!r}: {other.message}" for other in problems[1:])
        raise field_problem(first.key, first.value, first.message + also)

"""Spot capacity and distributed training settings shared by `tuning_launcher` and `lifecycle.build[].training`."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import Field

from sagemaker_platform.config.base import field_problem

Distribution = Literal["torchrun", "pytorchddp", "smdistributed"]
MaxWaitSeconds = Annotated[int, Field(ge=1, le=2419200)]


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

"""The `tuning` and `tuning_launcher` sections: warm-pool hyperparameter tuning."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from sagemaker_platform import tuning_spec
from sagemaker_platform.config import training
from sagemaker_platform.config.base import Items, StrictModel, field_problem
from sagemaker_platform.config.images import PlatformImageConfig


def _tuning_spec(value: Any) -> Any:
    """One `tuning` entry, validated by the same code that validates run-time specs (`tuning_spec`)."""
    try:
        return tuning_spec.parse_spec(value)
    except tuning_spec.SpecError as exc:
        # One error per problem, each reported at `tuning[i].<key inside the spec>`.
        raise ValidationError.from_exception_data(
            "TuningSpec",
            [
                {
                    "type": PydanticCustomError(
                        "field_problem",
                        "{message}",
                        {"field": problem.path, "value": problem.value, "message": problem.message},
                    ),
                    "loc": (),
                    "input": value,
                }
                for problem in exc.problems
            ],
        ) from None


def _unique_tuning_names(specs: tuple[Any, ...]) -> tuple[Any, ...]:
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise field_problem("name", duplicates, "duplicate tuning spec name(s): each name must appear once")
    return specs


TuningSpecConfig = Annotated[Any, BeforeValidator(_tuning_spec)]
"""A `tuning` entry: a `tuning_spec.TuningSpec` (keys and rules in the README's Warm-pool tuning section)."""
TuningSpecs = Annotated[Items[TuningSpecConfig], AfterValidator(_unique_tuning_names)]


class TuningLauncherConfig(StrictModel):
    """`tuning_launcher`: the queue-fed launcher of many small training jobs (warm pools between them)."""

    image: str | PlatformImageConfig
    """An ECR URI, a built-in (`sagemaker-xgboost:1.7-1`) or `{platform_repository, tag}` (`images`)."""
    instance_type: Annotated[str, Field(pattern=tuning_spec.INSTANCE_TYPE_PATTERN.pattern)] = "ml.m5.large"
    """The training instance type of every job (its warm pool quota must cover max_concurrency x instance_count)."""
    instance_count: training.InstanceCount = 1
    volume_size_gb: training.VolumeSizeGb = 30
    max_run_seconds: training.MaxRunSeconds = 3600
    keep_alive_seconds: Annotated[int, Field(ge=0, le=3600)] = 1800
    """How long each job's instances stay warm for the next job (KeepAlivePeriodInSeconds, billed), at most 1 hour."""
    requests_per_second: Annotated[float, Field(gt=0, le=1)] = 1.0
    """CreateTrainingJob calls per second, all launcher invocations together (at most 1)."""
    max_concurrency: Annotated[int, Field(ge=2, le=10)] = 2
    """Concurrent launcher invocations reading the queue (2-10)."""
    use_spot: bool = False
    """Managed spot capacity; each job checkpoints to the output bucket. Needs keep_alive_seconds: 0."""
    max_wait_seconds: training.MaxWaitSeconds | None = None
    """Spot only: the wait for capacity, run included; >= max_run_seconds. Default: 2 x max_run_seconds."""
    distribution: training.Distribution | None = None
    """As `lifecycle.build[].training.distribution`."""

    @model_validator(mode="after")
    def _known_image(self) -> TuningLauncherConfig:
        problem = None if isinstance(self.image, PlatformImageConfig) else tuning_spec.image_problem(self.image)
        if problem is not None:
            raise field_problem("image", self.image, problem)
        if self.use_spot and self.keep_alive_seconds > 0:
            raise field_problem(
                "keep_alive_seconds",
                self.keep_alive_seconds,
                "must be 0 with use_spot: true (warm pools do not apply to managed spot training)",
            )
        training.raise_scaling_problems(self)
        # Returned: an "after" validator that returns None turns the whole section into None.
        return self

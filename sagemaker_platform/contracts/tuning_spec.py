"""The tuning spec: parse and validate (the request is built by `tuning_request`, limits in `tuning_limits`).

The one source of truth for what a tuning spec may say. It is pure Python (standard library only)
because it runs in three places:

- at synth, imported normally (the platform config's `tuning` list and the `TuningPipeline`
  construct), so that a bad config entry stops `cdk synth`;
- at run time, inside the request-building Lambda function of the tuning state machine (the
  contracts are staged into every handler asset by `assets.handler_code`), so that a spec passed
  as execution input is refused before any AWS call;
- in tests, where the built request is checked against botocore's service model.

Spec keys are snake_case; the request uses the SageMaker API's PascalCase keys.
"""

from __future__ import annotations

import json
from typing import Any

from sagemaker_platform.contracts.spec_reader import Problem, SpecError, SpecReader
from sagemaker_platform.contracts.tuning_limits import EARLY_STOPPING_TYPES, STRATEGIES
from sagemaker_platform.contracts.tuning_spec_job import TrainingJob, image_problem, read_training_job
from sagemaker_platform.contracts.tuning_spec_search import (
    check_metric_regex,
    check_objective,
    check_strategy,
    read_hyperband,
    read_limits,
    read_metric_definitions,
    read_name,
    read_objective,
    read_ranges,
    read_static_hyperparameters,
)
from sagemaker_platform.contracts.tuning_spec_types import (
    Channel,
    Hyperband,
    Inference,
    MetricDefinition,
    ParameterRange,
    PlatformImage,
    Spot,
    TuningSpec,
    Vpc,
    WarmStart,
)

__all__ = [
    "Channel",
    "Hyperband",
    "Inference",
    "MetricDefinition",
    "ParameterRange",
    "PlatformImage",
    "Problem",
    "SpecError",
    "Spot",
    "TuningSpec",
    "Vpc",
    "WarmStart",
    "check_metric_regex",
    "image_problem",
    "parse_spec",
]

_SPEC_KEYS = {
    "name": True,
    "strategy": True,
    "objective": True,
    "metric_definitions": False,
    "ranges": True,
    "static_hyperparameters": False,
    "max_jobs": False,
    "max_parallel_jobs": False,
    "max_runtime_seconds": False,
    "early_stopping": False,
    "hyperband": False,
    "random_seed": False,
    "image": True,
    "instance_type": True,
    "instance_count": False,
    "volume_size_gb": False,
    "max_run_seconds": False,
    "channels": True,
    "model_package_group": True,
    "enable_network_isolation": False,
    "warm_start": False,
    "spot": False,
    "vpc": False,
    "inference": False,
    "schedule": False,
}


def parse_spec(raw: Any, *, allow_schedule: bool = True) -> TuningSpec:
    """Validate `raw` (a mapping as read from JSON/YAML) into a `TuningSpec`.

    Raises `SpecError` listing every problem, each naming the key inside the spec. `allow_schedule`
    is False for specs passed at run time: a schedule belongs in the platform config.
    """
    r = SpecReader()
    data = r.mapping(raw, "", _SPEC_KEYS)
    if data is None:
        raise SpecError(r.problems)
    name = read_name(r, data)
    strategy = r.string(data, "strategy", "", allowed=STRATEGIES)
    objective_metric, objective_type = read_objective(r, data)
    metric_definitions = read_metric_definitions(r, data)
    ranges = read_ranges(r, data)
    static = read_static_hyperparameters(r, data)
    early_stopping = r.string(data, "early_stopping", "", allowed=EARLY_STOPPING_TYPES) or "Off"
    max_jobs, max_parallel, max_runtime, random_seed = read_limits(r, data)
    hyperband = read_hyperband(r, data)
    job = read_training_job(r, data, allow_schedule=allow_schedule)

    check_strategy(r, strategy, ranges, max_jobs, "max_jobs" in data, early_stopping, hyperband, job.warm_start)
    _check_counts_and_objective(r, job, max_jobs, max_parallel, objective_metric, objective_type, metric_definitions)

    if r.problems:
        raise SpecError(r.problems)
    assert name and strategy and objective_metric and objective_type and job.image and job.instance_type
    assert job.group
    return TuningSpec(
        name=name,
        strategy=strategy,
        objective_metric=objective_metric,
        objective_type=objective_type,
        image=job.image,
        instance_type=job.instance_type,
        model_package_group=job.group,
        channels=job.channels,
        ranges=ranges,
        metric_definitions=metric_definitions,
        static_hyperparameters=static,
        max_jobs=max_jobs,
        max_parallel_jobs=max_parallel or 1,
        max_runtime_seconds=max_runtime,
        early_stopping=early_stopping,
        hyperband=hyperband,
        random_seed=random_seed,
        instance_count=job.instance_count or 1,
        volume_size_gb=job.volume or 30,
        max_run_seconds=job.max_run or 3600,
        enable_network_isolation=job.isolation,
        warm_start=job.warm_start,
        spot=job.spot,
        vpc=job.vpc,
        inference=job.inference,
        schedule=job.schedule,
        raw=json.dumps(raw, sort_keys=True, separators=(",", ":")),
    )


def _check_counts_and_objective(
    r: SpecReader,
    job: TrainingJob,
    max_jobs: int | None,
    max_parallel: int | None,
    objective_metric: str | None,
    objective_type: str | None,
    metric_definitions: tuple[MetricDefinition, ...],
) -> None:
    """Checks across the two halves: parallel jobs within `max_jobs`, the objective against the image, and the
    spot wait covering the run."""
    if max_jobs is not None and max_parallel is not None and max_parallel > max_jobs:
        r.add("max_parallel_jobs", max_parallel, f"must be <= max_jobs ({max_jobs})")
    check_objective(r, job.image, objective_metric, objective_type, metric_definitions)
    if job.spot is not None and job.max_run is not None and job.spot.max_wait_seconds < job.max_run:
        r.add(
            "spot.max_wait_seconds",
            job.spot.max_wait_seconds,
            f"must be >= max_run_seconds ({job.max_run}): the wait for spot capacity includes the run",
        )

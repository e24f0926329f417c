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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sagemaker_platform.contracts.spec_reader import Problem as Problem
from sagemaker_platform.contracts.spec_reader import SpecError as SpecError
from sagemaker_platform.contracts.spec_reader import SpecReader
from sagemaker_platform.contracts.tuning_limits import (
    BUILTIN_IMAGE_VERSIONS,
    CHANNEL_NAME_PATTERN,
    EARLY_STOPPING_TYPES,
    ECR_IMAGE_PATTERN,
    ECR_REPOSITORY_NAME_PATTERN,
    ECR_TAG_PATTERN,
    INSTANCE_TYPE_PATTERN,
    MAX_CATEGORICAL_VALUES,
    MAX_METRIC_DEFINITIONS,
    MAX_PARALLEL_TRAINING_JOBS,
    MAX_PARENT_TUNING_JOBS,
    MAX_RANGES,
    MAX_SPEC_NAME_LENGTH,
    MAX_STATIC_HYPERPARAMETERS,
    MAX_TRAINING_INSTANCE_COUNT,
    MAX_TRAINING_JOBS,
    MAX_TRAINING_RUNTIME_SECONDS,
    MAX_TRAINING_VOLUME_GB,
    MAX_TUNING_RUNTIME_SECONDS,
    MIN_TUNING_RUNTIME_SECONDS,
    MODEL_PACKAGE_GROUP_PATTERN,
    OBJECTIVE_TYPES,
    RANGE_TYPES,
    RUN_ID_LENGTH,
    S3_URI_PATTERN,
    SCALING_TYPES,
    SCHEDULE_PATTERN,
    SECURITY_GROUP_PATTERN,
    SPEC_NAME_PATTERN,
    STRATEGIES,
    SUBNET_PATTERN,
    TUNING_JOB_NAME_PATTERN,
    WARM_START_TYPES,
    XGBOOST_OBJECTIVES,
)

# --- the spec ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterRange:
    """`ranges.<name>`: one hyperparameter the tuning job searches."""

    name: str
    """The hyperparameter's name, as the training container reads it."""
    type: str
    """`integer`, `continuous` or `categorical` (`RANGE_TYPES`)."""
    min: float | None = None
    """Lower bound of an integer or continuous range (a whole number for integer); None for categorical."""
    max: float | None = None
    """Upper bound of an integer or continuous range, greater than `min`; None for categorical."""
    scaling: str = "Auto"
    """How an integer or continuous range is searched: Auto, Linear, Logarithmic or ReverseLogarithmic."""
    values: tuple[str, ...] = ()
    """The values a categorical range picks from (1 to `MAX_CATEGORICAL_VALUES`); empty for the other types."""


@dataclass(frozen=True)
class MetricDefinition:
    """`metric_definitions[i]`: a metric read from a custom image's training log (built-ins emit their own)."""

    name: str
    """The metric's name; the objective metric must be one of them."""
    regex: str
    """Finds the metric in the log: its one capture group is the value (`check_metric_regex`)."""


@dataclass(frozen=True)
class Channel:
    """`channels.<name>`: an input channel of every training job, read from the tuning data bucket."""

    name: str
    """The channel's name (train, validation, ...): the container finds it under /opt/ml/input/data/<name>."""
    prefix: str
    """Key prefix inside the tuning data bucket, e.g. `churn/train/` (no `s3://`, no leading `/`, no `..`)."""
    content_type: str | None = None
    """MIME type of the channel's data, passed as ContentType. Default: none given (the algorithm's default)."""


@dataclass(frozen=True)
class WarmStart:
    """Parents by tuning job name, or `parent_spec`: the last Completed tuning job of that spec, found at run time."""

    type: str
    """IDENTICAL_DATA_AND_ALGORITHM or TRANSFER_LEARNING: the config spelling, a key of `WARM_START_TYPES`."""
    parents: tuple[str, ...]
    """Tuning job names to start from (1 to `MAX_PARENT_TUNING_JOBS`); empty when `parent_spec` is given."""
    parent_spec: str | None = None
    """The spec whose last Completed tuning job is the parent; None when `parents` are given."""


@dataclass(frozen=True)
class Spot:
    """`spot`: managed spot training for every training job of the tuning job."""

    max_wait_seconds: int
    """How long a job may wait for spot capacity, its run included: at least the spec's `max_run_seconds`."""
    checkpoint_s3_uri: str | None = None
    """Where jobs checkpoint, `s3://<bucket>/<prefix>/`. Default: the output bucket's `checkpoints/<job name>/`."""


@dataclass(frozen=True)
class Vpc:
    """`vpc`: the training jobs run in these subnets, with these security groups."""

    subnet_ids: tuple[str, ...]
    """1 to 16 subnet ids, `subnet-xxxxxxxx`."""
    security_group_ids: tuple[str, ...]
    """1 to 5 security group ids, `sg-xxxxxxxx`."""


@dataclass(frozen=True)
class Hyperband:
    """`hyperband`: the Hyperband strategy's resource bounds (only with `strategy: Hyperband`)."""

    min_resource: int
    """The fewest resources (e.g. epochs) a training job runs before Hyperband may stop it."""
    max_resource: int
    """The most resources a training job may use; greater than `min_resource`."""


@dataclass(frozen=True)
class PlatformImage:
    """`image: {platform_repository, tag}`: an image in one of the platform's own ECR repositories (`images`).

    Its URI depends on where the platform lives (images account, region, platform name), so it is resolved by
    the request builder from its `Environment`, and granted by the tuning construct, never written in a spec.
    """

    repository: str
    """The `platform_repository` key: the name of an `images.repositories` entry."""
    tag: str
    """The image tag (at most 128 characters)."""


@dataclass(frozen=True)
class Inference:
    """`inference`: how the best model is registered in its model package group."""

    image: str | None = None
    """ECR URI of the inference image. Default: the training image."""
    content_types: tuple[str, ...] = ("text/csv",)
    """MIME types the model accepts, registered with the model package (1 to 10). Default: text/csv."""
    response_types: tuple[str, ...] = ("text/csv",)
    """MIME types the model answers with, registered with the model package (1 to 10). Default: text/csv."""


@dataclass(frozen=True)
class TuningSpec:
    """A validated tuning spec. Build it with `parse_spec`, never directly."""

    name: str
    strategy: str
    objective_metric: str
    objective_type: str
    image: str | PlatformImage
    instance_type: str
    model_package_group: str
    channels: tuple[Channel, ...]
    ranges: tuple[ParameterRange, ...]
    metric_definitions: tuple[MetricDefinition, ...] = ()
    static_hyperparameters: tuple[tuple[str, str], ...] = ()
    max_jobs: int | None = None
    max_parallel_jobs: int = 1
    max_runtime_seconds: int | None = None
    early_stopping: str = "Off"
    hyperband: Hyperband | None = None
    random_seed: int | None = None
    instance_count: int = 1
    volume_size_gb: int = 30
    max_run_seconds: int = 3600
    enable_network_isolation: bool = False
    warm_start: WarmStart | None = None
    spot: Spot | None = None
    vpc: Vpc | None = None
    inference: Inference = field(default_factory=Inference)
    schedule: str | None = None
    raw: str = field(default="{}", compare=False, repr=False)
    """The spec as given, canonical JSON: what the state machine carries and the builder re-validates."""

    @property
    def builtin_image(self) -> bool:
        """True when `image` names a SageMaker built-in algorithm (resolved per region), not a URI."""
        return isinstance(self.image, str) and "/" not in self.image

    def as_json(self) -> dict[str, Any]:
        return json.loads(self.raw)


# --- parsing ----------------------------------------------------------------------------------

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
    name = _name(r, data)
    strategy = r.string(data, "strategy", "", allowed=STRATEGIES)
    objective_metric, objective_type = _objective(r, data)
    metric_definitions = _metric_definitions(r, data)
    ranges = _ranges(r, data)
    static = _static_hyperparameters(r, data)
    early_stopping = r.string(data, "early_stopping", "", allowed=EARLY_STOPPING_TYPES) or "Off"
    max_jobs, max_parallel, max_runtime, random_seed = _limits(r, data)
    hyperband = _hyperband(r, data)
    job = _training_job(r, data, allow_schedule=allow_schedule)

    _check_strategy(r, strategy, ranges, max_jobs, "max_jobs" in data, early_stopping, hyperband, job.warm_start)
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


class _Limits(NamedTuple):
    """How many training jobs, how many at once, for how long, and the random seed."""

    max_jobs: int | None
    max_parallel: int | None
    max_runtime: int | None
    random_seed: int | None


def _limits(r: SpecReader, data: Mapping[str, Any]) -> _Limits:
    max_jobs = r.integer(
        data,
        "max_jobs",
        "",
        minimum=1,
        maximum=MAX_TRAINING_JOBS,
        hint=" (the default service quota of training jobs per tuning job)",
    )
    max_parallel = r.integer(
        data,
        "max_parallel_jobs",
        "",
        minimum=1,
        maximum=MAX_PARALLEL_TRAINING_JOBS,
        default=1,
        hint=" (the default service quota of concurrent training jobs per tuning job)",
    )
    max_runtime = r.integer(
        data, "max_runtime_seconds", "", minimum=MIN_TUNING_RUNTIME_SECONDS, maximum=MAX_TUNING_RUNTIME_SECONDS
    )
    random_seed = r.integer(data, "random_seed", "", minimum=0, maximum=2**31 - 1)
    return _Limits(max_jobs, max_parallel, max_runtime, random_seed)


class _TrainingJob(NamedTuple):
    """The keys of a spec that describe each training job (and the run-time-only `schedule` rule)."""

    image: str | PlatformImage | None
    instance_type: str | None
    instance_count: int | None
    volume: int | None
    max_run: int | None
    channels: tuple[Channel, ...]
    group: str | None
    isolation: bool
    warm_start: WarmStart | None
    spot: Spot | None
    vpc: Vpc | None
    inference: Inference
    schedule: str | None


def _training_job(r: SpecReader, data: Mapping[str, Any], *, allow_schedule: bool) -> _TrainingJob:
    image = _image(r, data)
    instance_type = r.string(
        data,
        "instance_type",
        "",
        pattern=INSTANCE_TYPE_PATTERN,
        hint="must be a SageMaker training instance type such as ml.m5.large",
    )
    instance_count = r.integer(data, "instance_count", "", minimum=1, maximum=MAX_TRAINING_INSTANCE_COUNT, default=1)
    volume = r.integer(data, "volume_size_gb", "", minimum=1, maximum=MAX_TRAINING_VOLUME_GB, default=30)
    max_run = r.integer(data, "max_run_seconds", "", minimum=1, maximum=MAX_TRAINING_RUNTIME_SECONDS, default=3600)
    channels = _channels(r, data)
    group = r.string(
        data,
        "model_package_group",
        "",
        pattern=MODEL_PACKAGE_GROUP_PATTERN,
        hint="must be a model package group name: letters, digits and inner hyphens, at most 63",
    )
    isolation = r.boolean(data, "enable_network_isolation", "", False)
    warm_start = _warm_start(r, data)
    spot = _spot(r, data)
    vpc = _vpc(r, data)
    inference = _inference(r, data)
    schedule = r.string(
        data,
        "schedule",
        "",
        pattern=SCHEDULE_PATTERN,
        hint="must be an EventBridge Scheduler expression: rate(N minutes|hours|days) or cron(...)",
    )
    if schedule is not None and not allow_schedule:
        r.add("schedule", schedule, "a schedule is set in the platform config, not in a spec passed at run time")

    return _TrainingJob(
        image,
        instance_type,
        instance_count,
        volume,
        max_run,
        channels,
        group,
        isolation,
        warm_start,
        spot,
        vpc,
        inference,
        schedule,
    )


def _check_counts_and_objective(
    r: SpecReader,
    job: _TrainingJob,
    max_jobs: int | None,
    max_parallel: int | None,
    objective_metric: str | None,
    objective_type: str | None,
    metric_definitions: tuple[MetricDefinition, ...],
) -> None:
    if max_jobs is not None and max_parallel is not None and max_parallel > max_jobs:
        r.add("max_parallel_jobs", max_parallel, f"must be <= max_jobs ({max_jobs})")
    _check_objective(r, job.image, objective_metric, objective_type, metric_definitions)
    if job.spot is not None and job.max_run is not None and job.spot.max_wait_seconds < job.max_run:
        r.add(
            "spot.max_wait_seconds",
            job.spot.max_wait_seconds,
            f"must be >= max_run_seconds ({job.max_run}): the wait for spot capacity includes the run",
        )


def _name(r: SpecReader, data: Mapping[str, Any]) -> str | None:
    return r.string(
        data,
        "name",
        "",
        pattern=SPEC_NAME_PATTERN,
        hint=f"letters, digits and inner hyphens, at most {MAX_SPEC_NAME_LENGTH} characters "
        f"(the tuning job name adds a {RUN_ID_LENGTH + 1}-character run id; SageMaker allows 32)",
    )


def _objective(r: SpecReader, data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    if "objective" not in data:
        return None, None
    objective = r.mapping(data["objective"], "objective", {"metric": True, "type": True})
    if objective is None:
        return None, None
    metric = r.string(objective, "metric", "objective")
    kind = r.string(objective, "type", "objective", allowed=OBJECTIVE_TYPES)
    return metric, kind


def _metric_definitions(r: SpecReader, data: Mapping[str, Any]) -> tuple[MetricDefinition, ...]:
    value = data.get("metric_definitions", [])
    if not isinstance(value, list | tuple):
        r.add("metric_definitions", value, "must be a list of {name, regex}")
        return ()
    if len(value) > MAX_METRIC_DEFINITIONS:
        r.add("metric_definitions", len(value), f"at most {MAX_METRIC_DEFINITIONS} metric definitions")
    result: list[MetricDefinition] = []
    for index, item in enumerate(value):
        path = f"metric_definitions[{index}]"
        entry = r.mapping(item, path, {"name": True, "regex": True})
        if entry is None:
            continue
        name = r.string(entry, "name", path)
        regex = r.string(entry, "regex", path)
        if regex is not None:
            regex_problem = check_metric_regex(regex)
            if regex_problem:
                r.add(f"{path}.regex", regex, regex_problem)
                regex = None
        if name is not None and regex is not None:
            result.append(MetricDefinition(name, regex))
    names = [m.name for m in result]
    if len(set(names)) != len(names):
        r.add("metric_definitions", names, "metric names must be unique")
    return tuple(result)


def check_metric_regex(regex: str) -> str | None:
    """Why `regex` cannot extract a metric from the training log, or None if it can.

    SageMaker takes the first capture group as the metric value, so there must be exactly one.
    """
    if len(regex) > 500:
        return "at most 500 characters"
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        return f"does not compile: {exc}"
    if compiled.groups != 1:
        return f"must have exactly one capture group (the metric value); it has {compiled.groups}"
    return None


def _ranges(r: SpecReader, data: Mapping[str, Any]) -> tuple[ParameterRange, ...]:
    if isinstance(data.get("ranges"), Mapping) and len(data["ranges"]) > MAX_RANGES:
        r.add("ranges", len(data["ranges"]), f"at most {MAX_RANGES} hyperparameters can be searched")
    result: list[ParameterRange] = []
    keys = {"type": True, "min": False, "max": False, "scaling": False, "values": False}
    for name, path, entry in r.named_entries(data, "ranges", keys, "must be a non-empty mapping of name -> range"):
        kind = r.string(entry, "type", path, allowed=RANGE_TYPES)
        if kind == "categorical":
            for key in ("min", "max", "scaling"):
                if key in entry:
                    r.add(f"{path}.{key}", entry[key], "not allowed for a categorical range (use values)")
            values = r.string_list(entry, "values", path, minimum=1, maximum=MAX_CATEGORICAL_VALUES)
            result.append(ParameterRange(name, kind, values=values))
        elif kind in ("integer", "continuous"):
            if "values" in entry:
                r.add(
                    f"{path}.values",
                    entry["values"],
                    f"not allowed for a{'n' if kind == 'integer' else ''} {kind} range (use min and max)",
                )
            low, high = r.number(entry, "min", path), r.number(entry, "max", path)
            scaling = r.string(entry, "scaling", path, allowed=SCALING_TYPES) or "Auto"
            if kind == "integer":
                for key, bound in (("min", low), ("max", high)):
                    if bound is not None and not bound.is_integer():
                        r.add(f"{path}.{key}", bound, "must be a whole number for an integer range")
            if low is not None and high is not None:
                if low >= high:
                    r.add(f"{path}.max", high, f"must be greater than min ({_num(low)})")
                elif scaling == "Logarithmic" and low <= 0:
                    r.add(f"{path}.min", low, "Logarithmic scaling needs min > 0")
                elif scaling == "ReverseLogarithmic" and (kind != "continuous" or low < 0 or high >= 1):
                    r.add(
                        f"{path}.scaling",
                        scaling,
                        "ReverseLogarithmic scaling needs a continuous range with 0 <= min < max < 1",
                    )
            result.append(ParameterRange(name, kind, low, high, scaling))
    return tuple(result)


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _static_hyperparameters(r: SpecReader, data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    value = data.get("static_hyperparameters", {})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= 256 and len(v) <= 2500 for k, v in value.items()
    ):
        r.add("static_hyperparameters", value, 'must map names to string values (quote numbers: "10")')
        return ()
    ranges = data.get("ranges")
    searched: Mapping[str, Any] = ranges if isinstance(ranges, Mapping) else {}
    if len(value) + len(searched) > MAX_STATIC_HYPERPARAMETERS:
        r.add(
            "static_hyperparameters",
            len(value),
            f"static and searched hyperparameters together: at most {MAX_STATIC_HYPERPARAMETERS} "
            f"({len(searched)} are searched)",
        )
    overlap = sorted(set(value) & set(searched))
    if overlap:
        r.add("static_hyperparameters", overlap, "a hyperparameter is either static or searched (in ranges), not both")
    return tuple(sorted(value.items()))


def _hyperband(r: SpecReader, data: Mapping[str, Any]) -> Hyperband | None:
    if "hyperband" not in data:
        return None
    entry = r.mapping(data["hyperband"], "hyperband", {"min_resource": True, "max_resource": True})
    if entry is None:
        return None
    low = r.integer(entry, "min_resource", "hyperband", minimum=1, maximum=10**9)
    high = r.integer(entry, "max_resource", "hyperband", minimum=1, maximum=10**9)
    if low is None or high is None:
        return None
    if low >= high:
        r.add("hyperband.max_resource", high, f"must be greater than min_resource ({low})")
        return None
    return Hyperband(low, high)


_PLATFORM_IMAGE_KEYS = {"platform_repository": True, "tag": True}


def _image(r: SpecReader, data: Mapping[str, Any]) -> str | PlatformImage | None:
    if isinstance(data.get("image"), Mapping):
        return _platform_image(r, data["image"])
    image = r.string(data, "image", "")
    if image is None:
        return None
    problem = image_problem(image)
    if problem is not None:
        r.add("image", image, problem)
        return None
    return image


def _platform_image(r: SpecReader, raw: Mapping[str, Any]) -> PlatformImage | None:
    entry = r.mapping(raw, "image", _PLATFORM_IMAGE_KEYS)
    if entry is None:
        return None
    repository = r.string(
        entry,
        "platform_repository",
        "image",
        pattern=ECR_REPOSITORY_NAME_PATTERN,
        hint="must be the name of an `images.repositories` entry (lowercase letters, digits, inner . _ -)",
    )
    tag = r.string(entry, "tag", "image", pattern=ECR_TAG_PATTERN, hint="must be an image tag (at most 128 characters)")
    if repository is None or tag is None:
        return None
    return PlatformImage(repository, tag)


def image_problem(image: str) -> str | None:
    """Why `image` is not a training image this platform can run, or None: an ECR URI or a known built-in."""
    if "/" in image:
        if not ECR_IMAGE_PATTERN.match(image):
            return (
                "must be an ECR image URI <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag> "
                "(or @sha256:<digest>), or a built-in algorithm such as sagemaker-xgboost:1.7-1"
            )
        return None
    repository, _, version = image.partition(":")
    if version not in BUILTIN_IMAGE_VERSIONS.get(repository, ()):
        known = ", ".join(f"{repo}:{v}" for repo, vs in BUILTIN_IMAGE_VERSIONS.items() for v in vs)
        return f"a built-in algorithm image must be one of {known}; otherwise give a full ECR URI"
    return None


def _channels(r: SpecReader, data: Mapping[str, Any]) -> tuple[Channel, ...]:
    result: list[Channel] = []
    hint = "must map channel names (train, validation, ...) to {prefix, content_type}"
    for name, path, entry in r.named_entries(data, "channels", {"prefix": True, "content_type": False}, hint):
        if not CHANNEL_NAME_PATTERN.match(name):
            r.add(path, name, "channel names are letters, digits, '.', '-' and '_', at most 64 characters")
            continue
        prefix = r.string(entry, "prefix", path)
        if prefix is not None and (prefix.startswith(("/", "s3://")) or ".." in prefix):
            r.add(f"{path}.prefix", prefix, "must be a key prefix inside the tuning data bucket, e.g. churn/train/")
            prefix = None
        content_type = r.string(entry, "content_type", path)
        if prefix is not None:
            result.append(Channel(name, prefix, content_type))
    return tuple(result)


def _warm_start(r: SpecReader, data: Mapping[str, Any]) -> WarmStart | None:
    if "warm_start" not in data:
        return None
    entry = r.mapping(data["warm_start"], "warm_start", {"type": True, "parents": False, "parent_spec": False})
    if entry is None:
        return None
    kind = r.string(entry, "type", "warm_start", allowed=tuple(WARM_START_TYPES))
    if ("parents" in entry) == ("parent_spec" in entry):
        r.add(
            "warm_start",
            sorted(entry),
            "give exactly one of parents (tuning job names) or parent_spec (a spec whose last Completed run is the "
            "parent)",
        )
        return None
    if "parent_spec" in entry:
        parent_spec = r.string(
            entry,
            "parent_spec",
            "warm_start",
            pattern=SPEC_NAME_PATTERN,
            hint="must be the name of a tuning spec",
        )
        if parent_spec is not None and parent_spec == data.get("name"):
            r.add("warm_start.parent_spec", parent_spec, "a spec cannot warm-start from itself")
            return None
        return WarmStart(kind, (), parent_spec) if kind is not None and parent_spec is not None else None
    parents = r.string_list(
        entry,
        "parents",
        "warm_start",
        minimum=1,
        maximum=MAX_PARENT_TUNING_JOBS,
        pattern=TUNING_JOB_NAME_PATTERN,
        hint="must be a tuning job name (at most 32 characters)",
    )
    return WarmStart(kind, parents) if kind is not None and parents else None


def _spot(r: SpecReader, data: Mapping[str, Any]) -> Spot | None:
    if "spot" not in data:
        return None
    entry = r.mapping(data["spot"], "spot", {"max_wait_seconds": True, "checkpoint_s3_uri": False})
    if entry is None:
        return None
    wait = r.integer(entry, "max_wait_seconds", "spot", minimum=1, maximum=MAX_TRAINING_RUNTIME_SECONDS)
    uri = r.string(
        entry,
        "checkpoint_s3_uri",
        "spot",
        pattern=S3_URI_PATTERN,
        hint="must be an S3 URI s3://<bucket>/<prefix>/ (default: the output bucket's checkpoints/)",
    )
    return Spot(wait, uri) if wait is not None else None


def _vpc(r: SpecReader, data: Mapping[str, Any]) -> Vpc | None:
    if "vpc" not in data:
        return None
    entry = r.mapping(data["vpc"], "vpc", {"subnet_ids": True, "security_group_ids": True})
    if entry is None:
        return None
    subnets = r.string_list(
        entry,
        "subnet_ids",
        "vpc",
        minimum=1,
        maximum=16,
        pattern=SUBNET_PATTERN,
        hint="must be a subnet id subnet-xxxxxxxx",
    )
    groups = r.string_list(
        entry,
        "security_group_ids",
        "vpc",
        minimum=1,
        maximum=5,
        pattern=SECURITY_GROUP_PATTERN,
        hint="must be a security group id sg-xxxxxxxx",
    )
    return Vpc(subnets, groups) if subnets and groups else None


def _inference(r: SpecReader, data: Mapping[str, Any]) -> Inference:
    if "inference" not in data:
        return Inference()
    entry = r.mapping(data["inference"], "inference", {"image": False, "content_types": False, "response_types": False})
    if entry is None:
        return Inference()
    image = r.string(entry, "image", "inference", pattern=ECR_IMAGE_PATTERN, hint="must be an ECR image URI")
    content = (
        r.string_list(entry, "content_types", "inference", minimum=1, maximum=10)
        if "content_types" in entry
        else Inference.content_types
    )
    response = (
        r.string_list(entry, "response_types", "inference", minimum=1, maximum=10)
        if "response_types" in entry
        else Inference.response_types
    )
    return Inference(image, content, response)


def _check_strategy(
    r: SpecReader,
    strategy: str | None,
    ranges: tuple[ParameterRange, ...],
    max_jobs: int | None,
    max_jobs_given: bool,
    early_stopping: str,
    hyperband: Hyperband | None,
    warm_start: WarmStart | None,
) -> None:
    if strategy == "Grid":
        for item in ranges:
            if item.type != "categorical":
                r.add(f"ranges.{item.name}.type", item.type, "the Grid strategy searches only categorical ranges")
        combinations = 1
        for item in ranges:
            combinations *= max(len(item.values), 1)
        if combinations > MAX_TRAINING_JOBS:
            r.add("ranges", combinations, f"Grid runs one training job per combination: at most {MAX_TRAINING_JOBS}")
        if max_jobs_given:
            r.add("max_jobs", max_jobs, f"omit max_jobs: Grid runs one training job per combination ({combinations})")
    elif strategy is not None and not max_jobs_given:
        r.add("max_jobs", None, f"required for the {strategy} strategy (only Grid derives it from the ranges)")
    if strategy == "Hyperband":
        if early_stopping != "Off":
            r.add("early_stopping", early_stopping, "Hyperband stops jobs early on its own: early_stopping must be Off")
    elif hyperband is not None:
        r.add("hyperband", "set", f"hyperband settings apply only to the Hyperband strategy, not {strategy}")
    if strategy == "Grid" and early_stopping != "Off":
        r.add("early_stopping", early_stopping, "the Grid strategy runs every combination: early_stopping must be Off")
    if warm_start is not None and strategy in ("Hyperband", "Grid"):
        r.add("warm_start", "set", f"warm start is supported for the Bayesian and Random strategies, not {strategy}")


def _check_objective(
    r: SpecReader,
    image: str | PlatformImage | None,
    metric: str | None,
    kind: str | None,
    definitions: tuple[MetricDefinition, ...],
) -> None:
    if image is None or metric is None:
        return
    if isinstance(image, str) and "/" not in image:  # a built-in algorithm emits its own metrics
        if definitions:
            r.add(
                "metric_definitions",
                [d.name for d in definitions],
                "a built-in algorithm emits its own metrics: omit metric_definitions",
            )
        if metric not in XGBOOST_OBJECTIVES:
            r.add(
                "objective.metric",
                metric,
                f"the built-in XGBoost objective metrics are {', '.join(XGBOOST_OBJECTIVES)}",
            )
        elif kind is not None and XGBOOST_OBJECTIVES[metric] != kind:
            r.add("objective.type", kind, f"{metric} is to be {XGBOOST_OBJECTIVES[metric]}d")
        return
    if metric not in {d.name for d in definitions}:
        r.add(
            "objective.metric",
            metric,
            "must be the name of one of metric_definitions (a custom image's "
            "metrics are read from its log with those regexes)",
        )

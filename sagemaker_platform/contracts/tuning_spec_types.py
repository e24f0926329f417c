"""The value types of a validated tuning spec (`TuningSpec` and its parts); `tuning_spec.parse_spec` builds them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


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
        """The spec as given (the canonical JSON of `raw`), as a mapping."""
        return json.loads(self.raw)

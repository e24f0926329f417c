"""Reading the training-job half of a tuning spec: image, instance, channels, model package group, warm start,
spot, VPC, inference and schedule. Used by `tuning_spec.parse_spec`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from sagemaker_platform.contracts.spec_reader import SpecReader
from sagemaker_platform.contracts.tuning_limits import (
    BUILTIN_IMAGE_VERSIONS,
    CHANNEL_NAME_PATTERN,
    ECR_IMAGE_PATTERN,
    ECR_REPOSITORY_NAME_PATTERN,
    ECR_TAG_PATTERN,
    INSTANCE_TYPE_PATTERN,
    MAX_PARENT_TUNING_JOBS,
    MAX_TRAINING_INSTANCE_COUNT,
    MAX_TRAINING_RUNTIME_SECONDS,
    MAX_TRAINING_VOLUME_GB,
    MODEL_PACKAGE_GROUP_PATTERN,
    S3_URI_PATTERN,
    SCHEDULE_PATTERN,
    SECURITY_GROUP_PATTERN,
    SPEC_NAME_PATTERN,
    SUBNET_PATTERN,
    TUNING_JOB_NAME_PATTERN,
    WARM_START_TYPES,
)
from sagemaker_platform.contracts.tuning_spec_types import Channel, Inference, PlatformImage, Spot, Vpc, WarmStart


class TrainingJob(NamedTuple):
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


def read_training_job(r: SpecReader, data: Mapping[str, Any], *, allow_schedule: bool) -> TrainingJob:
    """The keys that describe each training job; `schedule` is refused unless `allow_schedule`."""
    image = read_image(r, data)
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
    channels = read_channels(r, data)
    group = r.string(
        data,
        "model_package_group",
        "",
        pattern=MODEL_PACKAGE_GROUP_PATTERN,
        hint="must be a model package group name: letters, digits and inner hyphens, at most 63",
    )
    isolation = r.boolean(data, "enable_network_isolation", "", False)
    warm_start = read_warm_start(r, data)
    spot = read_spot(r, data)
    vpc = read_vpc(r, data)
    inference = read_inference(r, data)
    schedule = r.string(
        data,
        "schedule",
        "",
        pattern=SCHEDULE_PATTERN,
        hint="must be an EventBridge Scheduler expression: rate(N minutes|hours|days) or cron(...)",
    )
    if schedule is not None and not allow_schedule:
        r.add("schedule", schedule, "a schedule is set in the platform config, not in a spec passed at run time")

    return TrainingJob(
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


_PLATFORM_IMAGE_KEYS = {"platform_repository": True, "tag": True}


def read_image(r: SpecReader, data: Mapping[str, Any]) -> str | PlatformImage | None:
    """`image`: an ECR URI, a built-in algorithm (`sagemaker-xgboost:1.7-1`), or a platform repository."""
    if isinstance(data.get("image"), Mapping):
        return read_platform_image(r, data["image"])
    image = r.string(data, "image", "")
    if image is None:
        return None
    problem = image_problem(image)
    if problem is not None:
        r.add("image", image, problem)
        return None
    return image


def read_platform_image(r: SpecReader, raw: Mapping[str, Any]) -> PlatformImage | None:
    """`image: {platform_repository, tag}`: an image of one of the platform's ECR repositories."""
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


def read_channels(r: SpecReader, data: Mapping[str, Any]) -> tuple[Channel, ...]:
    """`channels`: channel name -> `{prefix, content_type}` inside the tuning data bucket."""
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


def read_warm_start(r: SpecReader, data: Mapping[str, Any]) -> WarmStart | None:
    """`warm_start`: a type and exactly one of `parents` (job names) or `parent_spec` (a spec name)."""
    entry = r.section(data, "warm_start", {"type": True, "parents": False, "parent_spec": False})
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


def read_spot(r: SpecReader, data: Mapping[str, Any]) -> Spot | None:
    """`spot`: managed spot training's wait limit and an optional checkpoint location."""
    entry = r.section(data, "spot", {"max_wait_seconds": True, "checkpoint_s3_uri": False})
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


def read_vpc(r: SpecReader, data: Mapping[str, Any]) -> Vpc | None:
    """`vpc`: the subnets and security groups of the training containers."""
    entry = r.section(data, "vpc", {"subnet_ids": True, "security_group_ids": True})
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


def read_inference(r: SpecReader, data: Mapping[str, Any]) -> Inference:
    """`inference`: the image and MIME types registered with the model package (defaults: CSV)."""
    entry = r.section(data, "inference", {"image": False, "content_types": False, "response_types": False})
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

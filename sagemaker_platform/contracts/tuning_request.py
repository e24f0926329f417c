"""A validated tuning spec turned into a CreateHyperParameterTuningJob request (the API's PascalCase keys)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sagemaker_platform.contracts.tuning_limits import (
    RUN_ID_LENGTH,
    S3_URI_PATTERN,
    WARM_START_TYPES,
    XGBOOST_REGISTRY_ACCOUNTS,
)
from sagemaker_platform.contracts.tuning_spec import (
    Channel,
    ParameterRange,
    PlatformImage,
    Problem,
    SpecError,
    Spot,
    TuningSpec,
)
from sagemaker_platform.contracts.tuning_spec_search import number_text

# --- the request ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    """What the request needs besides the spec: the pipeline's resources, known once deployed."""

    region: str
    role_arn: str
    data_bucket: str
    output_bucket: str
    kms_key_arn: str
    platform_images: PlatformImages | None = None
    """The platform's repositories the training role may pull. Default: none (no `images` section)."""


@dataclass(frozen=True)
class PlatformImages:
    """Where `image: {platform_repository, tag}` resolves: `<registry>/<repository>:<tag>`, where `registry` is
    `<images account>.dkr.ecr.<region>.<suffix>/<platform name>`; `repositories` the ones the training role may
    pull (granted at synth), so a run-time spec naming another is refused before any AWS call."""

    registry: str
    repositories: tuple[str, ...]

    def uri(self, image: PlatformImage) -> str:
        if image.repository not in self.repositories:
            raise SpecError(
                [
                    Problem(
                        "image.platform_repository",
                        image.repository,
                        "the training role may not pull from it; granted: " + (", ".join(self.repositories) or "none"),
                    )
                ]
            )
        return f"{self.registry}/{image.repository}:{image.tag}"


def run_id(execution_id: str) -> str:
    """A deterministic 12-hex id for one execution: a retried build step yields the same job name."""
    return hashlib.sha256(execution_id.encode()).hexdigest()[:RUN_ID_LENGTH]


def parent_job_pattern(spec_name: str) -> re.Pattern[str]:
    """The names of `spec_name`'s tuning jobs (and not of a spec whose name merely starts the same)."""
    return re.compile(rf"^{re.escape(spec_name)}-[0-9a-f]{{{RUN_ID_LENGTH}}}$")


def tuning_job_name(spec: TuningSpec, execution_id: str) -> str:
    return f"{spec.name}-{run_id(execution_id)}"


_NO_PLATFORM_IMAGES = (
    "no platform repository is granted to the training role: a `tuning` spec or the `tuning_launcher` of the "
    "platform config must name one"
)


def image_uri(image: str | PlatformImage, region: str, platform_images: PlatformImages | None = None) -> str:
    """The URI of `image`: as given, a built-in algorithm resolved for `region`, or a platform image."""
    if isinstance(image, PlatformImage):
        if platform_images is None:
            raise SpecError([Problem("image.platform_repository", image.repository, _NO_PLATFORM_IMAGES)])
        return platform_images.uri(image)
    if "/" in image:
        return image
    account = XGBOOST_REGISTRY_ACCOUNTS.get(region)
    if account is None:
        raise SpecError(
            [
                Problem(
                    "image",
                    image,
                    f"the built-in image has no registry in {region}; "
                    f"regions: {', '.join(sorted(XGBOOST_REGISTRY_ACCOUNTS))}",
                )
            ]
        )
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{suffix}/{image}"


def build_request(
    spec: TuningSpec, env: Environment, execution_id: str, parent_jobs: Sequence[str] = ()
) -> dict[str, Any]:
    """The CreateHyperParameterTuningJob request for `spec`, in the API's shape (boto3 keyword arguments).

    `parent_jobs`: the tuning jobs `warm_start.parent_spec` resolved to at run time (`parent_job_pattern`).
    """
    name = tuning_job_name(spec, execution_id)
    if spec.warm_start is not None and spec.warm_start.parent_spec is not None and not parent_jobs:
        raise SpecError(
            [Problem("warm_start.parent_spec", spec.warm_start.parent_spec, "not resolved to a tuning job name")]
        )
    if spec.spot is not None and spec.spot.checkpoint_s3_uri is not None:
        match = S3_URI_PATTERN.match(spec.spot.checkpoint_s3_uri)
        if match is None or match.group("bucket") != env.output_bucket:
            raise SpecError(
                [
                    Problem(
                        "spot.checkpoint_s3_uri",
                        spec.spot.checkpoint_s3_uri,
                        f"must be under s3://{env.output_bucket}/ (the training role may write only "
                        "to the tuning output bucket)",
                    )
                ]
            )
    request: dict[str, Any] = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": tuning_job_config(spec),
        "TrainingJobDefinition": _training_job_definition(spec, env, name),
        "Tags": [{"Key": "tuning-spec", "Value": spec.name}],
    }
    if spec.warm_start is not None:
        request["WarmStartConfig"] = {
            "ParentHyperParameterTuningJobs": [
                {"HyperParameterTuningJobName": p} for p in (spec.warm_start.parents or tuple(parent_jobs))
            ],
            "WarmStartType": WARM_START_TYPES[spec.warm_start.type],
        }
    return request


def tuning_job_config(spec: TuningSpec) -> dict[str, Any]:
    """`HyperParameterTuningJobConfig` of `spec`: strategy, objective, limits, ranges (no environment needed)."""
    config: dict[str, Any] = {
        "Strategy": spec.strategy,
        "HyperParameterTuningJobObjective": {"Type": spec.objective_type, "MetricName": spec.objective_metric},
        "ResourceLimits": _resource_limits(spec),
        "ParameterRanges": _parameter_ranges(spec.ranges),
        "TrainingJobEarlyStoppingType": spec.early_stopping,
    }
    if spec.hyperband is not None:
        config["StrategyConfig"] = {
            "HyperbandStrategyConfig": {
                "MinResource": spec.hyperband.min_resource,
                "MaxResource": spec.hyperband.max_resource,
            }
        }
    if spec.random_seed is not None:
        config["RandomSeed"] = spec.random_seed
    return config


def _resource_limits(spec: TuningSpec) -> dict[str, int]:
    limits = {"MaxParallelTrainingJobs": spec.max_parallel_jobs}
    if spec.max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = spec.max_jobs
    if spec.max_runtime_seconds is not None:
        limits["MaxRuntimeInSeconds"] = spec.max_runtime_seconds
    return limits


def _parameter_ranges(ranges: tuple[ParameterRange, ...]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {
        "IntegerParameterRanges": [],
        "ContinuousParameterRanges": [],
        "CategoricalParameterRanges": [],
    }
    for item in ranges:
        if item.type == "categorical":
            result["CategoricalParameterRanges"].append({"Name": item.name, "Values": list(item.values)})
            continue
        assert item.min is not None and item.max is not None
        render = (lambda v: str(int(v))) if item.type == "integer" else number_text
        key = "IntegerParameterRanges" if item.type == "integer" else "ContinuousParameterRanges"
        result[key].append(
            {"Name": item.name, "MinValue": render(item.min), "MaxValue": render(item.max), "ScalingType": item.scaling}
        )
    return {key: value for key, value in result.items() if value}


def _training_job_definition(spec: TuningSpec, env: Environment, name: str) -> dict[str, Any]:
    return training_job_definition(
        spec,
        image=image_uri(spec.image, env.region, env.platform_images),
        role_arn=env.role_arn,
        channels=[_channel(c, env) for c in spec.channels],
        output_path=f"s3://{env.output_bucket}/tuning/{name}/",
        output_kms_key=env.kms_key_arn,
        volume_kms_key=env.kms_key_arn,
        checkpoint_uri=None if spec.spot is None else _checkpoint_uri(spec.spot, env, name),
    )


def _checkpoint_uri(spot: Spot, env: Environment, name: str) -> str:
    return spot.checkpoint_s3_uri or f"s3://{env.output_bucket}/checkpoints/{name}/"


def training_job_definition(
    spec: TuningSpec,
    *,
    image: Any,
    role_arn: Any,
    channels: list[dict[str, Any]],
    output_path: Any,
    output_kms_key: Any,
    volume_kms_key: Any,
    checkpoint_uri: Any,
) -> dict[str, Any]:
    """`TrainingJobDefinition` of `spec` with the environment's parts given (values may be CDK tokens or
    SageMaker Pipelines expressions); `output_kms_key` None: the output bucket's default encryption."""
    algorithm: dict[str, Any] = {"TrainingImage": image, "TrainingInputMode": "File"}
    if spec.metric_definitions:
        algorithm["MetricDefinitions"] = [{"Name": m.name, "Regex": m.regex} for m in spec.metric_definitions]
    output: dict[str, Any] = {"S3OutputPath": output_path}
    if output_kms_key is not None:
        output["KmsKeyId"] = output_kms_key
    definition: dict[str, Any] = {
        "AlgorithmSpecification": algorithm,
        "RoleArn": role_arn,
        "InputDataConfig": channels,
        "OutputDataConfig": output,
        "ResourceConfig": {
            "InstanceType": spec.instance_type,
            "InstanceCount": spec.instance_count,
            "VolumeSizeInGB": spec.volume_size_gb,
            "VolumeKmsKeyId": volume_kms_key,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.max_run_seconds},
        "EnableNetworkIsolation": spec.enable_network_isolation,
        # Encrypts traffic between the instances of a distributed job; a single instance has none.
        "EnableInterContainerTrafficEncryption": spec.instance_count > 1,
        "EnableManagedSpotTraining": spec.spot is not None,
    }
    if spec.static_hyperparameters:
        definition["StaticHyperParameters"] = dict(spec.static_hyperparameters)
    if spec.spot is not None:
        definition["StoppingCondition"]["MaxWaitTimeInSeconds"] = spec.spot.max_wait_seconds
        definition["CheckpointConfig"] = {"S3Uri": checkpoint_uri}
    if spec.vpc is not None:
        definition["VpcConfig"] = {
            "Subnets": list(spec.vpc.subnet_ids),
            "SecurityGroupIds": list(spec.vpc.security_group_ids),
        }
    return definition


def _channel(channel: Channel, env: Environment) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ChannelName": channel.name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": f"s3://{env.data_bucket}/{channel.prefix}",
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }
    if channel.content_type is not None:
        result["ContentType"] = channel.content_type
    return result

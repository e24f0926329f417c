"""The build pipeline's `Tuning` step: a tuning spec (`contracts.tuning_spec`) rendered as a step request.

The request is the one the tuning pipeline sends (`contracts.tuning_request`: HyperParameterTuningJobConfig and
TrainingJobDefinition from the same builders), with the pipeline's parts: the preprocessing splits as channels,
the build's model output, the lifecycle key, per-execution checkpoints. The best training job's artifact is
``<output path>/<BestTrainingJob.TrainingJobName>/output/model.tar.gz`` (what the SageMaker Python SDK's
``TuningStep.get_top_model_s3_uri`` builds), read at run time.
"""

from __future__ import annotations

from typing import Any

from sagemaker_platform.constructs.lifecycle.definition import Get, Join, Value
from sagemaker_platform.contracts.tuning_limits import WARM_START_TYPES
from sagemaker_platform.contracts.tuning_request import training_job_definition, tuning_job_config
from sagemaker_platform.contracts.tuning_spec import TuningSpec

# The channels the build's preprocessing writes and its training reads.
TRAINING_CHANNELS = ("train", "validation")


def tuning_arguments(
    spec: TuningSpec,
    *,
    image: str,
    role_arn: str,
    channel_uris: dict[str, Value],
    default_content_type: str,
    output_path: str,
    volume_kms_key: str,
    checkpoint_uri: Value,
) -> dict[str, Any]:
    """The CreateHyperParameterTuningJob request of the step (SageMaker names the job)."""
    content_types = {channel.name: channel.content_type for channel in spec.channels}
    channels = [
        {
            "ChannelName": name,
            "ContentType": content_types.get(name) or default_content_type,
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}
            },
        }
        for name, uri in channel_uris.items()
    ]
    arguments: dict[str, Any] = {
        "HyperParameterTuningJobConfig": tuning_job_config(spec),
        "TrainingJobDefinition": training_job_definition(
            spec,
            image=image,
            role_arn=role_arn,
            channels=channels,
            output_path=output_path,
            # The model output bucket's default encryption (the registry's key for its artifacts bucket).
            output_kms_key=None,
            volume_kms_key=volume_kms_key,
            checkpoint_uri=checkpoint_uri,
        ),
    }
    if spec.warm_start is not None and spec.warm_start.parents:
        arguments["WarmStartConfig"] = {
            "ParentHyperParameterTuningJobs": [
                {"HyperParameterTuningJobName": parent} for parent in spec.warm_start.parents
            ],
            "WarmStartType": WARM_START_TYPES[spec.warm_start.type],
        }
    return arguments


def best_model_uri(step: str, output_path: str) -> Join:
    """The best training job's model artifact, resolved at run time."""
    return Join((output_path, Get(f"Steps.{step}.BestTrainingJob.TrainingJobName"), "output/model.tar.gz"), on="/")


def tuning_problems(spec: TuningSpec) -> list[str]:
    """Why `spec` cannot drive a build pipeline's Tuning step, or []."""
    problems = []
    if spec.warm_start is not None and spec.warm_start.parent_spec is not None:
        problems.append(
            f"tuning.warm_start.parent_spec={spec.warm_start.parent_spec!r}: resolved by the tuning pipeline at run "
            "time, not in a build pipeline; name the parent jobs (warm_start.parents)"
        )
    if not isinstance(spec.image, str):
        problems.append(
            f"tuning.image={{platform_repository: {spec.image.repository}}}: build pipelines do not pull platform "
            "images yet; give an ECR URI or a built-in image"
        )
    return problems


def tuning_image(spec: TuningSpec) -> str:
    """The spec's image (a URI or a built-in), once `tuning_problems` found none."""
    assert isinstance(spec.image, str), spec.image
    return spec.image

"""The job steps of `ModelBuildPipeline`: preprocess and evaluate (processing), train or tune, and the URIs
that pass the splits, the model and the reports between them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sagemaker_platform.constructs.lifecycle.baseline import processing_input
from sagemaker_platform.constructs.lifecycle.definition import (
    EXECUTION_ID,
    Get,
    Join,
    PropertyFile,
    Step,
    Value,
    parameter,
)
from sagemaker_platform.constructs.lifecycle.settings import JobResources, ModelFormat, TrainingSettings
from sagemaker_platform.constructs.lifecycle.training import (
    CHECKPOINT_LOCAL_PATH,
    MAX_TRAINING_SECONDS,
    distribution_hyperparameters,
)
from sagemaker_platform.constructs.lifecycle.tuning_step import TRAINING_CHANNELS, best_model_uri, tuning_arguments
from sagemaker_platform.contracts.tuning_spec import TuningSpec

CODE_PATH = "/opt/ml/processing/input/code"
SPLITS = ("train", "validation", "test")
# Step names are part of the definition's contract: events, notifications and tests name them.
PREPROCESS, TRAIN, TUNE, EVALUATE = "Preprocess", "Train", "Tune", "Evaluate"
EVALUATION_REPORT = "EvaluationReport"


@dataclass(frozen=True)
class BuildJobs:
    """What the build's job steps are rendered from: the construct's validated settings and resolved images.

    :param executions_uri: the lifecycle bucket prefix each execution writes its outputs under.
    :param key_arn: the lifecycle key (volumes, outputs).
    :param job_role_arn: the role of the processing and training jobs.
    :param model_output_uri: where training writes the model artifact.
    :param tuning: a tuning spec run as a `Tuning` step instead of the training step, or None.
    """

    executions_uri: str
    key_arn: str
    job_role_arn: str
    processing: JobResources
    processing_image: str
    training: TrainingSettings
    model_format: ModelFormat
    model_output_uri: str
    tuning: TuningSpec | None

    def execution_uri(self, output: str) -> Join:
        """``<executions>/<execution id>/<output>``: an output of this execution only."""
        return Join((self.executions_uri, EXECUTION_ID, output), on="/")

    def model_data(self) -> Value:
        """The model artifact to evaluate and register: the training job's, or the tuning job's best."""
        if self.tuning is None:
            return Get(f"Steps.{TRAIN}.ModelArtifacts.S3ModelArtifacts")
        return best_model_uri(TUNE, self.model_output_uri)

    def preprocess_step(self) -> Step:
        """``preprocess.py`` on the `InputDataUrl` parameter, writing the train, validation and test splits."""
        return Step(
            name=PREPROCESS,
            type="Processing",
            arguments=self._processing_request(
                "preprocess.py",
                inputs=[("data", parameter("InputDataUrl"), "/opt/ml/processing/input/data")],
                outputs=[(split, f"/opt/ml/processing/output/{split}") for split in SPLITS],
            ),
        )

    def training_step(self, image: str) -> Step:
        """One training job on the train and validation splits, or the tuning spec's `Tuning` step."""
        if self.tuning is None:
            return Step(name=TRAIN, type="Training", arguments=self._training_request(image))
        return Step(
            name=TUNE,
            type="Tuning",
            arguments=tuning_arguments(
                self.tuning,
                image=image,
                role_arn=self.job_role_arn,
                channel_uris={split: split_uri(split) for split in TRAINING_CHANNELS},
                default_content_type=self.model_format.content_types[0]
                if self.model_format.content_types
                else "text/csv",
                output_path=self.model_output_uri,
                volume_kms_key=self.key_arn,
                checkpoint_uri=self.execution_uri("checkpoints"),
            ),
        )

    def evaluate_step(self, model_data: Value) -> Step:
        """``evaluate.py`` on the model and the test split, writing the evaluation report (a property file)."""
        return Step(
            name=EVALUATE,
            type="Processing",
            arguments=self._processing_request(
                "evaluate.py",
                inputs=[
                    ("model", model_data, "/opt/ml/processing/model"),
                    ("test", split_uri("test"), "/opt/ml/processing/test"),
                ],
                outputs=[("evaluation", "/opt/ml/processing/evaluation")],
            ),
            property_files=(PropertyFile(EVALUATION_REPORT, "evaluation", "evaluation.json"),),
        )

    def _processing_request(
        self, script: str, *, inputs: list[tuple[str, Any, str]], outputs: list[tuple[str, str]]
    ) -> dict[str, Any]:
        resources = self.processing
        key = self.key_arn
        return {
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceType": parameter("ProcessingInstanceType"),
                    "InstanceCount": resources.instance_count,
                    "VolumeSizeInGB": resources.volume_size_gb,
                    "VolumeKmsKeyId": key,
                }
            },
            "AppSpecification": {
                "ImageUri": self.processing_image,
                "ContainerEntrypoint": ["python3", f"{CODE_PATH}/{script}"],
            },
            "RoleArn": self.job_role_arn,
            "ProcessingInputs": [
                processing_input(name, uri, path)
                for name, uri, path in [*inputs, ("code", parameter("CodeUrl"), CODE_PATH)]
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": name,
                        "AppManaged": False,
                        "S3Output": {"S3Uri": self.execution_uri(name), "LocalPath": path, "S3UploadMode": "EndOfJob"},
                    }
                    for name, path in outputs
                ],
                "KmsKeyId": key,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": resources.max_run_seconds},
            "NetworkConfig": {"EnableInterContainerTrafficEncryption": True},
        }

    def _training_request(self, image: str) -> dict[str, Any]:
        settings = self.training
        resources = settings.resources
        hyperparameters = dict(settings.hyperparameters)
        instance_type: Any = parameter("TrainingInstanceType")
        if settings.distribution is not None:
            instance_type = resources.instance_type
            hyperparameters.update(distribution_hyperparameters(settings.distribution, resources.instance_type))
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": resources.max_run_seconds}
        spot: dict[str, Any] = {}
        if settings.use_spot:
            stopping["MaxWaitTimeInSeconds"] = _max_wait(settings)
            # Per execution: a rerun must not resume from an earlier execution's checkpoints. The bucket's
            # default encryption (the lifecycle key) covers them; the job policy already grants the bucket.
            spot = {
                "EnableManagedSpotTraining": True,
                "CheckpointConfig": {"S3Uri": self.execution_uri("checkpoints"), "LocalPath": CHECKPOINT_LOCAL_PATH},
            }
        return {
            "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
            "RoleArn": self.job_role_arn,
            "HyperParameters": dict(sorted(hyperparameters.items())) or None,
            "InputDataConfig": [self._training_channel(split) for split in ("train", "validation")],
            "OutputDataConfig": {"S3OutputPath": self.model_output_uri},
            "ResourceConfig": {
                "InstanceType": instance_type,
                "InstanceCount": resources.instance_count,
                "VolumeSizeInGB": resources.volume_size_gb,
                "VolumeKmsKeyId": self.key_arn,
            },
            "StoppingCondition": stopping,
            "EnableNetworkIsolation": settings.network_isolation,
            "EnableInterContainerTrafficEncryption": True,
            **spot,
        }

    def _training_channel(self, split: str) -> dict[str, Any]:
        return {
            "ChannelName": split,
            "ContentType": self.model_format.content_types[0],
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": split_uri(split),
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }


def split_uri(split: str) -> Get:
    """Where the preprocessing step wrote `split` (train, validation or test) in this execution."""
    return Get(f"Steps.{PREPROCESS}.ProcessingOutputConfig.Outputs['{split}'].S3Output.S3Uri")


def _max_wait(settings: TrainingSettings) -> int:
    if settings.max_wait_seconds is not None:
        return settings.max_wait_seconds
    return min(2 * settings.resources.max_run_seconds, MAX_TRAINING_SECONDS)

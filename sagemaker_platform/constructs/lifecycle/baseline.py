"""Model Monitor baselines produced by the build pipeline: `QualityCheck` steps (data quality, model quality).

Each step runs the Model Monitor analyzer (``sagemaker-model-monitor-analyzer``) as a processing job, as the
SageMaker Python SDK's ``QualityCheckStep`` does, writes ``statistics.json`` and ``constraints.json`` to a fixed
location, and its properties (``CalculatedBaseline*`` and ``BaselineUsedForDriftCheck*``) become the registered
version's metrics and DriftCheckBaselines. The monitors' job definitions read the fixed location: the baseline
of the latest registered version.

- data quality: over the training split;
- model quality: over the test split scored by the challenger (a Model and a Transform step before it), each
  line ``<label>,<prediction>``: the label the preprocessing put first, joined with the model's answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sagemaker_platform.constructs.lifecycle.definition import Get, Step, Value
from sagemaker_platform.constructs.lifecycle.model_quality import PROBLEM_TYPES, ProblemType

DATA_QUALITY_BASELINE = "DataQualityBaseline"
MODEL_QUALITY_BASELINE = "ModelQualityBaseline"
DATASET_INPUT = "baseline_dataset_input"
DATASET_PATH = f"/opt/ml/processing/input/{DATASET_INPUT}"
OUTPUT_NAME = "monitoring_output"
OUTPUT_PATH = "/opt/ml/processing/output"
# The build's splits are headerless CSV with the label first (the built-in algorithms' training format).
CSV_WITHOUT_HEADER = {"csv": {"header": False, "output_columns_position": "START"}}
# The scored test split: headerless, so the analyzer names its columns _c0 (the label) and _c1 (the prediction).
SCORED_CSV = {"csv": {"header": False}}
GROUND_TRUTH_COLUMN, PREDICTION_COLUMN = "_c0", "_c1"
# The Transform step's record handling for the scored split: the model sees the features (the label column
# dropped), and each output line is the input's first column (the label) joined with the answer's last column.
SCORED_WITH_LABEL = {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}


@dataclass(frozen=True)
class ModelQualityBaseline:
    """A model quality baseline of each registered version, computed on the test split the challenger scores.

    :param output_uri: where ``statistics.json`` and ``constraints.json`` are written (no trailing '/'); the
        model quality monitors read ``constraints.json`` there.
    :param problem_type: as the monitors' (BinaryClassification, MulticlassClassification, Regression).
    :param probability_threshold: BinaryClassification whose model answers a probability: the probability from
        which a prediction is positive (the model's answer is then the probability attribute). Default: none
        (the answer is the predicted label or value: the inference attribute).
    """

    output_uri: str
    problem_type: ProblemType
    probability_threshold: float | None = None

    def problems(self) -> list[str]:
        """What is wrong with the props, each naming the prop (empty when none)."""
        found = []
        if not self.output_uri.startswith("s3://") or self.output_uri.endswith("/"):
            found.append(
                f"model_quality_baseline.output_uri={self.output_uri!r}: an s3:// prefix without a trailing '/'"
            )
        if self.problem_type not in PROBLEM_TYPES:
            found.append(
                f"model_quality_baseline.problem_type={self.problem_type!r}: one of {', '.join(PROBLEM_TYPES)}"
            )
        threshold = self.probability_threshold
        if threshold is not None and (self.problem_type != "BinaryClassification" or not 0 <= threshold <= 1):
            found.append(
                f"model_quality_baseline.probability_threshold={threshold!r}: 0 to 1, only for BinaryClassification"
            )
        return found

    def environment(self) -> dict[str, str]:
        """The analyzer's model quality settings (as the SDK's ModelQualityCheckConfig writes them)."""
        answer: dict[str, str] = (
            {"inference_attribute": PREDICTION_COLUMN}
            if self.probability_threshold is None
            else {
                "probability_attribute": PREDICTION_COLUMN,
                "probability_threshold_attribute": str(self.probability_threshold),
            }
        )
        return {
            "analysis_type": "MODEL_QUALITY",
            "problem_type": self.problem_type,
            "ground_truth_attribute": GROUND_TRUTH_COLUMN,
            **answer,
        }


@dataclass(frozen=True)
class CheckJob:
    """What every QualityCheck step of one build pipeline runs with (its processing job and its group)."""

    image_uri: str
    role_arn: str
    instance_type: Value
    volume_size_gb: int
    volume_kms_key: str
    max_run_seconds: int
    model_package_group_arn: str


def processing_input(name: str, uri: Value, path: str) -> dict[str, Any]:
    """A ProcessingInput of an S3 prefix, copied to `path` before the job starts."""
    return {
        "InputName": name,
        "AppManaged": False,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": path,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def data_quality_check(job: CheckJob, *, dataset_uri: Value, output_uri: str) -> Step:
    """The data quality QualityCheck step over the (headerless, label-first) training split."""
    environment = {"dataset_format": json.dumps(CSV_WITHOUT_HEADER)}
    return _quality_check(job, DATA_QUALITY_BASELINE, "DATA_QUALITY", dataset_uri, output_uri, environment)


def model_quality_check(job: CheckJob, *, dataset_uri: Value, baseline: ModelQualityBaseline) -> Step:
    """The model quality QualityCheck step over the scored test split (``<label>,<prediction>`` lines)."""
    environment = {"dataset_format": json.dumps(SCORED_CSV), **baseline.environment()}
    return _quality_check(job, MODEL_QUALITY_BASELINE, "MODEL_QUALITY", dataset_uri, baseline.output_uri, environment)


def _quality_check(
    job: CheckJob, name: str, check_type: str, dataset_uri: Value, output_uri: str, environment: dict[str, str]
) -> Step:
    """A QualityCheck step: computes a new baseline and registers it with the new version.

    No check against the previous baseline (``SkipCheck``): the first build has none, and the gate is the
    objective metric; the baseline computed here becomes the version's drift-check baseline.
    """
    return Step(
        name=name,
        type="QualityCheck",
        arguments={
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceType": job.instance_type,
                    "InstanceCount": 1,
                    "VolumeSizeInGB": job.volume_size_gb,
                    "VolumeKmsKeyId": job.volume_kms_key,
                }
            },
            "AppSpecification": {"ImageUri": job.image_uri},
            "RoleArn": job.role_arn,
            "ProcessingInputs": [processing_input(DATASET_INPUT, dataset_uri, DATASET_PATH)],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": OUTPUT_NAME,
                        "AppManaged": False,
                        "S3Output": {"S3Uri": output_uri, "LocalPath": OUTPUT_PATH, "S3UploadMode": "EndOfJob"},
                    }
                ]
            },
            # The analyzer's settings, as the SDK's ModelMonitor writes them.
            "Environment": {
                "dataset_format": environment["dataset_format"],
                "dataset_source": DATASET_PATH,
                "output_path": OUTPUT_PATH,
                "publish_cloudwatch_metrics": "Disabled",
                **{key: value for key, value in environment.items() if key != "dataset_format"},
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": job.max_run_seconds},
            "NetworkConfig": {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": True},
        },
        step_fields={
            "CheckType": check_type,
            "ModelPackageGroupName": job.model_package_group_arn,
            "SkipCheck": True,
            "RegisterNewBaseline": True,
        },
    )


def check_metrics(step: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the new baseline, the drift-check baseline) of a QualityCheck step, as a RegisterModel step's
    MetricsSource pairs (Statistics, Constraints)."""

    def pair(prefix: str) -> dict[str, Any]:
        return {
            "Statistics": {"ContentType": "application/json", "S3Uri": Get(f"Steps.{step}.{prefix}Statistics")},
            "Constraints": {"ContentType": "application/json", "S3Uri": Get(f"Steps.{step}.{prefix}Constraints")},
        }

    return pair("CalculatedBaseline"), pair("BaselineUsedForDriftCheck")

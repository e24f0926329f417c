"""Model Monitor baselines produced by the build pipeline: a `QualityCheck` step (data quality).

The step runs the Model Monitor analyzer (``sagemaker-model-monitor-analyzer``) as a processing job over the
training split, as the SageMaker Python SDK's ``QualityCheckStep`` does, writes ``statistics.json`` and
``constraints.json`` to a fixed location, and its properties (``CalculatedBaseline*`` and
``BaselineUsedForDriftCheck*``) become the registered version's ModelDataQuality metrics and DriftCheckBaselines.
The monitors' job definitions read the fixed location: the baseline of the latest registered version.
"""

from __future__ import annotations

import json
from typing import Any

from sagemaker_platform.constructs.lifecycle.definition import Get, Step, Value

DATA_QUALITY_BASELINE = "DataQualityBaseline"
DATASET_INPUT = "baseline_dataset_input"
DATASET_PATH = f"/opt/ml/processing/input/{DATASET_INPUT}"
OUTPUT_NAME = "monitoring_output"
OUTPUT_PATH = "/opt/ml/processing/output"
# The build's splits are headerless CSV with the label first (the built-in algorithms' training format).
CSV_WITHOUT_HEADER = {"csv": {"header": False, "output_columns_position": "START"}}


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


def data_quality_check(
    *,
    dataset_uri: Value,
    output_uri: str,
    image_uri: str,
    role_arn: str,
    instance_type: Value,
    volume_size_gb: int,
    volume_kms_key: str,
    max_run_seconds: int,
    model_package_group_arn: str,
) -> Step:
    """The QualityCheck step: computes a new data quality baseline and registers it with the new version.

    No check against the previous baseline (``SkipCheck``): the first build has none, and the gate is the
    objective metric; the baseline computed here becomes the version's drift-check baseline.
    """
    return Step(
        name=DATA_QUALITY_BASELINE,
        type="QualityCheck",
        arguments={
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceType": instance_type,
                    "InstanceCount": 1,
                    "VolumeSizeInGB": volume_size_gb,
                    "VolumeKmsKeyId": volume_kms_key,
                }
            },
            "AppSpecification": {"ImageUri": image_uri},
            "RoleArn": role_arn,
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
                "dataset_format": json.dumps(CSV_WITHOUT_HEADER),
                "dataset_source": DATASET_PATH,
                "output_path": OUTPUT_PATH,
                "publish_cloudwatch_metrics": "Disabled",
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": max_run_seconds},
            "NetworkConfig": {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": True},
        },
        step_fields={
            "CheckType": "DATA_QUALITY",
            "ModelPackageGroupName": model_package_group_arn,
            "SkipCheck": True,
            "RegisterNewBaseline": True,
        },
    )


def data_quality_metrics(step: str = DATA_QUALITY_BASELINE) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ModelMetrics.ModelDataQuality, DriftCheckBaselines.ModelDataQuality) of a RegisterModel step."""

    def pair(prefix: str) -> dict[str, Any]:
        return {
            "Statistics": {"ContentType": "application/json", "S3Uri": Get(f"Steps.{step}.{prefix}Statistics")},
            "Constraints": {"ContentType": "application/json", "S3Uri": Get(f"Steps.{step}.{prefix}Constraints")},
        }

    return pair("CalculatedBaseline"), pair("BaselineUsedForDriftCheck")

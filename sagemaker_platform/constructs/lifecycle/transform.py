"""The CreateTransformJob request of a pipeline's Transform step (batch inference, and the build's scoring of
the test split for the model quality baseline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sagemaker_platform.constructs.lifecycle.definition import Value

SPLIT_TYPES = ("None", "Line", "RecordIO", "TFRecord")


@dataclass(frozen=True)
class TransformRecords:
    """How records are read and written: input content type, output type, how the input is split."""

    content_type: str = "text/csv"
    accept: str = "text/csv"
    split_type: str = "Line"


def transform_request(
    *,
    model_name: Value,
    input_uri: Value,
    output_uri: Value,
    records: TransformRecords,
    instance_type: Value,
    instance_count: int,
    kms_key: str,
    data_processing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Transform step's arguments: `input_uri` scored by `model_name` into `output_uri`, output and volume
    encrypted with `kms_key`; line-split input is assembled line by line (one prediction a record)."""
    return {
        "ModelName": model_name,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": records.content_type,
            "SplitType": records.split_type,
        },
        "TransformOutput": {
            "S3OutputPath": output_uri,
            "Accept": records.accept,
            "AssembleWith": "Line" if records.split_type == "Line" else "None",
            "KmsKeyId": kms_key,
        },
        "TransformResources": {
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeKmsKeyId": kms_key,
        },
        # None (no join or filter) is left out of the request.
        "DataProcessing": data_processing,
    }

"""Where a tuning capability's training jobs run and write, as the environment of the functions that start them.

The tuning construct writes it at synth (`TuningStorage.training_environment`, for the request builder and the
launcher) and those handlers read it back at run time with `training_storage(os.environ)`: the variable names
are spelled here once. Standard library only, staged into every handler asset with the other contracts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict


class TrainingStorage(TypedDict):
    """The training jobs' execution role, their input and output buckets, the key that encrypts both."""

    role_arn: str
    data_bucket: str
    output_bucket: str
    kms_key_arn: str


def training_environment(storage: TrainingStorage) -> dict[str, str]:
    """The Lambda environment variables that carry `storage`."""
    return {
        "TRAINING_ROLE_ARN": storage["role_arn"],
        "DATA_BUCKET": storage["data_bucket"],
        "OUTPUT_BUCKET": storage["output_bucket"],
        "KMS_KEY_ARN": storage["kms_key_arn"],
    }


def training_storage(environment: Mapping[str, str]) -> TrainingStorage:
    """`storage` back from the variables `training_environment` wrote; KeyError names a missing one."""
    return TrainingStorage(
        role_arn=environment["TRAINING_ROLE_ARN"],
        data_bucket=environment["DATA_BUCKET"],
        output_bucket=environment["OUTPUT_BUCKET"],
        kms_key_arn=environment["KMS_KEY_ARN"],
    )

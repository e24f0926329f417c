"""The tuning spec, kept at its historical import path: see `sagemaker_platform.contracts.tuning_spec`,
`tuning_limits` and `tuning_request`."""

from __future__ import annotations

from pathlib import Path

from sagemaker_platform.contracts import tuning_spec as _contract
from sagemaker_platform.contracts.tuning_limits import (
    BUILTIN_IMAGE_VERSIONS,
    ECR_IMAGE_PATTERN,
    INSTANCE_TYPE_PATTERN,
    MAX_PARENT_TUNING_JOBS,
    SPEC_NAME_PATTERN,
    XGBOOST_REGISTRY_ACCOUNTS,
)
from sagemaker_platform.contracts.tuning_request import Environment, build_request, image_uri, tuning_job_name
from sagemaker_platform.contracts.tuning_spec import (
    Problem,
    SpecError,
    TuningSpec,
    check_metric_regex,
    image_problem,
    parse_spec,
)

SOURCE_PATH = Path(_contract.__file__)
"""The file the rules live in (staged into the handler assets by `assets.handler_code`)."""

__all__ = [
    "BUILTIN_IMAGE_VERSIONS",
    "ECR_IMAGE_PATTERN",
    "INSTANCE_TYPE_PATTERN",
    "MAX_PARENT_TUNING_JOBS",
    "SOURCE_PATH",
    "SPEC_NAME_PATTERN",
    "XGBOOST_REGISTRY_ACCOUNTS",
    "Environment",
    "Problem",
    "SpecError",
    "TuningSpec",
    "build_request",
    "check_metric_regex",
    "image_problem",
    "image_uri",
    "parse_spec",
    "tuning_job_name",
]

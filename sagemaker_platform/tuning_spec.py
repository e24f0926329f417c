"""The tuning spec, for synth-time code: the platform config, the `TuningPipeline` construct, tests.

The spec's rules and the request builder live in ONE file,
``sagemaker_platform/lambda/tuning_request/tuning_spec.py``, because the request-building Lambda
function must run them too and its asset is that folder as it stands (no bundling, nothing
vendored). This module loads that file with importlib and re-exports it, so synth and run time
validate with the same code. It imports neither aws_cdk nor boto3.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib import resources
from pathlib import Path
from types import ModuleType

_MODULE_NAME = "sagemaker_platform._tuning_spec_runtime"


def _load() -> ModuleType:
    if _MODULE_NAME in sys.modules:
        return sys.modules[_MODULE_NAME]
    path = Path(str(resources.files("sagemaker_platform").joinpath("lambda", "tuning_request", "tuning_spec.py")))
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the tuning spec module from {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before exec, as importlib's recipe requires, so dataclasses resolve their module.
    sys.modules[_MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


_runtime = _load()

BUILTIN_IMAGE_VERSIONS = _runtime.BUILTIN_IMAGE_VERSIONS
ECR_IMAGE_PATTERN = _runtime.ECR_IMAGE_PATTERN
Environment = _runtime.Environment
INSTANCE_TYPE_PATTERN = _runtime.INSTANCE_TYPE_PATTERN
MAX_PARENT_TUNING_JOBS: int = _runtime.MAX_PARENT_TUNING_JOBS
Problem = _runtime.Problem
SPEC_NAME_PATTERN = _runtime.SPEC_NAME_PATTERN
SpecError = _runtime.SpecError
TuningSpec = _runtime.TuningSpec
XGBOOST_REGISTRY_ACCOUNTS: dict[str, str] = _runtime.XGBOOST_REGISTRY_ACCOUNTS
build_request = _runtime.build_request
check_metric_regex = _runtime.check_metric_regex
image_problem = _runtime.image_problem
image_uri = _runtime.image_uri
parse_spec = _runtime.parse_spec
tuning_job_name = _runtime.tuning_job_name

SOURCE_PATH = Path(str(_runtime.__file__))
"""The file the rules live in (also the Lambda asset's copy)."""

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

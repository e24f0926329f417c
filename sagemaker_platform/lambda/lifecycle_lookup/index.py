"""Reads the central registry for a SageMaker Pipelines Lambda step: the latest Approved version of a group.

Step arguments (the pipeline definition's Lambda step)::

    {"model_package_group": "<group ARN or name>", "mode": "champion" | "latest"}

Returns the step's output parameters::

    {"has_champion": bool, "champion_metric": float, "model_package_arn": str}

- `champion` (the build pipeline's gate): no Approved version yet is a normal answer (``has_champion``
  false, the challenger is registered); the champion's metric is its ``objective_value`` metadata, which
  the build pipeline and the tuning register step write on every version they register.
- `latest` (batch inference): no Approved version raises `NoApprovedVersionError` (nothing to score with).

The registry is read with this function's own role, `<name>-lifecycle-lookup`, which the registry's group
policies grant read access (describe, list). Every AWS failure is raised as `RegistryUnavailableError`: the
step fails and a rerun of the pipeline retries it; nothing is guessed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from errors import BadMetricError, InvalidEventError, NoApprovedVersionError, RegistryUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

METRIC_KEY = "objective_value"
MODES = ("champion", "latest")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    group, mode = parse_event(event)
    return lookup(group, mode, sagemaker=boto3.client("sagemaker"))


def parse_event(event: Any) -> tuple[str, str]:
    if not isinstance(event, dict) or not isinstance(event.get("model_package_group"), str):
        raise InvalidEventError(f"expected {{'model_package_group': str, 'mode': ...}}, got {str(event)[:500]}")
    mode = event.get("mode", "champion")
    if mode not in MODES:
        raise InvalidEventError(f"mode={mode!r}; allowed: {', '.join(MODES)}")
    return event["model_package_group"], mode


def lookup(group: str, mode: str, *, sagemaker: SageMakerClient) -> dict[str, Any]:
    try:
        listed = sagemaker.list_model_packages(
            ModelPackageGroupName=group,
            ModelApprovalStatus="Approved",
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=1,
        )["ModelPackageSummaryList"]
    except (ClientError, BotoCoreError) as exc:
        raise RegistryUnavailableError(f"cannot list the Approved versions of {group}: {exc}") from exc
    if not listed:
        if mode == "latest":
            raise NoApprovedVersionError(f"{group} has no Approved version to run with")
        return {"has_champion": False, "champion_metric": 0.0, "model_package_arn": ""}
    arn = listed[0]["ModelPackageArn"]
    if mode == "latest":
        return {"has_champion": True, "champion_metric": 0.0, "model_package_arn": arn}
    try:
        package = sagemaker.describe_model_package(ModelPackageName=arn)
    except (ClientError, BotoCoreError) as exc:
        raise RegistryUnavailableError(f"cannot describe {arn}: {exc}") from exc
    return {"has_champion": True, "champion_metric": champion_metric(package), "model_package_arn": arn}


def champion_metric(package: dict[str, Any]) -> float:
    raw = package.get("CustomerMetadataProperties", {}).get(METRIC_KEY)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise BadMetricError(
            f"{package.get('ModelPackageArn')}: CustomerMetadataProperties[{METRIC_KEY!r}]={raw!r} is not a "
            "finite number; approve a version registered by the platform's build or tuning pipelines"
        )
    return value

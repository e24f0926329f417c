"""Resolves `warm_start.parent_spec` to the parent spec's last Completed tuning job (one paginated List call)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from errors import ParentNotFoundError

from sagemaker_platform.contracts.aws_faults import classify
from sagemaker_platform.contracts.tuning_request import parent_job_pattern

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


def last_completed_run(client: SageMakerClient, parent_spec: str) -> str:
    """The newest Completed tuning job named ``<parent_spec>-<run id>``.

    Raises ParentNotFoundError (naming the field) when there is none; when the call fails, AwsTransientError
    (throttled, unavailable, unreachable: the state machine retries) or AwsPermanentError (refused: not retried).
    """
    pattern = parent_job_pattern(parent_spec)
    try:
        pages = client.get_paginator("list_hyper_parameter_tuning_jobs").paginate(
            NameContains=f"{parent_spec}-", StatusEquals="Completed", SortBy="CreationTime", SortOrder="Descending"
        )
        for page in pages:
            for summary in page["HyperParameterTuningJobSummaries"]:
                # NameContains also matches other specs (churn-xgb-v2-... for churn-xgb): keep this spec's runs.
                if pattern.match(summary["HyperParameterTuningJobName"]):
                    return summary["HyperParameterTuningJobName"]
    except Exception as exc:
        typed = classify(exc)
        if typed is None:
            raise
        # The same type, with the field named: the state machine matches the type, the reader the field.
        raise type(typed)(f"warm_start.parent_spec={parent_spec!r}: listing its tuning jobs failed: {typed}") from exc
    raise ParentNotFoundError(
        f"warm_start.parent_spec={parent_spec!r}: no Completed tuning job of that spec yet; run it first, "
        "or name parent jobs with warm_start.parents"
    )

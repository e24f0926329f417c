"""Builds the CreateHyperParameterTuningJob request of one tuning state machine execution.

Event (from the state machine)::

    {"specs": {"<name>": {<spec from the platform config>}, ...},
     "input": {"spec_name": "<name>"} | {"spec": {<a full spec>}},
     "execution_id": "<the execution ARN>"}

Returns ``{"request": {...}, "tuning_job_name": ..., "register": {...}}``: the request goes to the
`sagemaker:createHyperParameterTuningJob.sync` task unchanged, `register` to the register step.
The spec is validated (again, for config specs) before anything is returned, so a bad spec stops
the execution before any AWS call. The job name derives from the execution id, so a retried build
yields the same request. The only AWS call: a spec with ``warm_start.parent_spec`` lists that spec's
tuning jobs to warm-start from the last Completed one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import boto3
from errors import InvalidInputError, InvalidSpecError, ParentNotFoundError

from sagemaker_platform.contracts.aws_faults import classify
from sagemaker_platform.contracts.training_storage import training_storage
from sagemaker_platform.contracts.tuning_request import (
    Environment,
    PlatformImages,
    build_request,
    image_uri,
    parent_job_pattern,
)
from sagemaker_platform.contracts.tuning_spec import SpecError, TuningSpec, parse_spec

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

_client: SageMakerClient | None = None


def sagemaker_client() -> SageMakerClient:
    """Created on first use: most specs make no AWS call at all."""
    global _client
    if _client is None:
        _client = boto3.client("sagemaker")
    return _client


def handler(event: Any, context: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise InvalidInputError(f"the event must be an object with specs, input and execution_id, got {event!r}"[:300])
    specs = event.get("specs") or {}
    if not isinstance(specs, dict):
        raise InvalidInputError(f"specs must map spec names to specs, got {type(specs).__name__}")
    spec = select_spec(specs, event.get("input"))
    execution_id = event.get("execution_id")
    if not isinstance(execution_id, str) or not execution_id:
        raise InvalidInputError(f"execution_id must be the execution ARN, got {execution_id!r}")
    parents: tuple[str, ...] = ()
    if spec.warm_start is not None and spec.warm_start.parent_spec is not None:
        parents = (last_completed_run(sagemaker_client(), spec.warm_start.parent_spec),)
    return build(spec, environment_from(os.environ), execution_id, parents)


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


def select_spec(specs: dict[str, Any], execution_input: Any) -> TuningSpec:
    """The spec an execution runs: a config spec by name, or a full spec given as input."""
    if not isinstance(execution_input, dict):
        raise InvalidInputError(f"the execution input must be an object, got {execution_input!r}")
    has_name, has_spec = "spec_name" in execution_input, "spec" in execution_input
    if has_name == has_spec:
        raise InvalidInputError(
            "the execution input must hold exactly one of spec_name (one of: "
            f"{', '.join(sorted(specs)) or 'none configured'}) or spec (a full tuning spec)"
        )
    unknown = sorted(set(execution_input) - {"spec_name", "spec"})
    if unknown:
        raise InvalidInputError(f"unknown execution input key(s) {unknown}; allowed: spec_name, spec")
    if has_name:
        name = execution_input["spec_name"]
        if not isinstance(name, str) or name not in specs:
            raise InvalidInputError(f"spec_name={name!r} is not configured; configured: {', '.join(sorted(specs))}")
        raw, allow_schedule = specs[name], True
    else:
        raw, allow_schedule = execution_input["spec"], False
    try:
        return parse_spec(raw, allow_schedule=allow_schedule)
    except SpecError as exc:
        raise InvalidSpecError(str(exc)) from exc


def environment_from(variables: Any) -> Environment:
    return Environment(
        region=variables["AWS_REGION"],
        **training_storage(variables),
        platform_images=platform_images_from(variables),
    )


def platform_images_from(variables: Any) -> PlatformImages | None:
    """`PLATFORM_IMAGE_REGISTRY` and the comma-separated `PLATFORM_IMAGE_REPOSITORIES`, set by the construct
    when the training role may pull platform images; absent otherwise."""
    registry = variables.get("PLATFORM_IMAGE_REGISTRY")
    if not registry:
        return None
    names = variables.get("PLATFORM_IMAGE_REPOSITORIES", "")
    return PlatformImages(registry, tuple(name for name in names.split(",") if name))


def build(spec: TuningSpec, env: Environment, execution_id: str, parents: tuple[str, ...] = ()) -> dict[str, Any]:
    try:
        request = build_request(spec, env, execution_id, parents)
        inference_image = image_uri(spec.inference.image or spec.image, env.region, env.platform_images)
    except SpecError as exc:
        raise InvalidSpecError(str(exc)) from exc
    return {
        "request": request,
        "tuning_job_name": request["HyperParameterTuningJobName"],
        "register": {
            "spec_name": spec.name,
            "model_package_group": spec.model_package_group,
            "objective": {"metric": spec.objective_metric, "type": spec.objective_type},
            "inference_image": inference_image,
            "content_types": list(spec.inference.content_types),
            "response_types": list(spec.inference.response_types),
        },
    }

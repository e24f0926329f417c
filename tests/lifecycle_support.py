"""Reading SageMaker pipeline definitions out of synthesized templates, and checking them against botocore."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from tests.support import resources_of_type

# Step type -> (SageMaker operation its Arguments are the request of, the name SageMaker generates for it).
STEP_REQUESTS: dict[str, tuple[str, str | None]] = {
    "Processing": ("CreateProcessingJob", "ProcessingJobName"),
    "Training": ("CreateTrainingJob", "TrainingJobName"),
    "Tuning": ("CreateHyperParameterTuningJob", "HyperParameterTuningJobName"),
    # A QualityCheck step's Arguments are its baselining processing job (its check settings sit beside them).
    "QualityCheck": ("CreateProcessingJob", "ProcessingJobName"),
    "Transform": ("CreateTransformJob", "TransformJobName"),
    "Model": ("CreateModel", "ModelName"),
    "RegisterModel": ("CreateModelPackage", None),
}
EXPRESSION_KEYS = frozenset({"Get", "Std:Join", "Std:JsonGet"})
PLACEHOLDER = "placeholder-resolved-at-run-time"


def flatten(value: Any) -> str:
    """A CloudFormation string value (``Fn::Join`` of literals and refs) with every token as ``<token>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(flatten(part) for part in parts)
    return "<token>"


def pipelines_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Pipeline name -> its parsed definition body."""
    found = {}
    for resource in resources_of_type(template, "AWS::SageMaker::Pipeline").values():
        properties = resource["Properties"]
        body = flatten(properties["PipelineDefinition"]["PipelineDefinitionBody"])
        found[properties["PipelineName"]] = json.loads(body)
    return found


def all_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps in definition order, a condition step's branches after it."""
    found: list[dict[str, Any]] = []
    for step in steps:
        found.append(step)
        if step["Type"] == "Condition":
            found.extend(all_steps(step["Arguments"]["IfSteps"]))
            found.extend(all_steps(step["Arguments"]["ElseSteps"]))
    return found


def substitute_expressions(value: Any) -> Any:
    """Pipeline expressions replaced by a placeholder string, as SageMaker resolves them before the call."""
    if isinstance(value, dict):
        if EXPRESSION_KEYS & set(value):
            return PLACEHOLDER
        return {key: substitute_expressions(item) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute_expressions(item) for item in value]
    return value


def request_problems(step: dict[str, Any]) -> str:
    """botocore's report on a step's Arguments against its API request shape ('' when valid)."""
    operation, generated_name = STEP_REQUESTS[step["Type"]]
    model = botocore.session.get_session().get_service_model("sagemaker")
    request = substitute_expressions(step["Arguments"])
    if generated_name is not None:
        request[generated_name] = "generated-by-sagemaker-pipelines"
    report = ParamValidator().validate(request, model.operation_model(operation).input_shape)
    return report.generate_report() if report.has_errors() else ""

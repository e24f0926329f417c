"""The request-building step: config specs by name, run-time specs validated before any AWS call."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from tests.support import default_config_raw

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tuning:run-1"


@pytest.fixture
def request_handler(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in {
        "AWS_REGION": "us-east-1",
        "TRAINING_ROLE_ARN": "arn:aws:iam::123456789012:role/training",
        "DATA_BUCKET": "data-bucket",
        "OUTPUT_BUCKET": "output-bucket",
        "KMS_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }.items():
        monkeypatch.setenv(key, value)
    return load_handler("tuning_request")


@pytest.fixture(scope="module")
def config_specs() -> dict[str, Any]:
    return {spec["name"]: spec for spec in default_config_raw()["tuning"]}


def event(specs: dict[str, Any], execution_input: Any) -> dict[str, Any]:
    return {"specs": specs, "input": execution_input, "execution_id": EXECUTION}


def test_given_a_config_spec_name_then_the_request_is_valid_for_the_service(
    request_handler: ModuleType, config_specs: dict[str, Any]
) -> None:
    result = request_handler.handler(event(config_specs, {"spec_name": "churn-xgb"}), None)
    shape = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .operation_model("CreateHyperParameterTuningJob")
        .input_shape
    )
    validate_parameters(result["request"], shape)
    definition = result["request"]["TrainingJobDefinition"]
    assert definition["AlgorithmSpecification"]["TrainingImage"] == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    )
    assert result["register"]["model_package_group"] == "churn"
    assert result["register"]["objective"] == {"metric": "validation:auc", "type": "Maximize"}
    assert result["tuning_job_name"] == result["request"]["HyperParameterTuningJobName"]


def test_given_a_retried_build_then_the_request_is_identical(
    request_handler: ModuleType, config_specs: dict[str, Any]
) -> None:
    first = request_handler.handler(event(config_specs, {"spec_name": "churn-xgb"}), None)
    assert request_handler.handler(event(config_specs, {"spec_name": "churn-xgb"}), None) == first


def test_given_an_invalid_runtime_spec_then_it_fails_naming_the_field(
    request_handler: ModuleType, config_specs: dict[str, Any]
) -> None:
    spec = {**config_specs["churn-xgb"], "strategy": "Grid"}
    with pytest.raises(request_handler.InvalidSpecError, match=r"`ranges\.eta\.type` = \"continuous\""):
        request_handler.handler(event(config_specs, {"spec": spec}), None)


def test_given_a_runtime_spec_with_a_schedule_then_it_is_refused(
    request_handler: ModuleType, config_specs: dict[str, Any]
) -> None:
    spec = {**config_specs["churn-xgb"], "schedule": "rate(1 day)"}
    with pytest.raises(request_handler.InvalidSpecError, match="schedule"):
        request_handler.handler(event({}, {"spec": spec}), None)


@pytest.mark.parametrize(
    "execution_input,message",
    [
        ({}, "exactly one of spec_name"),
        ({"spec_name": "churn-xgb", "spec": {}}, "exactly one of spec_name"),
        ({"spec_name": "nope"}, "is not configured"),
        ({"spec_name": "churn-xgb", "priority": 1}, "unknown execution input"),
        ("churn-xgb", "must be an object"),
    ],
)
def test_given_bad_execution_input_then_it_is_refused(
    request_handler: ModuleType, config_specs: dict[str, Any], execution_input: Any, message: str
) -> None:
    with pytest.raises(request_handler.InvalidInputError, match=message):
        request_handler.handler(event(config_specs, execution_input), None)

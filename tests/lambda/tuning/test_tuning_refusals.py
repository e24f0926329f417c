"""Tuning handlers' refusals (issue 14): null where a value is required, malformed events and SQS records,
each refused with a typed error naming the field and before any AWS call (`tests.faults.recording` proves it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.faults import recording
from tests.handler_targets import LAUNCHER_ENV, REGISTER_ENV, REGISTER_SETTINGS, REQUEST_ENV, SPEC, TUNING_JOB
from tests.offline_aws import offline_aws

EXECUTION = "arn:aws:states:us-east-1:111111111111:execution:tuning:run-1"


def with_value(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    *parents, key = path.split(".")
    target = changed
    for parent in parents:
        target = target[parent]
    target[key] = value
    return changed


@pytest.fixture
def request_handler(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in REQUEST_ENV.items():
        monkeypatch.setenv(key, value)
    return load_handler("tuning_request")


@pytest.mark.parametrize(
    "path",
    ["ranges", "channels", "channels.train.prefix", "ranges.eta.type", "name", "strategy", "image", "objective"],
)
def test_given_null_for_a_required_spec_key_then_the_request_is_refused_naming_it(
    request_handler: ModuleType, path: str
) -> None:
    spec = with_value(SPEC, path, None)
    with pytest.raises(request_handler.InvalidSpecError, match=rf"{path.replace('.', '[.]')}.*required key is null"):
        request_handler.handler({"specs": {}, "input": {"spec": spec}, "execution_id": EXECUTION}, None)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (None, "the event must be an object"),
        ({"specs": [1], "input": {"spec_name": "a"}, "execution_id": EXECUTION}, "specs must map"),
        ({"specs": {}, "input": {"spec_name": ["a"]}, "execution_id": EXECUTION}, "spec_name"),
    ],
)
def test_given_a_malformed_request_event_then_a_typed_error_names_the_field(
    request_handler: ModuleType, event: Any, field: str
) -> None:
    with pytest.raises(request_handler.InvalidInputError, match=field):
        request_handler.handler(event, None)


@pytest.fixture
def launcher(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in {**LAUNCHER_ENV, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    module = load_handler("tuning_launcher")
    import boto3

    module._launcher = module.Launcher(boto3.client("sagemaker"), interval=0.0, sleep=lambda _: None)
    return module


def sqs(message_id: str, body: Any) -> dict[str, Any]:
    return {"messageId": message_id, "body": body}


GOOD = json.dumps({"job_id": "customer-1", "channels": {"train": "c/1/"}})


@pytest.mark.parametrize("records", [None, 0, "x", {"a": 1}])
def test_given_records_that_are_not_a_list_then_the_event_is_refused_typed(launcher: ModuleType, records: Any) -> None:
    with recording() as calls, pytest.raises(launcher.InvalidMessageError, match="Records"):
        launcher.handler({"Records": records}, None)
    assert calls == []


def test_given_a_record_without_message_id_then_the_event_is_refused_before_any_launch(launcher: ModuleType) -> None:
    with recording() as calls, pytest.raises(launcher.InvalidMessageError, match=r"Records\[1\]\.messageId"):
        launcher.handler({"Records": [sqs("m-1", GOOD), {"body": GOOD}]}, None)
    assert calls == []


@pytest.mark.parametrize("body", [None, 0, {"job_id": "x"}, []])
def test_given_one_record_whose_body_is_not_text_then_only_that_record_fails(launcher: ModuleType, body: Any) -> None:
    answers = {"CreateTrainingJob": {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:111111111111:training-job/x"}}
    with offline_aws(answers) as calls:
        result = launcher.handler({"Records": [sqs("bad", body), sqs("good", GOOD)]}, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert [call.operation for call in calls] == ["CreateTrainingJob"]


@pytest.fixture
def register(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in {**REGISTER_ENV, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    return load_handler("tuning_register")


BEST = {
    "TrainingJobName": "best",
    "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:auc", "Value": 0.9},
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("tuning.BestTrainingJob", 7),
        ("tuning.BestTrainingJob.TrainingJobName", None),
        ("tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric", "x"),
        ("tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value", "high"),
        ("tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.MetricName", ""),
        ("tuning.HyperParameterTuningJobName", 3),
        ("register.model_package_group", "not a name"),
        ("register.content_types", [None]),
        ("register.spec_name", ""),
    ],
)
def test_given_a_malformed_register_event_then_it_is_refused_naming_the_field_before_any_call(
    register: ModuleType, path: str, value: Any
) -> None:
    event = {
        "tuning": {"HyperParameterTuningJobName": TUNING_JOB, "BestTrainingJob": BEST},
        "register": REGISTER_SETTINGS,
    }
    with recording() as calls, pytest.raises(register.InvalidEventError, match=path.split(".", 1)[1]):
        register.handler(with_value(event, path, value), None)
    assert calls == []

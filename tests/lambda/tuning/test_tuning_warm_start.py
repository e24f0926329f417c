"""Warm-start chaining: `warm_start.parent_spec` resolves at run time to the parent spec's last Completed run."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.validate import validate_parameters

from tests.faults import attempt, expected_task_error, fault_plan, inject, record_calls
from tests.handler_targets import REQUEST_ENV, SPEC
from tests.offline_aws import offline_aws

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tuning:run-1"
CHILD = {**SPEC, "name": "churn-xgb-tl", "warm_start": {"type": "TRANSFER_LEARNING", "parent_spec": "churn-xgb"}}
# Newest first, as SortBy=CreationTime/Descending returns them; the first is another spec's (a longer name).
PAGES = [
    [
        {"HyperParameterTuningJobName": "churn-xgb-tl-aaaaaaaaaaaa"},
        {"HyperParameterTuningJobName": "churn-xgb-v2-bbbbbbbbbbbb"},
    ],
    [
        {"HyperParameterTuningJobName": "churn-xgb-0123456789ab"},
        {"HyperParameterTuningJobName": "churn-xgb-ffffffffffff"},
    ],
]


@pytest.fixture
def request_handler(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in {**REQUEST_ENV, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    handler = load_handler("tuning_request")
    monkeypatch.setattr(handler, "_client", boto3.client("sagemaker", region_name="us-east-1"))
    return handler


def _answers(pages: list[list[dict[str, Any]]], seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    def list_jobs(params: dict[str, Any]) -> dict[str, Any]:
        if seen is not None:
            seen.append(params)
        index = int(params.get("NextToken", "0"))
        summaries = [
            {
                **job,
                "HyperParameterTuningJobArn": "arn:aws:sagemaker:us-east-1:1:hyper-parameter-tuning-job/x",
                "HyperParameterTuningJobStatus": "Completed",
                "Strategy": "Bayesian",
                "CreationTime": 1700000000,
                "TrainingJobStatusCounters": {},
                "ObjectiveStatusCounters": {},
            }
            for job in (pages[index] if pages else [])
        ]
        answer: dict[str, Any] = {"HyperParameterTuningJobSummaries": summaries}
        if index + 1 < len(pages):
            answer["NextToken"] = str(index + 1)
        return answer

    return {"ListHyperParameterTuningJobs": list_jobs}


def _run(handler: ModuleType) -> dict[str, Any]:
    result: dict[str, Any] = handler.handler({"specs": {}, "input": {"spec": CHILD}, "execution_id": EXECUTION}, None)
    return result


def test_given_a_parent_spec_then_the_request_warm_starts_from_its_newest_completed_run(
    request_handler: ModuleType,
) -> None:
    seen: list[dict[str, Any]] = []
    with offline_aws(_answers(PAGES, seen)):
        request = _run(request_handler)["request"]
    assert request["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "churn-xgb-0123456789ab"}],
        "WarmStartType": "TransferLearning",
    }
    assert seen[0] == {
        "NameContains": "churn-xgb-",
        "StatusEquals": "Completed",
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
    }
    assert len(seen) == 2  # the match was on the second page
    shape = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .operation_model("CreateHyperParameterTuningJob")
        .input_shape
    )
    validate_parameters(request, shape)


@pytest.mark.parametrize("pages", [[], [[{"HyperParameterTuningJobName": "churn-xgb-v2-bbbbbbbbbbbb"}]]])
def test_given_no_completed_run_of_the_parent_then_a_typed_error_names_the_field(
    request_handler: ModuleType, pages: list[list[dict[str, Any]]]
) -> None:
    with offline_aws(_answers(pages)), pytest.raises(Exception) as caught:
        _run(request_handler)
    assert type(caught.value).__name__ == "ParentNotFoundError"  # not retried by the state machine
    assert "warm_start.parent_spec='churn-xgb': no Completed tuning job" in str(caught.value)


def test_given_manual_parents_then_no_aws_call_is_made(request_handler: ModuleType) -> None:
    spec = {**SPEC, "warm_start": {"type": "IDENTICAL_DATA_AND_ALGORITHM", "parents": ["churn-xgb-0123456789ab"]}}
    event = {"specs": {}, "input": {"spec": spec}, "execution_id": EXECUTION}
    with offline_aws({}):
        assert record_calls(lambda: request_handler.handler(event, None)) == []


def test_given_every_single_fault_on_the_lookup_then_a_typed_error_by_kind_and_the_retry_builds_the_same_request(
    request_handler: ModuleType,
) -> None:
    with offline_aws(_answers(PAGES)):
        calls = record_calls(lambda: _run(request_handler))
        expected = _run(request_handler)
    plan = fault_plan(calls)
    assert {str(fault.call) for fault in plan} == {"api.sagemaker:ListHyperParameterTuningJobs"}
    for fault in plan:
        with inject(fault) as injection, offline_aws(_answers(PAGES)):
            _, failure = attempt(lambda: _run(request_handler))
        assert injection.fired, fault
        # Throttled, unavailable or unreachable: AwsTransientError, which the state machine retries; access
        # denied: AwsPermanentError, which it does not.
        assert type(failure).__name__ == expected_task_error(fault.kind), fault
        assert "warm_start.parent_spec='churn-xgb'" in str(failure)
        with offline_aws(_answers(PAGES)):
            assert _run(request_handler) == expected, fault

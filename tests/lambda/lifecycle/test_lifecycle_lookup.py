"""Registry lookup (the lifecycle pipelines' Lambda step) against moto, with one injected fault at a time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.faults import Call, attempt, fault_plan, inject, record_calls

REGION = "us-east-1"
GROUP = "churn"


@pytest.fixture
def lookup(load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    return load_handler("lifecycle_lookup")


@pytest.fixture
def registry(lookup: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto account with an empty group."""
    with mock_aws():
        sagemaker = boto3.client("sagemaker")
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        yield sagemaker


def _register(sagemaker: Any, status: str, value: str | None) -> str:
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1", "ModelDataUrl": "s3://b/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        CustomerMetadataProperties={} if value is None else {"objective_value": value},
    )["ModelPackageArn"]
    return str(arn)


def _run(lookup: ModuleType, mode: str) -> dict[str, Any]:
    result: dict[str, Any] = lookup.handler({"model_package_group": GROUP, "mode": mode}, None)
    return result


def test_given_no_approved_version_when_the_gate_asks_then_there_is_no_champion(
    lookup: ModuleType, registry: Any
) -> None:
    _register(registry, "PendingManualApproval", "0.99")
    assert _run(lookup, "champion") == {"has_champion": False, "champion_metric": 0.0, "model_package_arn": ""}


def test_given_an_approved_version_when_the_gate_asks_then_its_metric_is_the_champions(
    lookup: ModuleType, registry: Any
) -> None:
    arn = _register(registry, "Approved", "0.87")
    _register(registry, "PendingManualApproval", "0.99")
    result = _run(lookup, "champion")
    assert result == {"has_champion": True, "champion_metric": 0.87, "model_package_arn": arn}
    json.dumps(result)  # a Lambda step's output must be JSON


def test_given_an_approved_version_without_a_metric_then_the_gate_step_fails_with_a_typed_error(
    lookup: ModuleType, registry: Any
) -> None:
    _register(registry, "Approved", None)
    errors = __import__("errors")
    with pytest.raises(errors.BadMetricError, match="objective_value"):
        _run(lookup, "champion")


def test_given_no_approved_version_when_batch_scoring_asks_then_it_fails_with_a_typed_error(
    lookup: ModuleType, registry: Any
) -> None:
    errors = __import__("errors")
    with pytest.raises(errors.NoApprovedVersionError, match=GROUP):
        _run(lookup, "latest")


@pytest.mark.parametrize(
    "event", [None, {}, {"model_package_group": 3}, {"model_package_group": GROUP, "mode": "oldest"}]
)
def test_given_a_bad_event_then_invalid_event(lookup: ModuleType, event: Any) -> None:
    errors = __import__("errors")
    with pytest.raises(errors.InvalidEventError):
        lookup.handler(event, None)


def test_given_one_fault_on_any_call_then_the_step_fails_with_a_typed_retryable_error_and_a_rerun_succeeds(
    lookup: ModuleType, registry: Any
) -> None:
    arn = _register(registry, "Approved", "0.87")
    expected = {"has_champion": True, "champion_metric": 0.87, "model_package_arn": arn}
    calls = record_calls(lambda: _run(lookup, "champion"))
    assert calls == [
        Call("api.sagemaker", "ListModelPackages"),
        Call("api.sagemaker", "DescribeModelPackage"),
    ]
    errors = __import__("errors")
    for fault in fault_plan(calls):
        with inject(fault) as injection:
            outcome, error = attempt(lambda: _run(lookup, "champion"))
        assert injection.fired, fault
        assert outcome is None and isinstance(error, errors.RegistryUnavailableError), (fault, error)
        # Nothing was written: the pipeline's rerun (or step retry) gets the same answer.
        assert _run(lookup, "champion") == expected, fault

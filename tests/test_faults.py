"""The fault injector itself: it fails exactly the call it names, once, under a Stubber."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from tests.faults import ALL_KINDS, Call, Fault, FaultKind, attempt, fault_plan, inject, record_calls


def _client_with_two_describes() -> tuple[object, Stubber]:
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    for _ in range(2):
        stubber.add_response(
            "describe_endpoint",
            {
                "EndpointName": "e",
                "EndpointArn": "arn:aws:sagemaker:us-east-1:111111111111:endpoint/e",
                "EndpointConfigName": "c",
                "EndpointStatus": "InService",
                "CreationTime": "2026-01-01",
                "LastModifiedTime": "2026-01-01",
            },
        )
    stubber.activate()
    return client, stubber


def test_given_a_run_when_recorded_then_every_call_is_listed_in_order() -> None:
    client, _ = _client_with_two_describes()
    calls = record_calls(lambda: [client.describe_endpoint(EndpointName="e") for _ in range(2)])  # type: ignore[attr-defined]
    assert calls == [Call("api.sagemaker", "DescribeEndpoint")] * 2
    assert len(fault_plan(calls)) == 2 * len(ALL_KINDS)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_given_a_fault_on_the_second_call_then_only_that_call_fails(kind: FaultKind) -> None:
    client, _ = _client_with_two_describes()
    with inject(Fault(Call("api.sagemaker", "DescribeEndpoint"), kind, occurrence=2)) as injection:
        first, error1 = attempt(lambda: client.describe_endpoint(EndpointName="e"))  # type: ignore[attr-defined]
        _, error2 = attempt(lambda: client.describe_endpoint(EndpointName="e"))  # type: ignore[attr-defined]
    assert error1 is None and first is not None
    expected = EndpointConnectionError if kind is FaultKind.CONNECTION else ClientError
    assert isinstance(error2, expected)
    if isinstance(error2, ClientError):
        assert error2.response["Error"]["Code"] == kind.value
    assert injection.fired

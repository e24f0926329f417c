"""The REST API handler: malformed requests are refused with a message and write nothing; ids and owners."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from tests.gateway_world import OWNER, GatewayWorld

SERVICES = {
    "churn": {"kind": "async", "target": "mlplatform-churn-async-prod"},
    "features": {"kind": "realtime", "target": "mlplatform-features-prod"},
}
OTHER = OWNER.replace("app-team", "other-team")


@pytest.fixture
def world() -> Iterator[GatewayWorld]:
    with mock_aws():
        yield GatewayWorld(SERVICES)


def table_size(world: GatewayWorld) -> int:
    return world.session.client("dynamodb").scan(TableName="predictions", Select="COUNT")["Count"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], "must be a JSON object"),
        ({}, "service None: must be one of churn, features"),
        ({"service": "nope"}, "service 'nope': must be one of churn, features"),
        ({"service": "churn", "extra": 1}, "unknown key 'extra'"),
        ({"service": "churn", "client_token": "a b"}, "client_token 'a b'"),
        ({"service": "churn", "content_type": "json"}, "content_type 'json'"),
        ({"service": "churn", "notification": {"type": "pigeon"}}, "'type' is one of none, webhook, sns"),
        ({"service": "churn", "notification": {"type": "webhook", "url": "http://example.com"}}, "must be a https URL"),
        ({"service": "churn", "notification": {"type": "webhook"}}, "notification.url None"),
        (
            {
                "service": "churn",
                "notification": {"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:123456789012:other"},
            },
            "starting with 'arn:aws:sns:us-east-1:123456789012:mlplatform-predictions-'",
        ),
        ({"service": "churn", "notification": {"type": "none", "url": "x"}}, "notification.url: not allowed"),
    ],
)
def test_given_a_malformed_request_then_400_names_the_problem_and_nothing_is_written(
    world: GatewayWorld, body: Any, expected: str
) -> None:
    status, response = world.post(body)
    assert status == 400
    assert response["message"] == "invalid request"
    assert any(expected in problem for problem in response["problems"]), response
    assert table_size(world) == 0


def test_given_several_problems_then_all_are_reported_at_once(world: GatewayWorld) -> None:
    status, response = world.post({"service": "nope", "client_token": "", "extra": True})
    assert status == 400 and len(response["problems"]) == 3


def test_given_no_iam_identity_then_the_request_is_refused(world: GatewayWorld) -> None:
    status, response = world.post({"service": "churn"}, owner="")
    assert status == 400 and "SigV4" in response["problems"][0]
    assert table_size(world) == 0


def test_given_a_retried_request_with_a_client_token_then_the_same_prediction_is_returned(world: GatewayWorld) -> None:
    first_status, first = world.post({"service": "churn", "client_token": "order-42"})
    again_status, again = world.post({"service": "churn", "client_token": "order-42"})
    assert (first_status, again_status) == (202, 200)
    assert again["prediction_id"] == first["prediction_id"] and "upload" in again
    assert table_size(world) == 1


def test_given_a_client_token_reused_for_another_service_then_409_and_other_callers_are_unaffected(
    world: GatewayWorld,
) -> None:
    world.post({"service": "churn", "client_token": "order-42"})
    status, response = world.post({"service": "features", "client_token": "order-42"})
    assert status == 409 and "already used" in response["message"]
    other_status, _ = world.post({"service": "features", "client_token": "order-42"}, owner=OTHER)
    assert other_status == 202  # tokens are scoped to the caller


def test_given_the_upload_url_then_it_targets_the_inputs_prefix_of_the_input_bucket(world: GatewayWorld) -> None:
    _status, response = world.post({"service": "churn"})
    upload = response["upload"]
    assert upload["method"] == "PUT" and upload["expires_in"] == world.settings.input_timeout_seconds
    assert f"gw-input.s3.amazonaws.com/inputs/{response['prediction_id']}?" in upload["url"]
    assert "X-Amz-Signature=" in upload["url"]


def test_given_another_callers_prediction_then_status_is_404(world: GatewayWorld) -> None:
    status, response = world.post({"service": "churn"})
    status, body = world.status(response["prediction_id"], owner=OTHER)
    assert status == 404 and body == {"message": f"no prediction {response['prediction_id']}"}
    assert world.status(response["prediction_id"], owner=OWNER.replace("session-1", "session-2"))[0] == 200


def test_given_a_malformed_or_unknown_id_then_status_is_400_or_404(world: GatewayWorld) -> None:
    assert world.status("../etc")[0] == 400
    assert world.status("0" * 32)[0] == 404


def test_given_an_unknown_route_then_404(world: GatewayWorld) -> None:
    assert world._call("DELETE", "/predictions", None, {}, OWNER)[0] == 404

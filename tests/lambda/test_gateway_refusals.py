"""Gateway refusals (issue 14): every malformed event a typed error naming the field, before any write.

Each test names the input that used to end in an untyped exception, a failed batch or a silent 200.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from tests.faults import recording
from tests.gateway_world import OWNER, GatewayWorld, api, invoke, notify, step

SERVICES = {"churn": {"kind": "async", "target": "mlplatform-churn-async-prod"}}
TOPIC = "arn:aws:sns:us-east-1:123456789012:mlplatform-predictions-team"
MalformedEvent = step.MalformedEvent


@pytest.fixture
def world() -> Iterator[GatewayWorld]:
    with mock_aws():
        yield GatewayWorld(SERVICES)


def writes_during(action: Any) -> list[str]:
    # The refusal itself is asserted by the caller.
    with recording() as calls, contextlib.suppress(MalformedEvent, step.UnknownPrediction):
        action()
    return [call.operation for call in calls if not call.operation.startswith(("Get", "Describe", "List"))]


def test_given_the_same_client_token_with_another_notification_target_then_409_and_the_record_is_unchanged(
    world: GatewayWorld,
) -> None:
    first = {"service": "churn", "client_token": "order-7", "notification": {"type": "sns", "topic_arn": TOPIC}}
    status, created = world.post(first)
    assert status == 202
    retried = {**first, "notification": {"type": "sns", "topic_arn": f"{TOPIC}-other"}}
    status, body = world.post(retried)
    assert status == 409
    assert "different notification" in body["message"]
    record = world.record(created["prediction_id"])
    assert record is not None and record["notification"]["topic_arn"] == TOPIC
    # The true retry still answers as the first time did.
    assert world.post(first)[0] == 200


def test_given_the_same_client_token_with_another_content_type_then_409(world: GatewayWorld) -> None:
    assert world.post({"service": "churn", "client_token": "t", "content_type": "text/csv"})[0] == 202
    status, body = world.post({"service": "churn", "client_token": "t"})
    assert status == 409 and "content_type" in body["message"]


@pytest.mark.parametrize("body", [0, [], {}, True])
def test_given_a_body_that_is_not_json_text_then_400_naming_body(world: GatewayWorld, body: Any) -> None:
    event = {
        "httpMethod": "POST",
        "resource": "/predictions",
        "body": body,
        "requestContext": {"identity": {"userArn": OWNER}},
    }
    response = api.handle(event, world.runtime)
    assert response["statusCode"] == 400
    assert "body: expected the JSON text" in json.loads(response["body"])["problems"][0]


@pytest.mark.parametrize("entry", [api.handle, step.handle, invoke.handle_batch, notify.handle_batch])
def test_given_no_event_object_then_every_entry_point_refuses_it_typed(world: GatewayWorld, entry: Any) -> None:
    with pytest.raises(MalformedEvent, match="expected a JSON object, got NoneType"):
        entry(None, world.runtime)


def test_given_a_completion_with_an_empty_inference_id_then_it_is_refused_before_any_lookup(
    world: GatewayWorld,
) -> None:
    message = json.dumps({"inferenceId": "", "invocationStatus": "Completed", "responseParameters": {}})
    with recording() as calls, pytest.raises(MalformedEvent, match="inferenceId"):
        notify.handle_completion(message, world.runtime)
    assert calls == []


def test_given_a_batch_with_one_record_without_body_then_only_that_record_fails(world: GatewayWorld) -> None:
    good = {"inferenceId": "0" * 32, "invocationStatus": "Failed", "failureReason": "x"}
    event = {"Records": [{"messageId": "bad"}, {"messageId": "good", "body": json.dumps(good)}]}
    result = notify.handle_batch(event, world.runtime)
    # The good record ran (unknown prediction -> retried), the bad one is refused: each reported by its own id.
    assert sorted(item["itemIdentifier"] for item in result["batchItemFailures"]) == ["bad", "good"]
    assert invoke.handle_batch({"Records": [{"messageId": "bad", "body": 0}]}, world.runtime) == {
        "batchItemFailures": [{"itemIdentifier": "bad"}]
    }


def test_given_a_record_without_message_id_then_the_event_is_refused_typed(world: GatewayWorld) -> None:
    with pytest.raises(MalformedEvent, match=r"Records\[0\]\.messageId"):
        notify.handle_batch({"Records": [{"body": "{}"}]}, world.runtime)


def test_given_an_ensemble_step_whose_input_is_not_ready_then_no_record_is_written(world: GatewayWorld) -> None:
    status, parent = world.post({"service": "churn"})
    assert status == 202
    task = {
        "action": "step",
        "prediction_id": parent["prediction_id"],
        "step": "score",
        "service": "churn",
        "inputs": [["features", "prep"]],  # step `prep` never ran
        "task_token": "token",
    }
    assert writes_during(lambda: step.handle(task, world.runtime)) == []
    with pytest.raises(step.UnknownPrediction):
        step.handle(task, world.runtime)


@pytest.mark.parametrize(
    ("field", "value"),
    [("step", 1.5), ("service", "unknown"), ("inputs", []), ("inputs", [["a"]]), ("task_token", None)],
)
def test_given_a_malformed_ensemble_step_then_the_field_is_named(world: GatewayWorld, field: str, value: Any) -> None:
    task = {
        "action": "step",
        "prediction_id": "0" * 32,
        "step": "s",
        "service": "churn",
        "inputs": [["$", "request"]],
        "task_token": "t",
        field: value,
    }
    with pytest.raises(MalformedEvent, match=field):
        step.handle(task, world.runtime)

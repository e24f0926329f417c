"""End to end on moto: request -> upload -> queue -> invoke -> completion -> status.

See tests/gateway_world.py for what is emulated and why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.gateway_world import MAX_RECEIVE_COUNT, GatewayWorld, invoke, records

SERVICES = {
    "churn": {"kind": "async", "target": "mlplatform-churn-async-prod"},
    "features": {"kind": "realtime", "target": "mlplatform-features-prod"},
}


@pytest.fixture
def world() -> Iterator[GatewayWorld]:
    with mock_aws():
        yield GatewayWorld(SERVICES)


def request_and_upload(world: GatewayWorld, service: str, data: bytes) -> str:
    status, response = world.post({"service": service})
    assert status == 202, response
    world.upload(response, data)
    return response["prediction_id"]


def test_given_an_async_service_when_the_endpoint_completes_then_status_returns_a_presigned_output(
    world: GatewayWorld,
) -> None:
    status, response = world.post({"service": "churn"})
    assert status == 202 and response["state"] == "awaiting_input"
    prediction_id = response["prediction_id"]
    assert world.status(prediction_id)[1]["state"] == "awaiting_input"

    world.upload(response, b'{"tenure": 3}')
    world.expect_async_invocation("mlplatform-churn-async-prod", prediction_id)
    assert world.drain_uploads() == []
    world.stubber.assert_no_pending_responses()
    assert world.status(prediction_id)[1]["state"] == "running"

    world.async_result(prediction_id, b'{"churn": 0.83}')
    assert world.drain_completions() == []

    status, body = world.status(prediction_id)
    assert status == 200 and body["state"] == "completed"
    assert world.read(body["output"]["url"]) == b'{"churn": 0.83}'


def test_given_a_realtime_service_when_the_upload_arrives_then_the_answer_is_written_and_completed(
    world: GatewayWorld,
) -> None:
    world.expect_realtime_invocation("mlplatform-features-prod", b'{"vector": [1, 2]}', body=b'{"text": "hi"}')
    prediction_id = request_and_upload(world, "features", b'{"text": "hi"}')
    assert world.drain_uploads() == []
    assert world.drain_completions() == []

    body = world.status(prediction_id)[1]
    assert body["state"] == "completed"
    assert world.read(body["output"]["url"]) == b'{"vector": [1, 2]}'
    assert world.record(prediction_id)["output_location"] == f"s3://gw-output/outputs/{prediction_id}"


def test_given_an_endpoint_failure_then_status_reports_the_error(world: GatewayWorld) -> None:
    prediction_id = request_and_upload(world, "churn", b"{}")
    world.expect_async_invocation("mlplatform-churn-async-prod", prediction_id)
    world.drain_uploads()
    world.async_result(prediction_id, None, failure="ClientError: model returned 500")

    assert world.drain_completions() == []
    body = world.status(prediction_id)[1]
    assert body["state"] == "failed" and body["error"] == "ClientError: model returned 500"
    assert "output" not in body


def test_given_duplicate_upload_and_completion_events_then_the_service_is_invoked_once(world: GatewayWorld) -> None:
    _status, response = world.post({"service": "churn"})
    prediction_id = response["prediction_id"]
    world.upload(response, b"{}")
    world.announce_upload(records.input_key(prediction_id))  # S3 and EventBridge deliver at least once
    world.expect_async_invocation("mlplatform-churn-async-prod", prediction_id)  # exactly one call is stubbed
    assert world.drain_uploads() == []
    world.stubber.assert_no_pending_responses()

    world.async_result(prediction_id, b"1")
    world.async_result(prediction_id, b"2")  # a duplicate notification, later: the first result stands
    assert world.drain_completions() == []
    body = world.status(prediction_id)[1]
    assert body["state"] == "completed" and world.read(body["output"]["url"]) == b"1"


def test_given_a_completion_before_the_record_is_claimed_then_it_is_retried_until_the_invoke_catches_up(
    world: GatewayWorld,
) -> None:
    _status, response = world.post({"service": "churn"})
    prediction_id = response["prediction_id"]
    world.async_result(prediction_id, b'{"churn": 0.1}')
    failures = world.drain_completions()
    assert len(failures) == 1  # out of order: reported as a batch item failure, left on the queue
    assert world.record(prediction_id)["state"] == "awaiting_input"

    world.upload(response, b"{}")
    world.expect_async_invocation("mlplatform-churn-async-prod", prediction_id)
    world.drain_uploads()
    assert world.drain_completions() == []
    assert world.status(prediction_id)[1]["state"] == "completed"


def test_given_a_crash_after_the_claim_then_the_redelivered_event_invokes_again(world: GatewayWorld) -> None:
    _status, response = world.post({"service": "churn"})
    prediction_id = response["prediction_id"]
    world.upload(response, b"{}")
    world.stubber.add_client_error(
        "invoke_endpoint_async", service_error_code="ThrottlingException", http_status_code=400
    )
    assert len(world.drain_uploads()) == 1
    assert world.record(prediction_id)["state"] == "invoking"

    world.expect_async_invocation("mlplatform-churn-async-prod", prediction_id)
    assert world.drain_uploads() == []
    assert world.record(prediction_id)["state"] == "running"


def test_given_an_upload_for_no_record_or_a_malformed_event_then_only_that_message_fails(world: GatewayWorld) -> None:
    prediction_id = request_and_upload(world, "churn", b"{}")
    world.announce_upload("inputs/" + "0" * 32)
    world.sqs.send_message(QueueUrl=world.upload_queue, MessageBody="not json")
    world.expect_async_invocation("mlplatform-churn-async-prod", prediction_id)
    failures = world.drain_uploads()
    assert len(failures) == 2
    assert world.record(prediction_id)["state"] == "running"


def test_given_a_poison_message_then_it_is_retried_alone_and_lands_in_the_dead_letter_queue(
    world: GatewayWorld,
) -> None:
    world.sqs.send_message(QueueUrl=world.upload_queue, MessageBody='{"detail": {"bucket": {}}}')
    for _ in range(MAX_RECEIVE_COUNT):
        assert len(world.drain_uploads()) == 1
    assert world.drain_uploads() == []  # the next receive moves it to the dead-letter queue
    assert world.queue_depth(world.upload_queue) == 0
    assert world.queue_depth(world.upload_dead_letters) == 1


class ShortOfTime:
    """A Lambda context with 10 seconds left."""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def test_given_an_invocation_short_of_time_then_unstarted_messages_return_to_the_queue(world: GatewayWorld) -> None:
    _, response = world.post({"service": "churn"})
    world.upload(response, b"{}")
    (message,) = world.sqs.receive_message(QueueUrl=world.upload_queue)["Messages"]
    event = {"Records": [{"messageId": message["MessageId"], "body": message["Body"]}]}
    result = invoke.handle_batch(event, world.runtime, ShortOfTime())
    assert result == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert world.record(response["prediction_id"])["state"] == "awaiting_input"  # not started, nothing called


def test_given_no_upload_before_the_deadline_then_the_prediction_expires_and_a_late_upload_is_refused(
    world: GatewayWorld,
) -> None:
    _status, response = world.post({"service": "churn"})
    prediction_id = response["prediction_id"]
    record = world.record(prediction_id)
    assert record["expires_at"] == record["input_deadline"] + world.settings.retention_seconds  # the TTL attribute

    world.now += world.settings.input_timeout_seconds + 1
    body = world.status(prediction_id)[1]
    assert body["state"] == "expired" and "not uploaded" in body["error"]

    world.s3.put_object(Bucket=world.input_bucket, Key=records.input_key(prediction_id), Body=b"{}")
    world.announce_upload(records.input_key(prediction_id))
    assert world.drain_uploads() == []  # nothing to retry, and no endpoint call (none is stubbed)
    assert world.record(prediction_id)["state"] == "expired"


def test_given_a_realtime_model_error_then_the_prediction_fails_without_retrying(world: GatewayWorld) -> None:
    world.stubber.add_client_error("invoke_endpoint", service_error_code="ModelError", service_message="bad input")
    prediction_id = request_and_upload(world, "features", b"{}")
    assert world.drain_uploads() == []
    assert world.drain_completions() == []
    body = world.status(prediction_id)[1]
    assert body["state"] == "failed" and "ModelError" in body["error"]


def test_given_an_sns_notification_then_the_client_topic_receives_the_final_state(world: GatewayWorld) -> None:
    topic = world.sns.create_topic(Name="mlplatform-predictions-team")["TopicArn"]
    inbox = world.sqs.create_queue(QueueName="inbox")["QueueUrl"]
    inbox_arn = world.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    world.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    prediction_id = world.complete_async({"type": "sns", "topic_arn": topic})

    (message,) = world.sqs.receive_message(QueueUrl=inbox)["Messages"]
    assert json.loads(message["Body"]) == {
        "prediction_id": prediction_id,
        "service": "churn",
        "state": "completed",
        "status_path": f"/predictions/{prediction_id}",
    }
    assert world.status(prediction_id)[1]["notification"] == {"state": "delivered"}

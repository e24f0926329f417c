"""The gateway under one fault at a time (issue 14): nothing lost, duplicated or regressed.

The async journey (POST -> upload -> invoke -> completion -> SNS notification) runs on moto; each handler
invocation's AWS calls, in turn, fail once with each kind of `tests.faults.FaultKind`. The platform's own
retry follows, as deployed: the client retries a 5xx/502 with the same client_token, SQS redelivers a
record reported in `batchItemFailures` (or a whole failed batch), and Step Functions retries a failed
ensemble step task with a new task token. moto has no SageMaker endpoints: InvokeEndpointAsync is answered
by `tests.offline_aws` (everything else goes to moto).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from moto import mock_aws

from tests.faults import Call, Fault, attempt, expected_task_error, fault_plan, inject, recording
from tests.gateway_world import GatewayWorld, api, invoke, notify, records, step
from tests.offline_aws import offline_aws

SERVICES = {"churn": {"kind": "async", "target": "mlplatform-churn-async-prod"}}
CLIENT_TOPIC = "mlplatform-predictions-team"
MAX_DELIVERIES = 5  # rounds of redelivery the test allows before calling a message stuck


class Journey:
    """One async prediction end to end; `fault_at` = (handler invocation index, fault) fails one call once."""

    def __init__(self, fault_at: tuple[int, Fault] | None = None) -> None:
        self.world = GatewayWorld(SERVICES)
        self.world.runtime._clients["sagemaker-runtime"] = self.world.session.client("sagemaker-runtime")
        self.fault_at = fault_at
        self.invocations: list[list[Call]] = []
        self.endpoint_calls = 0
        self.fired = False
        topic = self.world.sns.create_topic(Name=CLIENT_TOPIC)["TopicArn"]
        self.client_queue = self.world.sqs.create_queue(QueueName="client")["QueueUrl"]
        arn = self.world.sqs.get_queue_attributes(QueueUrl=self.client_queue, AttributeNames=["QueueArn"])
        self.world.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
        self.topic = topic

    def _invoke_endpoint_async(self, params: dict[str, Any]) -> dict[str, Any]:
        self.endpoint_calls += 1
        return {"InferenceId": params.get("InferenceId", ""), "OutputLocation": "s3://gw-output/async/x.out"}

    def run(self, handler: Callable[[], Any]) -> tuple[Any, BaseException | None]:
        """One Lambda invocation of a gateway handler, with the fault if it is this invocation's turn."""
        index = len(self.invocations)
        answers = {"InvokeEndpointAsync": self._invoke_endpoint_async}
        if self.fault_at is not None and self.fault_at[0] == index:
            with inject(self.fault_at[1]) as injection, offline_aws(answers, passthrough=True):
                outcome = attempt(handler)
            self.fired = injection.fired
            self.invocations.append(list(injection.calls or []))
        else:
            with recording() as calls, offline_aws(answers, passthrough=True):
                outcome = attempt(handler)
            self.invocations.append(list(calls))
        return outcome

    def post(self) -> str:
        event = {
            "httpMethod": "POST",
            "resource": "/predictions",
            "body": json.dumps(
                {
                    "service": "churn",
                    "client_token": "order-1",
                    "notification": {"type": "sns", "topic_arn": self.topic},
                }
            ),
            "requestContext": {"identity": {"userArn": "arn:aws:iam::123456789012:user/app"}},
        }
        for _ in range(MAX_DELIVERIES):  # API Gateway answers 502 for a failed invocation; the client retries
            response, error = self.run(lambda: api.handle(event, self.world.runtime))
            if error is None and response["statusCode"] < 500:
                assert response["statusCode"] in (200, 202), response
                body = json.loads(response["body"])
                put = requests.put(body["upload"]["url"], data=b"{}", timeout=10)
                assert put.status_code == 200
                self.world.announce_upload(records.input_key(body["prediction_id"]))
                return str(body["prediction_id"])
        raise AssertionError("the POST never succeeded")

    def drain(self, queue: str, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        sqs = self.world.sqs
        for _ in range(MAX_DELIVERIES):
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]}
            result, error = self.run(lambda event=event: handler(event, self.world.runtime))  # type: ignore[misc]
            failed = (
                {m["MessageId"] for m in messages}
                if error
                else {i["itemIdentifier"] for i in result["batchItemFailures"]}
            )
            for message in messages:
                if message["MessageId"] in failed:
                    sqs.change_message_visibility(
                        QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        raise AssertionError(f"messages still in {queue} after {MAX_DELIVERIES} deliveries")

    def complete(self) -> tuple[str, dict[str, Any]]:
        prediction_id = self.post()
        self.drain(self.world.upload_queue, invoke.handle_batch)
        self.world.async_result(prediction_id, b'{"score": 1}')
        self.drain(self.world.completion_queue, notify.handle_batch)
        record = self.world.record(prediction_id)
        assert record is not None
        return prediction_id, record

    def notifications(self) -> list[dict[str, Any]]:
        messages = self.world.sqs.receive_message(QueueUrl=self.client_queue, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def fault_free_invocations() -> list[list[Call]]:
    with mock_aws():
        journey = Journey()
        journey.complete()
        return journey.invocations


PLAN = [(index, fault) for index, calls in enumerate(fault_free_invocations()) for fault in fault_plan(calls)]


def test_the_fault_plan_covers_every_handler_of_the_journey() -> None:
    operations = {str(fault.call) for _, fault in PLAN}
    assert {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "sns:Publish"} <= operations
    assert "runtime.sagemaker:InvokeEndpointAsync" in operations
    assert len(PLAN) >= 40


@pytest.mark.parametrize(("index", "fault"), PLAN, ids=[f"invocation{i}-{f}" for i, f in PLAN])
def test_given_one_fault_then_the_prediction_completes_and_notifies_once_or_more(
    aws: None, index: int, fault: Fault
) -> None:
    journey = Journey((index, fault))
    prediction_id, record = journey.complete()
    assert journey.fired
    assert record["state"] == records.COMPLETED  # not lost, not failed by a transient fault
    assert record["notify_state"] == records.NOTIFY_DELIVERED
    table = journey.world.session.client("dynamodb").scan(TableName="predictions", Select="COUNT")
    assert table["Count"] == 1  # the client's retry found its own record: no duplicate prediction
    delivered = journey.notifications()
    assert delivered and {n["prediction_id"] for n in delivered} == {prediction_id}
    assert all(n["state"] == "completed" for n in delivered)
    assert 1 <= journey.endpoint_calls <= 2  # at least once; a second call only after a fault past the claim
    assert journey.world.queue_depth(journey.world.upload_dead_letters) == 0


def step_task(parent_id: str, token: str) -> dict[str, Any]:
    return {
        "action": "step",
        "prediction_id": parent_id,
        "step": "score",
        "service": "churn",
        "inputs": [["$", "request"]],
        "task_token": token,
    }


def started_parent(world: GatewayWorld) -> str:
    status, body = world.post({"service": "churn"})
    assert status == 202
    world.s3.put_object(Bucket=world.input_bucket, Key=records.input_key(body["prediction_id"]), Body=b"{}")
    return str(body["prediction_id"])


def step_plan() -> list[Fault]:
    with mock_aws():
        world = GatewayWorld(SERVICES)
        parent = started_parent(world)
        with recording() as calls:
            step.handle(step_task(parent, "token-1"), world.runtime)
        return fault_plan(list(calls))


@pytest.mark.parametrize("fault", step_plan(), ids=str)
def test_given_one_fault_in_an_ensemble_step_then_the_retried_task_gets_the_callback(aws: None, fault: Fault) -> None:
    world = GatewayWorld(SERVICES)
    parent = started_parent(world)
    with inject(fault) as injection:
        _, error = attempt(lambda: step.handle(step_task(parent, "token-1"), world.runtime))
    assert injection.fired and error is not None
    # Typed by kind: the ensemble state machine retries AwsTransientError, AwsPermanentError fails the ensemble.
    assert type(error).__name__ == expected_task_error(fault.kind), (fault, error)
    # Step Functions retries the failed task: a new invocation, with a new task token.
    assert step.handle(step_task(parent, "token-2"), world.runtime)["prediction_id"]
    child = world.record(records.child_id(parent, "score"))
    assert child is not None and child["state"] == records.AWAITING_INPUT
    assert child["notification"]["task_token"] == "token-2"  # the waiting task, not the failed attempt's
    key = records.input_key(child["prediction_id"])
    assert world.s3.get_object(Bucket=world.input_bucket, Key=key)["Body"].read() == b"{}"

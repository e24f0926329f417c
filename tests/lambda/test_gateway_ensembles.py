"""A two-level ensemble end to end on moto, the state machines driven by hand.

moto's Step Functions does not run Lambda tasks, so each test calls the ensemble task handler the way
the state machine would (`step` per step with its task token, then `finish` or `fail`) and checks the
task token answers that the notification handler sends (recorded by `SfnSpy`).

    triage (outer):  enrich = scoring(request)  ->  route = churn({score: enrich.score, original: request})
    scoring (inner): features = features(request) -> score = churn({features: features})
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from tests.gateway_world import GatewayWorld, records, step

ASYNC = "mlplatform-churn-async-prod"
SERVICES = {
    "churn": {"kind": "async", "target": ASYNC},
    "features": {"kind": "realtime", "target": "mlplatform-features-prod"},
    "scoring": {"kind": "ensemble", "target": ""},
    "triage": {"kind": "ensemble", "target": ""},
}


@pytest.fixture
def world() -> Iterator[GatewayWorld]:
    with mock_aws():
        yield GatewayWorld(SERVICES)


def run_step(world: GatewayWorld, parent: str, name: str, service: str, inputs: list[list[str]], token: str) -> str:
    """The state machine's `step` task, then the S3 upload event its input write causes; returns the step's id."""
    result = step.handle(
        {
            "action": "step",
            "prediction_id": parent,
            "step": name,
            "service": service,
            "inputs": inputs,
            "task_token": token,
        },
        world.runtime,
    )
    assert result["started"] is True
    world.announce_upload(records.input_key(result["prediction_id"]))
    return result["prediction_id"]


def input_of(world: GatewayWorld, prediction_id: str) -> Any:
    return json.loads(
        world.s3.get_object(Bucket=world.input_bucket, Key=records.input_key(prediction_id))["Body"].read()
    )


def executions(world: GatewayWorld, service: str) -> list[str]:
    arn = world.services[service].target
    return [e["name"] for e in world.sfn.list_executions(stateMachineArn=arn)["executions"]]


def test_given_a_two_level_ensemble_then_steps_chain_through_task_tokens_to_the_final_output(
    world: GatewayWorld,
) -> None:
    status, response = world.post({"service": "triage"})
    assert status == 202
    outer = response["prediction_id"]
    world.upload(response, b'{"customer": "c-1"}')
    assert world.drain_uploads() == []
    assert executions(world, "triage") == [outer]  # StartExecution, named after the prediction

    # triage level 1: the nested ensemble, started through the ordinary upload path
    inner = run_step(world, outer, "enrich", "scoring", [["$", "request"]], "token-enrich")
    assert world.drain_uploads() == []
    assert executions(world, "scoring") == [inner]

    # scoring level 1: a real-time model on the request, passed through
    world.expect_realtime_invocation("mlplatform-features-prod", b'{"vector": [0.5]}', body=b'{"customer": "c-1"}')
    features = run_step(world, inner, "features", "features", [["$", "request"]], "token-features")
    assert world.drain_uploads() == []
    assert world.drain_completions() == []
    assert world.sfn.task_results[-1] == (
        "success",
        "token-features",
        {"prediction_id": features, "output_location": f"s3://gw-output/outputs/{features}"},
    )

    # scoring level 2: an async model on the mapped output of level 1
    score = run_step(world, inner, "score", "churn", [["features", "features"]], "token-score")
    assert input_of(world, score) == {"features": {"vector": [0.5]}}
    world.expect_async_invocation(ASYNC, score)
    world.drain_uploads()
    world.async_result(score, b'{"score": 0.9, "label": "churn"}')
    assert world.drain_completions() == []
    assert world.sfn.task_results[-1][:2] == ("success", "token-score")

    # scoring finishes -> its completion answers the outer step's token
    step.handle({"action": "finish", "prediction_id": inner, "output_step": "score"}, world.runtime)
    assert world.drain_completions() == []
    assert world.sfn.task_results[-1][:2] == ("success", "token-enrich")
    assert world.record(inner)["state"] == "completed"

    # triage level 2: one field of the nested ensemble's output, and the original request
    route = run_step(
        world, outer, "route", "churn", [["score", "enrich.score"], ["original", "request"]], "token-route"
    )
    assert input_of(world, route) == {"original": {"customer": "c-1"}, "score": 0.9}
    world.expect_async_invocation(ASYNC, route)
    world.drain_uploads()
    world.async_result(route, b'{"queue": "retention"}')
    world.drain_completions()
    step.handle({"action": "finish", "prediction_id": outer, "output_step": "route"}, world.runtime)
    assert world.drain_completions() == []

    body = world.status(outer)[1]
    assert body["state"] == "completed"
    assert world.read(body["output"]["url"]) == b'{"queue": "retention"}'
    world.stubber.assert_no_pending_responses()


def test_given_a_failing_step_then_its_token_fails_and_the_ensemble_records_the_error(world: GatewayWorld) -> None:
    _status, response = world.post({"service": "scoring"})
    inner = response["prediction_id"]
    world.upload(response, b"{}")
    world.drain_uploads()
    world.stubber.add_client_error("invoke_endpoint", service_error_code="ModelError", service_message="bad features")
    run_step(world, inner, "features", "features", [["$", "request"]], "token-features")
    world.drain_uploads()
    world.drain_completions()
    kind, token, detail = world.sfn.task_results[-1]
    assert (kind, token, detail["error"]) == ("failure", "token-features", "PredictionFailed")

    # The state machine's catch runs the `fail` task with the error Step Functions reports.
    step.handle(
        {"action": "fail", "prediction_id": inner, "error": {"Error": "PredictionFailed", "Cause": detail["cause"]}},
        world.runtime,
    )
    world.drain_completions()
    body = world.status(inner)[1]
    assert body["state"] == "failed" and "bad features" in body["error"]


def test_given_a_retried_step_task_then_the_intermediate_prediction_is_not_started_twice(world: GatewayWorld) -> None:
    _status, response = world.post({"service": "scoring"})
    inner = response["prediction_id"]
    world.upload(response, b"{}")
    world.drain_uploads()
    world.expect_realtime_invocation("mlplatform-features-prod", b"{}")
    first = run_step(world, inner, "features", "features", [["$", "request"]], "token-features")
    world.drain_uploads()
    again = step.handle(
        {
            "action": "step",
            "prediction_id": inner,
            "step": "features",
            "service": "features",
            "inputs": [["$", "request"]],
            "task_token": "token-features",
        },
        world.runtime,
    )
    assert again == {"prediction_id": first, "started": False}


def test_given_a_malformed_task_then_a_clear_error_is_raised(world: GatewayWorld) -> None:
    with pytest.raises(step.MalformedEvent, match="unknown ensemble task action 'jump'"):
        step.handle({"action": "jump"}, world.runtime)
    with pytest.raises(step.MalformedEvent, match="prediction_id: expected a prediction id"):
        step.handle({"action": "step", "prediction_id": "p", "step": "s", "service": "x", "inputs": []}, world.runtime)

"""Inference gateway: handler time per request through the whole path on moto, from 100 to 10,000 requests.

Each request goes POST -> input upload -> upload event on the queue -> invoke handler -> completion on
the topic (SNS -> SQS) -> notify handler -> GET status, in batches of 10 as Lambda's SQS event source
delivers them. Half the requests go to an async endpoint, half to a real-time one (both answered by a
botocore Stubber: moto has no endpoints). Only the time inside the handlers is counted, per request;
the goal is a flat per-request cost as the gateway fills. Figures are printed, never asserted.

moto's DynamoDB spends ~20-50 ms parsing each conditional update, so 10,000 requests through every
step would take most of an hour on a shared machine. To keep the large sizes practical, a run of N
requests writes the first N - 100 prediction records straight into the table (batch writes of records
shaped as the handlers write them, completed) and drives the last 100 through the whole path, timed:
what is measured is the per-request cost when the gateway already holds N predictions. Set
GATEWAY_BENCH_FULL=1 to drive all N requests through every step instead.

    python -m bench gateway                        # 100, 1,000 and 10,000 requests
    GATEWAY_BENCH_SIZES=100,500 python -m bench gateway
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from moto import mock_aws

SIZES = (100, 1_000, 10_000)
BATCH = 10
WINDOW = 100
SERVICES = {
    "churn": {"kind": "async", "target": "mlplatform-churn-async-prod"},
    "features": {"kind": "realtime", "target": "mlplatform-features-prod"},
}


class Timer:
    """Accumulated CPU seconds per handler (process time: steadier than wall time on a shared machine)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def call(self, name: str, function: Callable[..., Any], *args: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args)
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - start


def run(requests: int, *, full: bool = False) -> dict[str, float]:
    """Requests through the gateway (all, or the last `WINDOW` after a prefill); handler seconds per timed request."""
    from botocore.stub import ANY

    from tests.gateway_world import GatewayWorld, api, invoke, notify

    timer = Timer()
    timed = requests if full else min(requests, WINDOW)
    with mock_aws():
        world = GatewayWorld(SERVICES)
        _prefill(world, requests - timed)
        for start in range(0, timed, BATCH):
            ids: list[tuple[str, str]] = []
            for index in range(start, min(start + BATCH, timed)):
                service = "churn" if index % 2 == 0 else "features"
                event = _api_event("POST", "/predictions", f'{{"service": "{service}"}}', None)
                response = timer.call("api", api.handle, event, world.runtime)
                prediction_id = _body(response)["prediction_id"]
                ids.append((prediction_id, service))
                # The client's upload (through S3, not a handler) and the event S3 sends for it.
                world.s3.put_object(Bucket=world.input_bucket, Key=f"inputs/{prediction_id}", Body=b'{"x": 1}')
            world.sqs.send_message_batch(
                QueueUrl=world.upload_queue,
                Entries=[{"Id": str(i), "MessageBody": _upload_event(world, pid)} for i, (pid, _) in enumerate(ids)],
            )
            for _, service in ids:
                if service == "churn":
                    world.stubber.add_response(
                        "invoke_endpoint_async",
                        {"InferenceId": "x"},
                        {"EndpointName": ANY, "InputLocation": ANY, "ContentType": ANY, "InferenceId": ANY},
                    )
                else:
                    world.expect_realtime_invocation("mlplatform-features-prod", b'{"y": 2}')
            _drain_all(world, world.upload_queue, lambda e: timer.call("invoke", invoke.handle_batch, e, world.runtime))
            for prediction_id, service in ids:
                if service == "churn":
                    world.async_result(prediction_id, b'{"y": 1}')
            _drain_all(
                world, world.completion_queue, lambda e: timer.call("notify", notify.handle_batch, e, world.runtime)
            )
            for prediction_id, _ in ids:
                event = _api_event("GET", "/predictions/{prediction_id}", None, {"prediction_id": prediction_id})
                status = _body(timer.call("api", api.handle, event, world.runtime))
                if status["state"] != "completed":
                    raise RuntimeError(f"prediction {prediction_id} ended {status['state']}")
    return {name: seconds / timed for name, seconds in timer.seconds.items()}


def _prefill(world: Any, count: int) -> None:
    """`count` completed prediction records, as the handlers leave them, written 25 at a time."""
    import uuid

    from tests.gateway_world import OWNER

    now = int(world.now)
    table = world.session.resource("dynamodb").Table(world.settings.table_name)
    with table.batch_writer() as writer:
        for index in range(count):
            prediction_id = uuid.UUID(int=index).hex
            writer.put_item(
                Item={
                    "prediction_id": prediction_id,
                    "service": "churn",
                    "owner": OWNER,
                    "state": "completed",
                    "created_at": now,
                    "updated_at": now,
                    "input_deadline": now + 900,
                    "expires_at": now + 86400,
                    "input_location": f"s3://{world.input_bucket}/inputs/{prediction_id}",
                    "output_location": f"s3://{world.output_bucket}/outputs/{prediction_id}",
                    "notification": {"type": "none"},
                    "notify_state": "none",
                }
            )


def main() -> None:
    env = os.environ
    sizes = tuple(int(n) for n in env["GATEWAY_BENCH_SIZES"].split(",")) if "GATEWAY_BENCH_SIZES" in env else SIZES
    full = env.get("GATEWAY_BENCH_FULL") == "1"
    print(f"timed: {'every request' if full else f'the last {WINDOW} requests after a prefill'} (see bench/gateway.py)")
    print("requests | handler CPU ms/request | api | invoke | notify | vs first")
    first: float | None = None
    for size in sizes:
        per_request = run(size, full=full)
        total = sum(per_request.values()) * 1000
        first = total if first is None else first
        print(
            f"{size:>8,} | {total:>24.2f} | {per_request['api'] * 1000:.2f} | {per_request['invoke'] * 1000:.2f} | "
            f"{per_request['notify'] * 1000:.2f} | x{total / first:.2f}",
            flush=True,
        )


def _drain_all(world: Any, queue: str, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    while True:
        messages = world.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]}
        failures = handle(event)["batchItemFailures"]
        if failures:
            raise RuntimeError(f"handler reported failures: {failures}")
        world.sqs.delete_message_batch(
            QueueUrl=queue,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def _upload_event(world: Any, prediction_id: str) -> str:
    import json

    from tests.gateway_world import sample

    event = sample("gateway_s3_object_created")
    event["detail"]["bucket"]["name"] = world.input_bucket
    event["detail"]["object"]["key"] = f"inputs/{prediction_id}"
    return json.dumps(event)


def _api_event(method: str, resource: str, body: str | None, path: dict[str, str] | None) -> dict[str, Any]:
    from tests.gateway_world import OWNER

    return {
        "httpMethod": method,
        "resource": resource,
        "body": body,
        "pathParameters": path,
        "requestContext": {"identity": {"userArn": OWNER}},
    }


def _body(response: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(response["body"])

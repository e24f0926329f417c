"""Webhook callbacks (signed, retried, then recorded) against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from moto import mock_aws

from tests.gateway_world import GatewayWorld

SERVICES = {"churn": {"kind": "async", "target": "mlplatform-churn-async-prod"}}


class Receiver:
    """A webhook receiver on 127.0.0.1 answering with the given status codes in turn (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.calls: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def world() -> Iterator[GatewayWorld]:
    with mock_aws():
        # Plain http only because the receiver is local; the deployed gateway accepts https URLs only.
        yield GatewayWorld(SERVICES, webhook_schemes=("https", "http"))


def complete_with_webhook(world: GatewayWorld, url: str) -> str:
    return world.complete_async({"type": "webhook", "url": url}, b'{"churn": 0.2}')


def test_given_a_flaky_webhook_then_it_is_retried_with_backoff_and_delivered_signed() -> None:
    with mock_aws(), Receiver([500, 503]) as receiver:
        world = GatewayWorld(SERVICES, webhook_schemes=("https", "http"))
        prediction_id = complete_with_webhook(world, receiver.url)
        record = world.record(prediction_id)

    assert len(receiver.calls) == 3 and world.sleeps == [0.5, 1.0]
    headers, body = receiver.calls[-1]
    assert json.loads(body) == {
        "prediction_id": prediction_id,
        "service": "churn",
        "state": "completed",
        "status_path": f"/predictions/{prediction_id}",
    }
    timestamp, digest = (part.split("=", 1)[1] for part in headers["X-Gateway-Signature"].split(","))
    expected = hmac.new(b"s3cr3t", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(digest, expected)
    assert (record["notify_state"], record["notify_attempts"]) == ("delivered", 3)


def test_given_a_webhook_that_keeps_failing_then_the_failure_is_recorded_and_the_prediction_stays_completed() -> None:
    with mock_aws(), Receiver([500, 500, 500, 500]) as receiver:
        world = GatewayWorld(SERVICES, webhook_schemes=("https", "http"))
        prediction_id = complete_with_webhook(world, receiver.url)
        # A duplicate completion must not call the webhook again: the failure is final and recorded.
        world.async_result(prediction_id, b'{"churn": 0.2}')
        assert world.drain_completions() == []
        record = world.record(prediction_id)
        status = world.status(prediction_id)[1]

    assert len(receiver.calls) == 3
    assert (record["state"], record["notify_state"], record["notify_attempts"]) == ("completed", "failed", 3)
    assert record["notify_error"] == "HTTP 500 from the webhook"
    assert status["state"] == "completed"
    assert status["notification"] == {"state": "failed", "error": "HTTP 500 from the webhook"}


def test_given_a_webhook_that_refuses_with_4xx_then_it_is_not_retried() -> None:
    with mock_aws(), Receiver([410]) as receiver:
        world = GatewayWorld(SERVICES, webhook_schemes=("https", "http"))
        prediction_id = complete_with_webhook(world, receiver.url)
        record = world.record(prediction_id)
    assert len(receiver.calls) == 1
    assert record["notify_error"] == "HTTP 410 from the webhook"


def test_given_an_unreachable_webhook_then_every_attempt_is_made_and_the_error_recorded(world: GatewayWorld) -> None:
    with Receiver([]) as receiver:
        url = receiver.url  # the port is closed once the receiver stops
    prediction_id = complete_with_webhook(world, url)
    record = world.record(prediction_id)
    assert record["notify_state"] == "failed" and record["notify_attempts"] == 3
    assert record["notify_error"].startswith("webhook unreachable")


# Importable once tests.gateway_world (imported above) has put the gateway handlers' folder on sys.path.
completion = importlib.import_module("inference_gateway.completion")
PREDICTION_ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("outcome", "succeeded"),
    [
        (completion.Completion.success(PREDICTION_ID, f"s3://gw-output/outputs/{PREDICTION_ID}"), True),
        (completion.Completion.failure(PREDICTION_ID, "ModelError: the model refused the input"), False),
    ],
    ids=["success", "failure"],
)
def test_given_a_completion_then_what_the_gateway_publishes_parses_back_to_it(outcome: Any, succeeded: bool) -> None:
    """The real-time path and the ensembles publish SageMaker's notification shape; notify reads it back."""
    message = json.loads(completion.render(outcome, source="gateway"))

    assert outcome.succeeded is succeeded
    assert message["invocationStatus"] == ("Completed" if succeeded else "Failed")
    assert completion.parse(json.dumps(message)) == outcome

"""Completion messages: SageMaker's asynchronous inference notification, which the gateway also emits.

Async endpoints publish it to their SuccessTopic/ErrorTopic; the real-time invoke path and the
ensemble state machines publish the same shape to the gateway's completion topic, so the
notification handler reads one format whatever produced the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from inference_gateway.errors import MalformedEvent
from inference_gateway.events import message_body, require_prediction_id

SUCCEEDED = "Completed"
FAILED = "Failed"


@dataclass(frozen=True)
class Completion:
    """The outcome of one prediction: where its output is, or why it failed. Build it with `success` or `failure`."""

    prediction_id: str
    output_location: str | None = None
    """Where a successful prediction's output is, `s3://<bucket>/<key>`."""
    error: str | None = None
    """Why the prediction failed; None when it succeeded."""

    @property
    def succeeded(self) -> bool:
        """True for a success: a failure always carries its `error`."""
        return self.error is None

    @classmethod
    def success(cls, prediction_id: str, output_location: str) -> Completion:
        """A prediction whose output is at `output_location`."""
        return cls(prediction_id, output_location=output_location)

    @classmethod
    def failure(cls, prediction_id: str, error: str) -> Completion:
        """A prediction that failed, and why."""
        return cls(prediction_id, error=error)


def parse(body: object) -> Completion:
    try:
        message = json.loads(message_body(body, "completion message"))
    except json.JSONDecodeError as exc:
        raise MalformedEvent(f"completion message is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise MalformedEvent("completion message must be a JSON object")
    # An SNS envelope (a subscription without raw message delivery) carries the notification in `Message`.
    if message.get("Type") == "Notification" and isinstance(message.get("Message"), str):
        return parse(message["Message"])
    status = message.get("invocationStatus")
    if status not in (SUCCEEDED, FAILED):
        raise MalformedEvent(f"completion message invocationStatus: {status!r}; expected {SUCCEEDED} or {FAILED}"[:300])
    # Refused, not looked up: an empty or foreign id would only cycle through the queue to the DLQ.
    prediction_id = require_prediction_id(message.get("inferenceId"), "completion message inferenceId")
    response = message.get("responseParameters") or {}
    if not isinstance(response, dict):
        raise MalformedEvent(f"completion of {prediction_id}: responseParameters must be an object")
    if status == SUCCEEDED:
        location = response.get("outputLocation")
        if not isinstance(location, str):
            raise MalformedEvent(f"completion of {prediction_id} has no responseParameters.outputLocation")
        return Completion.success(prediction_id, location)
    reason = message.get("failureReason") or "the service reported a failure without a reason"
    return Completion.failure(prediction_id, str(reason)[:2000])


def render(completion: Completion, *, source: str) -> str:
    message: dict[str, Any] = {
        "eventVersion": "1.0",
        "eventSource": source,
        "eventName": "InferenceResult",
        "inferenceId": completion.prediction_id,
        "invocationStatus": SUCCEEDED if completion.succeeded else FAILED,
        "responseParameters": {"outputLocation": completion.output_location} if completion.succeeded else {},
    }
    if not completion.succeeded:
        message["failureReason"] = completion.error
    return json.dumps(message, sort_keys=True)


def publish(runtime: Any, completion: Completion, *, source: str) -> None:
    runtime.client("sns").publish(
        TopicArn=runtime.settings.completion_topic_arn, Message=render(completion, source=source)
    )


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise MalformedEvent(f"not an S3 URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key

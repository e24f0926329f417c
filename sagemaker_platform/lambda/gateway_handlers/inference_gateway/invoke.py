"""Upload events (S3 Object Created via EventBridge, delivered by SQS) -> invoke the prediction's service.

Per message: find the record, claim it (awaiting_input -> invoking, only before its input deadline),
invoke the service, mark it running. Duplicates find the record past `invoking` and do nothing; a
retry after a crash finds it `invoking` and invokes again.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from inference_gateway import batch, records
from inference_gateway.completion import Completion, publish, s3_uri
from inference_gateway.errors import MalformedEvent, UnknownPrediction
from inference_gateway.events import message_body, require_prediction_id
from inference_gateway.runtime import Runtime
from inference_gateway.settings import Service

SOURCE = "gateway.invoke"
# Errors that no retry can fix: the prediction fails (and says why) instead of cycling through the queue.
PERMANENT_ERRORS = frozenset(
    {
        "ModelError",
        "ValidationError",
        "ValidationException",
        "StateMachineDoesNotExist",
        "InvalidArn",
        "InvalidExecutionInput",
    }
)


def handle_batch(event: dict[str, Any], runtime: Runtime, context: Any = None) -> dict[str, Any]:
    return batch.process(event, lambda body: handle_upload(body, runtime), context)


def handle_upload(body: object, runtime: Runtime) -> str:
    """Process one upload event; returns what was done (for the log)."""
    bucket, key = _parse(body)
    if bucket is None:
        return "ignored: S3 test event"
    if bucket != runtime.settings.input_bucket or not key.startswith(records.INPUT_PREFIX):
        raise MalformedEvent(
            f"s3://{bucket}/{key} is not a gateway input (s3://{runtime.settings.input_bucket}/inputs/<id>)"
        )
    prediction_id = require_prediction_id(key.removeprefix(records.INPUT_PREFIX), "upload event detail.object.key")
    record = runtime.records.get(prediction_id)
    if record is None:
        raise UnknownPrediction(f"input s3://{bucket}/{key} belongs to no prediction record")
    state = record["state"]
    if state == records.AWAITING_INPUT:
        now = runtime.now()
        claimed = runtime.records.transition(
            prediction_id,
            [records.AWAITING_INPUT],
            records.INVOKING,
            condition=Attr("input_deadline").gte(now),
            input_location=s3_uri(bucket, key),
            expires_at=now + runtime.settings.retention_seconds,
        )
        if not claimed:
            if runtime.records.transition(
                prediction_id, [records.AWAITING_INPUT], records.EXPIRED, error="the input arrived after its deadline"
            ):
                return "expired: the input arrived after its deadline"
            return "skipped: another delivery claimed the input"
    elif state != records.INVOKING:
        return f"skipped: duplicate upload event, the prediction is {state}"
    service = runtime.settings.services.get(record["service"])
    if service is None:
        raise MalformedEvent(
            f"prediction {prediction_id} names service {record['service']!r}, which this gateway does not serve"
        )
    try:
        _invoke(prediction_id, record, service, s3_uri(bucket, key), runtime)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code not in PERMANENT_ERRORS:
            raise  # throttling, service errors: the message returns to the queue and is retried
        publish(runtime, Completion.failure(prediction_id, f"{code}: {exc}"), source=SOURCE)
        return f"failed: {code}"
    runtime.records.transition(prediction_id, [records.INVOKING], records.RUNNING)
    return f"invoked {service.kind} {service.target}"


def _invoke(prediction_id: str, record: dict[str, Any], service: Service, location: str, runtime: Runtime) -> None:
    content_type = record.get("content_type", service.content_type)
    if service.kind == "async":
        # Fire and forget: the endpoint reports to the completion topic with this InferenceId.
        runtime.client("sagemaker-runtime").invoke_endpoint_async(
            EndpointName=service.target, InputLocation=location, ContentType=content_type, InferenceId=prediction_id
        )
    elif service.kind == "realtime":
        _invoke_realtime(prediction_id, service.target, content_type, runtime)
    else:
        sfn = runtime.client("stepfunctions")
        # A redelivered event finds the execution (named after the prediction) already started.
        with contextlib.suppress(sfn.exceptions.ExecutionAlreadyExists):
            sfn.start_execution(
                stateMachineArn=service.target,
                name=prediction_id,
                input=json.dumps({"prediction_id": prediction_id, "input_location": location}),
            )


def _invoke_realtime(prediction_id: str, endpoint: str, content_type: str, runtime: Runtime) -> None:
    """Call the endpoint, write its answer where an async endpoint would, and report the completion."""
    settings = runtime.settings
    payload = (
        runtime.client("s3")
        .get_object(Bucket=settings.input_bucket, Key=records.input_key(prediction_id))["Body"]
        .read()
    )
    answer = runtime.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, Body=payload, ContentType=content_type
    )
    key = records.output_key(prediction_id)
    runtime.client("s3").put_object(
        Bucket=settings.output_bucket,
        Key=key,
        Body=answer["Body"].read(),
        ContentType=answer.get("ContentType", "application/octet-stream"),
    )
    publish(runtime, Completion.success(prediction_id, s3_uri(settings.output_bucket, key)), source=SOURCE)


def _parse(body: object) -> tuple[str | None, str]:
    try:
        event = json.loads(message_body(body, "upload event"))
    except json.JSONDecodeError as exc:
        raise MalformedEvent(f"upload event is not JSON: {exc}") from exc
    if isinstance(event, dict) and event.get("Event") == "s3:TestEvent":
        return None, ""
    detail = event.get("detail") if isinstance(event, dict) else None
    try:
        bucket, key = detail["bucket"]["name"], detail["object"]["key"]
    except (TypeError, KeyError) as exc:
        raise MalformedEvent(f"not an S3 'Object Created' event: missing {exc}") from exc
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise MalformedEvent("upload event detail.bucket.name and detail.object.key must be strings")
    return bucket, key

"""Tasks of the ensemble state machines (Lambda invoke; `step` waits for a task token).

- `step`: build the step's input from the ensemble request and earlier steps' outputs (the declared
  mapping), write an intermediate prediction record whose callback is the task token, and upload the
  input: the ordinary upload -> queue -> invoke path runs it, nested ensembles included.
- `finish` / `fail`: report the ensemble's own completion to the completion topic.
"""

from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.conditions import Attr

from inference_gateway import records
from inference_gateway.completion import Completion, publish, s3_uri, split_s3_uri
from inference_gateway.errors import MalformedEvent, UnknownPrediction
from inference_gateway.events import require_object, require_prediction_id, require_string
from inference_gateway.runtime import Runtime
from sagemaker_platform.contracts.aws_faults import typed_aws_errors
from sagemaker_platform.contracts.gateway import PASS_THROUGH_FIELD, REQUEST_SOURCE

SOURCE = "gateway.ensemble"


def handle(event: Any, runtime: Runtime, context: Any = None) -> dict[str, Any]:
    action = require_object(event, "ensemble task").get("action")
    tasks = {"step": start_step, "finish": finish, "fail": fail}
    if not isinstance(action, str) or action not in tasks:
        raise MalformedEvent(f"unknown ensemble task action {action!r}; expected step, finish or fail")
    # A failed AWS call ends the task as AwsTransientError (the state machine retries it; every task is
    # repeatable) or AwsPermanentError (the ensemble fails and reports it).
    with typed_aws_errors():
        return tasks[action](event, runtime)


def start_step(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    parent_id = require_prediction_id(event.get("prediction_id"), "ensemble step task prediction_id")
    step = require_string(event.get("step"), "ensemble step task step")
    service = require_string(event.get("service"), "ensemble step task service")
    if service not in runtime.settings.services:
        raise MalformedEvent(f"ensemble step task service {service!r}: not a service of this gateway")
    inputs = _inputs(event.get("inputs"))
    token = require_string(event.get("task_token"), "ensemble step task task_token")
    parent = _record(parent_id, runtime)
    prediction_id = records.child_id(parent_id, step)
    # Read the inputs before writing anything: a step that cannot be built is refused with no record left.
    body = build_input(parent, inputs, runtime)
    now = runtime.now()
    created = runtime.records.create(
        {
            "prediction_id": prediction_id,
            "service": service,
            "owner": parent["owner"],
            "parent_id": parent_id,
            "step": step,
            "state": records.AWAITING_INPUT,
            "created_at": now,
            "updated_at": now,
            "input_deadline": now + runtime.settings.input_timeout_seconds,
            "expires_at": now + runtime.settings.input_timeout_seconds + runtime.settings.retention_seconds,
            "notification": {"type": "task_token", "task_token": token},
            "notify_state": records.NOTIFY_PENDING,
            **({"content_type": "application/json"} if inputs[0][0] != PASS_THROUGH_FIELD else {}),
        }
    )
    if not created:
        existing = _record(prediction_id, runtime)
        if (existing.get("notification") or {}).get("task_token") != token:
            _follow_new_task(prediction_id, token, runtime)
        if existing["state"] != records.AWAITING_INPUT:
            return {"prediction_id": prediction_id, "started": False}  # a retried task: the step already runs
    runtime.client("s3").put_object(
        Bucket=runtime.settings.input_bucket, Key=records.input_key(prediction_id), Body=body
    )
    return {"prediction_id": prediction_id, "started": True}


def _follow_new_task(prediction_id: str, token: str, runtime: Runtime) -> None:
    """A retried step task waits with a new token: the callback must reach it, not the failed attempt's task.

    Without this, a step whose first invocation failed after writing the record would answer the old
    token (TaskDoesNotExist) and leave the retried task waiting until its timeout.
    """
    notification = {"type": "task_token", "task_token": token}
    if runtime.records.set_fields(
        prediction_id, Attr("notify_state").eq(records.NOTIFY_PENDING), notification=notification
    ):
        return
    current = _record(prediction_id, runtime)
    if current["state"] in records.TERMINAL:  # the old task was answered already: answer this one the same way
        from inference_gateway import notify  # rare path: keep the step function's cold start small

        notify.deliver({**current, "notification": notification}, runtime)


def build_input(parent: dict[str, Any], inputs: list[tuple[str, str]], runtime: Runtime) -> bytes:
    """The step's input document from its mapping: `{field: value}` as JSON, or one source passed through."""
    if inputs and inputs[0][0] == PASS_THROUGH_FIELD:
        return _read_source(parent, inputs[0][1], runtime, raw=True)
    document = {field: json.loads(_read_source(parent, source, runtime, raw=False)) for field, source in inputs}
    return json.dumps(document, sort_keys=True).encode()


def _inputs(value: Any) -> list[tuple[str, str]]:
    """The step's input mapping: a non-empty list of [field, source] pairs of non-empty strings."""
    if not isinstance(value, list) or not value:
        raise MalformedEvent(f"ensemble step task inputs: expected a non-empty list of [field, source], got {value!r}")
    pairs = []
    for index, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) and v for v in pair)):
            raise MalformedEvent(f"ensemble step task inputs[{index}]: expected [field, source], got {pair!r}"[:300])
        pairs.append((pair[0], pair[1]))
    return pairs


def finish(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    parent_id = require_prediction_id(event.get("prediction_id"), "ensemble finish task prediction_id")
    output_step = require_string(event.get("output_step"), "ensemble finish task output_step")
    step_record = _record(records.child_id(parent_id, output_step), runtime)
    location = step_record.get("output_location")
    if step_record["state"] != records.COMPLETED or not isinstance(location, str):
        raise MalformedEvent(
            f"ensemble {parent_id}: output step {output_step!r} is {step_record['state']}, not completed"
        )
    publish(runtime, Completion.success(parent_id, location), source=SOURCE)
    return {"prediction_id": parent_id, "output_location": location}


def fail(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    parent_id = require_prediction_id(event.get("prediction_id"), "ensemble fail task prediction_id")
    error = event.get("error") or {}
    # Lenient on purpose: the failure must still reach the caller whatever shape the Catch gave it.
    cause = (error.get("Cause") or error.get("Error") if isinstance(error, dict) else error) or "the ensemble failed"
    publish(runtime, Completion.failure(parent_id, f"ensemble step failed: {cause}"[:2000]), source=SOURCE)
    return {"prediction_id": parent_id, "failed": True}


def _read_source(parent: dict[str, Any], source: str, runtime: Runtime, *, raw: bool) -> bytes:
    if source == REQUEST_SOURCE:
        location = parent.get("input_location") or s3_uri(
            runtime.settings.input_bucket, records.input_key(parent["prediction_id"])
        )
        field = None
    else:
        step, _, field_name = source.partition(".")
        field = field_name or None
        upstream = _record(records.child_id(parent["prediction_id"], step), runtime)
        location = upstream.get("output_location")
        if upstream["state"] != records.COMPLETED or not isinstance(location, str):
            raise MalformedEvent(f"input {source!r}: step {step!r} is {upstream['state']}, not completed")
    bucket, key = split_s3_uri(location)
    data = runtime.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    if field is None:
        return data if raw else _as_json_bytes(data)
    try:
        value = json.loads(data)[field]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise MalformedEvent(f"input {source!r}: the output of step is not a JSON object with {field!r}") from exc
    return json.dumps(value).encode()


def _as_json_bytes(data: bytes) -> bytes:
    """An output that is not JSON is carried as a JSON string, so it can sit in the input document."""
    try:
        json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return json.dumps(data.decode("utf-8", errors="replace")).encode()
    return data


def _record(prediction_id: str, runtime: Runtime) -> dict[str, Any]:
    record = runtime.records.get(prediction_id)
    if record is None:
        raise UnknownPrediction(f"no prediction record {prediction_id}")
    return record

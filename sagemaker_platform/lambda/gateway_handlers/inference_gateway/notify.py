"""Completions (SNS -> SQS) -> update the record, then call back the way the request asked.

Two conditional writes make it idempotent: the state (invoking|running -> completed|failed), then the
callback (notify_state pending -> delivered|failed). A duplicate completion finds both done and does
nothing; a retry after a crash between them delivers the callback (at least once: receivers dedupe on
the prediction id). A completion that overtakes its invoke event (the record still awaiting input)
returns to the queue until the record catches up.
"""

from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from inference_gateway import batch, records, webhook
from inference_gateway.completion import Completion, parse, split_s3_uri
from inference_gateway.errors import NotReady, UnknownPrediction
from inference_gateway.runtime import Runtime

# Step Functions answers these when the waiting task is gone (timed out, execution stopped): nothing to retry.
_GONE_TASK_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


def handle_batch(event: dict[str, Any], runtime: Runtime, context: Any = None) -> dict[str, Any]:
    return batch.process(event, lambda body: handle_completion(body, runtime), context)


def handle_completion(body: str, runtime: Runtime) -> str:
    completion = parse(body)
    record = runtime.records.get(completion.prediction_id)
    if record is None:
        raise UnknownPrediction(f"completion for {completion.prediction_id}, which has no prediction record")
    if record["state"] == records.AWAITING_INPUT:
        raise NotReady(f"completion for {completion.prediction_id} arrived before its input was claimed; retrying")
    outcome = "duplicate completion"
    if record["state"] in records.IN_FLIGHT:
        record = _finish(record, completion, runtime)
        outcome = record["state"]
    if record.get("notify_state") == records.NOTIFY_PENDING:
        state, attempts, error = deliver(record, runtime)
        fields: dict[str, Any] = {"notify_state": state, "notify_attempts": attempts}
        if error is not None:
            fields["notify_error"] = error
        runtime.records.set_fields(record["prediction_id"], Attr("notify_state").eq(records.NOTIFY_PENDING), **fields)
        outcome += f", notification {state}"
    return outcome


def _finish(record: dict[str, Any], completion: Completion, runtime: Runtime) -> dict[str, Any]:
    now = runtime.now()
    fields: dict[str, Any] = {"expires_at": now + runtime.settings.retention_seconds, "finished_at": now}
    if completion.succeeded:
        bucket, _ = split_s3_uri(completion.output_location or "")
        if bucket == runtime.settings.output_bucket:
            state, fields["output_location"] = records.COMPLETED, completion.output_location
        else:
            state, fields["error"] = (
                records.FAILED,
                (
                    f"the service wrote its output to {completion.output_location}, outside the gateway's "
                    f"output bucket "
                    f"{runtime.settings.output_bucket}"
                ),
            )
    else:
        state, fields["error"] = records.FAILED, completion.error
    runtime.records.transition(record["prediction_id"], records.IN_FLIGHT, state, **fields)
    # Re-read: a concurrent duplicate may have won; what is stored is what gets reported.
    return runtime.records.get(record["prediction_id"]) or record


def deliver(record: dict[str, Any], runtime: Runtime) -> tuple[str, int, str | None]:
    """Call back for a finished record: (notify_state, attempts, error)."""
    notification = record["notification"]
    message = notification_message(record)
    kind = notification["type"]
    if kind == "task_token":
        return _answer_task(notification["task_token"], record, runtime)
    if kind == "sns":
        runtime.client("sns").publish(TopicArn=notification["topic_arn"], Message=json.dumps(message, sort_keys=True))
        return records.NOTIFY_DELIVERED, 1, None
    if kind == "webhook":
        secret = runtime.secret(runtime.settings.webhook_secret_arn)
        ok, attempts, error = webhook.post_signed(
            notification["url"],
            message,
            secret=secret,
            attempts=runtime.settings.webhook_attempts,
            backoff_seconds=runtime.settings.webhook_backoff_seconds,
            timeout_seconds=runtime.settings.webhook_timeout_seconds,
            clock=runtime.clock,
            sleep=runtime.sleep,
        )
        return (records.NOTIFY_DELIVERED if ok else records.NOTIFY_FAILED), attempts, error
    return records.NOTIFY_NONE, 0, None


def notification_message(record: dict[str, Any]) -> dict[str, Any]:
    """What a webhook or SNS subscriber receives: no output URL (it would expire), the status path instead."""
    message = {
        "prediction_id": record["prediction_id"],
        "service": record["service"],
        "state": record["state"],
        "status_path": f"/predictions/{record['prediction_id']}",
    }
    if record.get("error"):
        message["error"] = record["error"]
    return message


def _answer_task(token: str, record: dict[str, Any], runtime: Runtime) -> tuple[str, int, str | None]:
    sfn = runtime.client("stepfunctions")
    try:
        if record["state"] == records.COMPLETED:
            sfn.send_task_success(
                taskToken=token,
                output=json.dumps(
                    {"prediction_id": record["prediction_id"], "output_location": record["output_location"]}
                ),
            )
        else:
            sfn.send_task_failure(taskToken=token, error="PredictionFailed", cause=str(record.get("error", ""))[:32768])
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code not in _GONE_TASK_ERRORS:
            raise
        return records.NOTIFY_FAILED, 1, f"{code}: the ensemble step no longer waits for this prediction"
    return records.NOTIFY_DELIVERED, 1, None

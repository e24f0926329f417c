"""Shape checks shared by the entry points: each bad field is refused by name, before any AWS call."""

from __future__ import annotations

import re
from typing import Any

from inference_gateway.errors import MalformedEvent

# Every prediction id the gateway issues (API records and ensemble steps) is 32 lowercase hex characters.
PREDICTION_ID = re.compile(r"^[0-9a-f]{32}$")


def require_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedEvent(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def require_string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"{where}: expected a non-empty string, got {value!r}"[:300])
    return value


def require_prediction_id(value: Any, where: str) -> str:
    """A gateway prediction id; anything else would reach DynamoDB as a bad key (or another record)."""
    if not isinstance(value, str) or not PREDICTION_ID.match(value):
        raise MalformedEvent(f"{where}: expected a prediction id (32 lowercase hex characters), got {value!r}"[:300])
    return value


def sqs_records(event: Any) -> list[tuple[str, Any]]:
    """(messageId, body) of each record of an SQS event.

    A record without a message id cannot be reported as that record's failure (SQS names failures by
    id), so such an event is refused whole, before any record is processed. A body that is not a string
    is left to the per-message handler, which refuses that record alone.
    """
    records = require_object(event, "event").get("Records")
    if not isinstance(records, list):
        raise MalformedEvent(f"event.Records: expected the list of an SQS event, got {type(records).__name__}")
    result = []
    for index, record in enumerate(records):
        message_id = record.get("messageId") if isinstance(record, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise MalformedEvent(f"event.Records[{index}].messageId: expected the SQS message id, got {message_id!r}")
        result.append((message_id, record.get("body")))
    return result


def message_body(body: Any, what: str) -> str:
    if not isinstance(body, str):
        raise MalformedEvent(f"{what}: the message body must be a string, got {type(body).__name__}")
    return body

"""Prediction records in DynamoDB: every state change is a conditional write, so handlers are idempotent.

States: awaiting_input -> invoking -> running -> completed | failed, and awaiting_input -> expired.
A record stays `invoking` between the claim of its input and the call to the service, so a
handler that dies there is retried by the queue and invokes again (at least once, never zero times).
Callbacks follow the same pattern with `notify_state`: pending -> delivered | failed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from sagemaker_platform.contracts.gateway import INPUT_PREFIX, OUTPUT_PREFIX

AWAITING_INPUT = "awaiting_input"
INVOKING = "invoking"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
EXPIRED = "expired"
TERMINAL = frozenset({COMPLETED, FAILED, EXPIRED})
IN_FLIGHT = (INVOKING, RUNNING)

NOTIFY_PENDING = "pending"
NOTIFY_DELIVERED = "delivered"
NOTIFY_FAILED = "failed"
NOTIFY_NONE = "none"


def child_id(parent_id: str, step: str) -> str:
    """Deterministic id of an ensemble step's intermediate prediction (a retried step finds the same record)."""
    return hashlib.sha256(f"{parent_id}/{step}".encode()).hexdigest()[:32]


def input_key(prediction_id: str) -> str:
    return f"{INPUT_PREFIX}{prediction_id}"


def output_key(prediction_id: str) -> str:
    return f"{OUTPUT_PREFIX}{prediction_id}"


class RecordStore:
    """The prediction table. Every method is one DynamoDB call."""

    def __init__(self, table: Any, clock: Callable[[], float]) -> None:
        self._table = table
        self._clock = clock

    def create(self, item: dict[str, Any]) -> bool:
        """Write a new record; False if one with that id exists already (nothing is overwritten)."""
        return self._conditional(
            lambda: self._table.put_item(Item=item, ConditionExpression=Attr("prediction_id").not_exists())
        )

    def get(self, prediction_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"prediction_id": prediction_id}, ConsistentRead=True).get("Item")
        return None if item is None else _plain(item)

    def transition(
        self,
        prediction_id: str,
        from_states: Iterable[str],
        to_state: str,
        *,
        condition: Any = None,
        **attributes: Any,
    ) -> bool:
        """Move the record to `to_state` if it is in one of `from_states` (and `condition` holds); False if not."""
        now = int(self._clock())
        values = {"state": to_state, "updated_at": now, **attributes}
        expected = Attr("state").is_in(list(from_states))
        if condition is not None:
            expected = expected & condition
        return self._update(prediction_id, values, expected)

    def set_fields(self, prediction_id: str, expected: Any, **attributes: Any) -> bool:
        """Set attributes if `expected` holds; False if not."""
        return self._update(prediction_id, {"updated_at": int(self._clock()), **attributes}, expected)

    def _update(self, prediction_id: str, values: dict[str, Any], expected: Any) -> bool:
        # Not #n/:v: boto3 names the placeholders of the condition expression so, and would overwrite these.
        names = {f"#f{i}": name for i, name in enumerate(values)}
        expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(values)))
        return self._conditional(
            lambda: self._table.update_item(
                Key={"prediction_id": prediction_id},
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={f":f{i}": value for i, value in enumerate(values.values())},
                ConditionExpression=expected & Attr("prediction_id").exists(),
            )
        )

    @staticmethod
    def _conditional(call: Callable[[], Any]) -> bool:
        try:
            call()
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints/floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value

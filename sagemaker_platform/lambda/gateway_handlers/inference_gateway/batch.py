"""SQS partial batch responses: a failed message is retried (then dead-lettered) alone, not its whole batch."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from inference_gateway.events import sqs_records

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


# Stop starting messages when less than this is left of the invocation: one message may call a
# real-time endpoint (60 s read timeout), and a timed-out invocation would return the whole batch.
TIME_MARGIN_MS = 65_000


def process(event: Any, handle: Callable[[Any], str], context: Any = None) -> dict[str, list[dict[str, str]]]:
    """Run `handle` on each message body; report the ids of the messages it raised on or did not reach.

    The event source mapping has `ReportBatchItemFailures`, so only those messages return to the queue
    and, after `maxReceiveCount` deliveries, to the dead-letter queue. Each failure is logged with its
    traceback: nothing is swallowed. Messages left when the invocation runs short of time (`context`)
    are reported too, so they come back instead of being cut off mid-call.
    """
    failures: list[dict[str, str]] = []
    for message_id, body in sqs_records(event):
        if context is not None and context.get_remaining_time_in_millis() < TIME_MARGIN_MS:
            logger.warning("message %s left for a later delivery: the invocation is running out of time", message_id)
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            outcome = handle(body)
        except Exception:
            logger.exception("message %s failed; it returns to the queue", message_id)
            failures.append({"itemIdentifier": message_id})
        else:
            logger.info(json.dumps({"message": message_id, "outcome": outcome}))
    return {"batchItemFailures": failures}

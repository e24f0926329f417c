"""Signed webhook calls with bounded retries.

Signature (the receiver recomputes it with the gateway's webhook secret):
``X-Gateway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``. Receivers should reject
old timestamps (replays) and dedupe on `prediction_id` (delivery is at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

SIGNATURE_HEADER = "X-Gateway-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_signed(
    url: str,
    payload: dict[str, Any],
    *,
    secret: str,
    attempts: int,
    backoff_seconds: float,
    timeout_seconds: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> tuple[bool, int, str | None]:
    """POST `payload`, retrying network errors, 429 and 5xx with exponential backoff: (ok, attempts, last error)."""
    body = json.dumps(payload, sort_keys=True).encode()
    error: str | None = None
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, int(clock()), body)},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
                response.read()
            return True, attempt, None
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code} from the webhook"
            if exc.code < 500 and exc.code != 429:
                return False, attempt, error  # the receiver refused it: retrying would not help
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            error = f"webhook unreachable: {exc}"
        if attempt < attempts:
            sleep(backoff_seconds * 2 ** (attempt - 1))
    return False, attempts, error

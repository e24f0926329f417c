"""Entry point of the inference gateway's Lambda functions.

The four functions (API, invoke, notify, ensemble step) share the prediction record and completion
logic, so they ship as one asset and `GATEWAY_FUNCTION` picks the entry point of each.
"""

from __future__ import annotations

import os
from typing import Any

from inference_gateway import api, invoke, notify, step
from inference_gateway.runtime import Runtime

_ENTRY_POINTS = {
    "api": api.handle,
    "invoke": invoke.handle_batch,
    "notify": notify.handle_batch,
    "step": step.handle,
}
_runtime: Runtime | None = None


def handler(event: dict[str, Any], context: Any) -> Any:
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_environment(os.environ)
    return _ENTRY_POINTS[os.environ["GATEWAY_FUNCTION"]](event, _runtime, context)

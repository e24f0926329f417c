"""Entry point of the inference gateway's Lambda functions.

The four functions (API, invoke, notify, ensemble step) share the prediction record and completion
logic, so they ship as one asset and `GATEWAY_FUNCTION` picks the entry point of each. Only that entry
point's modules are imported: the asset ships as source, and compiling the other three on every cold
start would cost more than boto3's own import budget allows.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from inference_gateway.runtime import Runtime

_ENTRY_POINTS = {
    "api": ("inference_gateway.api", "handle"),
    "invoke": ("inference_gateway.invoke", "handle_batch"),
    "notify": ("inference_gateway.notify", "handle_batch"),
    "step": ("inference_gateway.step", "handle"),
}
_runtime: Runtime | None = None


def entry_point(function: str) -> Callable[..., Any]:
    if function not in _ENTRY_POINTS:
        raise KeyError(f"GATEWAY_FUNCTION={function!r}: allowed: {', '.join(_ENTRY_POINTS)}")
    module, name = _ENTRY_POINTS[function]
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


if "GATEWAY_FUNCTION" in os.environ:  # in Lambda: import during the init phase, not the first request
    entry_point(os.environ["GATEWAY_FUNCTION"])


def handler(event: Any, context: Any) -> Any:
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_environment(os.environ)
    return entry_point(os.environ["GATEWAY_FUNCTION"])(event, _runtime, context)

"""A minimal handler used by the test suite to check `PlatformFunction` against the compliance gate."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"ok": True}

"""Reading registry templates: CloudFormation values as plain text, for readable assertions."""

from __future__ import annotations

import json
from typing import Any


def text(value: Any) -> str:
    """A template value as text: Fn::Join flattened, Ref and GetAtt as ``<name>``, Fn::Sub as its string."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(text(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    if isinstance(value, list):
        return json.dumps([text(item) for item in value])
    return json.dumps(value, sort_keys=True)


def texts(value: Any) -> list[str]:
    """Each item of a template list (or the one value) as text."""
    return [text(item) for item in (value if isinstance(value, list) else [value])]

"""Custom resource events of the CDK Provider framework, parsed into plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .exceptions import MalformedEventError

Kind = Literal["ProfileCleanup", "DomainTeardown", "Projects"]
KINDS: tuple[Kind, ...] = ("ProfileCleanup", "DomainTeardown", "Projects")
REQUEST_TYPES = ("Create", "Update", "Delete")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "ProfileCleanup": ("DomainId", "UserProfileNames"),
    "DomainTeardown": ("DomainId", "VpcId"),
    "Projects": ("PrincipalArns",),
}


@dataclass(frozen=True)
class Request:
    request_type: str
    kind: Kind
    properties: dict[str, Any]
    old_properties: dict[str, Any] = field(default_factory=dict)
    physical_id: str | None = None


def parse_request(event: Any) -> Request:
    """The request in `event`, or `MalformedEventError` naming what is missing or wrong."""
    if not isinstance(event, dict):
        raise MalformedEventError(f"event must be a JSON object, got {type(event).__name__}")
    request_type = event.get("RequestType")
    if request_type not in REQUEST_TYPES:
        raise MalformedEventError(f"RequestType={request_type!r}: allowed: {', '.join(REQUEST_TYPES)}")
    properties = event.get("ResourceProperties")
    if not isinstance(properties, dict):
        raise MalformedEventError("ResourceProperties: missing or not an object")
    kind = properties.get("Kind")
    if kind not in KINDS:
        raise MalformedEventError(f"ResourceProperties.Kind={kind!r}: allowed: {', '.join(KINDS)}")
    missing = [key for key in _REQUIRED[kind] if key not in properties]
    if missing:
        raise MalformedEventError(f"ResourceProperties of {kind}: missing {', '.join(missing)}")
    for key in ("UserProfileNames", "PrincipalArns"):
        value = properties.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise MalformedEventError(f"ResourceProperties.{key}: must be a list of strings, got {value!r}")
    old = event.get("OldResourceProperties") or {}
    if request_type == "Update" and not isinstance(old, dict):
        raise MalformedEventError("OldResourceProperties: not an object")
    physical_id = event.get("PhysicalResourceId")
    return Request(request_type, kind, properties, old, physical_id if isinstance(physical_id, str) else None)

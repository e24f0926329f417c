"""Custom resource events of the CDK Provider framework, parsed into plain data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from sagemaker_platform.contracts import names

from .errors import MalformedEventError

Kind = Literal["ProfileCleanup", "DomainTeardown", "Projects"]
KINDS: tuple[Kind, ...] = ("ProfileCleanup", "DomainTeardown", "Projects")
REQUEST_TYPES = ("Create", "Update", "Delete")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "ProfileCleanup": ("DomainId", "UserProfileNames"),
    "DomainTeardown": ("DomainId", "VpcId"),
    "Projects": ("PrincipalArns",),
}
# What each property must look like. A value that cannot name a real resource is refused: a teardown
# of a domain id that matches nothing would otherwise report complete with nothing cleaned up.
_PATTERNS: dict[str, re.Pattern[str]] = {
    "DomainId": re.compile(r"^d-(-*[a-z0-9]){1,61}$"),
    "VpcId": re.compile(r"^vpc-[0-9a-z]{1,64}$"),
    "HomeEfsFileSystemId": re.compile(r"^fs-[0-9a-f]{8,40}$"),
}
_LISTS: dict[str, re.Pattern[str]] = {
    "UserProfileNames": names.NAME_63_RE,
    "PrincipalArns": re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user|group)/\S{1,512}$"),
}
_OPTIONAL_EMPTY = frozenset({"HomeEfsFileSystemId"})  # "" means: no home file system known


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
    _check_values(properties, "ResourceProperties", required=_REQUIRED[kind])
    old = event.get("OldResourceProperties")
    if old is None:
        old = {}
    if not isinstance(old, dict):
        raise MalformedEventError("OldResourceProperties: not an object")
    _check_values(old, "OldResourceProperties", required=())
    physical_id = event.get("PhysicalResourceId")
    physical_id = physical_id if isinstance(physical_id, str) else None
    if kind == "DomainTeardown" and request_type == "Delete" and physical_id is not None:
        # The physical id was made from the domain this resource was created for; another DomainId
        # in the Delete would tear down (or, if it does not exist, pretend to tear down) the wrong domain.
        expected = f"{properties['DomainId']}/teardown"
        if physical_id != expected:
            raise MalformedEventError(
                f"ResourceProperties.DomainId={properties['DomainId']!r} does not match the domain of "
                f"PhysicalResourceId {physical_id!r}; refusing to report a teardown that cleaned nothing"
            )
    return Request(request_type, kind, properties, old, physical_id)


def _check_values(properties: dict[str, Any], where: str, *, required: tuple[str, ...]) -> None:
    """Each known property present must be well formed; a required one must not be null."""
    for key, pattern in _PATTERNS.items():
        if key not in properties:
            continue
        value = properties[key]
        if key in _OPTIONAL_EMPTY and value in (None, ""):
            continue
        if not (isinstance(value, str) and pattern.match(value)):
            raise MalformedEventError(f"{where}.{key}={value!r}: must match {pattern.pattern}"[:400])
    for key, pattern in _LISTS.items():
        if key not in properties:
            continue
        value = properties[key]
        if value is None and key not in required:
            continue
        if not isinstance(value, list) or not all(isinstance(item, str) and pattern.match(item) for item in value):
            raise MalformedEventError(
                f"{where}.{key}={value!r}: must be a list of strings matching {pattern.pattern}"[:400]
            )

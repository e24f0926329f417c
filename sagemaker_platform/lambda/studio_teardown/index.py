"""Entry point of the Studio lifecycle functions (CDK Provider framework onEvent / isComplete).

Both functions ship this folder; `STUDIO_TEARDOWN_PHASE` (`on_event` or `is_complete`) says which one
this is. Custom resource kinds (`ResourceProperties.Kind`):

- `ProfileCleanup` (one per profile shard): on Update, deletes the removed users' apps, private spaces
  and profiles, in that order, before CloudFormation drops them from the template.
- `DomainTeardown` (only with removal policy DESTROY): on Delete, deletes the domain's apps, spaces,
  profiles, the domain, its home EFS file system and SageMaker's two NFS security groups for it.
- `Projects`: enables the SageMaker Projects portfolio and shares it with the domain's execution roles.
"""

from __future__ import annotations

import os
from typing import Any

from studio_lifecycle.aws import StudioApi
from studio_lifecycle.errors import StudioLifecycleError
from studio_lifecycle.events import parse_request
from studio_lifecycle.handler import is_complete, on_event

PHASE_VARIABLE = "STUDIO_TEARDOWN_PHASE"
_api: StudioApi | None = None


def _studio_api() -> StudioApi:
    global _api
    if _api is None:
        _api = StudioApi()  # clients are created on first call
    return _api


def handler(event: Any, context: Any) -> dict[str, Any]:
    request = parse_request(event)
    phase = os.environ.get(PHASE_VARIABLE)
    if phase == "on_event":
        return on_event(request)
    if phase == "is_complete":
        return is_complete(request, _studio_api())
    raise StudioLifecycleError(f"{PHASE_VARIABLE}={phase!r}: allowed: on_event, is_complete")

"""onEvent and isComplete of the Provider framework: onEvent names the resource, isComplete does the work.

onEvent answers at once (CloudFormation learns the physical id); the framework then calls isComplete
right away and every query interval after, so all deletion work lives in the idempotent `advance_*` steps.
"""

from __future__ import annotations

from typing import Any

from . import steps
from .aws import StudioApi
from .events import Request


def physical_id(request: Request) -> str:
    """Stable across updates: a changed physical id would make CloudFormation send a Delete for the old one."""
    if request.physical_id and request.request_type != "Create":
        return request.physical_id
    props = request.properties
    if request.kind == "ProfileCleanup":
        return f"{props['DomainId']}/profile-cleanup"
    if request.kind == "DomainTeardown":
        return f"{props['DomainId']}/teardown"
    return "sagemaker-projects-portfolio"


def on_event(request: Request) -> dict[str, Any]:
    return {"PhysicalResourceId": physical_id(request)}


def is_complete(request: Request, api: StudioApi) -> dict[str, Any]:
    return {"IsComplete": advance(request, api)}


def advance(request: Request, api: StudioApi) -> bool:
    props, old = request.properties, request.old_properties
    if request.kind == "ProfileCleanup":
        if request.request_type != "Update" or old.get("DomainId") != props["DomainId"]:
            # Create: nothing to clean. Delete: the profiles are retained with the stack (RETAIN), or the
            # domain teardown deletes them (DESTROY). A changed domain: the old one is not ours to empty.
            return True
        removed = sorted(set(old.get("UserProfileNames") or []) - set(props["UserProfileNames"]))
        return steps.advance_profile_removal(api, props["DomainId"], removed)
    if request.kind == "DomainTeardown":
        if request.request_type != "Delete":
            return True
        return steps.advance_domain_teardown(
            api, props["DomainId"], props.get("HomeEfsFileSystemId") or None, props["VpcId"]
        )
    principals = props["PrincipalArns"]
    if request.request_type == "Delete":
        return steps.advance_projects_removal(api, principals)
    dropped = sorted(set(old.get("PrincipalArns") or []) - set(principals))
    return steps.advance_projects(api, principals, dropped)

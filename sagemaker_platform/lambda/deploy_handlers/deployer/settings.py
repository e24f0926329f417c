"""The function's settings, from the environment the construct renders."""

from __future__ import annotations

import os
from functools import cache

from deployer import aws
from deployer.errors import SettingsError
from deployer.events import GroupSettings, PackageEvent, parse_groups, parse_package_event


@cache
def groups() -> dict[str, GroupSettings]:
    return parse_groups(aws.json_setting("DEPLOY_GROUPS"))


def package_event(event: object, expected_status: str) -> PackageEvent:
    """Validate a model package state change against this pipeline's groups, region and registry account."""
    return parse_package_event(
        event,
        expected_status=expected_status,
        groups=groups(),
        region=region(),
        registry_account=registry_account(),
    )


def region() -> str:
    return aws.setting("AWS_REGION")


def registry_account() -> str:
    """The account whose model packages are deployed: `REGISTRY_ACCOUNT`, or else the pipeline's own account
    (never any account: a package shared from elsewhere must be named by the construct's `registry_account`)."""
    configured = os.environ.get("REGISTRY_ACCOUNT")
    if configured:
        return configured
    parts = aws.setting("TOPIC_ARN").split(":")
    if len(parts) < 6 or not parts[4].isdigit():
        raise SettingsError(f"TOPIC_ARN {':'.join(parts)!r} is not an ARN with an account")
    return parts[4]


def execution_arn(name: str) -> str:
    """The ARN Step Functions gives an execution of the pipeline's state machine named `name`."""
    state_machine = aws.setting("STATE_MACHINE_ARN")
    return state_machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def deployment_name(group: str, version: int, attempt: int) -> str:
    """Execution names are at most 80 characters of [A-Za-z0-9-_] and unique per state machine for 90 days."""
    return f"{group[:50]}-v{version}-{attempt}"


def rollback_name(group: str, rejected: int, previous: int, attempt: int) -> str:
    return f"rb-{group[:36]}-v{rejected}-to-v{previous}-{attempt}"

"""Target of the Rejected rule: stop the version's deployment and roll its endpoints back.

Rolling back starts the state machine for the newest older deployed version of the group, with no
manual approval, on staging only when the rejected version never reached prod.
"""

from __future__ import annotations

import os
from typing import Any

from deployer import aws, claims, notify, settings
from deployer.errors import AwsCallFailed
from deployer.events import PackageEvent
from deployer.start import event_detail, execution_input, start_execution


def handler(event: Any, context: Any) -> dict[str, Any]:
    package = settings.package_event(event, "Rejected")
    for target in os.environ.get("TRIGGER_TARGETS", "").split(","):
        if target:
            # A re-approval after this rejection triggers CI again.
            claims.transition(package.model_package_arn, target, claims.REJECTED, from_statuses=(claims.TRIGGERED,))
    current = claims.get(package.model_package_arn)
    if current is None or current.status not in claims.LIVE:
        return {"rolled_back": False, "reason": f"not live ({'never deployed' if current is None else current.status})"}
    return reject(package, current)


def reject(package: PackageEvent, current: claims.Deployment) -> dict[str, Any]:
    rollback = settings.groups()[package.group].rollback_on_reject
    # An older version rejected after a newer one went live is not on the endpoints: nothing to roll back.
    superseded = claims.newer_live(package.group, package.version)
    previous = claims.previous_deployed(package.group, package.version) if rollback and not superseded else None
    updated = claims.transition(
        package.model_package_arn,
        claims.DEPLOYMENT_TARGET,
        claims.REJECTED,
        attempt=current.attempt,
        from_statuses=claims.LIVE,
        bump_attempt=True,
    )
    if updated is None:
        return {"rolled_back": False, "reason": "the deployment changed meanwhile (a duplicate event)"}
    if current.status != claims.DEPLOYED:
        stop(settings.deployment_name(package.group, package.version, current.attempt))
    description = [f"Model package {package.model_package_arn} was rejected in the registry."]
    if previous is None:
        reason = (
            "rollback_on_reject is off"
            if not rollback
            else "a newer version is live"
            if superseded
            else "no older version of the group was deployed"
        )
        notify.notify(
            f"Rejected {package.group} v{package.version}: not rolled back",
            [*description, f"Not rolled back: {reason}; the endpoints keep the rejected version."],
        )
        return {"rolled_back": False, "reason": reason}
    attempt = int(updated["attempt"]["N"])
    payload = execution_input(
        kind="rollback",
        package_arn=previous.model_package_arn,
        group=package.group,
        version=previous.version,
        attempt=attempt,
        claim_arn=package.model_package_arn,
        execution_name=settings.rollback_name(package.group, package.version, previous.version, attempt),
        include_prod=current.status == claims.DEPLOYED,
        rolled_back_from=package.model_package_arn,
    )
    start_execution(payload)
    notify.emit(notify.STARTED, event_detail(payload))
    return {"rolled_back": True, "execution_name": payload["execution_name"], "to": previous.model_package_arn}


def stop(execution_name: str) -> None:
    """Stop the rejected version's execution; one that already ended is left alone."""
    try:
        aws.call(
            aws.client("stepfunctions"),
            "stop_execution",
            executionArn=settings.execution_arn(execution_name),
            error="Rejected",
            cause="the model package version was rejected in the registry",
        )
    except AwsCallFailed as exc:
        if exc.code != "ExecutionDoesNotExist":
            raise

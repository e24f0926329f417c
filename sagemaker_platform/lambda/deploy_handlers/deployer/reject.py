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
    if current is not None and _unfinished(current, package):
        return reject(package, current, resumed=True)
    if current is None or current.status not in claims.LIVE:
        return {"rolled_back": False, "reason": f"not live ({'never deployed' if current is None else current.status})"}
    return reject(package, current, resumed=False)


def _unfinished(current: claims.Deployment, package: PackageEvent) -> bool:
    """This event's rejection was recorded but its rollback not announced: Lambda's retry after a failure."""
    return (
        current.status == claims.REJECTED
        and current.claim_event == package.event_id
        and claims.ANNOUNCED not in current.markers
        and current.rejected_from is not None
    )


def reject(package: PackageEvent, current: claims.Deployment, *, resumed: bool) -> dict[str, Any]:
    """Record the rejection (a new attempt on the claim), stop its execution, roll back, announce once.

    Every step can run again: a retry of the same event (`resumed`) continues with the recorded attempt.
    """
    arn = package.model_package_arn
    rollback = settings.groups()[package.group].rollback_on_reject
    # An older version rejected after a newer one went live is not on the endpoints: nothing to roll back.
    superseded = claims.newer_live(package.group, package.version) is not None
    previous = claims.previous_deployed(package.group, package.version) if rollback and not superseded else None
    if resumed:
        attempt, rejected_from = current.attempt, str(current.rejected_from)
    else:
        recorded = _record_rejection(package, current)
        if recorded is None:
            return {"rolled_back": False, "reason": "the deployment changed meanwhile (a duplicate event)"}
        attempt, rejected_from = recorded
    if rejected_from != claims.DEPLOYED:
        stop(settings.deployment_name(package.group, package.version, attempt - 1))
    if previous is None:
        reason = (
            "rollback_on_reject is off"
            if not rollback
            else "a newer version is live"
            if superseded
            else "no older version of the group was deployed"
        )
        _announce_not_rolled_back(package, attempt, reason)
        return {"rolled_back": False, "reason": reason}
    payload = execution_input(
        kind="rollback",
        package_arn=previous.model_package_arn,
        group=package.group,
        version=previous.version,
        attempt=attempt,
        claim_arn=arn,
        execution_name=settings.rollback_name(package.group, package.version, previous.version, attempt),
        include_prod=rejected_from == claims.DEPLOYED,
        rolled_back_from=arn,
    )
    start_execution(payload)
    claims.once(
        arn,
        claims.DEPLOYMENT_TARGET,
        attempt,
        claims.ANNOUNCED,
        lambda: notify.emit(notify.STARTED, event_detail(payload)),
    )
    return {"rolled_back": True, "execution_name": payload["execution_name"], "to": previous.model_package_arn}


def _record_rejection(package: PackageEvent, current: claims.Deployment) -> tuple[int, str] | None:
    """Move the claim to REJECTED as a new attempt; (attempt, status rejected from), or None when the deployment
    changed meanwhile (a duplicate event won the conditional write)."""
    updated = claims.transition(
        package.model_package_arn,
        claims.DEPLOYMENT_TARGET,
        claims.REJECTED,
        attempt=current.attempt,
        from_statuses=claims.LIVE,
        bump_attempt=True,
        extra={"claim_event": package.event_id, "rejected_from": current.status},
    )
    if updated is None:
        return None
    return int(updated["attempt"]["N"]), current.status


def _announce_not_rolled_back(package: PackageEvent, attempt: int, reason: str) -> None:
    """Tell the team once that the endpoints keep the rejected version, and why."""
    arn = package.model_package_arn
    claims.once(
        arn,
        claims.DEPLOYMENT_TARGET,
        attempt,
        claims.ANNOUNCED,
        lambda: notify.notify(
            f"Rejected {package.group} v{package.version}: not rolled back",
            [
                f"Model package {arn} was rejected in the registry.",
                f"Not rolled back: {reason}; the endpoints keep the rejected version.",
            ],
        ),
    )


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

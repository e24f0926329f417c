"""The last step of every execution: record the outcome on the claim, emit the event, notify."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deployer import claims, notify
from deployer.errors import EventError
from deployer.events import parse_pipeline_step, require
from deployer.start import event_detail

OUTCOMES = ("succeeded", "failed")
# A rejection at the approval gate (send-task-failure) stops before prod and rolls nothing back: say so.
_STAGING_KEEPS = (
    "Rejected at the approval gate: prod is unchanged, and staging keeps this version (not rolled back) "
    "until another version is deployed. Rejecting in the registry instead rolls staging back.",
)


def handler(event: Any, context: Any) -> dict[str, Any]:
    outcome = require(event, "outcome", str, "")
    if outcome not in OUTCOMES:
        raise EventError("outcome", f"must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    step = parse_pipeline_step(require(event, "step", dict, ""))
    kind, claim_arn, attempt = step["kind"], step["claim_arn"], step["attempt"]
    if outcome == "succeeded":
        return succeeded(step, kind, claim_arn, attempt)
    error = step.get("error") or {}
    return failed(step, kind, claim_arn, attempt, str(error.get("Error", "Unknown")), str(error.get("Cause", "")))


def succeeded(step: dict[str, Any], kind: str, claim_arn: str, attempt: int) -> dict[str, Any]:
    if kind == "deploy":
        status, detail_type = claims.DEPLOYED, notify.SUCCEEDED
        from_statuses: tuple[str, ...] = (claims.DEPLOYING, claims.AWAITING_APPROVAL)
    else:
        status, detail_type, from_statuses = claims.ROLLED_BACK, notify.ROLLED_BACK, (claims.REJECTED,)
    recorded = claims.transition(
        claim_arn, claims.DEPLOYMENT_TARGET, status, attempt=attempt, from_statuses=from_statuses
    )
    subject = f"{detail_type}: {step['model_package_group']} v{step['version']}"
    announce(
        claim_arn,
        attempt,
        lambda: notify.emit(detail_type, event_detail(step) | {"status": status}),
        lambda: notify.notify(subject, [f"{detail_type}.", "", *notify.describe(step)]),
    )
    return {"status": status, "recorded": recorded is not None}


def failed(step: dict[str, Any], kind: str, claim_arn: str, attempt: int, error: str, cause: str) -> dict[str, Any]:
    """Every failure ends here: the claim is released (so a re-approval deploys again) and people are told.

    A failure reported for an attempt already recorded DEPLOYED (a late or repeated step) changes nothing.
    """
    status = claims.REJECTED if kind == "rollback" else claims.FAILED
    if kind == "deploy" and error == "Superseded":
        status = claims.SUPERSEDED
    elif kind == "deploy" and error == "Rejected":
        status = claims.REJECTED
    recorded = None
    if kind == "deploy":
        recorded = claims.transition(
            claim_arn,
            claims.DEPLOYMENT_TARGET,
            status,
            attempt=attempt,
            from_statuses=(claims.DEPLOYING, claims.AWAITING_APPROVAL),
        )
        if recorded is None:
            current = claims.get(claim_arn)
            if current is not None and current.attempt == attempt and current.status == claims.DEPLOYED:
                return {"status": claims.DEPLOYED, "recorded": False, "ignored": f"{error} after the deployment ended"}
    announce(
        claim_arn,
        attempt,
        lambda: notify.emit(
            notify.FAILED, event_detail(step) | {"status": status, "error": error, "cause": cause[:2000]}
        ),
        lambda: notify.notify(
            f"{notify.FAILED} ({error}): {step['model_package_group']} v{step['version']}",
            [
                f"The {kind} stopped at an error; nothing further was deployed.",
                *(_STAGING_KEEPS if kind == "deploy" and error == "Rejected" else ()),
                "",
                *notify.describe(step),
                f"Error: {error}",
                f"Cause: {cause[:4000]}",
            ],
        ),
    )
    return {"status": status, "recorded": recorded is not None}


def announce(claim_arn: str, attempt: int, event: Callable[[], None], notification: Callable[[], None]) -> None:
    """The outcome's event and notification, each once per attempt of the claim (a retried step repeats neither)."""
    claims.once(claim_arn, claims.DEPLOYMENT_TARGET, attempt, "recorded_event", event)
    claims.once(claim_arn, claims.DEPLOYMENT_TARGET, attempt, "recorded_notification", notification)

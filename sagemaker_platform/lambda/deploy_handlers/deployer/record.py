"""The last step of every execution: record the outcome on the claim, emit the event, notify."""

from __future__ import annotations

from typing import Any

from deployer import claims, notify
from deployer.errors import EventError
from deployer.events import require
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
    step = require(event, "step", dict, "")
    kind = require(step, "kind", str, "step")
    if kind not in ("deploy", "rollback"):
        raise EventError("step.kind", f"must be deploy or rollback, got {kind!r}")
    claim_arn = require(step, "claim_arn", str, "step")
    attempt = require(step, "attempt", int, "step")
    for key in ("model_package_arn", "model_package_group", "execution_name"):
        require(step, key, str, "step")
    require(step, "version", int, "step")
    require(step, "endpoints", list, "step")
    if outcome == "succeeded":
        return succeeded(step, kind, claim_arn, attempt)
    error = step.get("error") if isinstance(step.get("error"), dict) else {}
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
    notify.emit(detail_type, event_detail(step) | {"status": status})
    subject = f"{detail_type}: {step['model_package_group']} v{step['version']}"
    notify.notify(subject, [f"{detail_type}.", "", *notify.describe(step)])
    return {"status": status, "recorded": recorded is not None}


def failed(step: dict[str, Any], kind: str, claim_arn: str, attempt: int, error: str, cause: str) -> dict[str, Any]:
    """Every failure ends here: the claim is released (so a re-approval deploys again) and people are told."""
    status = claims.REJECTED if kind == "rollback" else claims.FAILED
    if kind == "deploy" and error == "Superseded":
        status = claims.SUPERSEDED
    elif kind == "deploy" and error == "Rejected":
        status = claims.REJECTED
    recorded = None
    if kind == "deploy":
        recorded = claims.transition(
            claim_arn, claims.DEPLOYMENT_TARGET, status, attempt=attempt, from_statuses=claims.LIVE
        )
    notify.emit(notify.FAILED, event_detail(step) | {"status": status, "error": error, "cause": cause[:2000]})
    notify.notify(
        f"{notify.FAILED} ({error}): {step['model_package_group']} v{step['version']}",
        [
            f"The {kind} stopped at an error; nothing further was deployed.",
            *(_STAGING_KEEPS if kind == "deploy" and error == "Rejected" else ()),
            "",
            *notify.describe(step),
            f"Error: {error}",
            f"Cause: {cause[:4000]}",
        ],
    )
    return {"status": status, "recorded": recorded is not None}

"""Target of the Approved rule: claim the version once, then start the deployment or trigger CI.

`DEPLOY_TARGET` picks what the function starts: the Step Functions deployment (`state-machine`), a
GitLab pipeline (`gitlab`) or an Airflow DAG on MWAA (`mwaa`); each has its own claim on the version.
"""

from __future__ import annotations

import json
from typing import Any

from deployer import aws, claims, notify, settings, triggers
from deployer.errors import AwsCallFailed, SettingsError
from deployer.events import PackageEvent, smoke_test_input

TARGETS = ("state-machine", "gitlab", "mwaa")


def handler(event: Any, context: Any) -> dict[str, Any]:
    package = settings.package_event(event, "Approved")
    target = aws.setting("DEPLOY_TARGET")
    if target not in TARGETS:
        raise SettingsError(f"DEPLOY_TARGET must be one of {', '.join(TARGETS)}, got {target!r}")
    if target == "state-machine":
        return start_deployment(package)
    return trigger(package, target)


def execution_input(
    *,
    kind: str,
    package_arn: str,
    group: str,
    version: int,
    attempt: int,
    claim_arn: str,
    execution_name: str,
    include_prod: bool = True,
    rolled_back_from: str | None = None,
) -> dict[str, Any]:
    """The state machine's input: what to deploy where, and which claim records the outcome."""
    settings_of_group = settings.groups()[group]
    return {
        "kind": kind,
        "model_package_arn": package_arn,
        "model_package_group": group,
        "version": version,
        "attempt": attempt,
        "claim_arn": claim_arn,
        "execution_name": execution_name,
        "endpoints": [
            {"endpoint": endpoint, "smoke_test": smoke_test_input(settings_of_group.smoke_test)}
            for endpoint in settings_of_group.endpoints
        ],
        "include_prod": include_prod,
        "rolled_back_from": rolled_back_from,
    }


def start_deployment(package: PackageEvent) -> dict[str, Any]:
    """Claim, supersede older waits, start, announce: each step repeatable, so Lambda's retry completes it."""
    arn, target = package.model_package_arn, claims.DEPLOYMENT_TARGET
    attempt = claims.claim(package, target)
    if attempt is None:
        return {"started": False, "reason": "duplicate or replay: this version is live, or the event predates its end"}
    newer = claims.newer_live(package.group, package.version)
    if newer is not None:
        return refuse_older(package, attempt, newer)
    superseded = supersede_older(package)
    payload = execution_input(
        kind="deploy",
        package_arn=arn,
        group=package.group,
        version=package.version,
        attempt=attempt,
        claim_arn=arn,
        execution_name=settings.deployment_name(package.group, package.version, attempt),
    )
    # The execution name is the attempt's: a retry that starts it again finds it (ExecutionAlreadyExists).
    start_execution(payload)
    claims.once(arn, target, attempt, claims.ANNOUNCED, lambda: notify.emit(notify.STARTED, event_detail(payload)))
    return {"started": True, "execution_name": payload["execution_name"], "superseded": superseded}


def refuse_older(package: PackageEvent, attempt: int, newer: claims.Deployment) -> dict[str, Any]:
    """An approval older than the version live or deploying changes no endpoint; the claim ends SUPERSEDED."""
    reason = f"older than v{newer.version} of {package.group}, which is {newer.status}: the endpoints keep it"
    claims.once(
        package.model_package_arn,
        claims.DEPLOYMENT_TARGET,
        attempt,
        claims.ANNOUNCED,
        lambda: notify.notify(
            f"Not deployed: {package.group} v{package.version} is older than the live v{newer.version}",
            [
                f"Model package {package.model_package_arn} was approved, but it is {reason}.",
                "Approve a newer version, or reject the newer one to roll back to this one.",
            ],
        ),
        status=claims.SUPERSEDED,
        status_before=claims.DEPLOYING,
    )
    return {"started": False, "reason": reason}


def start_execution(payload: dict[str, Any]) -> None:
    """Start the state machine; a name already used with this input (a retried call) counts as started."""
    try:
        aws.call(
            aws.client("stepfunctions"),
            "start_execution",
            stateMachineArn=aws.setting("STATE_MACHINE_ARN"),
            name=payload["execution_name"],
            input=json.dumps(payload, sort_keys=True),
        )
    except AwsCallFailed as exc:
        if exc.code != "ExecutionAlreadyExists":
            raise


def supersede_older(package: PackageEvent) -> list[str]:
    """Fail the manual-approval wait of every older version of the group; the arns superseded."""
    superseded = []
    for older in claims.older_waiting(package.group, package.version):
        if older.task_token is not None:
            fail_task(older.task_token, "Superseded", f"version {package.version} of {package.group} was approved")
        superseded.append(older.model_package_arn)
    return superseded


def fail_task(token: str, error: str, cause: str) -> None:
    """Fail a waiting task; one that already ended (approved, timed out, failed) is left as it is."""
    try:
        aws.call(aws.client("stepfunctions"), "send_task_failure", taskToken=token, error=error, cause=cause)
    except AwsCallFailed as exc:
        if exc.code not in ("TaskDoesNotExist", "TaskTimedOut", "InvalidToken"):
            raise


def trigger(package: PackageEvent, target: str) -> dict[str, Any]:
    """Claim, then trigger CI once: the marker is set before the call and removed if it fails (Lambda retries)."""
    arn = package.model_package_arn
    attempt = claims.claim(package, target)
    if attempt is None:
        return {"started": False, "reason": f"duplicate: {target} was already triggered for this version"}
    runs: list[str] = []

    def run() -> None:
        trigger_run = triggers.gitlab_pipeline if target == "gitlab" else triggers.mwaa_dag
        runs.append(trigger_run(package, attempt))

    if not claims.once(arn, target, attempt, claims.ANNOUNCED, run):
        return {"started": False, "reason": f"duplicate: {target} was already triggered for this version"}
    return {"started": True, "target": target, "run": runs[0]}


def event_detail(payload: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "model_package_arn", "model_package_group", "version", "execution_name")
    return {key: payload[key] for key in keys} | {
        "rolled_back_from": payload.get("rolled_back_from"),
        "endpoints": [item["endpoint"] for item in payload["endpoints"]],
    }

"""Target of the Approved rule: claim the version once, then start the deployment or trigger CI.

`DEPLOY_TARGET` picks what the function starts: the Step Functions deployment (`state-machine`), a
GitLab pipeline (`gitlab`) or an Airflow DAG on MWAA (`mwaa`); each has its own claim on the version.
"""

from __future__ import annotations

import json
from typing import Any

from deployer import aws, claims, notify, settings, triggers
from deployer.errors import AwsCallFailed, DeployError, SettingsError
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
    attempt = claims.claim(
        package.model_package_arn,
        claims.DEPLOYMENT_TARGET,
        event_time=package.time,
        group=package.group,
        version=package.version,
    )
    if attempt is None:
        return {"started": False, "reason": "duplicate or replay: this version is live, or the event predates its end"}
    superseded = supersede_older(package)
    payload = execution_input(
        kind="deploy",
        package_arn=package.model_package_arn,
        group=package.group,
        version=package.version,
        attempt=attempt,
        claim_arn=package.model_package_arn,
        execution_name=settings.deployment_name(package.group, package.version, attempt),
    )
    try:
        start_execution(payload)
    except DeployError:
        # Release the claim so that EventBridge's retry (or a re-approval) can start it again.
        claims.transition(package.model_package_arn, claims.DEPLOYMENT_TARGET, claims.FAILED, attempt=attempt)
        raise
    notify.emit(notify.STARTED, event_detail(payload))
    return {"started": True, "execution_name": payload["execution_name"], "superseded": superseded}


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
    attempt = claims.claim(package.model_package_arn, target, event_time=package.time)
    if attempt is None:
        return {"started": False, "reason": f"duplicate: {target} was already triggered for this version"}
    try:
        run_id = (
            triggers.gitlab_pipeline(package, attempt) if target == "gitlab" else triggers.mwaa_dag(package, attempt)
        )
    except DeployError:
        claims.transition(package.model_package_arn, target, claims.FAILED, attempt=attempt)
        raise
    return {"started": True, "target": target, "run": run_id}


def event_detail(payload: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "model_package_arn", "model_package_group", "version", "execution_name", "rolled_back_from")
    return {key: payload[key] for key in keys} | {"endpoints": [item["endpoint"] for item in payload["endpoints"]]}

"""The deployments table: one item per (model package ARN, target), claimed with a conditional write.

A claim succeeds for a version never seen, or one whose last deployment ended without it being live
(failed, superseded, rejected, rolled back). A duplicate or replayed Approved event for a version that
is deploying, waiting for approval or deployed fails the condition and starts nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from deployer import aws
from deployer.errors import AwsCallFailed
from deployer.events import TIME_FORMAT

DEPLOYING = "DEPLOYING"
AWAITING_APPROVAL = "AWAITING_APPROVAL"
DEPLOYED = "DEPLOYED"
FAILED = "FAILED"
SUPERSEDED = "SUPERSEDED"
REJECTED = "REJECTED"
ROLLED_BACK = "ROLLED_BACK"
TRIGGERED = "TRIGGERED"
RESTARTABLE = (FAILED, SUPERSEDED, REJECTED, ROLLED_BACK)
LIVE = (DEPLOYING, AWAITING_APPROVAL, DEPLOYED)

DEPLOYMENT_TARGET = "deployment"
GROUP_INDEX = "by-group"


class Deployment(NamedTuple):
    model_package_arn: str
    group: str
    version: int
    status: str
    attempt: int
    task_token: str | None


def now() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


def _table() -> tuple[Any, str]:
    return aws.client("dynamodb"), aws.setting("DEPLOYMENTS_TABLE")


def _key(arn: str, target: str) -> dict[str, Any]:
    return {"model_package_arn": {"S": arn}, "target": {"S": target}}


def claim(
    arn: str, target: str, *, event_time: str, group: str | None = None, version: int | None = None
) -> int | None:
    """Claim `arn` for `target`; the attempt number, or None for a duplicate or a replay.

    A duplicate: the version is live. A replay: the event is older than the claim's last change (an
    archived or retried Approved event of a deployment that has since failed), unlike a re-approval.
    """
    api, table = _table()
    names = {"#status": "status", "#pk": "model_package_arn"}
    values: dict[str, Any] = {
        ":new": {"S": DEPLOYING if target == DEPLOYMENT_TARGET else TRIGGERED},
        ":now": {"S": now()},
        ":event_time": {"S": event_time},
        ":one": {"N": "1"},
        **{f":r{index}": {"S": status} for index, status in enumerate(RESTARTABLE)},
    }
    update = "SET #status = :new, updated_at = :now REMOVE task_token ADD attempt :one"
    if group is not None and version is not None:
        update = "SET #status = :new, updated_at = :now, model_package_group = :group, package_version = :version "
        update += "REMOVE task_token ADD attempt :one"
        values |= {":group": {"S": group}, ":version": {"N": str(version)}}
    restartable = ", ".join(f":r{index}" for index in range(len(RESTARTABLE)))
    item = _conditional_update(
        api,
        TableName=table,
        Key=_key(arn, target),
        UpdateExpression=update,
        ConditionExpression=f"attribute_not_exists(#pk) OR (#status IN ({restartable}) AND updated_at <= :event_time)",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    if item is None:
        return None
    return int(item["attempt"]["N"])


def transition(
    arn: str,
    target: str,
    status: str,
    *,
    attempt: int | None = None,
    from_statuses: tuple[str, ...] | None = None,
    task_token: str | None = None,
    bump_attempt: bool = False,
) -> dict[str, Any] | None:
    """Set the status of an existing claim if it is still `attempt` and in `from_statuses`; the new item or None."""
    api, table = _table()
    names = {"#status": "status", "#pk": "model_package_arn"}
    values: dict[str, Any] = {":status": {"S": status}, ":now": {"S": now()}}
    sets = ["#status = :status", "updated_at = :now"]
    conditions = ["attribute_exists(#pk)"]
    if task_token is not None:
        sets.append("task_token = :token")
        values[":token"] = {"S": task_token}
    if attempt is not None:
        conditions.append("attempt = :attempt")
        values[":attempt"] = {"N": str(attempt)}
    if from_statuses:
        conditions.append(f"#status IN ({', '.join(f':f{i}' for i in range(len(from_statuses)))})")
        values |= {f":f{i}": {"S": value} for i, value in enumerate(from_statuses)}
    update = "SET " + ", ".join(sets) + ("" if task_token is not None else " REMOVE task_token")
    if bump_attempt:
        update += " ADD attempt :one"
        values[":one"] = {"N": "1"}
    return _conditional_update(
        api,
        TableName=table,
        Key=_key(arn, target),
        UpdateExpression=update,
        ConditionExpression=" AND ".join(conditions),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def _conditional_update(api: Any, **request: Any) -> dict[str, Any] | None:
    """UpdateItem returning the new item, or None when the condition does not hold."""
    try:
        return aws.call(api, "update_item", ReturnValues="ALL_NEW", **request)["Attributes"]
    except AwsCallFailed as exc:
        if exc.code == "ConditionalCheckFailedException":
            return None
        raise


def get(arn: str, target: str = DEPLOYMENT_TARGET) -> Deployment | None:
    api, table = _table()
    item = aws.call(api, "get_item", TableName=table, Key=_key(arn, target), ConsistentRead=True).get("Item")
    return None if item is None else _deployment(item)


def _deployment(item: dict[str, Any]) -> Deployment:
    return Deployment(
        model_package_arn=item["model_package_arn"]["S"],
        group=item.get("model_package_group", {}).get("S", ""),
        version=int(item.get("package_version", {}).get("N", "0")),
        status=item["status"]["S"],
        attempt=int(item.get("attempt", {}).get("N", "0")),
        task_token=item.get("task_token", {}).get("S"),
    )


def _by_group(group: str, version: int, *, newer: bool, statuses: tuple[str, ...]) -> Iterator[Deployment]:
    """Deployments of `group` older (newest first) or newer than `version`, in one of `statuses`."""
    api, table = _table()
    params: dict[str, Any] = {
        "TableName": table,
        "IndexName": GROUP_INDEX,
        "KeyConditionExpression": f"model_package_group = :group AND package_version {'>' if newer else '<'} :version",
        "FilterExpression": f"#status IN ({', '.join(f':s{i}' for i in range(len(statuses)))})",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {
            ":group": {"S": group},
            ":version": {"N": str(version)},
            **{f":s{i}": {"S": status} for i, status in enumerate(statuses)},
        },
        "ScanIndexForward": newer,
    }
    while True:
        page = aws.call(api, "query", **params)
        yield from (_deployment(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def older_waiting(group: str, version: int) -> list[Deployment]:
    """Older versions of `group` waiting for manual approval (to be superseded)."""
    return list(_by_group(group, version, newer=False, statuses=(AWAITING_APPROVAL,)))


def newer_live(group: str, version: int) -> bool:
    """Whether a newer version of `group` is deploying, waiting for approval or deployed."""
    return next(_by_group(group, version, newer=True, statuses=LIVE), None) is not None


def previous_deployed(group: str, version: int) -> Deployment | None:
    """The newest deployed version of `group` older than `version` (what a rejection rolls back to)."""
    return next(_by_group(group, version, newer=False, statuses=(DEPLOYED,)), None)

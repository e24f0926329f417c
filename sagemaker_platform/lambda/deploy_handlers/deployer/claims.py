"""The deployments table: one item per (model package ARN, target), claimed with a conditional write.

A claim succeeds for a version never seen, or one whose last deployment ended without it being live
(failed, superseded, rejected, rolled back). A duplicate or replayed Approved event for a version that
is deploying, waiting for approval or deployed fails the condition and starts nothing.

Every side effect that must happen once per attempt (the start announcement, the recorded outcome's
event and notification) is guarded by a marker on the claim: `once` sets the marker first and removes it
again when the effect fails, so the platform's retry of the same event or step does it, exactly once.
The claim remembers the event that took it (`claim_event`): a retry of that event resumes the attempt
(same execution name, so a start that did happen is not repeated) until its start was announced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from deployer import aws
from deployer.errors import AwsCallFailed
from deployer.events import TIME_FORMAT, PackageEvent

DEPLOYING = "DEPLOYING"
AWAITING_APPROVAL = "AWAITING_APPROVAL"
DEPLOYED = "DEPLOYED"
FAILED = "FAILED"
SUPERSEDED = "SUPERSEDED"
REJECTED = "REJECTED"
ROLLED_BACK = "ROLLED_BACK"
TRIGGERED = "TRIGGERED"
ANNOUNCED = "announced"
"""The marker of an attempt whose start (or rollback, or CI trigger) was made and announced."""
MARKERS = (ANNOUNCED, "recorded_event", "recorded_notification")
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
    claim_event: str | None = None
    markers: frozenset[str] = frozenset()
    rejected_from: str | None = None


def now() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


def _table() -> tuple[Any, str]:
    return aws.client("dynamodb"), aws.setting("DEPLOYMENTS_TABLE")


def _key(arn: str, target: str) -> dict[str, Any]:
    return {"model_package_arn": {"S": arn}, "target": {"S": target}}


def claim(package: PackageEvent, target: str) -> int | None:
    """Claim the package for `target`, or resume this event's unannounced claim; the attempt, or None for a duplicate.

    A duplicate: the version is live. A replay: the event is older than the claim's last change (an
    archived Approved event of a deployment that has since failed), unlike a re-approval. A re-approval
    also takes over a claim whose start never got through (the first event ended in the dead-letter queue).
    A deployment's claim (`DEPLOYMENT_TARGET`) also records the package's group and version (`newer_live`).
    """
    arn, event_time = package.model_package_arn, package.time
    api, table = _table()
    names = {"#status": "status", "#pk": "model_package_arn", "#announced": ANNOUNCED}
    new_status = DEPLOYING if target == DEPLOYMENT_TARGET else TRIGGERED
    values: dict[str, Any] = {
        ":new": {"S": new_status},
        ":now": {"S": now()},
        ":event_time": {"S": event_time},
        ":event": {"S": package.event_id},
        ":one": {"N": "1"},
        **{f":r{index}": {"S": status} for index, status in enumerate(RESTARTABLE)},
    }
    sets = "SET #status = :new, updated_at = :now, claim_event = :event"
    if target == DEPLOYMENT_TARGET:
        sets += ", model_package_group = :group, package_version = :version"
        values |= {":group": {"S": package.group}, ":version": {"N": str(package.version)}}
    removed = ", ".join(["task_token", "rejected_from", *MARKERS])
    restartable = ", ".join(f":r{index}" for index in range(len(RESTARTABLE)))
    item = _conditional_update(
        api,
        TableName=table,
        Key=_key(arn, target),
        UpdateExpression=f"{sets} REMOVE {removed} ADD attempt :one",
        ConditionExpression=(
            f"attribute_not_exists(#pk) OR (#status IN ({restartable}) AND updated_at <= :event_time)"
            " OR (#status = :new AND attribute_not_exists(#announced) AND claim_event <> :event"
            " AND updated_at <= :event_time)"
        ),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    if item is None:
        # The same event again (Lambda's retry after a failure): resume its attempt if not yet announced.
        item = _conditional_update(
            api,
            TableName=table,
            Key=_key(arn, target),
            UpdateExpression="SET updated_at = :now",
            ConditionExpression="#status = :new AND claim_event = :event AND attribute_not_exists(#announced)",
            ExpressionAttributeNames={"#status": "status", "#announced": ANNOUNCED},
            ExpressionAttributeValues={":new": values[":new"], ":now": values[":now"], ":event": values[":event"]},
        )
    if item is None:
        return None
    return int(item["attempt"]["N"])


def once(
    arn: str,
    target: str,
    attempt: int,
    marker: str,
    action: Callable[[], object],
    *,
    status: str | None = None,
    status_before: str | None = None,
) -> bool:
    """Run `action` once for this attempt of the claim: whether it ran now (False: done before, or not this attempt).

    The marker (and `status`, if given) is written first; if `action` fails, it is removed again (and the
    status set back to `status_before`) so that the retry runs it. A failure of that undo leaves the effect
    unannounced, never announced twice.
    """
    api, table = _table()
    values: dict[str, Any] = {":attempt": {"N": str(attempt)}, ":true": {"BOOL": True}, ":now": {"S": now()}}
    names = {"#marker": marker}
    sets = ["#marker = :true", "updated_at = :now"]
    if status is not None:
        sets.append("#status = :status")
        names["#status"] = "status"
        values[":status"] = {"S": status}
    marked = _conditional_update(
        api,
        TableName=table,
        Key=_key(arn, target),
        UpdateExpression="SET " + ", ".join(sets),
        ConditionExpression="attempt = :attempt AND attribute_not_exists(#marker)",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    if marked is None:
        return False
    try:
        action()
    except Exception:
        undo_values: dict[str, Any] = {":attempt": {"N": str(attempt)}}
        update = "REMOVE #marker"
        undo_names = {"#marker": marker}
        if status_before is not None:
            update = "SET #status = :before " + update
            undo_names["#status"] = "status"
            undo_values[":before"] = {"S": status_before}
        _conditional_update(
            api,
            TableName=table,
            Key=_key(arn, target),
            UpdateExpression=update,
            ConditionExpression="attempt = :attempt",
            ExpressionAttributeNames=undo_names,
            ExpressionAttributeValues=undo_values,
        )
        raise
    return True


def transition(
    arn: str,
    target: str,
    status: str,
    *,
    attempt: int | None = None,
    from_statuses: tuple[str, ...] | None = None,
    task_token: str | None = None,
    bump_attempt: bool = False,
    extra: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """Set the status of an existing claim if it is still `attempt` and in `from_statuses`; the new item or None.

    `bump_attempt` starts a new attempt on the claim (a rollback): its markers are cleared. `extra` sets more
    string attributes.
    """
    api, table = _table()
    names = {"#status": "status", "#pk": "model_package_arn"}
    values: dict[str, Any] = {":status": {"S": status}, ":now": {"S": now()}}
    sets = ["#status = :status", "updated_at = :now"]
    for index, (name, value) in enumerate(sorted((extra or {}).items())):
        sets.append(f"{name} = :x{index}")
        values[f":x{index}"] = {"S": value}
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
    removed = ([] if task_token is not None else ["task_token"]) + (list(MARKERS) if bump_attempt else [])
    update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removed) if removed else "")
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
        claim_event=item.get("claim_event", {}).get("S"),
        markers=frozenset(marker for marker in MARKERS if marker in item),
        rejected_from=item.get("rejected_from", {}).get("S"),
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


def newer_live(group: str, version: int) -> Deployment | None:
    """The oldest newer version of `group` deploying, waiting for approval or deployed, if any."""
    return next(_by_group(group, version, newer=True, statuses=LIVE), None)


def previous_deployed(group: str, version: int) -> Deployment | None:
    """The newest deployed version of `group` older than `version` (what a rejection rolls back to)."""
    return next(_by_group(group, version, newer=False, statuses=(DEPLOYED,)), None)

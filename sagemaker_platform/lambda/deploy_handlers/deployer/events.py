"""Parsing and validation of the events and step inputs the handlers receive. No AWS calls here."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

from deployer.errors import EventError, UnknownGroup

DETAIL_TYPE = "SageMaker Model Package State Change"
SOURCE = "aws.sagemaker"
# arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>
MODEL_PACKAGE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9]\d{0,9})$"
)
STAGES = ("staging", "prod")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class SmokeTest(NamedTuple):
    payload: str
    content_type: str
    accept: str | None
    target_model: str | None
    expect_contains: str | None


class GroupSettings(NamedTuple):
    """What the pipeline does for one model package group (rendered by the construct into `DEPLOY_GROUPS`)."""

    endpoints: tuple[str, ...]
    smoke_test: SmokeTest | None
    rollback_on_reject: bool


class PackageEvent(NamedTuple):
    """A validated 'SageMaker Model Package State Change' event."""

    model_package_arn: str
    group: str
    version: int
    status: str
    region: str
    account: str
    time: str
    """When SageMaker emitted the event, UTC, `YYYY-MM-DDTHH:MM:SSZ` (a replay keeps the original time)."""
    event_id: str
    """EventBridge's `id` of the event (a retry of the same delivery keeps it); the time when absent."""


def require(mapping: Any, key: str, kind: type | tuple[type, ...], path: str) -> Any:
    """`mapping[key]`, which must be of `kind`; an `EventError` naming `path.key` otherwise."""
    field = f"{path}.{key}" if path else key
    if not isinstance(mapping, dict):
        raise EventError(path or "event", f"must be an object, got {type(mapping).__name__}")
    if key not in mapping or mapping[key] is None:
        raise EventError(field, "is missing")
    value = mapping[key]
    if isinstance(value, bool) and kind is not bool:
        raise EventError(field, f"must be {_kind_name(kind)}, got bool")
    if not isinstance(value, kind):
        raise EventError(field, f"must be {_kind_name(kind)}, got {type(value).__name__}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(
        {"str": "a string", "dict": "an object", "int": "an integer", "list": "a list"}.get(k.__name__, k.__name__)
        for k in kinds
    )


def parse_package_event(
    event: Any, *, expected_status: str, groups: dict[str, GroupSettings], region: str, registry_account: str | None
) -> PackageEvent:
    """Validate a model package state change; raises `EventError` naming the first bad field."""
    source = require(event, "source", str, "")
    if source != SOURCE:
        raise EventError("source", f"must be {SOURCE!r}, got {source!r}")
    detail_type = require(event, "detail-type", str, "")
    if detail_type != DETAIL_TYPE:
        raise EventError("detail-type", f"must be {DETAIL_TYPE!r}, got {detail_type!r}")
    detail = require(event, "detail", dict, "")
    group = require(detail, "ModelPackageGroupName", str, "detail")
    arn = require(detail, "ModelPackageArn", str, "detail")
    status = require(detail, "ModelApprovalStatus", str, "detail")
    if status != expected_status:
        raise EventError("detail.ModelApprovalStatus", f"must be {expected_status!r}, got {status!r}")
    if group not in groups:
        raise UnknownGroup(
            "detail.ModelPackageGroupName", f"{group!r} is not configured; configured: {', '.join(sorted(groups))}"
        )
    match = MODEL_PACKAGE_ARN.match(arn)
    if match is None:
        raise EventError("detail.ModelPackageArn", f"{arn!r} is not a versioned model package ARN")
    if match["region"] != region:
        raise EventError(
            "detail.ModelPackageArn", f"is in region {match['region']}, the pipeline deploys from {region}"
        )
    if registry_account is not None and match["account"] != registry_account:
        raise EventError(
            "detail.ModelPackageArn", f"is in account {match['account']}, not the registry account {registry_account}"
        )
    if match["group"] != group:
        raise EventError("detail.ModelPackageArn", f"belongs to group {match['group']!r}, not {group!r}")
    return PackageEvent(
        model_package_arn=arn,
        group=group,
        version=int(match["version"]),
        status=status,
        region=match["region"],
        account=match["account"],
        time=(time := parse_time(event)),
        event_id=_event_id(event, time),
    )


def _event_id(event: dict[str, Any], time: str) -> str:
    if event.get("id") is None:
        return f"time:{time}"
    value = require(event, "id", str, "")
    if not value or len(value) > 128:
        raise EventError("id", f"must be a non-empty string of at most 128 characters, got {value!r}")
    return str(value)


def parse_time(event: dict[str, Any]) -> str:
    """The event's `time`, normalized to UTC `YYYY-MM-DDTHH:MM:SSZ` (how the claims table records times)."""
    text = require(event, "time", str, "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EventError("time", f"must be an ISO 8601 timestamp, got {text!r}") from exc
    if moment.tzinfo is None:
        raise EventError("time", f"must carry a time zone, got {text!r}")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_groups(raw: Any) -> dict[str, GroupSettings]:
    """The `DEPLOY_GROUPS` setting: group name -> what to deploy it to."""
    groups: dict[str, GroupSettings] = {}
    if not isinstance(raw, dict):
        raise EventError("DEPLOY_GROUPS", "must be an object")
    for name, settings in raw.items():
        path = f"DEPLOY_GROUPS.{name}"
        endpoints = require(settings, "endpoints", list, path)
        smoke = settings.get("smoke_test")
        groups[name] = GroupSettings(
            endpoints=tuple(str(endpoint) for endpoint in endpoints),
            smoke_test=None if smoke is None else parse_smoke_test(smoke, f"{path}.smoke_test"),
            rollback_on_reject=bool(settings.get("rollback_on_reject", True)),
        )
    return groups


def parse_smoke_test(raw: Any, path: str) -> SmokeTest:
    return SmokeTest(
        payload=require(raw, "payload", str, path),
        content_type=require(raw, "content_type", str, path),
        accept=_optional_str(raw, "accept", path),
        target_model=_optional_str(raw, "target_model", path),
        expect_contains=_optional_str(raw, "expect_contains", path),
    )


def _optional_str(mapping: dict[str, Any], key: str, path: str) -> str | None:
    return None if mapping.get(key) is None else require(mapping, key, str, path)


def smoke_test_input(smoke: SmokeTest | None) -> dict[str, Any] | None:
    return (
        None
        if smoke is None
        else {
            "payload": smoke.payload,
            "content_type": smoke.content_type,
            "accept": smoke.accept,
            "target_model": smoke.target_model,
            "expect_contains": smoke.expect_contains,
        }
    )


def parse_version_arn(arn: Any, field: str) -> tuple[str, int]:
    """(group, version) of a versioned model package ARN in a step input."""
    if not isinstance(arn, str):
        raise EventError(field, f"must be a string, got {type(arn).__name__}")
    match = MODEL_PACKAGE_ARN.match(arn)
    if match is None:
        raise EventError(field, f"{arn!r} is not a versioned model package ARN")
    return match["group"], int(match["version"])


def parse_stage(step: Any) -> str:
    stage = require(step, "stage", str, "")
    if stage not in STAGES:
        raise EventError("stage", f"must be one of {', '.join(STAGES)}, got {stage!r}")
    return stage


KINDS = ("deploy", "rollback")


def parse_pipeline_step(step: Any) -> dict[str, Any]:
    """The execution's state as the approval and record steps get it; `EventError` names the first bad field.

    Checked whole before any AWS call, so a malformed step changes nothing (no token stored, no claim written).
    """
    step = require({"step": step}, "step", dict, "")
    kind = require(step, "kind", str, "step")
    if kind not in KINDS:
        raise EventError("step.kind", f"must be deploy or rollback, got {kind!r}")
    parse_version_arn(require(step, "model_package_arn", str, "step"), "step.model_package_arn")
    parse_version_arn(require(step, "claim_arn", str, "step"), "step.claim_arn")
    for key in ("model_package_group", "execution_name"):
        if not require(step, key, str, "step"):
            raise EventError(f"step.{key}", "must not be empty")
    for key in ("version", "attempt"):
        if require(step, key, int, "step") < 1:
            raise EventError(f"step.{key}", f"must be at least 1, got {step[key]}")
    for index, item in enumerate(require(step, "endpoints", list, "step")):
        path = f"step.endpoints[{index}]"
        require({path: item}, path, dict, "")
        require(item, "endpoint", str, path)
        if item.get("smoke_test") is not None:
            parse_smoke_test(item["smoke_test"], f"{path}.smoke_test")
    if kind == "rollback" or step.get("rolled_back_from") is not None:
        parse_version_arn(require(step, "rolled_back_from", str, "step"), "step.rolled_back_from")
    for stage in STAGES:
        if step.get(stage) is None:
            continue
        for index, result in enumerate(require(step, stage, list, "step")):
            path = f"step.{stage}[{index}]"
            require({path: result}, path, dict, "")
            if result.get("deployment") is not None:
                require(result, "deployment", dict, path)
    if step.get("error") is not None:
        require(step, "error", dict, "step")
    return step


def parse_scaling(raw: Any, path: str) -> dict[str, Any] | None:
    """`deployment.autoscaling` as the deploy step returned it (from the spec), or None."""
    if raw is None:
        return None
    scaling = require({path: raw}, path, dict, "")
    require(scaling, "variant", str, path)
    low, high = require(scaling, "min_capacity", int, path), require(scaling, "max_capacity", int, path)
    if not 0 <= low <= high:
        raise EventError(f"{path}.min_capacity", f"must be between 0 and max_capacity={high}, got {low}")
    for index, policy in enumerate(require(scaling, "policies", list, path)):
        item = f"{path}.policies[{index}]"
        require({item: policy}, item, dict, "")
        require(policy, "PolicyName", str, item)
        require(policy, "PolicyType", str, item)
    alarms = scaling.get("alarms")
    for index, alarm in enumerate([] if alarms is None else require(scaling, "alarms", list, path)):
        item = f"{path}.alarms[{index}]"
        require({item: alarm}, item, dict, "")
        require(alarm, "AlarmName", str, item)
    return scaling

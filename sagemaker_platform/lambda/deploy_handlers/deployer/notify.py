"""What the pipeline tells people (SNS) and other systems (the platform event bus)."""

from __future__ import annotations

import json
from typing import Any

from deployer import aws
from deployer.errors import AwsCallFailed

STARTED = "Deployment Started"
SUCCEEDED = "Deployment Succeeded"
FAILED = "Deployment Failed"
ROLLED_BACK = "Deployment Rolled Back"


def emit(detail_type: str, detail: dict[str, Any]) -> None:
    """Put one event on the platform bus; a rejected entry is an error, not a silent loss."""
    response = aws.call(
        aws.client("events"),
        "put_events",
        Entries=[
            {
                "EventBusName": aws.setting("EVENT_BUS_NAME"),
                "Source": aws.setting("EVENT_SOURCE"),
                "DetailType": detail_type,
                "Detail": json.dumps(detail, sort_keys=True, default=str),
            }
        ],
    )
    if response.get("FailedEntryCount", 0):
        entry = response["Entries"][0]
        raise AwsCallFailed("put_events", str(entry.get("ErrorCode")), str(entry.get("ErrorMessage")))


def notify(subject: str, lines: list[str]) -> None:
    """Publish to the pipeline's KMS-encrypted SNS topic (subjects are limited to 100 characters)."""
    aws.call(
        aws.client("sns"),
        "publish",
        TopicArn=aws.setting("TOPIC_ARN"),
        Subject=subject[:100],
        Message="\n".join(lines),
    )


def describe(step: dict[str, Any]) -> list[str]:
    """The lines every notification starts with: which version, which group, which endpoints."""
    endpoints = ", ".join(str(item.get("endpoint")) for item in step.get("endpoints", []) if isinstance(item, dict))
    lines = [
        f"Model package group: {step.get('model_package_group')}",
        f"Version: {step.get('version')}",
        f"Model package: {step.get('model_package_arn')}",
        f"Endpoints: {endpoints}",
        f"Execution: {step.get('execution_name')}",
    ]
    if step.get("kind") == "rollback":
        lines.insert(0, f"Rollback of the rejected package {step.get('rolled_back_from')}")
    return lines

"""The gateway's alarms: dead letters, the upload backlog, API 5xx answers, failed ensemble executions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions

if TYPE_CHECKING:
    from sagemaker_platform.constructs.gateway.construct import InferenceGateway

_AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
_NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING


def render_alarms(gateway: InferenceGateway) -> list[cloudwatch.Alarm]:
    """Every alarm of the gateway, each notifying its alarm topic."""
    alarms: list[cloudwatch.Alarm] = []
    for id, queue, what in (
        ("UploadDeadLetters", gateway.upload_dead_letter_queue, "upload events"),
        ("CompletionDeadLetters", gateway.completion_dead_letter_queue, "completions"),
    ):
        alarms.append(
            _any(
                gateway,
                f"{id}Alarm",
                gateway.metric_dead_letters(queue),
                f"Poison {what} reached the dead-letter queue: inspect, fix, redrive",
            )
        )
    alarms.append(
        gateway.metric_oldest_upload_age().create_alarm(
            gateway,
            "UploadBacklogAlarm",
            threshold=900,
            evaluation_periods=3,
            treat_missing_data=_NOT_BREACHING,
            alarm_description="Upload events wait more than 15 minutes: the invoke function fails or is throttled",
        )
    )
    alarms.append(
        _any(
            gateway,
            "ApiServerErrorsAlarm",
            gateway.metric_api_server_errors(),
            "The inference gateway API answered 5xx",
        )
    )
    for name in gateway.state_machines:
        description = f"Executions of ensemble {name} failed (the predictions are recorded as failed)"
        alarms.append(_any(gateway, f"Ensemble-{name}-FailedAlarm", gateway.metric_ensemble_failed(name), description))
    action = cloudwatch_actions.SnsAction(gateway.alarm_topic)
    for alarm in alarms:
        alarm.add_alarm_action(action)
    return alarms


def _any(gateway: InferenceGateway, id: str, metric: cloudwatch.Metric, description: str) -> cloudwatch.Alarm:
    """An alarm as soon as one datapoint of `metric` is at least 1 (no data is not breaching)."""
    return metric.create_alarm(
        gateway,
        id,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=_AT_LEAST,
        treat_missing_data=_NOT_BREACHING,
        alarm_description=description,
    )

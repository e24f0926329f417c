"""The deploy pipeline's EventBridge side: event patterns, the Lambda rule target with its alarm, the
rule that fires the triggers set to run once prod is deployed."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform.constructs.common import alarm_on_any
from sagemaker_platform.constructs.deploy.settings import (
    DEPLOYMENT_SUCCEEDED,
    MODEL_PACKAGE_STATE_CHANGE,
    PIPELINE_STATUS_CHANGE,
    DeployGroup,
)
from sagemaker_platform.constructs.function import PlatformFunction


def package_pattern(groups: Sequence[DeployGroup], status: str, registry_account: str | None) -> events.EventPattern:
    """Model package state changes to `status` of the deployed groups (from `registry_account` when given)."""
    return events.EventPattern(
        source=["aws.sagemaker"],
        detail_type=[MODEL_PACKAGE_STATE_CHANGE],
        account=[registry_account] if registry_account is not None else None,
        detail={
            "ModelApprovalStatus": [status],
            "ModelPackageGroupName": sorted(group.model_package_group for group in groups),
        },
    )


def pipeline_failed_pattern(pipeline_arns: list[str]) -> events.EventPattern:
    """Failed executions of the SageMaker pipelines `pipeline_arns`."""
    return events.EventPattern(
        source=["aws.sagemaker"],
        detail_type=[PIPELINE_STATUS_CHANGE],
        detail={"currentPipelineExecutionStatus": ["Failed"], "pipelineArn": pipeline_arns},
    )


def lambda_rule_target(
    scope: Construct,
    function: PlatformFunction,
    *,
    topic: sns.ITopic,
    dead_letter_queue: sqs.IQueue,
    event: events.RuleTargetInput | None = None,
) -> targets.LambdaFunction:
    """`function` as a rule target (retried for 6 hours, then `dead_letter_queue`), with an alarm on its own DLQ."""
    # An event the function failed on (after Lambda's own retries) lands in its DLQ: someone must hear of it.
    alarm_on_any(
        scope,
        f"{function.node.id}DeadLettersAlarm",
        function.dead_letter_queue.metric_approximate_number_of_messages_visible(
            statistic="Maximum", period=cdk.Duration.minutes(5)
        ),
        f"{function.node.id}: model package events the handler failed on (see its dead-letter queue)",
        topic,
    )
    return targets.LambdaFunction(
        function.function,
        event=event,
        dead_letter_queue=dead_letter_queue,
        retry_attempts=8,
        max_event_age=cdk.Duration.hours(6),
    )


def render_deployed_rule(
    scope: Construct,
    platform_name: str,
    groups: Sequence[DeployGroup],
    bus: events.IEventBus,
    rule_targets: Sequence[events.IRuleTarget],
) -> events.Rule:
    """`DeployedRule`: triggers that fire once prod is deployed.

    The pipeline's Deployment Succeeded event (kind `deploy`, not a rollback) reaches `rule_targets` reshaped
    by `approved_event_input` into the Approved model package event the trigger handler already validates and
    claims once per version (same checks, no second event format in the handler).
    """
    return events.Rule(
        scope,
        "DeployedRule",
        event_bus=bus,
        description="Versions deployed to prod by the pipeline: fire the triggers set to run after deployment",
        event_pattern=events.EventPattern(
            source=[f"{platform_name}.deploy"],
            detail_type=[DEPLOYMENT_SUCCEEDED],
            detail={
                "kind": ["deploy"],
                "model_package_group": sorted(group.model_package_group for group in groups),
            },
        ),
        targets=list(rule_targets),
    )


def approved_event_input() -> events.RuleTargetInput:
    """A Deployment Succeeded event rewritten as the Approved model package event the triggers read."""
    return events.RuleTargetInput.from_object(
        {
            "source": "aws.sagemaker",
            "detail-type": MODEL_PACKAGE_STATE_CHANGE,
            "time": events.EventField.time,
            "detail": {
                "ModelPackageGroupName": events.EventField.from_path("$.detail.model_package_group"),
                "ModelPackageArn": events.EventField.from_path("$.detail.model_package_arn"),
                "ModelApprovalStatus": "Approved",
            },
        }
    )

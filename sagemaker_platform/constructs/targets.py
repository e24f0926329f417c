"""EventBridge rule targets the CDK has no L2 for."""

from __future__ import annotations

import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef


@jsii.implements(events.IRuleTarget)
class StartSageMakerPipeline:
    """EventBridge rule target that starts a SageMaker pipeline as `role`, with retries and a dead-letter queue.

    Example::

        rule.add_target(StartSageMakerPipeline(pipeline_arn, role, dead_letter_queue=queue))
    """

    def __init__(self, pipeline_arn: str, role: iam.IRole, dead_letter_queue: sqs.IQueue) -> None:
        self._pipeline_arn = pipeline_arn
        self._role = role
        self._dead_letter_queue = dead_letter_queue

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        self._dead_letter_queue.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"],
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                resources=[self._dead_letter_queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.rule_ref.rule_arn}},
            )
        )
        return events.RuleTargetConfig(
            arn=self._pipeline_arn,
            role=self._role,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self._dead_letter_queue.queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_event_age_in_seconds=21600, maximum_retry_attempts=8
            ),
        )

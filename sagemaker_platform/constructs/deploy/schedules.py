"""`PipelineSchedules`: SageMaker pipelines started on EventBridge Scheduler schedules, retraining when a
scheduled pipeline fails, and failure notifications (in the account where the pipelines run)."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from sagemaker_platform.constructs.common import (
    alarm_on_any,
    dead_letter_queue,
    let_services_use_key,
    notification_topic,
)
from sagemaker_platform.constructs.deploy.grants import grant_start_pipelines
from sagemaker_platform.constructs.deploy.rules import pipeline_failed_pattern
from sagemaker_platform.constructs.deploy.settings import PipelineSchedule
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.targets import StartSageMakerPipeline
from sagemaker_platform.errors import ProblemCollector


class PipelineSchedules(Construct):
    """Scheduled SageMaker pipeline runs, retraining when a scheduled pipeline fails, failure notifications.

    Lives in the account where the pipelines run: EventBridge Scheduler starts each pipeline; a rule on
    the account's default bus starts the retraining pipeline when a run fails; every failure of a
    scheduled or retraining pipeline, and every schedule that cannot start its pipeline, is notified.

    Example::

        PipelineSchedules(self, "Schedules", schedules=[
            PipelineSchedule(id="nightly", pipeline_name="churn-build", schedule_expression="cron(0 2 * * ? *)",
                             retrain_pipeline_name="churn-retrain")])

    :param schedules: the pipelines to run.
    :param key: KMS key for the topic, the queue and the schedules. Default: a new key.
    :param notification_emails: Default: none.
    :param removal_policy: of the key. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        schedules: Sequence[PipelineSchedule],
        key: kms.Key | None = None,
        notification_emails: Sequence[str] = (),
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        _validate(schedules)
        if key is None:
            key = kms.Key(
                self, "Key", description="Pipeline schedules", enable_key_rotation=True, removal_policy=removal_policy
            )
            limit_grants_to_aws_resources(key)
        self.key = key
        let_services_use_key(key, ["events.amazonaws.com", "scheduler.amazonaws.com"])
        self.topic = notification_topic(self, "Pipeline failures", key, notification_emails)
        self.dead_letter_queue = dead_letter_queue(
            self, "DeadLetterQueue", key, of="the schedules and the retraining rule"
        )
        self.role = self._render_role()
        pipeline_arns = sorted(
            {self._pipeline_arn(schedule.pipeline_name) for schedule in schedules}
            | {self._pipeline_arn(s.retrain_pipeline_name) for s in schedules if s.retrain_pipeline_name is not None}
        )
        grant_start_pipelines(self.role, pipeline_arns, self.dead_letter_queue.queue_arn, key)
        watched = self._render_schedules(schedules)
        events.Rule(
            self,
            "PipelineFailed",
            description="Scheduled and retraining pipeline runs that failed",
            event_pattern=pipeline_failed_pattern(sorted(set(watched))),
            targets=[targets.SnsTopic(self.topic, dead_letter_queue=self.dead_letter_queue)],
        )
        alarm_on_any(
            self,
            "DeadLettersAlarm",
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=cdk.Duration.minutes(5)
            ),
            "A schedule or the retraining rule could not start its pipeline (see the DLQ)",
            self.topic,
        )
        let_services_use_key(key, ["cloudwatch.amazonaws.com"])

    def _render_role(self) -> PlatformRole:
        """`StartPipelinesRole`: assumed by EventBridge Scheduler and rules of this account only."""
        account = cdk.Stack.of(self).account
        return PlatformRole(
            self,
            "StartPipelinesRole",
            assumed_by=iam.CompositePrincipal(
                *(
                    iam.ServicePrincipal(service, conditions={"StringEquals": {"aws:SourceAccount": account}})
                    for service in ("scheduler.amazonaws.com", "events.amazonaws.com")
                )
            ),
            description="EventBridge Scheduler and rules: start the scheduled and retraining SageMaker pipelines",
        )

    def _render_schedules(self, schedules: Sequence[PipelineSchedule]) -> list[str]:
        """Each schedule and its retraining rule; returns the ARNs of the pipelines whose failures are notified."""
        watched: list[str] = []
        for schedule in schedules:
            self._render_schedule(schedule)
            watched.append(self._pipeline_arn(schedule.pipeline_name))
            if schedule.retrain_pipeline_name is not None:
                watched.append(self._pipeline_arn(schedule.retrain_pipeline_name))
                events.Rule(
                    self,
                    f"Retrain{_pascal(schedule.id)}",
                    description=f"Retrain when {schedule.pipeline_name} fails",
                    event_pattern=pipeline_failed_pattern([self._pipeline_arn(schedule.pipeline_name)]),
                    targets=[
                        StartSageMakerPipeline(
                            self._pipeline_arn(schedule.retrain_pipeline_name), self.role, self.dead_letter_queue
                        )
                    ],
                )
        return watched

    def _pipeline_arn(self, name: str) -> str:
        return cdk.Stack.of(self).format_arn(service="sagemaker", resource="pipeline", resource_name=name.lower())

    def _render_schedule(self, schedule: PipelineSchedule) -> scheduler.CfnSchedule:
        return scheduler.CfnSchedule(
            self,
            f"Schedule{_pascal(schedule.id)}",
            description=f"Runs the SageMaker pipeline {schedule.pipeline_name}",
            schedule_expression=schedule.schedule_expression,
            schedule_expression_timezone=schedule.timezone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            kms_key_arn=self.key.key_arn,
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self._pipeline_arn(schedule.pipeline_name),
                role_arn=self.role.role_arn,
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=self.dead_letter_queue.queue_arn),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=3600, maximum_retry_attempts=8
                ),
                sage_maker_pipeline_parameters=_pipeline_parameters(schedule),
            ),
        )


def _pipeline_parameters(
    schedule: PipelineSchedule,
) -> scheduler.CfnSchedule.SageMakerPipelineParametersProperty | None:
    """The schedule's pipeline parameters, sorted by name; none when it has none."""
    if not schedule.parameters:
        return None
    return scheduler.CfnSchedule.SageMakerPipelineParametersProperty(
        pipeline_parameter_list=[
            scheduler.CfnSchedule.SageMakerPipelineParameterProperty(name=name, value=value)
            for name, value in sorted(schedule.parameters.items())
        ]
    )


def _validate(schedules: Sequence[PipelineSchedule]) -> None:
    problems = ProblemCollector("PipelineSchedules")
    ids = [schedule.id for schedule in schedules]
    problems.check(bool(schedules), "schedules=[]: give at least one schedule")
    problems.check(len(set(ids)) == len(ids), f"schedules ids {ids}: each id may appear once")
    problems.raise_if_any()


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))

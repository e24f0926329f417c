"""Deploy on approval: the props dataclasses and the constants the handlers agree with.

The dataclasses are what a stack gives `DeployPipeline` and `PipelineSchedules`; `render_groups` turns the
groups into the JSON the handlers read from their `DEPLOY_GROUPS` environment variable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager

from sagemaker_platform import naming

HANDLER_ASSET = "deploy_handlers"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
PIPELINE_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
GROUP_INDEX = "by-group"
# Lambda environment variables are limited to 4 KB in all; the groups' settings get most of it.
MAX_GROUPS_SETTING_CHARS = 3000
# The handlers' own `Throttled` (AWS APIs kept throttling) and Lambda refusing for reserved concurrency.
THROTTLED_ERRORS = ["Throttled", "Lambda.TooManyRequestsException"]
# What every Lambda task of the state machine retries: throttling, AWS APIs unavailable after the handler's own
# backoff, and a refused AWS call (one AccessDenied while a role or key grant propagates); every step is
# repeatable (deterministic names, conditional writes, once-markers), so a retry completes what a failure left.
TRANSIENT_ERRORS = [*THROTTLED_ERRORS, "AwsUnavailable"]
TASK_RETRY_ERRORS = [*TRANSIENT_ERRORS, "AwsCallFailed"]
STAGES = naming.STAGES

TriggerMoment = Literal["approved", "deployed"]
DEPLOYMENT_SUCCEEDED = "Deployment Succeeded"
"""Detail type the pipeline puts on the platform bus once prod is deployed (the handlers' `notify.SUCCEEDED`)."""


@dataclass(frozen=True)
class SmokeTest:
    """The request sent to each staging endpoint once it is InService, and what its answer must contain.

    :param payload: request body. :param content_type: Default: application/json.
    :param accept: Default: none. :param target_model: multi-model endpoints: the model to invoke.
    :param expect_contains: a substring the answer must contain. Default: any successful answer passes.
    """

    payload: str
    content_type: str = "application/json"
    accept: str | None = None
    target_model: str | None = None
    expect_contains: str | None = None


@dataclass(frozen=True)
class DeployGroup:
    """A model package group whose approved versions go to `endpoints` (names of hosting `endpoints` entries).

    :param smoke_test: Default: none (InService is the only check).
    :param rollback_on_reject: Default: True — rejecting a live version redeploys the previous deployed one.
    """

    model_package_group: str
    endpoints: Sequence[str]
    smoke_test: SmokeTest | None = None
    rollback_on_reject: bool = True


@dataclass(frozen=True)
class GitLabTrigger:
    """Trigger a GitLab pipeline on approval, with MODEL_PACKAGE_ARN/GROUP/VERSION as pipeline variables.

    :param token_secret: a Secrets Manager secret whose SecretString is the pipeline trigger token.
    :param fire_on: ``"approved"`` (when the version is approved, in parallel with the deployment) or
        ``"deployed"`` (once prod is deployed: on the pipeline's Deployment Succeeded event). Default: approved.
    :param vpc_subnet_ids: run the trigger inside a VPC (a self-managed GitLab reachable only privately), with
        `security_group_ids` allowing HTTPS to it. Default: none (the trigger reaches GitLab over the internet).
    """

    url: str
    project_id: int
    token_secret: secretsmanager.ISecret
    ref: str = "main"
    fire_on: TriggerMoment = "approved"
    vpc_subnet_ids: Sequence[str] = ()
    security_group_ids: Sequence[str] = ()


@dataclass(frozen=True)
class MwaaTrigger:
    """Create a run of an Airflow DAG on Amazon MWAA on approval (through the MWAA InvokeRestApi API).

    :param airflow_role: the Airflow role the function's IAM role is mapped to. Default: User.
    :param fire_on: ``"approved"`` or ``"deployed"`` (once prod is deployed). Default: approved.
    """

    environment_name: str
    dag_id: str
    airflow_role: str = "User"
    fire_on: TriggerMoment = "approved"


@dataclass(frozen=True)
class PipelineSchedule:
    """One scheduled SageMaker pipeline.

    :param id: construct id part (stable: renaming it replaces the schedule).
    :param schedule_expression: EventBridge Scheduler `at(...)`, `rate(...)` or `cron(...)`.
    :param timezone: Default: UTC. :param parameters: pipeline parameters. Default: none.
    :param retrain_pipeline_name: started when a run of `pipeline_name` fails. Default: none.
    """

    id: str
    pipeline_name: str
    schedule_expression: str
    timezone: str = "UTC"
    parameters: Mapping[str, str] | None = None
    retrain_pipeline_name: str | None = None

    def __post_init__(self) -> None:
        if self.parameters is None:
            object.__setattr__(self, "parameters", {})


def render_groups(groups: Sequence[DeployGroup]) -> dict[str, object]:
    """The groups as the handlers' `settings` module reads them (the `DEPLOY_GROUPS` environment variable)."""
    return {
        group.model_package_group: {
            "endpoints": list(group.endpoints),
            "rollback_on_reject": group.rollback_on_reject,
            "smoke_test": None
            if group.smoke_test is None
            else {
                "payload": group.smoke_test.payload,
                "content_type": group.smoke_test.content_type,
                "accept": group.smoke_test.accept,
                "target_model": group.smoke_test.target_model,
                "expect_contains": group.smoke_test.expect_contains,
            },
        }
        for group in groups
    }


@dataclass(frozen=True)
class DeployTiming:
    """How long the pipeline waits: for the manual approval, between endpoint polls, for InService."""

    approval_timeout: cdk.Duration
    poll_interval: cdk.Duration
    deploy_timeout: cdk.Duration

    @classmethod
    def of(
        cls,
        approval_timeout: cdk.Duration | None,
        poll_interval: cdk.Duration | None,
        deploy_timeout: cdk.Duration | None,
    ) -> DeployTiming:
        """The given durations, with `DeployPipeline`'s documented defaults for those not given."""
        return cls(
            approval_timeout=approval_timeout if approval_timeout is not None else cdk.Duration.hours(72),
            poll_interval=poll_interval if poll_interval is not None else cdk.Duration.seconds(30),
            deploy_timeout=deploy_timeout if deploy_timeout is not None else cdk.Duration.minutes(90),
        )

    @property
    def max_polls(self) -> int:
        """How many status polls fit in `deploy_timeout` (the endpoint step's `MAX_POLLS`)."""
        return math.ceil(self.deploy_timeout.to_seconds() / self.poll_interval.to_seconds())

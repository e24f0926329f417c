"""The `deploy` section: deploy on approval, smoke tests and pipeline schedules."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sagemaker_platform.config.base import Items, StrictModel, field_problem, first_repeated, matching
from sagemaker_platform.contracts import names

DEPLOY_GROUP_NAME_PATTERN = names.NAME_63_RE
ENDPOINT_ENTRY_NAME_PATTERN = re.compile(names.name_pattern(41))
SAGEMAKER_PIPELINE_NAME_PATTERN = re.compile(names.PIPELINE_NAME)
# EventBridge Scheduler's ScheduleExpression: at(...), rate(...) or cron(...).
SCHEDULE_EXPRESSION_PATTERN = re.compile(
    r"^(at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$"
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


DeployGroupName = Annotated[
    str,
    matching(
        DEPLOY_GROUP_NAME_PATTERN,
        "must be a model package group name: letters, digits and inner hyphens, at most 63 characters",
    ),
]
EndpointEntryName = Annotated[
    str,
    matching(
        ENDPOINT_ENTRY_NAME_PATTERN,
        "must be the name of an `endpoints` entry: letters, digits and inner hyphens, at most 41 characters",
    ),
]
SageMakerPipelineName = Annotated[
    str,
    matching(SAGEMAKER_PIPELINE_NAME_PATTERN, "must be a SageMaker pipeline name: letters, digits and inner hyphens"),
]


class DeploySmokeTestConfig(StrictModel):
    """The request the pipeline sends to the staging endpoint once it is InService, and what must come back.

    The payload travels in the Lambda environment (4 KB in all), so it is at most 1024 characters.

    Real-time, serverless and multi-model endpoints are invoked with `InvokeEndpoint`; asynchronous
    endpoints take their input from S3, so their smoke test is recorded as skipped.
    """

    payload: Annotated[str, Field(min_length=1, max_length=1024)]
    content_type: Annotated[str, Field(min_length=1, max_length=1024)] = "application/json"
    accept: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    target_model: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    """For multi-model endpoints: the model artifact (relative S3 key) to invoke."""
    expect_contains: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """A substring the response body must contain. Default: any successful response passes."""


class DeployGroupConfig(StrictModel):
    """One model package group whose approved versions are deployed to the named `endpoints` entries."""

    model_package_group: DeployGroupName
    endpoints: Annotated[Items[EndpointEntryName], Field(min_length=1, max_length=10)]
    smoke_test: DeploySmokeTestConfig | None = None
    rollback_on_reject: bool = True
    """Rejecting a deployed version redeploys the previous deployed version of the group."""

    @model_validator(mode="after")
    def _unique_endpoints(self) -> DeployGroupConfig:
        if len(set(self.endpoints)) != len(self.endpoints):
            raise field_problem("endpoints", list(self.endpoints), "each endpoint may be listed once")
        return self


class DeployGitLabConfig(StrictModel):
    """Also trigger a GitLab pipeline on approval (pipeline trigger token read from Secrets Manager)."""

    url: Annotated[str, Field(pattern=r"^https://[^\s/]+(/[^\s]*)?$")]
    project_id: Annotated[int, Field(ge=1)]
    ref: Annotated[str, Field(min_length=1, max_length=255)] = "main"
    token_secret_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$")]
    fire_on: Literal["approved", "deployed"] = "approved"
    """`approved`: when the version is approved (in parallel with the deployment); `deployed`: once prod is
    deployed (the pipeline's Deployment Succeeded event). Default: approved."""
    vpc: DeployTriggerVpcConfig | None = None
    """Run the trigger inside a VPC, for a self-managed GitLab reachable only privately. Default: not in a VPC."""


class DeployTriggerVpcConfig(StrictModel):
    """`deploy.gitlab.vpc`: subnets (with a route to GitLab) and security groups (HTTPS out to it)."""

    subnet_ids: Annotated[Items[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]], Field(min_length=1)]
    security_group_ids: Annotated[Items[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]], Field(min_length=1)]


class DeployMwaaConfig(StrictModel):
    """Also trigger an Airflow DAG on Amazon MWAA on approval."""

    environment_name: Annotated[str, Field(pattern=r"^[a-zA-Z][0-9a-zA-Z_-]{0,79}$")]
    dag_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,250}$")]
    fire_on: Literal["approved", "deployed"] = "approved"
    """`approved` or `deployed` (once prod is deployed). Default: approved."""


class PipelineScheduleConfig(StrictModel):
    """A SageMaker pipeline run on a schedule, optionally retrained when it fails."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
    account: Literal["dev", "staging", "prod"] = "prod"
    """Account role where the pipeline lives (the schedule and the failure rule live beside it)."""
    pipeline_name: SageMakerPipelineName
    schedule_expression: Annotated[
        str,
        matching(
            SCHEDULE_EXPRESSION_PATTERN,
            "must be an EventBridge Scheduler expression: at(...), rate(N unit) or cron(...)",
        ),
    ]
    timezone: Annotated[str, Field(min_length=1, max_length=50)] = "UTC"
    retrain_pipeline_name: SageMakerPipelineName | None = None
    """Started when a run of `pipeline_name` fails. Default: no retraining."""


class DeployConfig(StrictModel):
    """`deploy`: deploy approved model packages to staging, test, wait for approval, deploy to prod."""

    groups: Annotated[Items[DeployGroupConfig], Field(min_length=1)]
    state_machine: bool = True
    """Run the Step Functions deployment. Turn off to use only the GitLab or MWAA triggers."""
    approval_timeout_hours: Annotated[int, Field(ge=1, le=8760)] = 72
    poll_interval_seconds: Annotated[int, Field(ge=10, le=600)] = 30
    deploy_timeout_minutes: Annotated[int, Field(ge=10, le=1440)] = 90
    notification_emails: Items[Annotated[str, matching(EMAIL_PATTERN, "must be an e-mail address")]] = ()
    gitlab: DeployGitLabConfig | None = None
    mwaa: DeployMwaaConfig | None = None
    schedules: Items[PipelineScheduleConfig] = ()

    @model_validator(mode="after")
    def _consistent(self) -> DeployConfig:
        repeated = first_repeated([group.model_package_group for group in self.groups])
        if repeated is not None:
            raise field_problem("groups", repeated, "each model package group may be listed once")
        if not self.state_machine and self.gitlab is None and self.mwaa is None:
            raise field_problem(
                "state_machine",
                False,
                "with the state machine off, configure `gitlab` or `mwaa` (something must deploy)",
            )
        names = [schedule.name for schedule in self.schedules]
        for name in names:
            if names.count(name) > 1:
                raise field_problem("schedules", name, "each schedule name may be used once")
        for key, trigger in (("gitlab", self.gitlab), ("mwaa", self.mwaa)):
            if trigger is not None and trigger.fire_on == "deployed" and not self.state_machine:
                raise field_problem(
                    f"{key}.fire_on",
                    "deployed",
                    "needs state_machine: true (only the deploy state machine announces a deployment); allowed: "
                    "approved",
                )
        return self

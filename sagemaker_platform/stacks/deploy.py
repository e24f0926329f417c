"""Deploy on approval (tooling account) and scheduled pipelines (the account where they run)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.config import DeployConfig, PlatformConfig
from sagemaker_platform.constructs.deploy import (
    DeployGroup,
    DeployPipeline,
    DeployPipelineRole,
    GitLabTrigger,
    MwaaTrigger,
    PipelineSchedule,
    PipelineSchedules,
    SmokeTest,
)
from sagemaker_platform.stacks.base import AccountRole, RegistryHome, tag_platform
from sagemaker_platform.stacks.network import place_functions


def _deploy_role_arns(stack: cdk.Stack, config: PlatformConfig) -> dict[str, str]:
    """Stage (`staging`, `prod`) -> ARN of that account's deploy role (the deploying account in the sandbox)."""
    accounts = config.accounts
    stage_accounts = {
        "staging": cdk.Aws.ACCOUNT_ID if accounts is None else accounts.staging,
        "prod": cdk.Aws.ACCOUNT_ID if accounts is None else accounts.prod,
    }
    return {
        stage: naming.role_arn(stack.partition, account, naming.deploy_role_name(config.name))
        for stage, account in stage_accounts.items()
    }


class DeployIdentityStack(cdk.Stack):
    """The deploy pipeline's identity, `<name>-deploy-pipeline` (tooling account), deployed before every other stack.

    The staging and prod deploy roles (workload-access stacks) trust it by name, the registry names those, the
    model-events bus names the registry's forwarder, and the deploy pipeline's rules need that bus: with the role
    inside `DeployStack` that chain would be a cycle. Only with a `deploy` config that has a state machine.
    """

    def __init__(self, scope: Construct, id: str, *, config: PlatformConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, description=f"{config.name}: the deploy pipeline's role", **kwargs)
        _deploy_config(config)
        tag_platform(self, config, "deploy")
        self.pipeline_role = DeployPipelineRole(
            self,
            "PipelineRole",
            platform_name=config.name,
            deploy_role_arns=list(_deploy_role_arns(self, config).values()),
        )


class DeployStack(cdk.Stack):
    """The deploy pipeline and the platform events bus, in the tooling account.

    The model-events bus (fed by the registry's forwarding), the stages' deploy roles and the pipeline's own role
    (`DeployIdentityStack`) belong to other stacks; they are referred to here by their deterministic names.
    """

    def __init__(self, scope: Construct, id: str, *, config: PlatformConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        deploy = _deploy_config(config)
        tag_platform(self, config, "deploy")
        # The MWAA trigger calls the MWAA API (InvokeRestApi).
        place_functions(self, config, "tooling", "deploy", *(("airflow.api",) if deploy.mwaa is not None else ()))
        self.platform_events_bus = events.EventBus(
            self, "PlatformEvents", event_bus_name=naming.platform_events_bus_name(config.name)
        )
        model_events_bus = events.EventBus.from_event_bus_name(
            self, "ModelEvents", naming.model_events_bus_name(config.name)
        )
        gitlab = _gitlab_trigger(self, deploy)
        pipeline_role = (
            iam.Role.from_role_arn(
                self,
                "PipelineRoleRef",
                naming.role_arn(self.partition, self.account, naming.deploy_pipeline_role_name(config.name)),
                mutable=False,
            )
            if deploy.state_machine
            else None
        )
        self.pipeline = DeployPipeline(
            self,
            "Pipeline",
            platform_name=config.name,
            groups=deploy_groups(deploy),
            model_events_bus=model_events_bus,
            platform_events_bus=self.platform_events_bus,
            deploy_role_arns=_deploy_role_arns(self, config),
            pipeline_role=pipeline_role,
            registry_account=RegistryHome.of(config).named_account,
            state_machine=deploy.state_machine,
            approval_timeout=cdk.Duration.hours(deploy.approval_timeout_hours),
            poll_interval=cdk.Duration.seconds(deploy.poll_interval_seconds),
            deploy_timeout=cdk.Duration.minutes(deploy.deploy_timeout_minutes),
            notification_emails=list(deploy.notification_emails),
            gitlab=gitlab,
            mwaa=None
            if deploy.mwaa is None
            else MwaaTrigger(
                environment_name=deploy.mwaa.environment_name, dag_id=deploy.mwaa.dag_id, fire_on=deploy.mwaa.fire_on
            ),
        )


def deploy_groups(deploy: DeployConfig) -> list[DeployGroup]:
    """`DeployGroup` props from `deploy.groups`: the endpoints each group deploys to and its smoke test."""
    return [
        DeployGroup(
            model_package_group=group.model_package_group,
            endpoints=list(group.endpoints),
            rollback_on_reject=group.rollback_on_reject,
            smoke_test=None
            if group.smoke_test is None
            else SmokeTest(
                payload=group.smoke_test.payload,
                content_type=group.smoke_test.content_type,
                accept=group.smoke_test.accept,
                target_model=group.smoke_test.target_model,
                expect_contains=group.smoke_test.expect_contains,
            ),
        )
        for group in deploy.groups
    ]


def _gitlab_trigger(scope: Construct, deploy: DeployConfig) -> GitLabTrigger | None:
    """`deploy.gitlab`: the GitLab pipeline triggered after a deployment (its token secret imported by name)."""
    gitlab = deploy.gitlab
    if gitlab is None:
        return None
    return GitLabTrigger(
        url=gitlab.url,
        project_id=gitlab.project_id,
        ref=gitlab.ref,
        token_secret=secretsmanager.Secret.from_secret_name_v2(scope, "GitLabToken", gitlab.token_secret_name),
        fire_on=gitlab.fire_on,
        vpc_subnet_ids=() if gitlab.vpc is None else tuple(gitlab.vpc.subnet_ids),
        security_group_ids=() if gitlab.vpc is None else tuple(gitlab.vpc.security_group_ids),
    )


class PipelineSchedulesStack(cdk.Stack):
    """`deploy.schedules` of one account role: scheduled pipeline runs, retraining on failure, notifications."""

    def __init__(
        self, scope: Construct, id: str, *, config: PlatformConfig, account: AccountRole, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        deploy = _deploy_config(config)
        tag_platform(self, config, "deploy")
        self.schedules = PipelineSchedules(
            self,
            "Schedules",
            schedules=[
                PipelineSchedule(
                    id=schedule.name,
                    pipeline_name=schedule.pipeline_name,
                    schedule_expression=schedule.schedule_expression,
                    timezone=schedule.timezone,
                    retrain_pipeline_name=schedule.retrain_pipeline_name,
                )
                for schedule in deploy.schedules
                if schedule.account == account
            ],
            notification_emails=list(deploy.notification_emails),
        )


def schedule_accounts(config: PlatformConfig) -> list[AccountRole]:
    """The account roles that hold at least one schedule (one schedules stack each)."""
    if config.deploy is None:
        return []
    return sorted({schedule.account for schedule in config.deploy.schedules})


def _deploy_config(config: PlatformConfig) -> DeployConfig:
    if config.deploy is None:
        raise ValueError("the deploy stacks need `deploy` in the platform config")
    return config.deploy

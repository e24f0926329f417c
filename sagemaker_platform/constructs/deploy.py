"""Deploy on approval: approved model package → staging → smoke test → manual approval → prod.

`DeployPipeline` (tooling account) listens on the model-events bus for 'SageMaker Model Package State
Change' events. An Approved version of a configured group is claimed once in a DynamoDB table and
deployed by a Step Functions Standard state machine; a Rejected version is stopped and its endpoints
rolled back to the previous deployed version. The pipeline's tasks reach the staging and prod
accounts only through the role named `naming.deploy_pipeline_role_name`, which may do nothing but
assume the stages' deploy roles. What an endpoint looks like is read from the deployment spec that
each stage's hosting stack publishes; the handlers never re-declare it.

`PipelineSchedules` (the account where the pipelines run) starts SageMaker pipelines on EventBridge
Scheduler schedules, starts a retraining pipeline when a scheduled pipeline fails, and notifies.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.compliance import acknowledge, acknowledge_dead_letter_queue
from sagemaker_platform.constructs.function import PlatformFunction, grant_logs_encrypt
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.workflow import (
    state_machine_log_group,
    state_machine_role,
)
from sagemaker_platform.errors import ProblemCollector

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

# What each part of the pipeline may do (least privilege, one place).
TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"]
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
STOP_EXECUTION_ACTIONS = ["states:StopExecution"]
# What each function's handler touches in the tooling account (the endpoint step works only in the stages).
FUNCTION_NEEDS = {
    "EndpointStep": frozenset[str](),
    "ApprovalStep": frozenset({"table", "topic"}),
    "RecordStep": frozenset({"table", "topic", "bus"}),
    "Start": frozenset({"table", "topic", "bus"}),  # topic: an older approval is refused with a notification
    "Reject": frozenset({"table", "topic", "bus"}),
    "GitLabTrigger": frozenset({"table"}),
    "MwaaTrigger": frozenset({"table"}),
}
MWAA_ACTIONS = ["airflow:InvokeRestApi"]
START_PIPELINE_ACTIONS = ["sagemaker:StartPipelineExecution"]


# --- props --------------------------------------------------------------------------------------


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


TriggerMoment = Literal["approved", "deployed"]
DEPLOYMENT_SUCCEEDED = "Deployment Succeeded"
"""Detail type the pipeline puts on the platform bus once prod is deployed (the handlers' `notify.SUCCEEDED`)."""


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


# --- the constructs ----------------------------------------------------------------------------


class DeployPipelineRole(PlatformRole):
    """The role named `naming.deploy_pipeline_role_name`: the only principal the stages' deploy roles trust.

    It may only assume those deploy roles, and only the deploy pipeline's endpoint step (the role named
    `naming.deploy_endpoint_step_role_name` in this account) may assume it. It lives in a stack of its own
    (`DeployIdentityStack`) deployed before everything else: the staging and prod deploy roles name it in their
    trust policies, and IAM refuses a principal that does not exist yet. For the same reason it trusts the
    endpoint step by `aws:PrincipalArn`, not by a role principal: that role is created later, with the pipeline.

    Example::

        DeployPipelineRole(self, "PipelineRole", platform_name="mlplatform",
                           deploy_role_arns=[staging_deploy_role_arn, prod_deploy_role_arn])

    :param platform_name: prefix of names (`PlatformConfig.name`).
    :param deploy_role_arns: ARNs of the staging and prod deploy roles.
    """

    def __init__(self, scope: Construct, id: str, *, platform_name: str, deploy_role_arns: Sequence[str]) -> None:
        stack = cdk.Stack.of(scope)
        caller = naming.role_arn(stack.partition, stack.account, naming.deploy_endpoint_step_role_name(platform_name))
        super().__init__(
            scope,
            id,
            role_name=naming.deploy_pipeline_role_name(platform_name),
            assumed_by=iam.AccountPrincipal(stack.account).with_conditions({"ArnEquals": {"aws:PrincipalArn": caller}}),
            description="Deploy pipeline tasks: assumes the staging and prod deploy roles, nothing else",
            max_session_duration=cdk.Duration.hours(1),
        )
        self.add_to_principal_policy(
            iam.PolicyStatement(actions=["sts:AssumeRole"], resources=sorted(set(deploy_role_arns)))
        )


class DeployPipeline(Construct):
    """EventBridge rules on approved/rejected model packages, an idempotent start, a deploy state machine.

    Example::

        DeployPipeline(self, "Deploy", platform_name="mlplatform",
                       groups=[DeployGroup(model_package_group="churn", endpoints=["churn-async"])],
                       model_events_bus=model_bus, platform_events_bus=platform_bus,
                       deploy_role_arns={"staging": staging_role_arn, "prod": prod_role_arn})

    :param platform_name: prefix of names (`PlatformConfig.name`).
    :param groups: the model package groups to deploy and where.
    :param model_events_bus: the bus receiving the registry's model package events.
    :param platform_events_bus: the bus the pipeline announces deployments on.
    :param deploy_role_arns: stage (`staging`, `prod`) → ARN of that account's deploy role.
    :param pipeline_role: the role the endpoint step assumes to reach the stages (a `DeployPipelineRole`,
        usually imported by name from a stack deployed earlier); the endpoint step's role is then named
        `naming.deploy_endpoint_step_role_name`, which that role trusts. Default: a new `DeployPipelineRole`-like
        role in this construct, trusted by the endpoint step's role.
    :param registry_account: only events from this account are accepted. Default: the pipeline's own account
        (the model-events bus policy decides who may send).
    :param key: KMS key for the table, topic, queues, logs and Lambda environment. Default: a new key.
    :param state_machine: Default: True. False leaves only the GitLab/MWAA triggers.
    :param approval_timeout: Default: 72 hours. :param poll_interval: Default: 30 seconds.
    :param deploy_timeout: how long an endpoint may take to reach InService. Default: 90 minutes.
    :param notification_emails: Default: none (subscribe to `topic` yourself).
    :param gitlab: Default: none. :param mwaa: Default: none.
    :param removal_policy: of the table and the key. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform_name: str,
        groups: Sequence[DeployGroup],
        model_events_bus: events.IEventBus,
        platform_events_bus: events.IEventBus,
        deploy_role_arns: Mapping[str, str],
        pipeline_role: iam.IRole | None = None,
        registry_account: str | None = None,
        key: kms.Key | None = None,
        state_machine: bool = True,
        approval_timeout: cdk.Duration | None = None,
        poll_interval: cdk.Duration | None = None,
        deploy_timeout: cdk.Duration | None = None,
        notification_emails: Sequence[str] = (),
        gitlab: GitLabTrigger | None = None,
        mwaa: MwaaTrigger | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        self._approval_timeout = approval_timeout if approval_timeout is not None else cdk.Duration.hours(72)
        self._poll_interval = poll_interval if poll_interval is not None else cdk.Duration.seconds(30)
        self._deploy_timeout = deploy_timeout if deploy_timeout is not None else cdk.Duration.minutes(90)
        self._groups_setting = json.dumps(_render_groups(groups), sort_keys=True, separators=(",", ":"))
        self._validate(groups, deploy_role_arns, state_machine, gitlab, mwaa)
        stack = cdk.Stack.of(self)
        self._platform_name = platform_name

        if key is None:
            key = kms.Key(
                self,
                "Key",
                description=f"{platform_name} deploy pipeline: table, topic, queues, logs",
                enable_key_rotation=True,
                removal_policy=removal_policy,
            )
            limit_grants_to_aws_resources(key)
            grant_logs_encrypt(key)
        self.key = key
        # EventBridge writes to the encrypted DLQ; CloudWatch alarms publish to the encrypted topic.
        _let_services_use_key(key, ["events.amazonaws.com", "cloudwatch.amazonaws.com"])

        self.topic = _topic(self, f"{platform_name} deployments", key, notification_emails)

        self.table = dynamodb.Table(
            self,
            "Deployments",
            partition_key=dynamodb.Attribute(name="model_package_arn", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="target", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=removal_policy,
        )
        self.table.add_global_secondary_index(
            index_name=GROUP_INDEX,
            partition_key=dynamodb.Attribute(name="model_package_group", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="package_version", type=dynamodb.AttributeType.NUMBER),
        )
        acknowledge(
            self.table,
            {
                "HIPAA.Security-DynamoDBInBackupPlan": "point-in-time recovery (35 days) protects the deployments "
                "table; it holds only deployment bookkeeping that the registry can rebuild",
                "NIST.800.53.R5-DynamoDBInBackupPlan": "point-in-time recovery (35 days) protects the deployments "
                "table; it holds only deployment bookkeeping that the registry can rebuild",
            },
        )

        self.dead_letter_queue = _dead_letter_queue(self, "EventsDeadLetterQueue", key, "the deploy rules' targets")

        deploy_roles = [deploy_role_arns[stage] for stage in STAGES]
        self.state_machine: sfn.StateMachine | None = None
        self.pipeline_role: iam.IRole | None = None
        self._functions: dict[str, PlatformFunction] = {}
        # What every handler reads (the handlers' `settings` and `notify` modules).
        self._common_env = {
            "DEPLOY_GROUPS": self._groups_setting,
            "DEPLOYMENTS_TABLE": self.table.table_name,
            "EVENT_BUS_NAME": platform_events_bus.event_bus_name,
            "EVENT_SOURCE": f"{platform_name}.deploy",
            "TOPIC_ARN": self.topic.topic_arn,
        }
        if registry_account is not None:
            self._common_env["REGISTRY_ACCOUNT"] = registry_account

        rule_targets: list[events.IRuleTarget] = []
        deployed_targets: list[PlatformFunction] = []
        if state_machine:
            endpoint_fn = self._function(
                "EndpointStep",
                "endpoint",
                "Deploys a model package to a stage's endpoint, polls it, smoke-tests it",
                {
                    "DEPLOY_ROLE_ARNS": json.dumps(dict(zip(STAGES, deploy_roles, strict=True)), sort_keys=True),
                    "SPEC_PARAMETER_TEMPLATE": naming.deployment_spec_parameter_name(
                        platform_name,
                        "{endpoint}",
                        "{stage}",  # type: ignore[arg-type]
                    ),
                    "MAX_POLLS": str(math.ceil(self._deploy_timeout.to_seconds() / self._poll_interval.to_seconds())),
                },
                timeout=cdk.Duration.minutes(2),
                role_name=None if pipeline_role is None else naming.deploy_endpoint_step_role_name(platform_name),
            )
            self.pipeline_role = (
                self._render_pipeline_role(endpoint_fn, deploy_roles) if pipeline_role is None else pipeline_role
            )
            endpoint_fn.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[self.pipeline_role.role_arn])
            )
            endpoint_fn.function.add_environment("PIPELINE_ROLE_ARN", self.pipeline_role.role_arn)
            approval_fn = self._function("ApprovalStep", "approval", "Asks for manual approval of a prod deployment")
            record_fn = self._function("RecordStep", "record", "Records, announces and notifies a deployment outcome")
            self.state_machine = self._render_state_machine(endpoint_fn, approval_fn, record_fn)
            execution_env = {"STATE_MACHINE_ARN": self.state_machine.state_machine_arn}
            start_fn = self._function(
                "Start",
                "start",
                "Claims an approved model package version once and starts its deployment",
                execution_env | {"DEPLOY_TARGET": "state-machine"},
            )
            self.state_machine.grant_start_execution(start_fn.role)
            self.state_machine.grant_task_response(start_fn.role)
            trigger_targets = ",".join(
                name for name, option in (("gitlab", gitlab), ("mwaa", mwaa)) if option is not None
            )
            reject_fn = self._function(
                "Reject",
                "reject",
                "Stops a rejected model package's deployment and rolls its endpoints back",
                execution_env | {"TRIGGER_TARGETS": trigger_targets},
            )
            self.state_machine.grant_start_execution(reject_fn.role)
            reject_fn.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=STOP_EXECUTION_ACTIONS,
                    resources=[
                        stack.format_arn(
                            service="states",
                            resource="execution",
                            resource_name=f"{naming.deploy_state_machine_name(platform_name)}:*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                )
            )
            executions = f"execution:{naming.deploy_state_machine_name(platform_name)}:*"
            acknowledge(
                reject_fn.role,
                {
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:"
                    f"{_nag(stack.region, 'Region')}:{_nag(stack.account, 'AccountId')}:{executions}]": "executions "
                    "get their names at run time; the grant is scoped to executions of this pipeline's state machine"
                },
            )
            self.rejected_rule = events.Rule(
                self,
                "RejectedRule",
                event_bus=model_events_bus,
                description="Rejected versions of the deployed groups: stop and roll back",
                event_pattern=_package_pattern(groups, "Rejected", registry_account),
            )
            self.rejected_rule.add_target(self._rule_target(reject_fn))
            rule_targets.append(self._rule_target(start_fn))
        if gitlab is not None:
            gitlab_fn = self._function(
                "GitLabTrigger",
                "start",
                "Triggers the GitLab pipeline for an approved model package version",
                {
                    "DEPLOY_TARGET": "gitlab",
                    "GITLAB_URL": gitlab.url,
                    "GITLAB_PROJECT_ID": str(gitlab.project_id),
                    "GITLAB_REF": gitlab.ref,
                    "GITLAB_TOKEN_SECRET": gitlab.token_secret.secret_arn,
                },
                vpc_subnet_ids=gitlab.vpc_subnet_ids,
                security_group_ids=gitlab.security_group_ids,
            )
            gitlab.token_secret.grant_read(gitlab_fn.role)
            if gitlab.fire_on == "approved":
                rule_targets.append(self._rule_target(gitlab_fn))
            else:
                deployed_targets.append(gitlab_fn)
        if mwaa is not None:
            mwaa_fn = self._function(
                "MwaaTrigger",
                "start",
                "Creates an Airflow DAG run on MWAA for an approved model package version",
                {"DEPLOY_TARGET": "mwaa", "MWAA_ENVIRONMENT": mwaa.environment_name, "MWAA_DAG_ID": mwaa.dag_id},
            )
            mwaa_fn.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=MWAA_ACTIONS,
                    resources=[
                        stack.format_arn(
                            service="airflow",
                            resource="role",
                            resource_name=f"{mwaa.environment_name}/{mwaa.airflow_role}",
                        )
                    ],
                )
            )
            if mwaa.fire_on == "approved":
                rule_targets.append(self._rule_target(mwaa_fn))
            else:
                deployed_targets.append(mwaa_fn)
        self.deployed_rule: events.Rule | None = None
        if deployed_targets:
            self.deployed_rule = self._render_deployed_rule(
                platform_name, groups, platform_events_bus, deployed_targets
            )
        self.approved_rule = events.Rule(
            self,
            "ApprovedRule",
            event_bus=model_events_bus,
            description="Approved versions of the deployed groups: start a deployment once per version",
            event_pattern=_package_pattern(groups, "Approved", registry_account),
            targets=rule_targets,
        )
        for function in self._functions.values():
            self._grant_bookkeeping(function.role, FUNCTION_NEEDS[function.node.id])
            if "bus" in FUNCTION_NEEDS[function.node.id]:
                platform_events_bus.grant_put_events_to(function.role)
        self._render_alarms()

    # --- public methods ---------------------------------------------------------------------------

    def metric(self, metric_name: str, **props: object) -> cloudwatch.Metric:
        """A metric of the deploy state machine (AWS/States), e.g. ExecutionsFailed."""
        if self.state_machine is None:
            raise ValueError("this DeployPipeline has no state machine (state_machine=False)")
        return self.state_machine.metric(metric_name, **props)  # type: ignore[arg-type]

    def metric_executions_failed(self) -> cloudwatch.Metric:
        """Failed deployments (Sum over 5 minutes); every failure is also notified on `topic`."""
        return self.metric("ExecutionsFailed", statistic="Sum", period=cdk.Duration.minutes(5))

    def metric_dead_letters(self) -> cloudwatch.Metric:
        """Events the rules could not deliver (visible messages in the DLQ, Maximum over 5 minutes)."""
        return self.dead_letter_queue.metric_approximate_number_of_messages_visible(
            statistic="Maximum", period=cdk.Duration.minutes(5)
        )

    def grant_approve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` answer the manual approval (send-task-success / send-task-failure)."""
        if self.state_machine is None:
            raise ValueError("this DeployPipeline has no state machine (state_machine=False)")
        return self.state_machine.grant_task_response(grantee)

    # --- private ------------------------------------------------------------------------------------

    def _function(
        self,
        id: str,
        handler: str,
        description: str,
        environment: dict[str, str] | None = None,
        timeout: cdk.Duration | None = None,
        role_name: str | None = None,
        vpc_subnet_ids: Sequence[str] = (),
        security_group_ids: Sequence[str] = (),
    ) -> PlatformFunction:
        function = PlatformFunction(
            self,
            id,
            handler_name=HANDLER_ASSET,
            key=self.key,
            description=description,
            timeout=timeout,
            role_name=role_name,
            vpc_subnet_ids=vpc_subnet_ids,
            security_group_ids=security_group_ids,
            environment={"DEPLOY_HANDLER": handler, **self._common_env, **(environment or {})},
        )
        self._functions[id] = function
        return function

    def _grant_bookkeeping(self, grantee: iam.IGrantable, needs: frozenset[str]) -> None:
        """The claims table (items, the group index) and/or the topic, and the key they are encrypted with."""
        if "table" in needs:
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=TABLE_ACTIONS,
                    resources=[self.table.table_arn, f"{self.table.table_arn}/index/{GROUP_INDEX}"],
                )
            )
        if "topic" in needs:
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn])
            )
        if "table" in needs or "topic" in needs:
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[self.key.key_arn])
            )

    def _render_deployed_rule(
        self,
        platform_name: str,
        groups: Sequence[DeployGroup],
        bus: events.IEventBus,
        functions: Sequence[PlatformFunction],
    ) -> events.Rule:
        """Triggers that fire once prod is deployed: the pipeline's Deployment Succeeded event (kind `deploy`, not
        a rollback), reshaped into the Approved model package event the trigger handler already validates and
        claims once per version (same checks, no second event format in the handler)."""
        package = events.RuleTargetInput.from_object(
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
        return events.Rule(
            self,
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
            targets=[self._rule_target(function, event=package) for function in functions],
        )

    def _rule_target(
        self, function: PlatformFunction, *, event: events.RuleTargetInput | None = None
    ) -> targets.LambdaFunction:
        # An event the function failed on (after Lambda's own retries) lands in its DLQ: someone must hear of it.
        _alarm(
            self,
            f"{function.node.id}DeadLettersAlarm",
            function.dead_letter_queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=cdk.Duration.minutes(5)
            ),
            f"{function.node.id}: model package events the handler failed on (see its dead-letter queue)",
            self.topic,
        )
        return targets.LambdaFunction(
            function.function,
            event=event,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=8,
            max_event_age=cdk.Duration.hours(6),
        )

    def _render_pipeline_role(self, endpoint_fn: PlatformFunction, deploy_roles: list[str]) -> PlatformRole:
        """The named role the stage deploy roles trust; it may only assume them."""
        role = PlatformRole(
            self,
            "PipelineRole",
            role_name=naming.deploy_pipeline_role_name(self._platform_name),
            assumed_by=iam.ArnPrincipal(endpoint_fn.role.role_arn),
            description="Deploy pipeline tasks: assumes the staging and prod deploy roles, nothing else",
            max_session_duration=cdk.Duration.hours(1),
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sts:AssumeRole"], resources=sorted(set(deploy_roles)))
        )
        return role

    def _render_state_machine(
        self, endpoint_fn: PlatformFunction, approval_fn: PlatformFunction, record_fn: PlatformFunction
    ) -> sfn.StateMachine:
        record_failure = self._task(
            "RecordFailure", record_fn, {"outcome": "failed", "step": sfn.JsonPath.entire_payload}
        )
        failure = record_failure.next(sfn.Fail(self, "DeploymentFailed", error="DeploymentFailed"))
        record_success = self._task(
            "RecordSuccess", record_fn, {"outcome": "succeeded", "step": sfn.JsonPath.entire_payload}
        )
        # The endpoints already serve the version: a recording failure must not record the deployment as failed.
        # The execution fails (the ExecutionsFailed alarm tells people) and the claim stays as it was.
        record_success.add_catch(
            sfn.Fail(
                self,
                "RecordingFailed",
                error="RecordingFailed",
                cause="the endpoints were updated, but recording the outcome failed; see the execution history",
            ),
            result_path="$.error",
        )
        done = record_success.next(sfn.Succeed(self, "Deployed"))

        staging = self._stage_map("staging", endpoint_fn, smoke_test=True).add_catch(failure, result_path="$.error")
        prod = self._stage_map("prod", endpoint_fn, smoke_test=False).add_catch(failure, result_path="$.error")
        prod.next(done)
        approval = tasks.LambdaInvoke(
            self,
            "RequestApproval",
            lambda_function=approval_fn.function,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {"task_token": sfn.JsonPath.task_token, "step": sfn.JsonPath.entire_payload}
            ),
            result_path="$.approval",
            task_timeout=sfn.Timeout.duration(self._approval_timeout),
            retry_on_service_exceptions=True,
        )
        _add_task_retries(approval)
        approval.add_catch(failure, result_path="$.error")
        approval.next(prod)
        route = (
            sfn.Choice(self, "RollbackOrApproval")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.string_equals("$.kind", "rollback"),
                    sfn.Condition.boolean_equals("$.include_prod", True),
                ),
                prod,
            )
            .when(sfn.Condition.string_equals("$.kind", "rollback"), record_success)
            .otherwise(approval)
        )
        definition = staging.next(route)
        log_group = state_machine_log_group(self, "StateMachineLogs", key=self.key)
        role = state_machine_role(self, "StateMachineRole", description="Deploy state machine")
        state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=naming.deploy_state_machine_name(self._platform_name),
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            role=role,
            timeout=self._approval_timeout.plus(self._deploy_timeout)
            .plus(self._deploy_timeout)
            .plus(cdk.Duration.hours(1)),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        return state_machine

    def _task(
        self, id: str, function: PlatformFunction, payload: Mapping[str, object], result_path: str = "$.record"
    ) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            id,
            lambda_function=function.function,
            payload=sfn.TaskInput.from_object(dict(payload)),
            payload_response_only=True,
            result_path=result_path,
            retry_on_service_exceptions=True,
        )
        _add_task_retries(task)
        return task

    def _stage_map(self, stage: str, endpoint_fn: PlatformFunction, *, smoke_test: bool) -> sfn.Map:
        """A Map over the group's endpoints: deploy → (wait → status)* until InService → smoke test."""
        title = stage.capitalize()
        step = {"action": "deploy", "step": sfn.JsonPath.entire_payload}
        deploy = self._task(f"Deploy{title}Endpoint", endpoint_fn, step, "$.deployment")
        deploy.add_retry(
            errors=["EndpointBusy"],
            interval=cdk.Duration.minutes(1),
            max_attempts=30,
            backoff_rate=1.5,
            max_delay=cdk.Duration.minutes(5),
        )
        wait = sfn.Wait(self, f"Wait{title}Endpoint", time=sfn.WaitTime.duration(self._poll_interval))
        status = self._task(
            f"Check{title}Endpoint",
            endpoint_fn,
            {"action": "status", "step": sfn.JsonPath.entire_payload},
            "$.deployment",
        )
        in_service: sfn.IChainable = sfn.Pass(self, f"{title}EndpointInService")
        if smoke_test:
            in_service = self._task(
                f"SmokeTest{title}Endpoint",
                endpoint_fn,
                {"action": "smoke_test", "step": sfn.JsonPath.entire_payload},
                "$.smoke_test_result",
            )
        ready = (
            sfn.Choice(self, f"{title}EndpointReady")
            .when(sfn.Condition.string_equals("$.deployment.state", "InService"), in_service)
            .otherwise(wait)
        )
        iterator = deploy.next(wait).next(status).next(ready)
        stage_map = sfn.Map(
            self,
            f"Deploy{title}",
            items_path="$.endpoints",
            item_selector={
                "stage": stage,
                "endpoint": sfn.JsonPath.string_at("$$.Map.Item.Value.endpoint"),
                "smoke_test": sfn.JsonPath.string_at("$$.Map.Item.Value.smoke_test"),
                "model_package_arn": sfn.JsonPath.string_at("$.model_package_arn"),
                "execution_name": sfn.JsonPath.string_at("$.execution_name"),
            },
            result_path=f"$.{stage}",
            max_concurrency=5,
        )
        stage_map.item_processor(iterator)
        return stage_map

    def _render_alarms(self) -> None:
        """A deployment that fails without reaching RecordFailure, or an undelivered event, still reaches people."""
        _alarm(
            self,
            "DeadLettersAlarm",
            self.metric_dead_letters(),
            "Model package events the deploy pipeline could not take (see the DLQ)",
            self.topic,
        )
        if self.state_machine is not None:
            for metric_name in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
                _alarm(
                    self,
                    f"{metric_name}Alarm",
                    self.metric(metric_name, statistic="Sum", period=cdk.Duration.minutes(5)),
                    f"Deploy state machine: {metric_name}",
                    self.topic,
                )

    def _validate(
        self,
        groups: Sequence[DeployGroup],
        deploy_role_arns: Mapping[str, str],
        state_machine: bool,
        gitlab: GitLabTrigger | None,
        mwaa: MwaaTrigger | None,
    ) -> None:
        problems = ProblemCollector("DeployPipeline")
        names = [group.model_package_group for group in groups]
        problems.check(bool(groups), "groups=[]: give at least one model package group to deploy")
        problems.check(len(set(names)) == len(names), f"groups={names}: each model package group may appear once")
        for group in groups:
            problems.check(
                bool(group.endpoints),
                f"groups[{group.model_package_group!r}].endpoints=[]: name at least one endpoints entry",
            )
        missing = [stage for stage in STAGES if stage not in deploy_role_arns]
        problems.check(not missing, f"deploy_role_arns lacks {missing}: give the deploy role ARN of staging and prod")
        problems.check(
            state_machine or gitlab is not None or mwaa is not None,
            "state_machine=False with neither gitlab nor mwaa: nothing would deploy",
        )
        for name, trigger in (("gitlab", gitlab), ("mwaa", mwaa)):
            problems.check(
                trigger is None or trigger.fire_on == "approved" or state_machine,
                f"{name}.fire_on='deployed' with state_machine=False: only the deploy state machine announces a "
                "deployment; allowed: fire_on='approved', or state_machine=True",
            )
        if not cdk.Token.is_unresolved(self._poll_interval.to_seconds()):
            problems.check(
                self._poll_interval.to_seconds() < self._deploy_timeout.to_seconds(),
                f"poll_interval={self._poll_interval.to_human_string()} must be shorter than "
                f"deploy_timeout={self._deploy_timeout.to_human_string()}",
            )
        problems.check(
            len(self._groups_setting) <= MAX_GROUPS_SETTING_CHARS,
            f"groups render to {len(self._groups_setting)} characters of Lambda environment; at most "
            f"{MAX_GROUPS_SETTING_CHARS} fit (shorten the smoke test payloads)",
        )
        problems.raise_if_any()


class PipelineSchedules(Construct):
    """Scheduled SageMaker pipeline runs, retraining when a scheduled pipeline fails, failure notifications.

    Lives in the account where the pipelines run: EventBridge Scheduler starts each pipeline; a rule on
    the account's default bus starts the retraining pipeline when a run fails; every failure of a
    scheduled or retraining pipeline, and every schedule that cannot start its pipeline, is notified.

    :param schedules: the pipelines to run.
    :param key: KMS key for the topic, the queue and the schedules. Default: a new key.
    :param notification_emails: Default: none.
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
        problems = ProblemCollector("PipelineSchedules")
        ids = [schedule.id for schedule in schedules]
        problems.check(bool(schedules), "schedules=[]: give at least one schedule")
        problems.check(len(set(ids)) == len(ids), f"schedules ids {ids}: each id may appear once")
        problems.raise_if_any()
        stack = cdk.Stack.of(self)
        if key is None:
            key = kms.Key(
                self, "Key", description="Pipeline schedules", enable_key_rotation=True, removal_policy=removal_policy
            )
            limit_grants_to_aws_resources(key)
        self.key = key
        _let_services_use_key(key, ["events.amazonaws.com", "scheduler.amazonaws.com"])
        self.topic = _topic(self, "Pipeline failures", key, notification_emails)
        self.dead_letter_queue = _dead_letter_queue(
            self, "DeadLetterQueue", key, "the schedules and the retraining rule"
        )
        self.role = PlatformRole(
            self,
            "StartPipelinesRole",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal(
                    "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
                ),
                iam.ServicePrincipal(
                    "events.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
                ),
            ),
            description="EventBridge Scheduler and rules: start the scheduled and retraining SageMaker pipelines",
        )
        pipeline_arns = sorted(
            {self._pipeline_arn(schedule.pipeline_name) for schedule in schedules}
            | {self._pipeline_arn(s.retrain_pipeline_name) for s in schedules if s.retrain_pipeline_name is not None}
        )
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=START_PIPELINE_ACTIONS, resources=pipeline_arns))
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.dead_letter_queue.queue_arn])
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn])
        )
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
                    event_pattern=_pipeline_failed_pattern([self._pipeline_arn(schedule.pipeline_name)]),
                    targets=[
                        _StartPipeline(
                            self._pipeline_arn(schedule.retrain_pipeline_name), self.role, self.dead_letter_queue
                        )
                    ],
                )
        events.Rule(
            self,
            "PipelineFailed",
            description="Scheduled and retraining pipeline runs that failed",
            event_pattern=_pipeline_failed_pattern(sorted(set(watched))),
            targets=[targets.SnsTopic(self.topic, dead_letter_queue=self.dead_letter_queue)],
        )
        _alarm(
            self,
            "DeadLettersAlarm",
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=cdk.Duration.minutes(5)
            ),
            "A schedule or the retraining rule could not start its pipeline (see the DLQ)",
            self.topic,
        )
        _let_services_use_key(key, ["cloudwatch.amazonaws.com"])

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
                sage_maker_pipeline_parameters=scheduler.CfnSchedule.SageMakerPipelineParametersProperty(
                    pipeline_parameter_list=[
                        scheduler.CfnSchedule.SageMakerPipelineParameterProperty(name=name, value=value)
                        for name, value in sorted(schedule.parameters.items())
                    ]
                )
                if schedule.parameters
                else None,
            ),
        )


# --- helpers ------------------------------------------------------------------------------------


@jsii.implements(events.IRuleTarget)
class _StartPipeline:
    """Rule target that starts a SageMaker pipeline (with retries and a dead-letter queue)."""

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


def _let_services_use_key(key: kms.Key, services: Sequence[str]) -> None:
    """Let AWS services of this account encrypt to and decrypt from `key` (encrypted queues and topics)."""
    for service in services:
        key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                principals=[iam.ServicePrincipal(service)],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(key).account}},
            )
        )


def _topic(scope: Construct, display_name: str, key: kms.IKey, emails: Sequence[str]) -> sns.Topic:
    topic = sns.Topic(scope, "Notifications", display_name=display_name, master_key=key, enforce_ssl=True)
    for email in emails:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    return topic


def _dead_letter_queue(scope: Construct, id: str, key: kms.IKey, of_what: str) -> sqs.Queue:
    queue = sqs.Queue(
        scope,
        id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=cdk.Duration.days(14),
    )
    acknowledge_dead_letter_queue(queue, of=of_what)
    return queue


def _alarm(scope: Construct, id: str, metric: cloudwatch.IMetric, description: str, topic: sns.ITopic) -> None:
    """An alarm on `metric` >= 1 that notifies `topic`."""
    alarm = cloudwatch.Alarm(
        scope,
        id,
        metric=metric,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic))


def _render_groups(groups: Sequence[DeployGroup]) -> dict[str, object]:
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


def _add_task_retries(task: tasks.LambdaInvoke) -> None:
    """Transient failures a few times with backoff; a refused AWS call twice more (the handler steps are repeatable)."""
    task.add_retry(errors=TRANSIENT_ERRORS, interval=cdk.Duration.seconds(5), max_attempts=4, backoff_rate=2)
    task.add_retry(errors=["AwsCallFailed"], interval=cdk.Duration.seconds(20), max_attempts=2, backoff_rate=2)


def _package_pattern(groups: Sequence[DeployGroup], status: str, registry_account: str | None) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.sagemaker"],
        detail_type=[MODEL_PACKAGE_STATE_CHANGE],
        account=[registry_account] if registry_account is not None else None,
        detail={
            "ModelApprovalStatus": [status],
            "ModelPackageGroupName": sorted(group.model_package_group for group in groups),
        },
    )


def _pipeline_failed_pattern(pipeline_arns: list[str]) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.sagemaker"],
        detail_type=[PIPELINE_STATUS_CHANGE],
        detail={"currentPipelineExecutionStatus": ["Failed"], "pipelineArn": pipeline_arns},
    )


def _nag(value: str, pseudo: str) -> str:
    """How cdk-nag prints a stack's region or account in a finding id: the value, or `<AWS::Pseudo>`."""
    return f"<AWS::{pseudo}>" if cdk.Token.is_unresolved(value) else value


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))

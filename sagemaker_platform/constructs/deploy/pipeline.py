"""`DeployPipeline`: EventBridge rules on approved/rejected model packages, an idempotent start, a deploy
state machine (tooling account), and optional GitLab/MWAA triggers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.common import (
    alarm_on_any,
    dead_letter_queue,
    let_services_use_key,
    notification_topic,
)
from sagemaker_platform.constructs.deploy.functions import DeployFunctions
from sagemaker_platform.constructs.deploy.grants import (
    FUNCTION_NEEDS,
    assume_roles_statement,
    grant_bookkeeping,
    grant_stop_executions,
)
from sagemaker_platform.constructs.deploy.role import render_pipeline_role
from sagemaker_platform.constructs.deploy.rules import (
    approved_event_input,
    lambda_rule_target,
    package_pattern,
    render_deployed_rule,
)
from sagemaker_platform.constructs.deploy.settings import (
    STAGES,
    DeployGroup,
    DeployTiming,
    GitLabTrigger,
    MwaaTrigger,
    TriggerMoment,
    render_groups,
)
from sagemaker_platform.constructs.deploy.state_machine import render_state_machine
from sagemaker_platform.constructs.deploy.storage import render_deployments_table, render_pipeline_key
from sagemaker_platform.constructs.deploy.triggers import render_gitlab_trigger, render_mwaa_trigger
from sagemaker_platform.constructs.deploy.validation import validate_deploy_pipeline
from sagemaker_platform.constructs.function import PlatformFunction


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
        self._timing = DeployTiming.of(approval_timeout, poll_interval, deploy_timeout)
        self._groups_setting = json.dumps(render_groups(groups), sort_keys=True, separators=(",", ":"))
        validate_deploy_pipeline(
            groups=groups,
            deploy_role_arns=deploy_role_arns,
            state_machine=state_machine,
            gitlab=gitlab,
            mwaa=mwaa,
            timing=self._timing,
            groups_setting=self._groups_setting,
        )
        self._platform_name = platform_name
        self._groups, self._registry_account, self._gitlab, self._mwaa = groups, registry_account, gitlab, mwaa
        self._render_storage(key, notification_emails, removal_policy)
        self.state_machine: sfn.StateMachine | None = None
        self.pipeline_role: iam.IRole | None = None
        self._functions = DeployFunctions(
            self, key=self.key, common_env=self._common_env(platform_events_bus, registry_account)
        )
        rule_targets: list[events.IRuleTarget] = []
        if state_machine:
            rule_targets.append(self._render_deployments(deploy_role_arns, pipeline_role, model_events_bus))
        self._render_rules(model_events_bus, platform_events_bus, rule_targets)
        self._grant_functions(platform_events_bus)
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

    def _render_deployments(
        self, deploy_role_arns: Mapping[str, str], pipeline_role: iam.IRole | None, model_events_bus: events.IEventBus
    ) -> events.IRuleTarget:
        """The state machine (staging, test, approval, prod) and its starters; the approved rule's target."""
        endpoint_fn, approval_fn, record_fn = self._render_steps(deploy_role_arns, pipeline_role)
        self.state_machine = render_state_machine(
            self,
            endpoint_fn=endpoint_fn,
            approval_fn=approval_fn,
            record_fn=record_fn,
            platform_name=self._platform_name,
            key=self.key,
            timing=self._timing,
        )
        start_fn = self._render_starters(
            self.state_machine, self._groups, model_events_bus, self._registry_account, self._gitlab, self._mwaa
        )
        return self._rule_target(start_fn)

    def _render_rules(
        self,
        model_events_bus: events.IEventBus,
        platform_events_bus: events.IEventBus,
        rule_targets: list[events.IRuleTarget],
    ) -> None:
        """The deployed rule (triggers after a deployment) and the approved rule (starts a deployment)."""
        deployed_targets = self._render_triggers(self._gitlab, self._mwaa, rule_targets)
        self.deployed_rule: events.Rule | None = None
        if deployed_targets:
            self.deployed_rule = render_deployed_rule(
                self,
                self._platform_name,
                self._groups,
                platform_events_bus,
                [self._rule_target(function, event=approved_event_input()) for function in deployed_targets],
            )
        self.approved_rule = events.Rule(
            self,
            "ApprovedRule",
            event_bus=model_events_bus,
            description="Approved versions of the deployed groups: start a deployment once per version",
            event_pattern=package_pattern(self._groups, "Approved", self._registry_account),
            targets=rule_targets,
        )

    def _render_storage(
        self, key: kms.Key | None, notification_emails: Sequence[str], removal_policy: cdk.RemovalPolicy
    ) -> None:
        """The key, the notification topic, the claims table and the rules' dead-letter queue."""
        if key is None:
            key = render_pipeline_key(self, self._platform_name, removal_policy)
        self.key = key
        # EventBridge writes to the encrypted DLQ; CloudWatch alarms publish to the encrypted topic.
        let_services_use_key(key, ["events.amazonaws.com", "cloudwatch.amazonaws.com"])
        self.topic = notification_topic(self, f"{self._platform_name} deployments", key, notification_emails)
        self.table: dynamodb.Table = render_deployments_table(self, key, removal_policy)
        self.dead_letter_queue = dead_letter_queue(self, "EventsDeadLetterQueue", key, of="the deploy rules' targets")

    def _common_env(self, platform_events_bus: events.IEventBus, registry_account: str | None) -> dict[str, str]:
        """What every handler reads (the handlers' `settings` and `notify` modules)."""
        env = {
            "DEPLOY_GROUPS": self._groups_setting,
            "DEPLOYMENTS_TABLE": self.table.table_name,
            "EVENT_BUS_NAME": platform_events_bus.event_bus_name,
            "EVENT_SOURCE": f"{self._platform_name}.deploy",
            "TOPIC_ARN": self.topic.topic_arn,
        }
        if registry_account is not None:
            env["REGISTRY_ACCOUNT"] = registry_account
        return env

    def _render_steps(
        self, deploy_role_arns: Mapping[str, str], pipeline_role: iam.IRole | None
    ) -> tuple[PlatformFunction, PlatformFunction, PlatformFunction]:
        """The state machine's functions: the endpoint step (reaching the stages through the pipeline role),
        the approval step and the record step."""
        deploy_roles = [deploy_role_arns[stage] for stage in STAGES]
        endpoint_fn = self._functions.add(
            "EndpointStep",
            "endpoint",
            "Deploys a model package to a stage's endpoint, polls it, smoke-tests it",
            {
                "DEPLOY_ROLE_ARNS": json.dumps(dict(zip(STAGES, deploy_roles, strict=True)), sort_keys=True),
                "SPEC_PARAMETER_TEMPLATE": naming.deployment_spec_parameter_name(
                    self._platform_name,
                    "{endpoint}",
                    "{stage}",  # type: ignore[arg-type]
                ),
                "MAX_POLLS": str(self._timing.max_polls),
            },
            timeout=cdk.Duration.minutes(2),
            role_name=None if pipeline_role is None else naming.deploy_endpoint_step_role_name(self._platform_name),
        )
        self.pipeline_role = (
            render_pipeline_role(self, self._platform_name, endpoint_fn.role, deploy_roles)
            if pipeline_role is None
            else pipeline_role
        )
        endpoint_fn.role.add_to_principal_policy(assume_roles_statement([self.pipeline_role.role_arn]))
        endpoint_fn.function.add_environment("PIPELINE_ROLE_ARN", self.pipeline_role.role_arn)
        approval_fn = self._functions.add("ApprovalStep", "approval", "Asks for manual approval of a prod deployment")
        record_fn = self._functions.add("RecordStep", "record", "Records, announces and notifies a deployment outcome")
        return endpoint_fn, approval_fn, record_fn

    def _render_starters(
        self,
        state_machine: sfn.StateMachine,
        groups: Sequence[DeployGroup],
        model_events_bus: events.IEventBus,
        registry_account: str | None,
        gitlab: GitLabTrigger | None,
        mwaa: MwaaTrigger | None,
    ) -> PlatformFunction:
        """The start function (returned: the approved rule's target) and the reject function with its rule."""
        execution_env = {"STATE_MACHINE_ARN": state_machine.state_machine_arn}
        start_fn = self._functions.add(
            "Start",
            "start",
            "Claims an approved model package version once and starts its deployment",
            execution_env | {"DEPLOY_TARGET": "state-machine"},
        )
        state_machine.grant_start_execution(start_fn.role)
        state_machine.grant_task_response(start_fn.role)
        trigger_targets = ",".join(name for name, option in (("gitlab", gitlab), ("mwaa", mwaa)) if option is not None)
        reject_fn = self._functions.add(
            "Reject",
            "reject",
            "Stops a rejected model package's deployment and rolls its endpoints back",
            execution_env | {"TRIGGER_TARGETS": trigger_targets},
        )
        state_machine.grant_start_execution(reject_fn.role)
        grant_stop_executions(reject_fn.role, self._platform_name)
        self.rejected_rule = events.Rule(
            self,
            "RejectedRule",
            event_bus=model_events_bus,
            description="Rejected versions of the deployed groups: stop and roll back",
            event_pattern=package_pattern(groups, "Rejected", registry_account),
        )
        self.rejected_rule.add_target(self._rule_target(reject_fn))
        return start_fn

    def _render_triggers(
        self, gitlab: GitLabTrigger | None, mwaa: MwaaTrigger | None, rule_targets: list[events.IRuleTarget]
    ) -> list[PlatformFunction]:
        """The GitLab/MWAA triggers: those firing on approval join `rule_targets`; the others are returned."""
        deployed_targets: list[PlatformFunction] = []
        if gitlab is not None:
            function = render_gitlab_trigger(self._functions, gitlab)
            self._place_trigger(function, gitlab.fire_on, rule_targets, deployed_targets)
        if mwaa is not None:
            function = render_mwaa_trigger(self._functions, mwaa)
            self._place_trigger(function, mwaa.fire_on, rule_targets, deployed_targets)
        return deployed_targets

    def _place_trigger(
        self,
        function: PlatformFunction,
        fire_on: TriggerMoment,
        rule_targets: list[events.IRuleTarget],
        deployed_targets: list[PlatformFunction],
    ) -> None:
        if fire_on == "approved":
            rule_targets.append(self._rule_target(function))
        else:
            deployed_targets.append(function)

    def _grant_functions(self, platform_events_bus: events.IEventBus) -> None:
        """Each function's bookkeeping grants (`FUNCTION_NEEDS`) and, where it announces, the platform bus."""
        for function in self._functions.by_id.values():
            needs = FUNCTION_NEEDS[function.node.id]
            grant_bookkeeping(function.role, needs, table=self.table, topic=self.topic, key=self.key)
            if "bus" in needs:
                platform_events_bus.grant_put_events_to(function.role)

    def _rule_target(
        self, function: PlatformFunction, *, event: events.RuleTargetInput | None = None
    ) -> targets.LambdaFunction:
        return lambda_rule_target(
            self, function, topic=self.topic, dead_letter_queue=self.dead_letter_queue, event=event
        )

    def _render_alarms(self) -> None:
        """A deployment that fails without reaching RecordFailure, or an undelivered event, still reaches people."""
        alarm_on_any(
            self,
            "DeadLettersAlarm",
            self.metric_dead_letters(),
            "Model package events the deploy pipeline could not take (see the DLQ)",
            self.topic,
        )
        if self.state_machine is not None:
            for metric_name in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
                alarm_on_any(
                    self,
                    f"{metric_name}Alarm",
                    self.metric(metric_name, statistic="Sum", period=cdk.Duration.minutes(5)),
                    f"Deploy state machine: {metric_name}",
                    self.topic,
                )

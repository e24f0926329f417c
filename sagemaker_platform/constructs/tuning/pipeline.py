"""`TuningPipeline`: a state machine that tunes, writes the report, registers the best model and notifies,
with optional EventBridge Scheduler schedules and a notification of executions stopped from outside."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform import naming, tuning_spec
from sagemaker_platform.constructs.common import dead_letter_queue
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.tuning.functions import (
    name_and_grant_registrar,
    render_registrar,
    render_reporter,
    render_request_builder,
)
from sagemaker_platform.constructs.tuning.grants import grant_report
from sagemaker_platform.constructs.tuning.state_machine import render_state_machine
from sagemaker_platform.constructs.tuning.storage import TuningStorage
from sagemaker_platform.errors import ProblemCollector


class TuningPipeline(Construct):
    """A state machine that tunes, writes the report, registers the best model as PendingManualApproval, and notifies.

    Start an execution with ``{"spec_name": "<a spec of specs>"}`` or ``{"spec": {<a full spec>}}``;
    a spec given at run time is validated by the same rules before any AWS call. Run-time specs may use
    built-in images and images granted with `TuningStorage.grant_image_pull`.

    :param storage: key, buckets and training role.
    :param platform_name: `PlatformConfig.name`; names the register role and the pipeline-step role it assumes.
    :param specs: validated specs (`tuning_spec.parse_spec`) runnable by name. Default: none (run-time specs only).
    :param registry_account: account of the model package groups. Default: None, this account (the sandbox).
    :param model_artifacts_bucket: the registry's artifacts bucket (`naming.model_artifacts_bucket_name`); the
        best model and its metrics are copied there under ``<group>/<tuning job>/`` as the pipeline-step role
        (which the registry lets write there). Default: None, the package points at the tuning output bucket.
    :param topic: where outcomes are published. Default: a new KMS-encrypted topic.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        storage: TuningStorage,
        platform_name: str,
        specs: Sequence[Any] = (),
        registry_account: str | None = None,
        model_artifacts_bucket: str | None = None,
        topic: sns.ITopic | None = None,
    ) -> None:
        super().__init__(scope, id)
        self._validate(specs)
        self.storage = storage
        self.specs: tuple[Any, ...] = tuple(specs)
        stack = cdk.Stack.of(self)
        self.topic = topic if topic is not None else self._topic(storage.key)
        for spec in self.specs:
            storage.grant_image_pull(spec.image)
            if spec.vpc is not None:
                storage.grant_training_vpc()
        self.build_function = render_request_builder(self, storage)
        step_role_arn = naming.role_arn(stack.partition, stack.account, naming.pipeline_step_role_name(platform_name))
        self.register_function = render_registrar(
            self,
            storage,
            step_role_arn=step_role_arn,
            registry_account=registry_account,
            model_artifacts_bucket=model_artifacts_bucket,
        )
        self.report_function = render_reporter(self, storage)
        grant_report(self, self.report_function.role, storage)
        name_and_grant_registrar(
            self,
            self.register_function,
            storage,
            platform_name=platform_name,
            step_role_arn=step_role_arn,
            writes_metrics=model_artifacts_bucket is None,
        )
        self.state_machine = render_state_machine(
            self,
            storage=storage,
            topic=self.topic,
            specs=self.specs,
            build_fn=self.build_function,
            report_fn=self.report_function,
            register_fn=self.register_function,
        )
        self.schedules = [self._schedule(spec) for spec in self.specs if spec.schedule is not None]
        self._notify_stopped_executions()

    # --- public methods -------------------------------------------------------------------------

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.state_machine.grant_start_execution(grantee)

    def metric_failed(self, **props: Any) -> cloudwatch.Metric:
        """Executions that failed (tuning failed or stopped, bad spec, registration failed). Sum over 5 minutes."""
        return self.state_machine.metric_failed(**props)

    # --- private --------------------------------------------------------------------------------

    def _validate(self, specs: Sequence[Any]) -> None:
        problems = ProblemCollector("TuningPipeline")
        names = [getattr(spec, "name", None) for spec in specs]
        for index, spec in enumerate(specs):
            problems.check(
                isinstance(spec, tuning_spec.TuningSpec),
                f"specs[{index}] = {spec!r}: must be a TuningSpec from sagemaker_platform.tuning_spec.parse_spec",
            )
        duplicates = sorted({str(n) for n in names if names.count(n) > 1})
        problems.check(not duplicates, f"specs: duplicate names {duplicates}: each spec name must appear once")
        problems.raise_if_any()

    def _topic(self, key: kms.IKey) -> sns.Topic:
        return sns.Topic(self, "Notifications", master_key=key, enforce_ssl=True)

    def _notify_stopped_executions(self) -> None:
        """Executions stopped from outside (StopExecution, timeout) skip the state machine's own notification."""
        rule = events.Rule(
            self,
            "StoppedExecutions",
            description="Tuning pipeline executions aborted or timed out",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"stateMachineArn": [self.state_machine.state_machine_arn], "status": ["ABORTED", "TIMED_OUT"]},
            ),
        )
        # Like every other rule target of the platform: an event EventBridge cannot deliver is kept, not dropped.
        self.stopped_dead_letter_queue = dead_letter_queue(
            self, "StoppedExecutionsDeadLetters", self.storage.key, of="the stopped-executions rule's target"
        )
        rule.add_target(events_targets.SnsTopic(self.topic, dead_letter_queue=self.stopped_dead_letter_queue))
        if isinstance(self.storage.key, kms.Key):
            # EventBridge publishes to the encrypted topic with this key (a service principal needs a key policy grant).
            self.storage.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
                )
            )

    def _schedule(self, spec: Any) -> scheduler.Schedule:
        role = PlatformRole(
            self,
            f"Schedule{_pascal(spec.name)}Role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
            ),
            description=f"Starts the tuning pipeline for spec {spec.name} on its schedule",
        )
        return scheduler.Schedule(
            self,
            f"Schedule{_pascal(spec.name)}",
            schedule=scheduler.ScheduleExpression.expression(spec.schedule),
            description=f"Recurring tuning: {spec.name}",
            key=self.storage.key,
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_text(json.dumps({"spec_name": spec.name})),
                role=role,
                retry_attempts=3,
            ),
        )


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("-"))

"""The schedule applier of an `EndpointMonitor`: a small Step Functions workflow (SDK integrations, no handler
code) that creates or updates the monitoring schedule, and the rules that start it (the endpoint InService, a
new job definition, a rolled-back stack update)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from sagemaker_platform.constructs.lifecycle.rules import cloudformation_rule, events_role, sagemaker_rule
from sagemaker_platform.constructs.lifecycle.storage import LifecycleStorage
from sagemaker_platform.constructs.workflow import retry_every_error, state_machine_log_group, state_machine_role

if TYPE_CHECKING:
    from sagemaker_platform.constructs.lifecycle.monitoring import EndpointMonitor

ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"
ALREADY_EXISTS = "SageMaker.ResourceInUseException"
NOT_FOUND = "SageMaker.ResourceNotFoundException"
RESOURCE_STATUS_CHANGE = "CloudFormation Resource Status Change"
STACK_STATUS_CHANGE = "CloudFormation Stack Status Change"


def add_schedule_applier(
    monitor: EndpointMonitor, storage: LifecycleStorage, schedule_expression: str
) -> sfn.StateMachine:
    """The applier of `monitor`'s schedule and the rules starting it (after the job definition is defined)."""
    state_machine = _schedule_applier(monitor, storage, schedule_expression)
    applier = _applier_target(monitor, state_machine, storage)
    _apply_on_in_service(monitor, applier)
    _apply_on_definition_change(monitor, state_machine, applier)
    return state_machine


def _schedule_applier(
    monitor: EndpointMonitor, storage: LifecycleStorage, schedule_expression: str
) -> sfn.StateMachine:
    """The workflow applying the schedule (SDK integrations). Started by the endpoint's InService event it
    creates the schedule, or updates the one there; started by a CloudFormation event (a new job definition,
    a rolled-back update) it updates the schedule, if there is one yet (else the endpoint's InService creates
    it)."""
    schedule = {
        "MonitoringScheduleName": monitor.schedule_name,
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": schedule_expression},
            "MonitoringJobDefinitionName": monitor.job_definition_name,
            "MonitoringType": monitor.monitoring_type,
        },
    }
    create, update = (
        tasks.CallAwsService(
            monitor, id, service="sagemaker", action=action, iam_resources=[monitor.schedule_arn], parameters=schedule
        )
        for id, action in (
            ("CreateSchedule", "createMonitoringSchedule"),
            ("UpdateSchedule", "updateMonitoringSchedule"),
        )
    )
    # Both calls are repeatable (same name, same config), so every other failure is retried (`retry_every_error`).
    # The endpoint was updated (a new version deployed): its schedule is there, maybe on an older definition.
    retry_every_error(create, but=[ALREADY_EXISTS])
    create.add_catch(update, errors=[ALREADY_EXISTS])
    # A new definition before the endpoint exists: nothing to update yet.
    retry_every_error(update, but=[NOT_FOUND])
    update.add_catch(sfn.Succeed(monitor, "NotScheduledYet"), errors=[NOT_FOUND])
    # Any other input (a hand-started execution, `{}`) creates or updates the schedule: both converge.
    from_cloudformation = sfn.Condition.and_(
        sfn.Condition.is_present("$.source"), sfn.Condition.string_equals("$.source", "aws.cloudformation")
    )
    start = sfn.Choice(monitor, "Trigger").when(from_cloudformation, update).otherwise(create)
    role = state_machine_role(monitor, "ApplierRole", description=f"Applies {monitor.schedule_name}")
    state_machine = sfn.StateMachine(
        monitor,
        "ScheduleApplier",
        definition_body=sfn.DefinitionBody.from_chainable(start),
        state_machine_type=sfn.StateMachineType.STANDARD,
        role=role,
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=state_machine_log_group(monitor, "ApplierLogs", key=storage.key),
            level=sfn.LogLevel.ALL,
            include_execution_data=True,
        ),
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(storage.key),
    )
    # Encrypted execution history and logs: data keys of the lifecycle key, no wildcard action families.
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[storage.key.key_arn])
    )
    return state_machine


def _applier_target(
    monitor: EndpointMonitor, state_machine: sfn.StateMachine, storage: LifecycleStorage
) -> events.IRuleTarget:
    """The applier as the target of this monitor's rules: started by a role only EventBridge may assume."""
    start_role = events_role(
        monitor, "ApplyOnInServiceRole", description=f"Starts the schedule applier of {monitor.endpoint_name}"
    )
    return targets.SfnStateMachine(state_machine, role=start_role, dead_letter_queue=storage.rule_dead_letter_queue)


def _apply_on_in_service(monitor: EndpointMonitor, applier: events.IRuleTarget) -> None:
    """Start the applier each time the endpoint reaches InService (created, or updated to a new version)."""
    sagemaker_rule(
        monitor,
        "EndpointInService",
        description=f"{monitor.endpoint_name} is InService: apply its monitoring schedule",
        detail_type=ENDPOINT_STATE_CHANGE,
        detail={"EndpointName": [monitor.endpoint_name], "EndpointStatus": ["IN_SERVICE"]},
        targets=[applier],
    )


def _apply_on_definition_change(
    monitor: EndpointMonitor, state_machine: sfn.StateMachine, target: events.IRuleTarget
) -> None:
    """Start the applier (its update path) when CloudFormation creates this monitor's job definition, and when
    an update of this stack rolls back: a definition created in a failed update is deleted again, and the
    rolled-back applier points the schedule back at the definition that stays."""
    stack = cdk.Stack.of(monitor)
    cloudformation_rule(
        monitor,
        "DefinitionCreated",
        description=f"{monitor.job_definition_name} created: point the schedule of {monitor.endpoint_name} at it",
        detail_type=RESOURCE_STATUS_CHANGE,
        detail={"logical-resource-id": [stack.get_logical_id(monitor.job_definition)]},
        status="CREATE_COMPLETE",
        target=target,
    )
    cloudformation_rule(
        monitor,
        "UpdateRolledBack",
        description=f"{stack.stack_name} rolled back: point the schedule of {monitor.endpoint_name} at its definition",
        detail_type=STACK_STATUS_CHANGE,
        detail={},
        status="UPDATE_ROLLBACK_COMPLETE",
        target=target,
    )
    # The new definition is created once the applier naming it is in place: the event it causes starts
    # that applier, not the one still naming the old definition.
    monitor.job_definition.node.add_dependency(state_machine)

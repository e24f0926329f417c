"""Every monitor's schedule applier, run from the CLI-synthesized templates of both shipped configs, under faults.

The applier is a Step Functions workflow of two SDK tasks (no handler of ours to call), so its definition is run
state by state (`tests.asl_jsonpath`) against a SageMaker stand-in that keeps monitoring schedules by name, with
one failure of each kind injected into each call, duplicate and out-of-order events, and malformed input. The
error names are the ones Step Functions gives an SDK integration's failure (`SageMaker.<Code>Exception`; a
connection that fails or hangs ends the attempt as `States.Timeout` or `States.TaskFailed`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from sagemaker_platform.constructs.lifecycle.monitor_applier import ALREADY_EXISTS, NOT_FOUND
from tests.asl_jsonpath import Execution, TaskError, run
from tests.event_journeys import Stack
from tests.monitor_support import applier_of, job_definitions
from tests.registry_helpers import text

FAULTS = {
    "throttling": "SageMaker.ThrottlingException",
    "unavailable": "SageMaker.ServiceUnavailableException",
    "access denied": "SageMaker.AccessDeniedException",  # IAM still propagating the applier's new role
    "connection error": "States.Timeout",
    "connection reset": "States.TaskFailed",
}
IN_SERVICE = {"source": "aws.sagemaker", "detail-type": "SageMaker Endpoint State Change", "detail": {}}
DEFINITION_CREATED = {"source": "aws.cloudformation", "detail-type": "CloudFormation Resource Status Change"}


class SageMaker:
    """Monitoring schedules by name, as CreateMonitoringSchedule and UpdateMonitoringSchedule treat them; `faults`
    are raised, one per call, before the call does anything."""

    def __init__(self, faults: dict[str, list[str]] | None = None) -> None:
        self.schedules: dict[str, dict[str, Any]] = {}
        self.faults = faults or {}

    def __call__(self, state: str, resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
        if self.faults.get(state):
            raise TaskError(self.faults[state].pop(0))
        name, config = parameters["MonitoringScheduleName"], parameters["MonitoringScheduleConfig"]
        action = resource.rsplit(":", 1)[-1]
        if action == "createMonitoringSchedule":
            if name in self.schedules:
                raise TaskError(ALREADY_EXISTS)
        elif action == "updateMonitoringSchedule":
            if name not in self.schedules:
                raise TaskError(NOT_FOUND)
        else:
            raise AssertionError(f"unexpected call {resource}")
        self.schedules[name] = config
        return {"MonitoringScheduleArn": f"arn:aws:sagemaker:eu-west-1:123456789012:monitoring-schedule/{name}"}


def _appliers(stacks: list[Stack]) -> Iterator[tuple[Stack, str, dict[str, Any], str]]:
    """(stack, applier id, its definition, the job definition name it applies) of every monitor."""
    for stack, _, resource in job_definitions(stacks):
        applier_id = applier_of(stack, resource)
        machine = stack.template["Resources"][applier_id]
        definition = json.loads(text(machine["Properties"]["DefinitionString"]))
        yield stack, applier_id, definition, resource["Properties"]["JobDefinitionName"]


@pytest.fixture(params=["default", "multi-account"])
def appliers(request: pytest.FixtureRequest) -> list[tuple[Stack, str, dict[str, Any], str]]:
    name = "cli_default_stacks" if request.param == "default" else "cli_multi_account_stacks"
    found = list(_appliers(request.getfixturevalue(name)))
    assert found, "the shipped config monitors no endpoint"
    return found


def _applied(sagemaker: SageMaker, execution: Execution, definition_name: str) -> None:
    assert execution.status == "SUCCEEDED", execution
    ((config,),) = [list(sagemaker.schedules.values())]
    assert config["MonitoringJobDefinitionName"] == definition_name


# The calls each event makes: InService creates (or, on a scheduled endpoint, updates after ResourceInUse);
# a new definition's CloudFormation event updates.
PATHS = [
    ("in service, first deploy", IN_SERVICE, False, "CreateSchedule"),
    ("in service, new endpoint version", IN_SERVICE, True, "UpdateSchedule"),
    ("definition created", DEFINITION_CREATED, True, "UpdateSchedule"),
]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(("path", "event", "scheduled", "failing"), PATHS, ids=[p[0] for p in PATHS])
def test_one_failure_of_any_kind_on_a_call_is_retried_and_the_schedule_is_applied(
    appliers: list[tuple[Stack, str, dict[str, Any], str]],
    path: str,
    event: dict[str, Any],
    scheduled: bool,
    failing: str,
    fault: str,
) -> None:
    for _, _, definition, definition_name in appliers:
        sagemaker = SageMaker({failing: [FAULTS[fault]]})
        if scheduled:  # the endpoint's schedule, on the definition before this one
            name = definition["States"]["UpdateSchedule"]["Parameters"]["MonitoringScheduleName"]
            sagemaker.schedules[name] = {"MonitoringJobDefinitionName": "older"}
        execution = run(definition, event, sagemaker)
        _applied(sagemaker, execution, definition_name)
        assert [state for state, _ in execution.calls].count(failing) == 2  # the failed attempt, then one retry
        assert execution.retry_waits == [5]


def test_a_failure_that_lasts_fails_the_execution_after_five_attempts_and_the_alarm_names_it(
    cli_default_stacks: list[Stack], cli_multi_account_stacks: list[Stack]
) -> None:
    for stacks in (cli_default_stacks, cli_multi_account_stacks):
        for stack, applier_id, definition, _ in _appliers(stacks):
            sagemaker = SageMaker({"CreateSchedule": [FAULTS["access denied"]] * 10})
            execution = run(definition, IN_SERVICE, sagemaker)
            assert (execution.status, execution.error) == ("FAILED", FAULTS["access denied"])
            assert len(execution.calls) == 5 and sagemaker.schedules == {}
            assert execution.retry_waits == [5, 10, 20, 40]
            # Nothing is lost silently: the failed execution raises this monitor's alarm, which notifies the topic
            # the violations go to; the execution can be redriven.
            (alarm,) = [
                resource
                for _, resource in stack.resources("AWS::CloudWatch::Alarm")
                if resource["Properties"].get("MetricName") == "ExecutionsFailed"
                and resource["Properties"]["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": applier_id}}]
            ]
            properties = alarm["Properties"]
            assert (properties["Namespace"], properties["Statistic"], properties["Threshold"]) == (
                "AWS/States",
                "Sum",
                1,
            )
            assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            violation_actions = [
                resource["Properties"]["AlarmActions"]
                for _, resource in stack.resources("AWS::CloudWatch::Alarm")
                if resource["Properties"].get("MetricName") == "TriggeredRules"
            ]
            assert properties["AlarmActions"] in violation_actions


def test_duplicate_and_out_of_order_events_converge_on_one_schedule_of_the_new_definition(
    appliers: list[tuple[Stack, str, dict[str, Any], str]],
) -> None:
    for _, _, definition, definition_name in appliers:
        sagemaker = SageMaker()
        # The definition's CloudFormation event before the endpoint exists: nothing to update yet, no failure.
        early = run(definition, DEFINITION_CREATED, sagemaker)
        assert (early.status, early.states[-1], sagemaker.schedules) == ("SUCCEEDED", "NotScheduledYet", {})
        # Then InService, twice (EventBridge delivers at least once): one schedule, the second run updates it.
        first, second = run(definition, IN_SERVICE, sagemaker), run(definition, IN_SERVICE, sagemaker)
        _applied(sagemaker, first, definition_name)
        _applied(sagemaker, second, definition_name)
        assert second.states[1:] == ["CreateSchedule", "UpdateSchedule"]
        # And the CloudFormation event again, late: the same schedule, unchanged.
        late = run(definition, DEFINITION_CREATED, sagemaker)
        _applied(sagemaker, late, definition_name)


@pytest.mark.parametrize("malformed", [{}, {"source": None}, {"source": 42}, [], {"detail": "x"}])
def test_malformed_input_applies_the_schedule_like_any_other_start(
    appliers: list[tuple[Stack, str, dict[str, Any], str]], malformed: Any
) -> None:
    # An execution started by hand with any input (an operator's `{}`) creates or updates the schedule; without
    # `IsPresent`, a missing `source` failed the Choice with States.Runtime, untyped for the operator.
    for _, _, definition, definition_name in appliers:
        sagemaker = SageMaker()
        _applied(sagemaker, run(definition, malformed, sagemaker), definition_name)


def test_the_rules_hand_the_whole_event_to_the_applier(
    cli_default_stacks: list[Stack], cli_multi_account_stacks: list[Stack]
) -> None:
    # The Choice reads `$.source` of the event itself: no rule target may transform or cut it.
    for stacks in (cli_default_stacks, cli_multi_account_stacks):
        for stack, applier_id, _, _ in _appliers(stacks):
            targets = [
                target
                for _, rule in stack.resources("AWS::Events::Rule")
                for target in rule["Properties"].get("Targets", [])
                if target["Arn"] == {"Ref": applier_id}
            ]
            assert len(targets) == 3  # InService, the definition's creation, the stack's rolled-back update
            assert all(not {"Input", "InputPath", "InputTransformer"} & set(target) for target in targets)

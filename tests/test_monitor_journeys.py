"""A monitor's new job definition, followed from CloudFormation's event to the workflow that repoints the schedule.

Every property of a Model Monitor job definition is create-only: a change (a baseline, an instance type)
replaces the definition under a new name (`EndpointMonitor._define`). The schedule is not a CloudFormation
resource (the applier creates it once the endpoint exists), so the "CloudFormation Resource Status Change" event
of the new definition must reach that monitor's applier, in its own stack and account, and that applier must
update the schedule to the new name. Followed through the CLI-synthesized templates of both shipped configs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagemaker_platform.constructs.lifecycle.monitor_applier import RESOURCE_STATUS_CHANGE, STACK_STATUS_CHANGE
from tests.event_journeys import Stack, follow
from tests.monitor_support import applier_of, job_definitions
from tests.registry_helpers import text


def _cloudformation_event(stack: Stack, detail_type: str, status: str, **detail: str) -> dict[str, Any]:
    """An event CloudFormation puts on the default bus of `stack`'s account (a stack's or a resource's status)."""
    return {
        "version": "0",
        "source": "aws.cloudformation",
        "detail-type": detail_type,
        "account": stack.account,
        "region": "eu-west-1",
        "detail": {
            "stack-id": text({"Ref": "AWS::StackId"}),  # as the journey renders the rule's `Ref: AWS::StackId`
            "status-details": {"status": status, "status-reason": ""},
            "client-request-token": "Console-UpdateStack-7f59c3cf",
            **detail,
        },
    }


def _status_change(stack: Stack, logical_id: str, resource_type: str, status: str) -> dict[str, Any]:
    """The event CloudFormation puts on the default bus of `stack`'s account when the resource changes status."""
    arn = f"arn:aws:sagemaker:eu-west-1:{stack.account}:job-definition/{logical_id}"
    return _cloudformation_event(
        stack,
        RESOURCE_STATUS_CHANGE,
        status,
        **{"logical-resource-id": logical_id, "physical-resource-id": arn, "resource-type": resource_type},
    )


@pytest.fixture(params=["default", "multi-account"])
def stacks(request: pytest.FixtureRequest) -> list[Stack]:
    name = "cli_default_stacks" if request.param == "default" else "cli_multi_account_stacks"
    found: list[Stack] = request.getfixturevalue(name)
    return found


def test_every_new_job_definition_starts_its_own_monitors_applier_which_repoints_the_schedule(
    stacks: list[Stack],
) -> None:
    definitions = list(job_definitions(stacks))
    assert definitions, "the shipped config monitors no endpoint: nothing to follow"
    for stack, logical_id, resource in definitions:
        event = _status_change(stack, logical_id, resource["Type"], "CREATE_COMPLETE")
        journey = follow(stacks, event, account=stack.account)
        assert [(a.kind, a.stack) for a in journey.arrivals] == [("state-machine", stack.name)], journey.trail
        (arrival,) = journey.arrivals
        applier = stack.template["Resources"][arrival.logical_id]
        states = json.loads(text(applier["Properties"]["DefinitionString"]))["States"]
        name = resource["Properties"]["JobDefinitionName"]
        assert states["UpdateSchedule"]["Parameters"]["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == name
        assert arrival.logical_id in resource["DependsOn"]


def test_other_status_changes_of_a_job_definition_start_nothing(stacks: list[Stack]) -> None:
    for stack, logical_id, resource in job_definitions(stacks):
        for status in ("CREATE_IN_PROGRESS", "UPDATE_COMPLETE", "DELETE_COMPLETE", "CREATE_FAILED"):
            event = _status_change(stack, logical_id, resource["Type"], status)
            assert follow(stacks, event, account=stack.account).arrivals == [], (logical_id, status)


def test_a_rolled_back_update_of_a_monitoring_stack_starts_every_applier_of_that_stack(stacks: list[Stack]) -> None:
    """The definitions a failed update created are deleted again: every applier of the stack (rolled back to the
    definition that stays) points its schedule back. Only the rollback's end starts them."""
    monitored = {stack.name: stack for stack, _, _ in job_definitions(stacks)}
    for stack in monitored.values():
        appliers = {applier_of(stack, resource) for _, _, resource in job_definitions([stack])}
        journey = follow(
            stacks, _cloudformation_event(stack, STACK_STATUS_CHANGE, "UPDATE_ROLLBACK_COMPLETE"), account=stack.account
        )
        assert {a.logical_id for a in journey.arrivals if a.stack == stack.name} == appliers, journey.trail
        for status in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_IN_PROGRESS", "CREATE_COMPLETE"):
            journey = follow(stacks, _cloudformation_event(stack, STACK_STATUS_CHANGE, status), account=stack.account)
            assert journey.arrivals == [], (stack.name, status)

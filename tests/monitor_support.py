"""The Model Monitor job definitions of synthesized stacks, and the schedule applier each depends on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.event_journeys import Stack

JOB_DEFINITION_TYPES = ("AWS::SageMaker::DataQualityJobDefinition", "AWS::SageMaker::ModelQualityJobDefinition")


def job_definitions(stacks: list[Stack]) -> Iterator[tuple[Stack, str, dict[str, Any]]]:
    """(stack, logical id, resource) of every monitoring job definition in `stacks`."""
    for stack in stacks:
        for resource_type in JOB_DEFINITION_TYPES:
            for logical_id, resource in stack.resources(resource_type):
                yield stack, logical_id, resource


def applier_of(stack: Stack, definition: dict[str, Any]) -> str:
    """The logical id of the state machine (the monitor's schedule applier) the job definition depends on."""
    (applier_id,) = [
        depended
        for depended in definition["DependsOn"]
        if stack.template["Resources"][depended]["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    return applier_id

"""`child_once`: one child per scope, shared by every caller; a clash of kinds is refused by name."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from sagemaker_platform.constructs.function import xray_write_policy
from sagemaker_platform.constructs.once import child_once


def test_given_two_callers_then_the_second_gets_the_first_ones_child() -> None:
    stack = cdk.Stack(cdk.App(), "Once")
    made: list[sqs.Queue] = []

    def create() -> sqs.Queue:
        made.append(sqs.Queue(stack, "Shared"))
        return made[-1]

    first = child_once(stack, "Shared", sqs.Queue, create)
    assert child_once(stack, "Shared", sqs.Queue, create) is first and len(made) == 1
    assert xray_write_policy(stack) is xray_write_policy(stack)


def test_given_a_child_of_another_kind_under_the_id_then_it_is_refused_by_name() -> None:
    stack = cdk.Stack(cdk.App(), "Clash")
    sqs.Queue(stack, "XRayWritePolicy")
    with pytest.raises(TypeError, match="Clash/XRayWritePolicy is a Queue, not a ManagedPolicy"):
        xray_write_policy(stack)

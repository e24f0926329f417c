"""The X-Ray action sets, each what aws-cdk-lib grants the kind of resource it is for when that resource is traced."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from sagemaker_platform.constructs.function import FUNCTION_TRACING_ACTIONS
from sagemaker_platform.constructs.studio.actions import TEARDOWN_WAITER_TRACING_ACTIONS
from tests.support import CANARY_HANDLER, resources_of_type


def _xray_actions(stack: cdk.Stack) -> list[str]:
    """The X-Ray actions the stack's IAM policies allow (here: those of its one traced resource's role)."""
    return [
        action
        for policy in resources_of_type(Template.from_stack(stack).to_json(), "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        if action.startswith("xray:")
    ]


def test_the_function_set_is_what_a_traced_lambda_function_is_granted(tmp_path: Path) -> None:
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "Traced")
    lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_asset(str(CANARY_HANDLER)),
        tracing=lambda_.Tracing.ACTIVE,
    )

    assert sorted(_xray_actions(stack)) == sorted(FUNCTION_TRACING_ACTIONS)


def test_the_teardown_waiter_set_is_what_a_traced_state_machine_is_granted() -> None:
    stack = cdk.Stack(cdk.App(), "Traced")
    sfn.StateMachine(
        stack,
        "Machine",
        definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Pass")),
        tracing_enabled=True,
    )

    assert sorted(_xray_actions(stack)) == sorted(TEARDOWN_WAITER_TRACING_ACTIONS)
    # Step Functions also reads the sampling rules; a traced function does not: two sets, on purpose.
    assert set(FUNCTION_TRACING_ACTIONS) < set(TEARDOWN_WAITER_TRACING_ACTIONS)

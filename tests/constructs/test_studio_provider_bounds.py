"""The Studio lifecycle Provider framework's own functions: bounded like their handlers, onEvent's failures kept.

CloudFormation invokes a custom resource's function asynchronously, so the framework's onEvent function gets a
dead-letter queue; the waiter state machine calls isComplete and onTimeout synchronously, so they need none.
Each framework function gets the reserved concurrency of the handler it calls.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import cx_api

from sagemaker_platform import compliance_audit
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.studio import StudioDomain
from tests.support import resources_of_type


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.App, dict[str, Any]]:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("studio-provider")))
    stack = cdk.Stack(app, "Studio")
    StudioDomain(stack, "Studio", domain_name="research", users=[])
    add_compliance_gate(app)
    assembly: cx_api.CloudAssembly = app.synth()
    return app, assembly.get_stack_by_name("Studio").template


def _framework_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function").items()
        if logical_id.startswith("StudioProviderframework")
    }


def _handler(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    (handler,) = [
        resource
        for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function").items()
        if logical_id.startswith(prefix)
    ]
    return handler


def test_given_the_provider_then_each_framework_function_has_its_handlers_reserved_concurrency(
    studio: tuple[cdk.App, dict[str, Any]],
) -> None:
    _, template = studio
    functions = _framework_functions(template)
    assert len(functions) == 3
    on_event = _handler(template, "StudioTeardownOnEvent")["Properties"]["ReservedConcurrentExecutions"]
    is_complete = _handler(template, "StudioTeardownIsComplete")["Properties"]["ReservedConcurrentExecutions"]
    reserved = {
        logical_id: fn["Properties"].get("ReservedConcurrentExecutions") for logical_id, fn in functions.items()
    }
    assert reserved == {
        next(i for i in functions if "onEvent" in i): on_event,
        next(i for i in functions if "isComplete" in i): is_complete,
        next(i for i in functions if "onTimeout" in i): is_complete,
    }


def test_given_the_provider_then_only_on_event_sends_failures_to_an_encrypted_queue_its_role_may_write(
    studio: tuple[cdk.App, dict[str, Any]],
) -> None:
    _, template = studio
    functions = _framework_functions(template)
    with_dlq = {
        i: fn["Properties"]["DeadLetterConfig"] for i, fn in functions.items() if "DeadLetterConfig" in fn["Properties"]
    }
    assert list(with_dlq) == [next(i for i in functions if "onEvent" in i)]
    (target,) = with_dlq.values()
    queue_id = target["TargetArn"]["Fn::GetAtt"][0]
    queue = resources_of_type(template, "AWS::SQS::Queue")[queue_id]
    assert "KmsMasterKeyId" in queue["Properties"]
    role_ref = functions[next(i for i in functions if "onEvent" in i)]["Properties"]["Role"]["Fn::GetAtt"][0]
    sends = [
        statement
        for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_ref} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sqs:SendMessage" in statement["Action"]
    ]
    assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": [queue_id, "Arn"]}]


def test_given_the_provider_then_no_framework_function_is_flagged_for_concurrency_or_on_event_for_dlq(
    studio: tuple[cdk.App, dict[str, Any]],
) -> None:
    app, _ = studio
    findings = [
        f
        for f in compliance_audit.recount(app)
        if "/Provider/framework-" in f.path
        and (f.rule.endswith("LambdaConcurrency") or (f.rule.endswith("LambdaDLQ") and "onEvent" in f.path))
    ]
    assert findings == []


def test_given_the_provider_then_its_waiter_state_machine_is_traced_and_its_role_may_write_traces(
    studio: tuple[cdk.App, dict[str, Any]],
) -> None:
    app, template = studio
    (state_machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    assert state_machine["Properties"]["TracingConfiguration"] == {"Enabled": True}
    role_id = state_machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    actions = [
        action
        for policy in resources_of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    ]
    assert "xray:PutTraceSegments" in actions
    assert [f for f in compliance_audit.recount(app) if f.rule == "AwsSolutions-SF2"] == []

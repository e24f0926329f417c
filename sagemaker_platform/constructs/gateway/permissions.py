"""The gateway's functions and what each may do: named actions per function, one acknowledgment per wildcard."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.function import OUTSIDE_VPC_REASON, PlatformFunction
from sagemaker_platform.constructs.gateway.settings import (
    FUNCTIONS,
    HANDLER,
    INPUT_PREFIX,
    INVOKE_ENDPOINT_ACTIONS,
    KEY_USE_ACTIONS,
    OUTPUT_PREFIX,
    TABLE_ACTIONS,
    nag_region_account,
)

if TYPE_CHECKING:
    from sagemaker_platform.constructs.gateway.construct import InferenceGateway


def render_function(gateway: InferenceGateway, entry: str, environment: dict[str, str]) -> PlatformFunction:
    """The gateway function `entry` of `FUNCTIONS`: the shared handler asset, dispatched on `GATEWAY_FUNCTION`."""
    function = FUNCTIONS[entry]
    return PlatformFunction(
        gateway,
        function.id,
        handler_name=HANDLER,
        key=gateway.key,
        description=function.description,
        timeout=function.timeout,
        reserved_concurrency=gateway.props.reserved_concurrency,
        environment={"GATEWAY_FUNCTION": entry, **environment},
        needs_internet=function.vpc_reason is not None,
        vpc_reason=OUTSIDE_VPC_REASON if function.vpc_reason is None else function.vpc_reason,
    )


def client_topic_arn_prefix(scope: Construct, platform_name: str) -> str:
    """ARN prefix of the SNS topics clients may name for their notifications (this account and region)."""
    stack = cdk.Stack.of(scope)
    return (
        f"arn:{stack.partition}:sns:{stack.region}:{stack.account}:{naming.gateway_client_topic_prefix(platform_name)}"
    )


def grant_functions(gateway: InferenceGateway) -> None:
    """Grant each gateway function the calls its handler makes, and acknowledge the wildcards that remain."""
    # Named actions per function, not the CDK's grant_read/grant_read_write families (GetObject*, List*,
    # DeleteObject*, kms:ReEncrypt*, kms:GenerateDataKey*): each handler makes one kind of call per store.
    inputs = gateway.input_bucket.arn_for_objects(f"{INPUT_PREFIX}*")
    outputs = gateway.output_bucket.arn_for_objects(f"{OUTPUT_PREFIX}*")
    any_output = gateway.output_bucket.arn_for_objects("*")
    for function in (gateway.api_function, gateway.invoke_function, gateway.notify_function, gateway.step_function):
        _allow(function, TABLE_ACTIONS, [gateway.table.table_arn])
        _allow(function, KEY_USE_ACTIONS, [gateway.key.key_arn])
    # API: presigned PUT of inputs, presigned GET of outputs (outputs/ and the async endpoints' async/).
    _allow(gateway.api_function, ["s3:PutObject"], [inputs])
    _allow(gateway.api_function, ["s3:GetObject"], [any_output])
    _grant_invoke(gateway, inputs, outputs)
    # Notify: sign webhooks, publish to the clients' topics.
    gateway.webhook_secret.grant_read(gateway.notify_function.role)
    topics = f"{client_topic_arn_prefix(gateway, gateway.platform_name)}*"
    _allow(gateway.notify_function, ["sns:Publish"], [topics])
    # Step: read the request and earlier outputs, write step inputs, report the ensemble's completion.
    _allow(gateway.step_function, ["s3:GetObject", "s3:PutObject"], [inputs])
    _allow(gateway.step_function, ["s3:GetObject"], [any_output])
    _allow(gateway.step_function, ["sns:Publish"], [gateway.completion_topic.topic_arn])
    _acknowledge_wildcards(gateway)


def _grant_invoke(gateway: InferenceGateway, inputs: str, outputs: str) -> None:
    # Invoke: read the input for real-time endpoints, write their answers, call endpoints, start ensembles.
    stack = cdk.Stack.of(gateway)
    function = gateway.invoke_function
    _allow(function, ["s3:GetObject"], [inputs])
    _allow(function, ["s3:PutObject"], [outputs])
    _allow(function, ["sns:Publish"], [gateway.completion_topic.topic_arn])
    endpoints = [
        stack.format_arn(service="sagemaker", resource="endpoint", resource_name=service.endpoint_name.lower())
        for service in gateway.services
    ]
    _allow(function, INVOKE_ENDPOINT_ACTIONS, endpoints)
    for machine in gateway.state_machines.values():
        machine.grant_start_execution(function.role)
        machine.grant_task_response(gateway.notify_function.role)


def _allow(function: PlatformFunction, actions: list[str], resources: list[str]) -> None:
    function.role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))


def _acknowledge_wildcards(gateway: InferenceGateway) -> None:
    # One acknowledgment per wildcard each role actually holds (see grant_functions), written for that role.
    stack = cdk.Stack.of(gateway)
    inputs_id = stack.get_logical_id(gateway.input_bucket.node.default_child)  # type: ignore[arg-type]
    outputs_id = stack.get_logical_id(gateway.output_bucket.node.default_child)  # type: ignore[arg-type]
    inputs = f"AwsSolutions-IAM5[Resource::<{inputs_id}.Arn>/{INPUT_PREFIX}*]"
    outputs = f"AwsSolutions-IAM5[Resource::<{outputs_id}.Arn>/{OUTPUT_PREFIX}*]"
    any_output = f"AwsSolutions-IAM5[Resource::<{outputs_id}.Arn>/*]"
    acknowledge(
        gateway.api_function.role,
        {
            inputs: "PutObject only, for presigned upload URLs of request bodies, one object per prediction id "
            "created at run time under inputs/",
            any_output: "GetObject only, for presigned download URLs of results: outputs/ (real-time and "
            "ensembles) and async/ (written by the async endpoints under names SageMaker chooses)",
        },
    )
    acknowledge(
        gateway.invoke_function.role,
        {
            inputs: "GetObject only: reads the request body of the prediction it invokes a real-time endpoint for",
            outputs: "PutObject only: writes each real-time answer under outputs/<prediction id>",
        },
    )
    acknowledge(
        gateway.step_function.role,
        {
            inputs: "GetObject and PutObject: reads the request and writes each ensemble step's input under "
            "inputs/<prediction id>",
            any_output: "GetObject only: reads earlier steps' results, under outputs/ or async/ (named by SageMaker)",
        },
    )
    topics = f"{naming.gateway_client_topic_prefix(gateway.platform_name)}*"
    acknowledge(
        gateway.notify_function.role,
        {
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:{nag_region_account(stack)}:{topics}]": (
                "clients name their own notification topic per request; only topics with the platform's "
                "prediction-topic prefix in this account"
            ),
        },
    )

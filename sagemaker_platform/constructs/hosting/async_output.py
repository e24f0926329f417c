"""Where an async `Endpoint` reads requests and writes results: the shared bucket and its own topics, or
the inference gateway's bucket and topic; with the execution role's grants for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from sagemaker_platform.constructs.hosting.settings import AsyncOutput, GatewayRouting
from sagemaker_platform.constructs.wildcards import add_statement

if TYPE_CHECKING:
    from sagemaker_platform.constructs.hosting.endpoint import Endpoint


def result_object_arns(endpoint: Endpoint) -> list[str]:
    """ARNs of the objects holding `endpoint`'s async results and failures (own bucket or the gateway's)."""
    if endpoint.gateway is None:
        return [
            endpoint.shared.object_arn(endpoint, f"{endpoint.s3_prefix}/{kind}/*") for kind in ("output", "failure")
        ]
    partition = cdk.Stack.of(endpoint).partition
    return [
        f"arn:{partition}:s3:::{endpoint.gateway.output_bucket_name}/{endpoint.s3_prefix}/{kind}/*"
        for kind in ("output", "failure")
    ]


def grant_bucket_write(endpoint: Endpoint, pattern: str, reason: str) -> None:
    """Let the execution role write objects matching `pattern` in the shared bucket, encrypted with its key."""
    add_statement(
        endpoint.role,
        iam.PolicyStatement(actions=["s3:PutObject"], resources=[endpoint.shared.object_arn(endpoint, pattern)]),
        reason,
    )
    add_statement(
        endpoint.role,
        iam.PolicyStatement(actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[endpoint.shared.key.key_arn]),
    )


def async_output(endpoint: Endpoint) -> AsyncOutput:
    """Create the success and error topics and grant the role the shared bucket's async prefixes."""
    key = endpoint.shared.key
    endpoint.success_topic = sns.Topic(endpoint, "SuccessTopic", master_key=key, enforce_ssl=True)
    endpoint.error_topic = sns.Topic(endpoint, "ErrorTopic", master_key=key, enforce_ssl=True)
    # SageMaker reads each request from the input prefix and writes results with this role.
    add_statement(
        endpoint.role,
        iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[endpoint.shared.object_arn(endpoint, f"{endpoint.input_prefix}*")]
        ),
        "callers name each async request's payload object; all of them sit under this endpoint's input prefix",
    )
    grant_bucket_write(
        endpoint,
        f"{endpoint.s3_prefix}/output/*",
        "SageMaker names each async result by its inference id, under this prefix",
    )
    add_statement(
        endpoint.role,
        iam.PolicyStatement(
            actions=["s3:PutObject"],
            resources=[endpoint.shared.object_arn(endpoint, f"{endpoint.s3_prefix}/failure/*")],
        ),
        "SageMaker names each async failure by its inference id, under this prefix",
    )
    add_statement(endpoint.role, iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]))
    add_statement(
        endpoint.role,
        iam.PolicyStatement(
            actions=["sns:Publish"], resources=[endpoint.success_topic.topic_arn, endpoint.error_topic.topic_arn]
        ),
    )
    return AsyncOutput(
        output_path=f"s3://{endpoint.shared.bucket_name}/{endpoint.s3_prefix}/output",
        failure_path=f"s3://{endpoint.shared.bucket_name}/{endpoint.s3_prefix}/failure",
        kms_key_arn=key.key_arn,
        success_topic_arn=endpoint.success_topic.topic_arn,
        error_topic_arn=endpoint.error_topic.topic_arn,
    )


def gateway_output(endpoint: Endpoint, gateway: GatewayRouting) -> AsyncOutput:
    """Results to the gateway's bucket and topic; requests from the gateway's (or the shared) input prefix."""
    stack = cdk.Stack.of(endpoint)
    topic_arn = _grant_gateway_paths(endpoint, gateway)
    _grant_gateway_keys(endpoint, gateway)
    output = f"s3://{gateway.output_bucket_name}/{endpoint.s3_prefix}"
    return AsyncOutput(
        output_path=f"{output}/output",
        failure_path=f"{output}/failure",
        kms_key_arn=stack.format_arn(service="kms", resource=gateway.key_alias),
        success_topic_arn=topic_arn,
        error_topic_arn=topic_arn,
    )


def _grant_gateway_paths(endpoint: Endpoint, gateway: GatewayRouting) -> str:
    """Read requests, write results and failures, publish completions; the completion topic's ARN."""
    stack = cdk.Stack.of(endpoint)
    partition = stack.partition
    add_statement(
        endpoint.role,
        iam.PolicyStatement(
            sid="ReadRequests",
            actions=["s3:GetObject"],
            resources=[
                endpoint.shared.object_arn(endpoint, f"{endpoint.input_prefix}*"),
                f"arn:{partition}:s3:::{gateway.input_bucket_name}/inputs/*",
            ],
        ),
        "each request's payload is an object named per request: under this endpoint's input prefix, or under "
        "the gateway's inputs/ prefix",
    )
    add_statement(
        endpoint.role,
        iam.PolicyStatement(
            sid="WriteGatewayResults",
            actions=["s3:PutObject", "s3:AbortMultipartUpload"],
            resources=[f"arn:{partition}:s3:::{gateway.output_bucket_name}/{endpoint.s3_prefix}/*"],
        ),
        "SageMaker names each result and failure by its inference id, under this endpoint's prefix of the "
        "gateway's bucket",
    )
    topic_arn = stack.format_arn(
        service="sns", resource=gateway.completion_topic_name, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
    )
    add_statement(
        endpoint.role,
        iam.PolicyStatement(sid="PublishGatewayCompletions", actions=["sns:Publish"], resources=[topic_arn]),
    )
    return topic_arn


def _grant_gateway_keys(endpoint: Endpoint, gateway: GatewayRouting) -> None:
    """Decrypt with the shared key; use the gateway's key (by its alias) through S3 and SNS."""
    stack = cdk.Stack.of(endpoint)
    # Shared key: the shared input prefix. Gateway key (by alias): its inputs, the results, the topic.
    add_statement(endpoint.role, iam.PolicyStatement(actions=["kms:Decrypt"], resources=[endpoint.shared.key.key_arn]))
    add_statement(
        endpoint.role,
        iam.PolicyStatement(
            sid="UseGatewayKey",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            resources=[stack.format_arn(service="kms", resource="key", resource_name="*")],
            conditions={
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": gateway.key_alias},
                "StringEquals": {
                    "kms:ViaService": [
                        f"s3.{stack.region}.{stack.url_suffix}",
                        f"sns.{stack.region}.{stack.url_suffix}",
                    ]
                },
            },
        ),
        "the gateway's key lives in the gateway stack, named here by its alias only: the grant holds for the key "
        f"carrying {gateway.key_alias} (kms:ResourceAliases), used through S3 or SNS (kms:ViaService)",
    )

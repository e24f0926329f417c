"""`network.functions` wiring: each stack with Lambda functions places them where the config says, before it
creates them, and declares the AWS services they call (the Studio VPC gets an endpoint for each)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk

from sagemaker_platform.config import PlatformConfig
from sagemaker_platform.constructs.function_network import FunctionPlacement
from sagemaker_platform.errors import ConfigError

if TYPE_CHECKING:
    from sagemaker_platform.stacks.base import AccountRole

# What each stack's functions call from their subnets (IAM prefixes / endpoint short names). Not listed: what
# Lambda does with the role outside the function's network (logs, X-Ray segments of active tracing, the
# dead-letter queue, network interfaces) and iam:PassRole, which calls nothing. tests/test_function_network.py
# checks these against the functions' roles in the synthesized templates.
FUNCTION_SERVICES: dict[str, tuple[str, ...]] = {
    # API, invoke and step handlers: requests table, payload bucket, queue, topic, executions, endpoints (the notify
    # handler posts webhooks to the internet: the Studio VPC has no route out, so it stays outside)
    "gateway": ("dynamodb", "s3", "kms", "sns", "sqs", "states", "sagemaker.runtime"),
    # the deploy pipeline's steps: state table, events, topic, executions; the endpoint step, as the stage's deploy
    # role (STS): SageMaker, the spec parameter (SSM), scaling, alarms (CloudWatch) and the smoke test (runtime)
    "deploy": (
        "dynamodb",
        "kms",
        "sns",
        "events",
        "states",
        "sts",
        "sagemaker.api",
        "sagemaker.runtime",
        "ssm",
        "application-autoscaling",
        "monitoring",
    ),
    # request builder, registrar, reporter, launcher
    "tuning": ("sagemaker.api", "s3", "kms", "sts"),
    # the pipelines' lookup function
    "lifecycle": ("sagemaker.api",),
}


def place_functions(
    stack: cdk.Stack, config: PlatformConfig, account: AccountRole, capability: str, *extra: str
) -> None:
    """Put a `FunctionPlacement` on `stack` when `network.functions` places `account`'s functions in a VPC; `extra`:
    services its functions call beyond `FUNCTION_SERVICES[capability]` with this config."""
    functions = config.network.functions
    vpc = "none" if functions is None else functions.placement(account)
    if vpc == "none":
        return
    if vpc != "studio":
        FunctionPlacement(stack, subnet_ids=vpc.subnet_ids, security_group_ids=vpc.security_group_ids)
        return
    placement = _studio_placement(stack)
    placement.copy_to(stack)
    assert placement.endpoints is not None  # the Studio VPC's placement always has its endpoints
    placement.endpoints.require(*FUNCTION_SERVICES[capability], *extra)


def _studio_placement(stack: cdk.Stack) -> FunctionPlacement:
    """The placement of the Studio stack built beside `stack` (same app or stage, built first)."""
    scope = stack.node.scope
    studio = None if scope is None else scope.node.try_find_child("Studio")
    placement = None if studio is None else FunctionPlacement.of(studio.node.find_child("Studio"))
    if placement is None:
        raise ConfigError(
            [
                f"`network.functions` = studio: the stack {stack.stack_name} has no Studio stack (with its new VPC) "
                "beside it; give its account `subnet_ids` and `security_group_ids`, or `none`"
            ]
        )
    return placement

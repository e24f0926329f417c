"""Settings of the inference gateway: names, prefixes, action lists, the service and props types, validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import aws_cdk as cdk

# The prefixes the gateway handlers read and write: one definition, in the contracts both sides import.
from sagemaker_platform.contracts.gateway import INPUT_PREFIX as INPUT_PREFIX
from sagemaker_platform.contracts.gateway import OUTPUT_PREFIX as OUTPUT_PREFIX
from sagemaker_platform.ensembles import EnsembleSpec, graph_problems
from sagemaker_platform.errors import ProblemCollector

HANDLER = "gateway_handlers"
ASYNC_OUTPUT_PREFIX = "async/"
"""Where async endpoints served by the gateway write their results in the output bucket."""
API_STAGE = "v1"
# One batch of 10 may call real-time endpoints (60 s read timeout each); the handler stops starting
# messages 65 s before this and returns the rest to the queue.
INVOKE_TIMEOUT_MINUTES = 5


@dataclass(frozen=True)
class GatewayFunction:
    """What differs between the gateway functions (they share the handler asset, key and concurrency).

    `vpc_reason`: the function calls the internet (a subnet without a route out keeps it outside, saying why).
    """

    id: str
    description: str
    timeout: cdk.Duration
    vpc_reason: str | None = None


FUNCTIONS: dict[str, GatewayFunction] = {
    "step": GatewayFunction(
        "StepFunction", "Runs the steps of the gateway's ensemble state machines", cdk.Duration.minutes(1)
    ),
    "api": GatewayFunction(
        "ApiFunction", "Inference gateway REST API: create predictions, report their status", cdk.Duration.seconds(29)
    ),
    "invoke": GatewayFunction(
        "InvokeFunction",
        "Invokes the service of each prediction whose input arrived",
        cdk.Duration.minutes(INVOKE_TIMEOUT_MINUTES),
    ),
    "notify": GatewayFunction(
        "NotifyFunction",
        "Records prediction completions and calls clients back",
        cdk.Duration.minutes(2),
        vpc_reason="posts signed webhooks to the callers' URLs on the internet, and reads their signing secret",
    ),
}
"""The gateway functions by entry (the handler's `GATEWAY_FUNCTION`)."""

# Actions granted per function, in one place.
INVOKE_ENDPOINT_ACTIONS = ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync"]
# Every function reads and writes prediction records (records.py: one GetItem, PutItem or UpdateItem per call).
TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
# The gateway key encrypts the table, the buckets and the topics: decrypt what is read, data keys for writes.
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
CLIENT_ACTIONS = ["execute-api:Invoke"]
ENDPOINT_ROLE_INPUT_ACTIONS = ["s3:GetObject"]
ENDPOINT_ROLE_OUTPUT_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"]
ENDPOINT_ROLE_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"]
ENDPOINT_ROLE_TOPIC_ACTIONS = ["sns:Publish"]
API_LOGS_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
]


@dataclass(frozen=True)
class GatewayService:
    """A single-model service: a SageMaker endpoint reached by name.

    :param name: the service name clients put in requests (and ensemble steps use).
    :param endpoint_name: the SageMaker endpoint name (`naming.endpoint_name(platform, endpoint, "prod")`).
    :param kind: ``async`` (InvokeEndpointAsync; the endpoint's notifications must go to the completion
        topic and its output under ``s3://<output bucket>/async/``) or ``realtime`` (InvokeEndpoint).
    :param content_type: sent to the endpoint when a request names none. Default: application/json.
    """

    name: str
    endpoint_name: str
    kind: Literal["async", "realtime"]
    content_type: str = "application/json"


def _minutes(value: int) -> cdk.Duration:
    return cdk.Duration.minutes(value)


@dataclass(frozen=True)
class GatewayProps:
    """The props of an `InferenceGateway` besides its platform name, typed so that mypy checks them.

    `GatewayStack` builds them from the `gateway` config section (`stacks.gateway.gateway_props`).

    Example::

        props = GatewayProps(services=(GatewayService("churn", "mlplatform-churn-async-prod", "async"),), waf=False)
        props.validate()

    :param services: the single-model services (at least one).
    :param ensembles: ensemble DAGs over the services (and each other). Default: none.
    :param throttling_rate_limit: API requests per second. Default: 50.
    :param throttling_burst_limit: API burst. Default: 100.
    :param input_timeout: how long a request waits for its input before it expires. Default: 15 minutes.
    :param step_timeout: how long an ensemble step waits for its prediction. Default: 60 minutes.
    :param retention: how long records, inputs and outputs are kept. Default: 30 days.
    :param max_receive_count: deliveries before a message is dead-lettered. Default: 5.
    :param webhook_attempts: webhook calls per completion before the failure is recorded. Default: 4.
    :param reserved_concurrency: of each gateway function. Default: 10.
    :param waf: an AWS WAF web ACL in front of the API. Default: True.
    :param removal_policy: of the table, buckets, secret and key. Default: RETAIN.
    """

    services: Sequence[GatewayService]
    ensembles: Sequence[EnsembleSpec] = ()
    throttling_rate_limit: int = 50
    throttling_burst_limit: int = 100
    input_timeout: cdk.Duration = field(default_factory=lambda: _minutes(15))
    step_timeout: cdk.Duration = field(default_factory=lambda: _minutes(60))
    retention: cdk.Duration = field(default_factory=lambda: cdk.Duration.days(30))
    max_receive_count: int = 5
    webhook_attempts: int = 4
    reserved_concurrency: int = 10
    waf: bool = True
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN

    def validate(self) -> None:
        """Raise one `PropsError` that names every prop out of range (unresolved tokens are skipped)."""
        problems = ProblemCollector("InferenceGateway")
        for problem in _service_problems(self.services):
            problems.add(problem)
        names = [service.name for service in self.services]
        for problem in graph_problems(names, self.ensembles):
            problems.add(f"ensembles: {problem}")
        rate, burst = self.throttling_rate_limit, self.throttling_burst_limit
        problems.check(rate >= 1, f"throttling_rate_limit={rate}: must be >= 1")
        problems.check(burst >= 1, f"throttling_burst_limit={burst}: must be >= 1")
        receives, attempts = self.max_receive_count, self.webhook_attempts
        problems.check(1 <= receives <= 1000, f"max_receive_count={receives}: allowed 1-1000")
        problems.check(1 <= attempts <= 10, f"webhook_attempts={attempts}: allowed 1-10")
        if not cdk.Token.is_unresolved(self.input_timeout.to_seconds()):
            seconds = self.input_timeout.to_seconds()
            problems.check(
                60 <= seconds <= 43200,
                f"input_timeout={seconds}s: allowed 1 minute to 12 hours (the upload URL is signed by the function's "
                "role session)",
            )
        problems.raise_if_any()

    @property
    def target_names(self) -> list[str]:
        """Every name a request may target: the services, then the ensembles."""
        return [service.name for service in self.services] + [ensemble.name for ensemble in self.ensembles]


def _service_problems(services: Sequence[GatewayService]) -> list[str]:
    problems: list[str] = [] if len(services) > 0 else ["services=[]: declare at least one service"]
    names = [service.name for service in services]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"services: {name!r} appears more than once; service names must be unique")
    for service in services:
        if service.kind not in ("async", "realtime"):
            problems.append(f"services[{service.name!r}].kind={service.kind!r}: allowed 'async' or 'realtime'")
    return problems


def nag_region_account(stack: cdk.Stack) -> str:
    """`region:account` as cdk-nag prints them in finding ids: literal when the stack has an env, else tokens."""
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    return f"{region}:{account}"

"""An in-process moto world for the deploy handlers: the pipeline's resources and a readable snapshot of its state.

Shared by the fault matrix (tests/lambda/test_deploy_faults.py) and `bench/handler_faults_deploy.py`.
moto has no UpdateEndpoint: a botocore `before-call` hook answers it (a stub) and swaps the endpoint's
config in moto, as the end-to-end test does.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
from botocore.awsrequest import AWSResponse

from sagemaker_platform import naming
from sagemaker_platform.assets import handler_dir
from tests.deploy_support import (
    ACCOUNT,
    ENDPOINT,
    GROUP,
    GROUPS,
    PLATFORM,
    REGION,
    STATE_MACHINE_ARN,
    TOPIC_ARN,
    deployment_spec,
)

HANDLERS = handler_dir("deploy_handlers")
BUS = naming.platform_events_bus_name(PLATFORM)


def environment() -> dict[str, str]:
    """The settings the construct renders for the deploy functions (the registry account set)."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "DEPLOY_GROUPS": json.dumps(GROUPS),
        "DEPLOYMENTS_TABLE": "deployments",
        "EVENT_BUS_NAME": BUS,
        "EVENT_SOURCE": f"{PLATFORM}.deploy",
        "STATE_MACHINE_ARN": STATE_MACHINE_ARN,
        "DEPLOY_TARGET": "state-machine",
        "TRIGGER_TARGETS": "",
        "REGISTRY_ACCOUNT": ACCOUNT,
        "PIPELINE_ROLE_ARN": naming.role_arn("aws", ACCOUNT, naming.deploy_pipeline_role_name(PLATFORM)),
        "DEPLOY_ROLE_ARNS": json.dumps(
            {stage: naming.role_arn("aws", ACCOUNT, naming.deploy_role_name(PLATFORM)) for stage in naming.STAGES}
        ),
        "SPEC_PARAMETER_TEMPLATE": naming.deployment_spec_parameter_name(PLATFORM, "{endpoint}", "{stage}"),  # type: ignore[arg-type]
        "MAX_POLLS": "5",
        "TOPIC_ARN": TOPIC_ARN,
    }


def use_handlers(folder: str | os.PathLike[str] = HANDLERS) -> None:
    """Import `deployer` from `folder` (the bench measures the original code this way), dropping any loaded copy."""
    for name in [name for name in sys.modules if name == "deployer" or name.startswith("deployer.")]:
        del sys.modules[name]
    path = str(folder)
    if path in sys.path:
        sys.path.remove(path)
    sys.path.insert(0, path)


_TEST_CLIENTS: dict[str, Any] = {}


@dataclass
class World:
    """The moto side: clients for the test, what only hooks can see (task failures, endpoint updates)."""

    task_failures: list[str] = field(default_factory=list)
    update_calls: list[dict[str, Any]] = field(default_factory=list)

    def client(self, service: str) -> Any:
        if service not in _TEST_CLIENTS:
            _TEST_CLIENTS[service] = boto3.client(service, region_name=REGION)
        return _TEST_CLIENTS[service]

    def drain(self, queue: str) -> list[dict[str, Any]]:
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        found: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found

    def state(self) -> State:
        """What the platform did so far; events and notifications are drained (counted once)."""
        items = self.client("dynamodb").scan(TableName="deployments")["Items"]
        sfn = self.client("stepfunctions")
        executions = []
        for execution in sfn.list_executions(stateMachineArn=STATE_MACHINE_ARN)["executions"]:
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            payload = json.loads(described["input"])
            executions.append((payload["kind"], payload["version"], described["status"]))
        return State(
            claims={
                (item["model_package_arn"]["S"].rsplit("/", 1)[1], item["target"]["S"]): item["status"]["S"]
                for item in items
            },
            executions=Counter(executions),
            events=Counter(
                (message["detail-type"], message["detail"].get("version"), message["detail"].get("status"))
                for message in self.drain("platform-events")
            ),
            notifications=Counter(message["Subject"] for message in self.drain("notifications")),
            task_failures=frozenset(self.task_failures),
            endpoint_updates=len(self.update_calls),
        )


@dataclass(frozen=True)
class State:
    """Claims by (version, target) → status; executions, events and notifications as multisets."""

    claims: dict[tuple[str, str], str]
    executions: Counter[tuple[str, int, str]]
    events: Counter[tuple[str, Any, Any]]
    notifications: Counter[str]
    task_failures: frozenset[str]
    endpoint_updates: int


_MOCK: list[Any] = []


@contextmanager
def world() -> Iterator[World]:
    """A fresh moto account with the pipeline's resources.

    One in-process moto mock serves every world of the process and is reset for each (starting a mock costs
    seconds); the handlers' cached clients are kept, with the hooks pointing at the current world.
    """
    from moto import mock_aws
    from moto.moto_api._internal.models import moto_api_backend

    with mock.patch.dict(os.environ, environment()):
        if not _MOCK:
            _MOCK.append(mock_aws())
            _MOCK[0].start()
        moto_api_backend.reset()
        from deployer import aws, settings

        created = World()
        _CURRENT[:] = [created]
        _create_resources(created)
        if not getattr(aws.client_factory, "hooked", False):
            real_factory = aws.client_factory

            def factory(service: str, credentials: dict[str, str] | None = None) -> Any:
                client = real_factory(service, credentials)
                _hook(client, service)
                return client

            factory.hooked = True  # type: ignore[attr-defined]
            factory.original = real_factory  # type: ignore[attr-defined]
            aws.client_factory = factory  # type: ignore[assignment]
        settings.groups.cache_clear()
        with mock.patch.object(aws, "sleep", lambda _: None):
            yield created
        settings.groups.cache_clear()


_CURRENT: list[World] = []


def shutdown() -> None:
    """Stop the shared mock and give the handlers back their plain client factory (end of a test module)."""
    from deployer import aws

    if _MOCK:
        _MOCK.pop().stop()
    original = getattr(aws.client_factory, "original", None)
    if original is not None:
        aws.client_factory = original  # type: ignore[assignment]
    aws.reset()
    _TEST_CLIENTS.clear()


def _hook(client: Any, service: str) -> None:
    if service == "stepfunctions":
        client.meta.events.register(
            "before-parameter-build.sfn.SendTaskFailure",
            lambda params, **_: _CURRENT[0].task_failures.append(params["taskToken"]),
        )
    if service == "sagemaker":

        def update(params: dict[str, Any], **_: Any) -> None:
            _CURRENT[0].update_calls.append(dict(params))
            moto = _CURRENT[0].client("sagemaker")
            moto.delete_endpoint(EndpointName=params["EndpointName"])
            moto.create_endpoint(EndpointName=params["EndpointName"], EndpointConfigName=params["EndpointConfigName"])

        def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            return AWSResponse("", 200, {}, None), {"EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/x"}

        client.meta.events.register("before-parameter-build.sagemaker.UpdateEndpoint", update)
        client.meta.events.register("before-call.sagemaker.UpdateEndpoint", respond)


def _create_resources(created: World) -> None:
    dynamodb = created.client("dynamodb")
    dynamodb.create_table(
        TableName="deployments",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "model_package_arn", "AttributeType": "S"},
            {"AttributeName": "target", "AttributeType": "S"},
            {"AttributeName": "model_package_group", "AttributeType": "S"},
            {"AttributeName": "package_version", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "model_package_arn", "KeyType": "HASH"},
            {"AttributeName": "target", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-group",
                "KeySchema": [
                    {"AttributeName": "model_package_group", "KeyType": "HASH"},
                    {"AttributeName": "package_version", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    sqs = created.client("sqs")
    for queue in ("platform-events", "notifications"):
        sqs.create_queue(QueueName=queue)
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:"
    sns = created.client("sns")
    topic = sns.create_topic(Name="deployments")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn + "notifications")
    events = created.client("events")
    events.create_event_bus(Name=BUS)
    events.put_rule(Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": [f"{PLATFORM}.deploy"]}))
    events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": queue_arn + "platform-events"}])
    iam = created.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    for role in (naming.deploy_pipeline_role_name(PLATFORM), naming.deploy_role_name(PLATFORM), "sfn"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    created.client("stepfunctions").create_state_machine(
        name=naming.deploy_state_machine_name(PLATFORM),
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
    )
    ssm = created.client("ssm")
    for stage in naming.STAGES:
        ssm.put_parameter(
            Name=naming.deployment_spec_parameter_name(PLATFORM, ENDPOINT, stage),
            Type="String",
            Value=json.dumps(deployment_spec(ENDPOINT, stage, autoscaling=None)),
        )
    created.client("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)


def register(created: World, status: str = "Approved") -> str:
    """A new version of the group with `status`, as a data scientist would register and approve it."""
    sagemaker = created.client("sagemaker")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn:1"}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)
    return str(arn)


Action = Callable[[], Any]

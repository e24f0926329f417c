"""End to end against moto_server: register, approve, start, run every step in state machine order, check the endpoints.

The state machine's Map, Wait and Choice states are replayed here in the order the definition runs them
(the definition itself is asserted in tests/constructs/test_deploy.py).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from sagemaker_platform import naming
from tests.deploy_support import (
    ACCOUNT,
    ENDPOINT,
    GROUP,
    PLATFORM,
    REGION,
    deployment_spec,
    package_event,
)

from deployer import approval, aws, claims, endpoint, record, reject, start  # isort: skip
from deployer.errors import PackageNotApproved  # isort: skip


class Cloud:
    """The moto side of a test: clients with the test's credentials and what the handlers left behind."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.update_calls: list[dict[str, Any]] = []
        self.task_failures: list[dict[str, Any]] = []

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.url)

    def messages(self, queue: str) -> list[str]:
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        found = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(message["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def cloud(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    world = Cloud(moto_url)
    _create_resources(world)
    real_factory = aws.client_factory

    def factory(service: str, credentials: dict[str, str] | None = None) -> Any:
        created = real_factory(service, credentials)
        if service == "sagemaker":
            _emulate_update_endpoint(created, world)
        if service == "stepfunctions":
            created.meta.events.register(
                "before-parameter-build.sfn.SendTaskFailure", lambda params, **_: world.task_failures.append(params)
            )
        return created

    monkeypatch.setattr(aws, "client_factory", factory)
    yield world


def _emulate_update_endpoint(client: Any, world: Cloud) -> None:
    """moto has no UpdateEndpoint: record the request and swap the endpoint's config in moto instead."""

    def capture(params: dict[str, Any], **_: Any) -> None:
        world.update_calls.append(dict(params))
        moto = world.client("sagemaker")
        moto.delete_endpoint(EndpointName=params["EndpointName"])
        moto.create_endpoint(EndpointName=params["EndpointName"], EndpointConfigName=params["EndpointConfigName"])

    def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/updated"
        return AWSResponse("", 200, {}, None), {"EndpointArn": arn}

    client.meta.events.register("before-parameter-build.sagemaker.UpdateEndpoint", capture)
    client.meta.events.register("before-call.sagemaker.UpdateEndpoint", respond)


def _create_resources(world: Cloud) -> None:
    dynamodb = world.client("dynamodb")
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
                "IndexName": claims.GROUP_INDEX,
                "KeySchema": [
                    {"AttributeName": "model_package_group", "KeyType": "HASH"},
                    {"AttributeName": "package_version", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    sqs = world.client("sqs")
    for queue in ("platform-events", "notifications"):
        sqs.create_queue(QueueName=queue)
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:"
    sns = world.client("sns")
    topic = sns.create_topic(Name="deployments")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn + "notifications", Attributes={"RawMessageDelivery": "true"}
    )
    events = world.client("events")
    bus = naming.platform_events_bus_name(PLATFORM)
    events.create_event_bus(Name=bus)
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": [f"{PLATFORM}.deploy"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn + "platform-events"}])
    iam = world.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    for role in (naming.deploy_pipeline_role_name(PLATFORM), naming.deploy_role_name(PLATFORM), "sfn"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    world.client("stepfunctions").create_state_machine(
        name=naming.deploy_state_machine_name(PLATFORM),
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
    )
    ssm = world.client("ssm")
    for stage in naming.STAGES:
        ssm.put_parameter(
            Name=naming.deployment_spec_parameter_name(PLATFORM, ENDPOINT, stage),
            Type="String",
            Value=json.dumps(deployment_spec(ENDPOINT, stage)),
        )
    world.client("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)


def register_and_approve(world: Cloud) -> str:
    """Register a new version in the group and approve it, as a data scientist would."""
    sagemaker = world.client("sagemaker")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn:1"}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    return arn


def event_for(arn: str, status: str = "Approved", time: str | None = None) -> dict[str, Any]:
    return package_event(version=int(arn.rsplit("/", 1)[1]), status=status, time=time)


def execution_input(world: Cloud, name: str) -> dict[str, Any]:
    arn = naming_execution_arn(name)
    return json.loads(world.client("stepfunctions").describe_execution(executionArn=arn)["input"])


def naming_execution_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{naming.deploy_state_machine_name(PLATFORM)}:{name}"


def run_stage(state: dict[str, Any], stage: str, *, smoke_test: bool) -> None:
    """The Map over the endpoints: deploy → (Wait → status)* until InService → smoke test."""
    results = []
    for item in state["endpoints"]:
        step: dict[str, Any] = {
            "stage": stage,
            "endpoint": item["endpoint"],
            "smoke_test": item["smoke_test"],
            "model_package_arn": state["model_package_arn"],
            "execution_name": state["execution_name"],
        }
        step["deployment"] = endpoint.handler({"action": "deploy", "step": step}, None)
        while step["deployment"]["state"] != "InService":
            step["deployment"] = endpoint.handler({"action": "status", "step": step}, None)
        if smoke_test:
            step["smoke_test_result"] = endpoint.handler({"action": "smoke_test", "step": step}, None)
        results.append(step)
    state[stage] = results


def run_deployment(state: dict[str, Any], token: str) -> None:
    run_stage(state, "staging", smoke_test=True)
    if state["kind"] == "deploy":
        state["approval"] = approval.handler({"task_token": token, "step": state}, None)
    if state["kind"] == "deploy" or state["include_prod"]:
        run_stage(state, "prod", smoke_test=False)
    state["record"] = record.handler({"outcome": "succeeded", "step": state}, None)


def live_model_package(world: Cloud, stage: str) -> str:
    sagemaker = world.client("sagemaker")
    endpoint_name = naming.endpoint_name(PLATFORM, ENDPOINT, stage)  # type: ignore[arg-type]
    config_name = sagemaker.describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"]
    variants = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    model = sagemaker.describe_model(ModelName=variants[0]["ModelName"])
    return str(model["PrimaryContainer"]["ModelPackageName"])


def test_given_an_approved_package_when_every_step_runs_then_staging_and_prod_serve_it(cloud: Cloud) -> None:
    arn = register_and_approve(cloud)

    started = start.handler(event_for(arn), None)
    assert started["started"] is True
    state = execution_input(cloud, started["execution_name"])
    assert state["model_package_arn"] == arn and state["kind"] == "deploy"
    run_deployment(state, token="token-v1")

    for stage in naming.STAGES:
        assert live_model_package(cloud, stage) == arn
    assert claims.get(arn) is not None and claims.get(arn).status == claims.DEPLOYED  # type: ignore[union-attr]
    scaling = cloud.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    assert {target["ResourceId"] for target in scaling["ScalableTargets"]} == {
        f"endpoint/{naming.endpoint_name(PLATFORM, ENDPOINT, stage)}/variant/AllTraffic"  # type: ignore[arg-type]
        for stage in naming.STAGES
    }
    assert [json.loads(event)["detail-type"] for event in cloud.messages("platform-events")] == [
        "Deployment Started",
        "Deployment Succeeded",
    ]
    approval_message, success_message = cloud.messages("notifications")
    assert "aws stepfunctions send-task-success --task-token token-v1" in approval_message
    assert arn in approval_message and "Deployment Succeeded" in success_message


def test_given_a_deployed_version_when_a_newer_one_is_approved_then_the_endpoints_are_updated_in_place(
    cloud: Cloud,
) -> None:
    first = register_and_approve(cloud)
    run_deployment(execution_input(cloud, start.handler(event_for(first), None)["execution_name"]), "t1")
    second = register_and_approve(cloud)

    state = execution_input(cloud, start.handler(event_for(second), None)["execution_name"])
    run_deployment(state, "t2")

    for stage in naming.STAGES:
        assert live_model_package(cloud, stage) == second
    assert [call["EndpointName"] for call in cloud.update_calls] == [
        naming.endpoint_name(PLATFORM, ENDPOINT, stage)  # type: ignore[arg-type]
        for stage in naming.STAGES
    ]
    assert all("BlueGreenUpdatePolicy" in call["DeploymentConfig"] for call in cloud.update_calls)


def test_given_the_same_approval_three_times_then_exactly_one_deployment_starts(cloud: Cloud) -> None:
    arn = register_and_approve(cloud)

    results = [start.handler(event_for(arn), None) for _ in range(3)]

    assert [result["started"] for result in results] == [True, False, False]
    executions = cloud.client("stepfunctions").list_executions(stateMachineArn=start.aws.setting("STATE_MACHINE_ARN"))
    assert len(executions["executions"]) == 1


def test_given_a_failed_deployment_when_the_version_is_approved_again_then_it_deploys_again(cloud: Cloud) -> None:
    arn = register_and_approve(cloud)
    state = execution_input(cloud, start.handler(event_for(arn), None)["execution_name"])
    state["error"] = {"Error": "SmokeTestFailed", "Cause": "no"}
    assert record.handler({"outcome": "failed", "step": state}, None)["status"] == claims.FAILED

    again = start.handler(event_for(arn), None)

    assert again["started"] is True and again["execution_name"].endswith("-2")
    assert start.handler(event_for(arn), None)["started"] is False


def test_given_an_older_version_waiting_for_approval_when_a_newer_is_approved_then_the_older_wait_is_failed(
    cloud: Cloud,
) -> None:
    older = register_and_approve(cloud)
    state = execution_input(cloud, start.handler(event_for(older), None)["execution_name"])
    run_stage(state, "staging", smoke_test=True)
    approval.handler({"task_token": "older-token", "step": state}, None)
    newer = register_and_approve(cloud)

    started = start.handler(event_for(newer), None)

    assert started["superseded"] == [older]
    assert [(call["taskToken"], call["error"]) for call in cloud.task_failures] == [("older-token", "Superseded")]
    state["error"] = {"Error": "Superseded", "Cause": "newer"}
    assert record.handler({"outcome": "failed", "step": state}, None)["status"] == claims.SUPERSEDED


def test_given_a_deployed_version_when_it_is_rejected_then_the_previous_version_is_redeployed(cloud: Cloud) -> None:
    first = register_and_approve(cloud)
    run_deployment(execution_input(cloud, start.handler(event_for(first), None)["execution_name"]), "t1")
    second = register_and_approve(cloud)
    run_deployment(execution_input(cloud, start.handler(event_for(second), None)["execution_name"]), "t2")

    rejected = reject.handler(event_for(second, "Rejected"), None)
    assert rejected["rolled_back"] is True and rejected["to"] == first
    assert reject.handler(event_for(second, "Rejected"), None)["rolled_back"] is False  # a duplicate
    state = execution_input(cloud, rejected["execution_name"])
    assert state["kind"] == "rollback" and state["include_prod"] is True
    run_deployment(state, "unused")

    for stage in naming.STAGES:
        assert live_model_package(cloud, stage) == first
    assert claims.get(second).status == claims.ROLLED_BACK  # type: ignore[union-attr]
    assert start.handler(event_for(second), None)["started"] is True  # re-approval after a rollback deploys again


def test_given_an_older_deployed_version_when_it_is_rejected_after_a_newer_went_live_then_nothing_rolls_back(
    cloud: Cloud,
) -> None:
    first = register_and_approve(cloud)
    run_deployment(execution_input(cloud, start.handler(event_for(first), None)["execution_name"]), "t1")
    second = register_and_approve(cloud)
    run_deployment(execution_input(cloud, start.handler(event_for(second), None)["execution_name"]), "t2")

    rejected = reject.handler(event_for(first, "Rejected"), None)

    assert rejected == {"rolled_back": False, "reason": "a newer version is live"}
    for stage in naming.STAGES:
        assert live_model_package(cloud, stage) == second
    assert claims.get(first).status == claims.REJECTED  # type: ignore[union-attr]


def test_given_a_version_rejected_before_its_deploy_step_runs_then_nothing_is_deployed(cloud: Cloud) -> None:
    arn = register_and_approve(cloud)
    state = execution_input(cloud, start.handler(event_for(arn), None)["execution_name"])
    cloud.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")

    with pytest.raises(PackageNotApproved):
        run_stage(state, "staging", smoke_test=True)

    assert cloud.client("sagemaker").list_endpoints()["Endpoints"] == []


def test_given_a_failed_deployment_when_its_original_approval_is_replayed_then_nothing_starts(cloud: Cloud) -> None:
    arn = register_and_approve(cloud)
    original = event_for(arn, time="2026-01-01T00:00:00Z")
    state = execution_input(cloud, start.handler(original, None)["execution_name"])
    state["error"] = {"Error": "EndpointFailed", "Cause": "capacity"}
    record.handler({"outcome": "failed", "step": state}, None)

    replayed = start.handler(original, None)  # an archive replay keeps the original event time

    assert replayed["started"] is False
    assert start.handler(event_for(arn), None)["started"] is True  # a re-approval, emitted now


def test_given_a_version_waiting_at_the_gate_when_it_is_rejected_in_the_registry_then_staging_is_rolled_back(
    cloud: Cloud,
) -> None:
    first = register_and_approve(cloud)
    run_deployment(execution_input(cloud, start.handler(event_for(first), None)["execution_name"]), "t1")
    second = register_and_approve(cloud)
    state = execution_input(cloud, start.handler(event_for(second), None)["execution_name"])
    run_stage(state, "staging", smoke_test=True)
    approval.handler({"task_token": "t2", "step": state}, None)
    assert live_model_package(cloud, "staging") == second

    rejected = reject.handler(event_for(second, "Rejected"), None)

    assert rejected["rolled_back"] is True and rejected["to"] == first
    rollback = execution_input(cloud, rejected["execution_name"])
    assert rollback["include_prod"] is False  # prod never left the first version
    run_deployment(rollback, "unused")
    assert [live_model_package(cloud, stage) for stage in naming.STAGES] == [first, first]


def test_given_a_version_rejected_at_the_gate_then_the_notification_says_staging_keeps_it(cloud: Cloud) -> None:
    first = register_and_approve(cloud)
    run_deployment(execution_input(cloud, start.handler(event_for(first), None)["execution_name"]), "t1")
    second = register_and_approve(cloud)
    state = execution_input(cloud, start.handler(event_for(second), None)["execution_name"])
    run_stage(state, "staging", smoke_test=True)
    approval.handler({"task_token": "t2", "step": state}, None)

    state["error"] = {"Error": "Rejected", "Cause": "latency too high"}
    assert record.handler({"outcome": "failed", "step": state}, None)["status"] == claims.REJECTED

    assert [live_model_package(cloud, stage) for stage in naming.STAGES] == [second, first]
    failure = cloud.messages("notifications")[-1]
    assert "staging keeps this version (not rolled back)" in failure and "prod is unchanged" in failure

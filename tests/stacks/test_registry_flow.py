"""The registry flow, end to end against moto (and a botocore Stubber where moto stops).

A dev-account role registers a version (PendingManualApproval) in the registry account's group, an
approver approves it (a second version is rejected), and the state-change events, built from the
versions as SageMaker emits them, go through the forwarding rule as synthesized from
examples/multi-account.yaml: only the approval reaches the tooling account's bus.

Where moto stops, and what stands in:
- moto 5.2's `TestEventPattern` is a stub that answers nothing, and a Stubber would only echo a canned
  answer; so the rule is created in moto with the synthesized pattern (PutRule/PutTargets) and the
  events are sent with PutEvents: moto's own pattern engine and its cross-account bus target decide.
- moto has no model package group policies (PutModelPackageGroupPolicy raises NotImplementedError):
  the synthesized group policy is sent through a Stubber, which checks the request against the
  service model, and its size against the service limit.
- moto checks no IAM policies or resource policies on SageMaker calls: who may do what is asserted on
  the templates (tests/stacks/test_registry.py), not here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.registry_helpers import text
from tests.support import resources_of_type

REGION = "eu-west-1"
REGISTRY_ACCOUNT = "222222222222"
TOOLING_ACCOUNT = "111111111111"
DEV_ACCOUNT = "333333333333"
EVENT_TEMPLATE = Path(__file__).parents[1] / "events" / "registry_model_package_state_change.json"
INFERENCE = {
    "Containers": [
        {
            "Image": f"{REGISTRY_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn:1",
            "ModelDataUrl": f"s3://mlplatform-models-{REGISTRY_ACCOUNT}-{REGION}/churn/1/model.tar.gz",
        }
    ],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


@pytest.fixture(scope="module")
def registry_template(multi_account_templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return multi_account_templates["mlplatform-registry"]


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def session_in(account: str, role_name: str) -> boto3.Session:
    """Credentials of `role_name` in `account` (moto keeps one backend per account)."""
    sts = boto3.client("sts", region_name=REGION)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role_name}", RoleSessionName="flow-test")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def _epoch_millis(value: Any) -> Any:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


def state_change_event(described: dict[str, Any]) -> dict[str, Any]:
    """The "SageMaker Model Package State Change" event SageMaker emits for a version, from DescribeModelPackage."""
    event = json.loads(EVENT_TEMPLATE.read_text())
    detail = {key: _epoch_millis(value) for key, value in described.items() if key != "ResponseMetadata"}
    event["detail"] = {**event["detail"], **detail}
    event["resources"] = [described["ModelPackageArn"]]
    event["account"] = described["ModelPackageArn"].split(":")[4]
    return event


def rule_pattern(template: dict[str, Any]) -> dict[str, Any]:
    (rule,) = resources_of_type(template, "AWS::Events::Rule").values()
    return rule["Properties"]["EventPattern"]


def forward_through_synthesized_rule(template: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create the tooling bus and the registry's rule in moto, put `events`, return what reaches the tooling bus."""
    tooling = session_in(TOOLING_ACCOUNT, "platform-admin")
    bus_arn = tooling.client("events").create_event_bus(Name="mlplatform-model-events")["EventBusArn"]
    queue_url = tooling.client("sqs").create_queue(QueueName="received")["QueueUrl"]
    queue_arn = tooling.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    tooling.client("events").put_rule(
        Name="everything",
        EventBusName="mlplatform-model-events",
        EventPattern=json.dumps({"source": ["aws.sagemaker"]}),
    )
    tooling.client("events").put_targets(
        Rule="everything", EventBusName="mlplatform-model-events", Targets=[{"Id": "queue", "Arn": queue_arn}]
    )

    registry_events = session_in(REGISTRY_ACCOUNT, "platform-admin").client("events")
    (rule,) = resources_of_type(template, "AWS::Events::Rule").values()
    (target,) = rule["Properties"]["Targets"]
    assert text(target["Arn"]).replace("<AWS::Partition>", "aws") == bus_arn
    registry_events.put_rule(Name=rule["Properties"]["Name"], EventPattern=json.dumps(rule_pattern(template)))
    registry_events.put_targets(
        Rule=rule["Properties"]["Name"],
        Targets=[
            {
                "Id": "tooling",
                "Arn": bus_arn,
                "RoleArn": f"arn:aws:iam::{REGISTRY_ACCOUNT}:role/mlplatform-model-events-forwarder",
            }
        ],
    )
    for event in events:
        response = registry_events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"],
                }
            ]
        )
        assert response["FailedEntryCount"] == 0
    messages = tooling.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def test_given_registered_approved_and_rejected_versions_then_the_decisions_on_a_deployed_group_reach_the_tooling_bus(
    aws: None, registry_template: dict[str, Any]
) -> None:
    admin = session_in(REGISTRY_ACCOUNT, "platform-admin").client("sagemaker")
    admin.create_model_package_group(ModelPackageGroupName="churn")
    admin.create_model_package_group(ModelPackageGroupName="unlisted")
    group_arn = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/churn"

    # The dev account's pipeline-step role registers two versions; they wait for approval.
    # (moto keeps resources per caller account, so the registration runs in the registry's backend.)
    dev = session_in(REGISTRY_ACCOUNT, "mlplatform-pipeline-step").client("sagemaker")
    first = dev.create_model_package(
        ModelPackageGroupName="churn", ModelApprovalStatus="PendingManualApproval", InferenceSpecification=INFERENCE
    )["ModelPackageArn"]
    second = dev.create_model_package(
        ModelPackageGroupName="churn", ModelApprovalStatus="PendingManualApproval", InferenceSpecification=INFERENCE
    )["ModelPackageArn"]
    other = dev.create_model_package(
        ModelPackageGroupName="unlisted", ModelApprovalStatus="PendingManualApproval", InferenceSpecification=INFERENCE
    )["ModelPackageArn"]
    pending = dev.describe_model_package(ModelPackageName=first)
    assert pending["ModelApprovalStatus"] == "PendingManualApproval"
    assert pending["ModelPackageGroupName"] == "churn" and first.startswith(group_arn.replace("-group", ""))

    # The approver approves the first and rejects the second.
    approver = session_in(REGISTRY_ACCOUNT, "mlplatform-model-approver").client("sagemaker")
    approver.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved", ApprovalDescription="AUC 0.91")
    approver.update_model_package(ModelPackageArn=second, ModelApprovalStatus="Rejected")
    approver.update_model_package(ModelPackageArn=other, ModelApprovalStatus="Approved")
    approved = approver.describe_model_package(ModelPackageName=first)
    rejected = approver.describe_model_package(ModelPackageName=second)
    unlisted = approver.describe_model_package(ModelPackageName=other)
    assert (approved["ModelApprovalStatus"], rejected["ModelApprovalStatus"]) == ("Approved", "Rejected")

    events = [state_change_event(d) for d in (pending, approved, rejected, unlisted)]
    received = forward_through_synthesized_rule(registry_template, events)

    # Pending and the unlisted group stay in the registry; churn is deployed, so its rejection is forwarded too.
    assert [(e["detail"]["ModelPackageArn"], e["detail"]["ModelApprovalStatus"]) for e in received] == [
        (first, "Approved"),
        (second, "Rejected"),
    ]
    event = received[0]
    assert event["source"] == "aws.sagemaker"
    assert event["detail-type"] == "SageMaker Model Package State Change"
    assert event["detail"]["ModelPackageGroupName"] == "churn"
    assert event["detail"]["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].startswith(
        f"s3://mlplatform-models-{REGISTRY_ACCOUNT}-{REGION}/churn/"
    )


def test_the_sample_event_shape_is_what_the_forwarding_rule_filters_on(registry_template: dict[str, Any]) -> None:
    pattern = rule_pattern(registry_template)
    sample = json.loads(EVENT_TEMPLATE.read_text())
    assert sample["source"] in pattern["source"] and sample["detail-type"] in pattern["detail-type"]
    assert set(pattern["detail"]) - {"$or"} <= set(sample["detail"])
    assert {key for branch in pattern["detail"].get("$or", []) for key in branch} <= set(sample["detail"])


def test_the_group_policy_is_a_valid_put_model_package_group_policy_request(registry_template: dict[str, Any]) -> None:
    """moto lacks PutModelPackageGroupPolicy: a Stubber validates the request against the service model."""
    groups = {
        r["Properties"]["ModelPackageGroupName"]: r["Properties"]
        for r in resources_of_type(registry_template, "AWS::SageMaker::ModelPackageGroup").values()
    }
    client = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        for name, props in groups.items():
            policy = json.dumps(_resolve(props["ModelPackageGroupPolicy"]))
            assert len(policy) <= 20_480, name  # the API's ResourcePolicy limit
            assert "arn:aws:iam::" in policy and ":root" not in policy
            stubber.add_response(
                "put_model_package_group_policy",
                {"ModelPackageGroupArn": f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/{name}"},
                {"ModelPackageGroupName": name, "ResourcePolicy": policy},
            )
            client.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=policy)
        stubber.assert_no_pending_responses()


def _resolve(value: Any) -> Any:
    """The template value with AWS::Partition and AWS::URLSuffix resolved, as CloudFormation would in aws."""
    if isinstance(value, dict):
        if "Fn::Join" in value or "Ref" in value:
            return text(value).replace("<AWS::Partition>", "aws").replace("<AWS::URLSuffix>", "amazonaws.com")
        return {key: _resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    return value

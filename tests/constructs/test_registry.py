"""ModelPackageGroup, ModelRegistry and ModelEventsBus on small apps: grants, imports, validation, defaults."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.registry import (
    ModelArtifacts,
    ModelEventsBus,
    ModelPackageGroup,
    ModelRegistry,
    RegistryAccess,
)
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.errors import PropsError
from tests.registry_helpers import text, texts
from tests.support import resources_of_type

REGISTRY_ENV = cdk.Environment(account="222222222222", region="eu-west-1")
WORKLOAD_ENV = cdk.Environment(account="444444444444", region="eu-west-1")
GROUP_ARN = "arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/churn"


def synth(app: cdk.App, stack: cdk.Stack) -> dict[str, Any]:
    return app.synth().get_stack_by_name(stack.stack_name).template


def managed_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def group_template() -> dict[str, Any]:
    """A group in the registry account, granted to a same-account role and to a role of another account."""
    app = cdk.App()
    stack = cdk.Stack(app, "Group", env=REGISTRY_ENV)
    group = ModelPackageGroup(stack, "Churn", model_package_group_name="churn", organization_id="o-a1b2c3d4e5")
    local = PlatformRole(stack, "Local", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    group.grant_approve(local)
    remote = iam.Role.from_role_arn(stack, "Remote", "arn:aws:iam::444444444444:role/mlplatform-deploy", mutable=False)
    group.grant_deploy(remote)
    return synth(app, stack)


def test_given_a_same_account_role_then_the_grant_is_identity_side_only(group_template: dict[str, Any]) -> None:
    (statement,) = managed_statements(group_template)
    assert actions(statement) == [
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
        "sagemaker:UpdateModelPackage",
    ]
    assert statement["Resource"][0]["Fn::GetAtt"][1] == "ModelPackageGroupArn"


def test_given_a_role_of_another_account_then_the_group_policy_names_it_with_the_org_condition(
    group_template: dict[str, Any],
) -> None:
    (group,) = resources_of_type(group_template, "AWS::SageMaker::ModelPackageGroup").values()
    (statement,) = group["Properties"]["ModelPackageGroupPolicy"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::444444444444:role/mlplatform-deploy"}
    assert "sagemaker:CreateModel" in actions(statement)
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


def test_model_package_group_is_retained_by_default(group_template: dict[str, Any]) -> None:
    (group,) = resources_of_type(group_template, "AWS::SageMaker::ModelPackageGroup").values()
    assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Retain"


def test_given_no_grant_to_another_account_then_the_group_has_no_policy() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Plain", env=REGISTRY_ENV)
    ModelPackageGroup(stack, "G", model_package_group_name="churn", removal_policy=cdk.RemovalPolicy.DESTROY)
    (group,) = resources_of_type(synth(app, stack), "AWS::SageMaker::ModelPackageGroup").values()
    assert "ModelPackageGroupPolicy" not in group["Properties"]
    assert group["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize("name", ["-churn", "churn_v2", "a" * 64, "churn-"])
def test_given_a_name_breaking_the_service_pattern_then_props_error(name: str) -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(PropsError, match=r"model_package_group_name=.*must match"):
        ModelPackageGroup(stack, "G", model_package_group_name=name)


def test_given_an_account_root_in_the_group_policy_then_synth_refuses_it() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Root", env=REGISTRY_ENV)
    group = ModelPackageGroup(stack, "G", model_package_group_name="churn")
    group.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.AccountPrincipal("444444444444")],
            actions=["sagemaker:DescribeModelPackage"],
            resources=["*"],
        )
    )
    with pytest.raises(RuntimeError, match="is an account root; name a role instead"):
        app.synth()


def test_given_an_imported_group_then_grant_deploy_covers_versions_artifacts_key_and_images() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Consumer", env=WORKLOAD_ENV)
    role = PlatformRole(stack, "Endpoint", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bucket = s3.Bucket.from_bucket_attributes(
        stack, "Artifacts", bucket_name="mlplatform-models-222222222222-eu-west-1", account="222222222222"
    )
    repository = ecr.Repository.from_repository_arn(
        stack, "Images", "arn:aws:ecr:eu-west-1:222222222222:repository/churn"
    )
    group = ModelPackageGroup.from_model_package_group_arn(
        stack,
        "Churn",
        GROUP_ARN,
        artifacts=ModelArtifacts(bucket=bucket, prefix="churn/", key_alias="alias/mlplatform-model-artifacts"),
        image_repositories=[repository],
    )
    assert group.model_package_group_name == "churn" and group.env.account == "222222222222"
    grant = group.grant_deploy(role)
    assert grant.success
    add_compliance_gate(app)  # every wildcard the grant needs is acknowledged by the grant itself
    statements = managed_statements(synth(app, stack))
    by_action = {action: s for s in statements for action in actions(s)}
    assert texts(by_action["sagemaker:CreateModel"]["Resource"]) == [
        GROUP_ARN,
        "arn:<AWS::Partition>:sagemaker:eu-west-1:222222222222:model-package/churn/*",
    ]
    assert text(by_action["s3:GetObject"]["Resource"]) == (
        "arn:<AWS::Partition>:s3:::mlplatform-models-222222222222-eu-west-1/churn/*"
    )
    assert text(by_action["kms:Decrypt"]["Resource"]) == "arn:<AWS::Partition>:kms:eu-west-1:222222222222:key/*"
    assert by_action["kms:Decrypt"]["Condition"]["ForAnyValue:StringEquals"] == {
        "kms:ResourceAliases": "alias/mlplatform-model-artifacts"
    }
    assert (
        text(by_action["kms:Decrypt"]["Condition"]["StringEquals"]["kms:ViaService"]) == "s3.eu-west-1.<AWS::URLSuffix>"
    )
    assert "ecr:BatchGetImage" in by_action and "sagemaker:UpdateModelPackage" not in by_action
    assert "s3:PutObject" not in by_action


def test_given_a_mixed_case_group_then_version_grants_name_both_arn_spellings() -> None:
    stack = cdk.Stack(cdk.App(), "Case", env=REGISTRY_ENV)
    group = ModelPackageGroup.from_model_package_group_name(stack, "G", "Churn")
    assert [text(stack.resolve(arn)) for arn in group.model_package_arns] == [
        "arn:<AWS::Partition>:sagemaker:eu-west-1:222222222222:model-package/Churn/*",
        "arn:<AWS::Partition>:sagemaker:eu-west-1:222222222222:model-package/churn/*",
    ]


def test_given_an_arn_of_another_resource_then_the_import_refuses_it() -> None:
    stack = cdk.Stack(cdk.App(), "BadArn")
    with pytest.raises(PropsError, match="model-package-group/<name>"):
        ModelPackageGroup.from_model_package_group_arn(
            stack, "G", "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/x"
        )


def test_grant_register_allows_only_pending_versions_and_artifact_writes() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Register", env=WORKLOAD_ENV)
    role = PlatformRole(stack, "Step", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bucket = s3.Bucket.from_bucket_attributes(stack, "B", bucket_name="models", account="222222222222")
    ModelPackageGroup.from_model_package_group_arn(
        stack, "G", GROUP_ARN, artifacts=ModelArtifacts(bucket=bucket, prefix="churn/", key_alias="alias/k")
    ).grant_register(role)
    by_action = {a: s for s in managed_statements(synth(app, stack)) for a in actions(s)}
    assert by_action["sagemaker:CreateModelPackage"]["Condition"] == {
        "StringEqualsIfExists": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    }
    assert text(by_action["s3:PutObject"]["Resource"]) == "arn:<AWS::Partition>:s3:::models/churn/*"
    assert text(by_action["kms:GenerateDataKey"]["Resource"]) == "arn:<AWS::Partition>:kms:eu-west-1:222222222222:key/*"
    assert "sagemaker:UpdateModelPackage" not in by_action


# --- ModelRegistry ---------------------------------------------------------------------------------


def forwarding_registry(stack: cdk.Stack, **props: Any) -> ModelRegistry:
    return ModelRegistry(
        stack,
        "Registry",
        platform_name="ml",
        model_package_groups=["churn"],
        events_bus_arn="arn:aws:events:eu-west-1:111111111111:event-bus/ml-model-events",
        **props,
    )


@pytest.fixture(scope="module")
def registry_template() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Registry", env=REGISTRY_ENV)
    registry = forwarding_registry(stack)
    reader = iam.Role.from_role_arn(stack, "Reader", "arn:aws:iam::555555555555:role/ml-deploy", mutable=False)
    registry.add_access(reader, RegistryAccess.DEPLOY)
    approver = iam.Role.from_role_arn(stack, "Approver", "arn:aws:iam::333333333333:role/lead", mutable=False)
    registry.add_access(approver, RegistryAccess.APPROVE)
    add_compliance_gate(app)
    return synth(app, stack)


def test_registry_passes_the_gate_and_its_key_policy_has_no_account_root(registry_template: dict[str, Any]) -> None:
    keys = resources_of_type(registry_template, "AWS::KMS::Key").values()
    assert ":root" not in json.dumps([k["Properties"]["KeyPolicy"] for k in keys])
    (key,) = [k for k in keys if "model artifacts" in k["Properties"]["Description"]]
    rendered = json.dumps(key["Properties"]["KeyPolicy"])
    assert ":root" not in rendered
    sids = [s["Sid"] for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert sorted(sids) == ["DecryptThroughS3", "DenyGrantsNotForAwsResources", "KeyAdministration"]


def test_an_approver_gets_the_group_policy_but_no_artifact_or_key_access(registry_template: dict[str, Any]) -> None:
    (group,) = resources_of_type(registry_template, "AWS::SageMaker::ModelPackageGroup").values()
    principals = [s["Principal"]["AWS"] for s in group["Properties"]["ModelPackageGroupPolicy"]["Statement"]]
    assert principals == ["arn:aws:iam::555555555555:role/ml-deploy", "arn:aws:iam::333333333333:role/lead"]
    policies = resources_of_type(registry_template, "AWS::S3::BucketPolicy").values()
    assert "role/lead" not in json.dumps([p["Properties"] for p in policies])


def test_given_duplicate_or_no_groups_then_props_error() -> None:
    stack = cdk.Stack(cdk.App(), "Dup", env=REGISTRY_ENV)
    with pytest.raises(PropsError, match="duplicate names"):
        ModelRegistry(stack, "R", platform_name="ml", model_package_groups=["churn", "Churn"])
    with pytest.raises(PropsError, match="at least one group"):
        ModelRegistry(stack, "R2", platform_name="ml", model_package_groups=[])


def test_given_a_legacy_synthesizer_and_no_key_admins_then_props_error() -> None:
    stack = cdk.Stack(cdk.App(), "Legacy", synthesizer=cdk.LegacyStackSynthesizer())
    with pytest.raises(PropsError, match="pass key_admins"):
        ModelRegistry(stack, "R", platform_name="ml", model_package_groups=["churn"])


def test_model_events_bus_accepts_only_the_forwarder_role() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Bus", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    ModelEventsBus(
        stack,
        "Bus",
        event_bus_name="ml-model-events",
        forwarder_role_arn="arn:aws:iam::222222222222:role/ml-model-events-forwarder",
    )
    add_compliance_gate(app)
    template = synth(app, stack)
    assert resources_of_type(template, "AWS::Events::EventBusPolicy") == {}  # the bus's own Policy instead
    (bus,) = resources_of_type(template, "AWS::Events::EventBus").values()
    (statement,) = bus["Properties"]["Policy"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::222222222222:role/ml-model-events-forwarder"}
    assert statement["Condition"] == {
        "StringEquals": {"events:source": "aws.sagemaker", "events:detail-type": "SageMaker Model Package State Change"}
    }


def test_given_too_many_groups_for_one_bucket_policy_then_synth_refuses_it() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Huge", env=REGISTRY_ENV)
    registry = ModelRegistry(
        stack, "Registry", platform_name="ml", model_package_groups=[f"group-{index:03d}" for index in range(120)]
    )
    for index in range(6):
        role = iam.Role.from_role_arn(stack, f"R{index}", f"arn:aws:iam::444444444444:role/r{index}", mutable=False)
        registry.add_access(role, RegistryAccess.READ if index % 2 else RegistryAccess.WRITE)
    with pytest.raises(RuntimeError, match=r"artifacts bucket policy: about \d+ characters, over its limit of 20480"):
        app.synth()


def test_undeliverable_approvals_go_to_an_encrypted_dead_letter_queue(registry_template: dict[str, Any]) -> None:
    (rule,) = resources_of_type(registry_template, "AWS::Events::Rule").values()
    (target,) = rule["Properties"]["Targets"]
    (queue_id,) = resources_of_type(registry_template, "AWS::SQS::Queue")
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    queue = registry_template["Resources"][queue_id]
    assert queue["DeletionPolicy"] == "Retain" and "KmsMasterKeyId" in queue["Properties"]
    key_id = queue["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    statements = registry_template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (events,) = [s for s in statements if s.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert events["Condition"] == {"StringEquals": {"aws:SourceAccount": "222222222222"}}
    assert ":root" not in json.dumps(statements)


def test_given_dead_letter_readers_then_they_may_consume_and_decrypt_through_sqs_only() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Readers", env=REGISTRY_ENV)
    operator = PlatformRole(stack, "Operator", assumed_by=iam.AccountPrincipal("222222222222"))
    registry = forwarding_registry(stack, dead_letter_readers=[operator])
    template = synth(app, stack)
    assert registry.events_key is not None
    key_id = stack.get_logical_id(registry.events_key.node.default_child)  # type: ignore[arg-type]
    statements = template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (decrypt,) = [
        s
        for s in statements
        if s.get("Principal", {}).get("AWS")
        == {"Fn::GetAtt": [stack.get_logical_id(operator.node.default_child), "Arn"]}
    ]  # type: ignore[arg-type]
    assert decrypt["Action"] == "kms:Decrypt"
    assert text(decrypt["Condition"]["StringEquals"]["kms:ViaService"]) == "sqs.eu-west-1.<AWS::URLSuffix>"
    consume = [a for s in managed_statements(template) for a in actions(s)]
    assert "sqs:ReceiveMessage" in consume and "sqs:DeleteMessage" in consume


def test_without_forwarding_there_are_no_dead_letters_to_read() -> None:
    stack = cdk.Stack(cdk.App(), "NoForwarding", env=REGISTRY_ENV)
    registry = ModelRegistry(stack, "Registry", platform_name="ml", model_package_groups=["churn"])
    role = iam.Role.from_role_name(stack, "R", "operator")
    with pytest.raises(PropsError, match="nothing is forwarded"):
        registry.grant_read_dead_letters(role)

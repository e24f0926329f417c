"""The registry stacks as synthesized from cdk.json (sandbox) and examples/multi-account.yaml: every policy statement.

Reads the session-wide templates (`default_templates`, `multi_account_templates`); nothing is synthesized here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import aws_cdk as cdk
import pytest

from sagemaker_platform import naming
from sagemaker_platform.config import parse_config
from sagemaker_platform.constructs.registry import RegistryAccess
from sagemaker_platform.stacks.registry import endpoint_roles_from_registry, extra_registry_roles
from tests.registry_helpers import text
from tests.support import resources_of_type
from tests.test_config import ACCOUNTS

REGISTRY = "mlplatform-registry"
EVENTS = "mlplatform-model-events"
SANDBOX_WORKLOAD = "mlplatform-workload-access"
WORKLOADS = {
    "dev": "mlplatform-workload-access-dev",
    "staging": "mlplatform-workload-access-staging",
    "prod": "mlplatform-workload-access-prod",
}
ORG = {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}
REGION = "eu-west-1"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_arn(account: str, name: str) -> str:
    return f"arn:<AWS::Partition>:iam::{account}:role/{name}"


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(document["Statement"])


def aws_principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal", {})
    if not isinstance(principal, dict):
        return [text(principal)]
    return [text(value) for value in as_list(principal.get("AWS", []))]


def all_principal_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) for every statement with a principal: trust, bucket, key, group and bus policies."""
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        documents = [
            props.get("AssumeRolePolicyDocument"),
            props.get("PolicyDocument") if resource["Type"] == "AWS::S3::BucketPolicy" else None,
            props.get("KeyPolicy"),
            props.get("ModelPackageGroupPolicy"),
            {"Statement": props["Statement"]} if resource["Type"] == "AWS::Events::EventBusPolicy" else None,
            props.get("Policy") if resource["Type"] == "AWS::Events::EventBus" else None,
        ]
        for document in documents:
            if document:
                for statement in statements(document):
                    yield logical_id, statement


def by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in statements(document) if "Sid" in statement}


def only(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (resource,) = resources.values()
    return resource["Properties"]


def role_named(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    (match,) = [
        (logical_id, resource["Properties"])
        for logical_id, resource in resources_of_type(template, "AWS::IAM::Role").items()
        if resource["Properties"].get("RoleName") == name
    ]
    return match


def identity_statements(template: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    """Every statement of the customer managed policies attached to one role."""
    found = []
    for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
            found.extend(statements(policy["Properties"]["PolicyDocument"]))
    return found


def actions_on(statements_: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements_ if action in as_list(s["Action"])]


# --- stacks and placement -------------------------------------------------------------------------


def test_given_the_sandbox_then_one_workload_access_stack_holds_each_fixed_role_name_once(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    names = [
        resource["Properties"]["RoleName"]
        for template in default_templates.values()
        for resource in resources_of_type(template, "AWS::IAM::Role").values()
        if "RoleName" in resource["Properties"]
    ]
    for name in ("mlplatform-sagemaker-execution", "mlplatform-pipeline-step", "mlplatform-deploy"):
        assert names.count(name) == 1, name
    assert {REGISTRY, EVENTS, SANDBOX_WORKLOAD} <= set(default_templates)


def test_given_multi_account_then_each_workload_account_has_its_stack_and_only_staging_and_prod_a_deploy_role(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    for stage, stack in WORKLOADS.items():
        names = {
            r["Properties"]["RoleName"]
            for r in resources_of_type(multi_account_templates[stack], "AWS::IAM::Role").values()
        }
        expected = {"mlplatform-sagemaker-execution", "mlplatform-pipeline-step"}
        assert names == (expected if stage == "dev" else expected | {"mlplatform-deploy"}), stage


# --- no account root, org condition on every cross-account statement --------------------------------


@pytest.mark.parametrize("config", ["default", "multi"])
def test_no_principal_in_any_registry_stack_is_an_account_root_or_a_bare_account(
    config: str, default_templates: dict[str, dict[str, Any]], multi_account_templates: dict[str, dict[str, Any]]
) -> None:
    templates = default_templates if config == "default" else multi_account_templates
    mine = [name for name in templates if name in (REGISTRY, EVENTS, SANDBOX_WORKLOAD, *WORKLOADS.values())]
    assert len(mine) == (3 if config == "default" else 5)
    checked = 0
    for name in mine:
        for logical_id, statement in all_principal_statements(templates[name]):
            for principal in aws_principals(statement):
                checked += 1
                assert not principal.endswith(":root"), (name, logical_id, principal)
                assert not principal.isdigit(), (name, logical_id, principal)
                assert (principal == "*" and statement["Effect"] == "Deny") or ":role/" in principal, (
                    name,
                    logical_id,
                    principal,
                )
    assert checked > 20


def test_given_organization_id_then_every_cross_account_allow_statement_requires_it(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    stacks = {
        REGISTRY: ACCOUNTS["registry"],
        EVENTS: ACCOUNTS["tooling"],
        **{v: ACCOUNTS[k] for k, v in WORKLOADS.items()},
    }
    cross = 0
    for name, own_account in stacks.items():
        for logical_id, statement in all_principal_statements(multi_account_templates[name]):
            principals = aws_principals(statement)
            if statement["Effect"] != "Allow" or not principals:
                continue
            if all(f":iam::{own_account}:" in principal for principal in principals):
                continue
            # Principals, not statements: minimizePolicies merges statements that differ only in principal.
            cross += sum(1 for principal in principals if f":iam::{own_account}:" not in principal)
            assert statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == "o-a1b2c3d4e5", (name, logical_id)
    assert cross >= 25  # group policies (9 principals x 2 groups), bucket, key, trust and bus policies


# --- trust policies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_deploy_role_trusts_only_the_tooling_accounts_deploy_pipeline_role(
    stage: str, multi_account_templates: dict[str, dict[str, Any]]
) -> None:
    _, role = role_named(multi_account_templates[WORKLOADS[stage]], "mlplatform-deploy")
    (statement,) = statements(role["AssumeRolePolicyDocument"])
    assert statement["Action"] == "sts:AssumeRole"
    assert aws_principals(statement) == [role_arn(ACCOUNTS["tooling"], "mlplatform-deploy-pipeline")]
    assert set(statement["Principal"]) == {"AWS"}
    assert statement["Condition"] == {"StringEquals": ORG}


def test_pipeline_step_role_trusts_sagemaker_and_only_in_dev_the_tuning_register_role(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    for stage, stack in WORKLOADS.items():
        _, role = role_named(multi_account_templates[stack], "mlplatform-pipeline-step")
        trust = statements(role["AssumeRolePolicyDocument"])
        assert all(s["Action"] == "sts:AssumeRole" and "Condition" not in s for s in trust)
        assert [s["Principal"].get("Service") for s in trust if "Service" in s["Principal"]] == [
            "sagemaker.amazonaws.com"
        ]
        expected = [role_arn(ACCOUNTS["dev"], "mlplatform-tuning-register")] if stage == "dev" else []
        assert [p for s in trust for p in aws_principals(s)] == expected, stage


def test_execution_role_trusts_only_sagemaker(multi_account_templates: dict[str, dict[str, Any]]) -> None:
    _, role = role_named(multi_account_templates[WORKLOADS["dev"]], "mlplatform-sagemaker-execution")
    assert statements(role["AssumeRolePolicyDocument"]) == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}}
    ]


def test_forwarder_role_is_assumable_only_by_eventbridge_for_its_own_rule(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    logical_id, role = role_named(multi_account_templates[REGISTRY], "mlplatform-model-events-forwarder")
    (statement,) = statements(role["AssumeRolePolicyDocument"])
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    conditions = statement["Condition"]["StringEquals"]
    assert conditions["aws:SourceAccount"] == ACCOUNTS["registry"]
    assert (
        text(conditions["aws:SourceArn"])
        == f"arn:<AWS::Partition>:events:{REGION}:{ACCOUNTS['registry']}:rule/mlplatform-model-approvals"
    )
    (put,) = identity_statements(multi_account_templates[REGISTRY], logical_id)
    assert put["Action"] == "events:PutEvents"
    assert (
        text(put["Resource"])
        == f"arn:<AWS::Partition>:events:{REGION}:{ACCOUNTS['tooling']}:event-bus/mlplatform-model-events"
    )


# --- the receiving bus ------------------------------------------------------------------------------


def test_model_events_bus_policy_allows_only_the_registry_forwarder_that_source_and_detail_type(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates[EVENTS]
    bus = only(resources_of_type(template, "AWS::Events::EventBus"))
    assert bus["Name"] == "mlplatform-model-events"
    assert resources_of_type(template, "AWS::Events::EventBusPolicy") == {}  # the bus's own Policy instead
    (statement,) = bus["Policy"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "events:PutEvents"
    assert aws_principals(statement) == [role_arn(ACCOUNTS["registry"], "mlplatform-model-events-forwarder")]
    assert statement["Condition"] == {
        "StringEquals": {
            "events:source": "aws.sagemaker",
            "events:detail-type": "SageMaker Model Package State Change",
            **ORG,
        }
    }


# --- forwarding rule --------------------------------------------------------------------------------


def test_forwarding_rule_sends_approved_versions_and_rejected_deployed_ones_to_the_tooling_bus(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    rule = only(resources_of_type(multi_account_templates[REGISTRY], "AWS::Events::Rule"))
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {
            "ModelPackageGroupName": ["churn", "fraud-detection"],
            # Rejections only of churn, the one group `deploy.groups` deploys (and rolls back).
            "$or": [
                {"ModelApprovalStatus": ["Approved"]},
                {"ModelApprovalStatus": ["Rejected"], "ModelPackageGroupName": ["churn"]},
            ],
        },
    }
    (target,) = rule["Targets"]
    assert (
        text(target["Arn"])
        == f"arn:<AWS::Partition>:events:{REGION}:{ACCOUNTS['tooling']}:event-bus/mlplatform-model-events"
    )
    assert "RoleArn" in target


# --- artifacts bucket -------------------------------------------------------------------------------


def artifacts_bucket(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (match,) = [
        (logical_id, resource)
        for logical_id, resource in resources_of_type(template, "AWS::S3::Bucket").items()
        if "BucketName" in resource["Properties"]
    ]
    return match


def bucket_policy_of(template: dict[str, Any], bucket_id: str) -> dict[str, Any]:
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return policy


def test_artifacts_bucket_is_kms_encrypted_versioned_logged_private_and_retained(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates[REGISTRY]
    logical_id, bucket = artifacts_bucket(template)
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    assert props["BucketName"] == f"mlplatform-models-{ACCOUNTS['registry']}-{REGION}"
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][1] == "Arn"
    assert rule["BucketKeyEnabled"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    # Logged to the registry account's one log bucket, in the stack of its own that the registry deploys after.
    logs_name = f"mlplatform-access-logs-{ACCOUNTS['registry']}-{REGION}"
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": logs_name,
        "LogFilePrefix": "mlplatform-registry/artifacts/",
    }
    logs_template = multi_account_templates["mlplatform-access-logs-registry"]
    ((logs_id, logs),) = [
        (lid, b)
        for lid, b in resources_of_type(logs_template, "AWS::S3::Bucket").items()
        if b["Properties"]["BucketName"] == logs_name
    ]
    assert logs["DeletionPolicy"] == "Retain"
    assert logs["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "PublicAccessBlockConfiguration" in logs["Properties"]
    logs_policy = statements(bucket_policy_of(logs_template, logs_id))
    deliver = [s for s in logs_policy if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}]
    assert len(deliver) == 1 and deliver[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNTS["registry"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in logs_policy
    )
    assert logical_id in template["Resources"]


def test_artifacts_bucket_policy_denies_plain_http_and_foreign_encryption(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates[REGISTRY]
    logical_id, _ = artifacts_bucket(template)
    policy = bucket_policy_of(template, logical_id)
    tls = [s for s in statements(policy) if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(tls) == 1 and tls[0]["Effect"] == "Deny" and tls[0]["Action"] == "s3:*"
    sids = by_sid(policy)
    assert sids["DenyOtherEncryption"]["Effect"] == "Deny"
    assert sids["DenyOtherEncryption"]["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }
    keys = sids["DenyOtherKeys"]["Condition"]["StringNotEqualsIfExists"][
        "s3:x-amz-server-side-encryption-aws-kms-key-id"
    ]
    assert [text(k) for k in keys][1].endswith(":alias/mlplatform-model-artifacts")


EXPECTED_ACCESS = {
    # label: (account, role name, writes artifacts), on every group.
    "DevExecution": ("dev", "mlplatform-sagemaker-execution", True),
    "DevPipelineStep": ("dev", "mlplatform-pipeline-step", True),
    "StagingExecution": ("staging", "mlplatform-sagemaker-execution", False),
    "StagingPipelineStep": ("staging", "mlplatform-pipeline-step", False),
    "StagingDeploy": ("staging", "mlplatform-deploy", False),
    "ProdExecution": ("prod", "mlplatform-sagemaker-execution", False),
    "ProdPipelineStep": ("prod", "mlplatform-pipeline-step", False),
    "ProdDeploy": ("prod", "mlplatform-deploy", False),
    "Reader0": ("prod", "analytics-batch-scoring", False),
    # The Studio persona roles of the dev account register versions (dev registers).
    "StudioDataScientist": ("dev", "mlplatform-studio-data-scientist", True),
    "StudioApprover": ("dev", "mlplatform-studio-approver", True),
}
GROUP_READERS = {
    # group: the execution roles the hosting stacks create for the endpoints it feeds, one per stage and account.
    "churn": [
        ("staging", "mlplatform-endpoint-churn-async-staging"),
        ("prod", "mlplatform-endpoint-churn-async-prod"),
        ("staging", "mlplatform-endpoint-churn-realtime-staging"),
        ("prod", "mlplatform-endpoint-churn-realtime-prod"),
    ],
    # fraud-realtime is pinned to a version of fraud-detection.
    "fraud-detection": [
        ("staging", "mlplatform-endpoint-fraud-realtime-staging"),
        ("prod", "mlplatform-endpoint-fraud-realtime-prod"),
    ],
}


def roles_with(writes: bool) -> list[str]:
    return [role_arn(ACCOUNTS[account], name) for account, name, w in EXPECTED_ACCESS.values() if w == writes]


def group_readers(group: str) -> list[str]:
    return [role_arn(ACCOUNTS[account], name) for account, name in GROUP_READERS[group]]


def test_artifacts_bucket_policy_lets_exactly_the_workload_roles_read_and_the_registering_ones_write_the_prefixes(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates[REGISTRY]
    logical_id, _ = artifacts_bucket(template)
    sids = by_sid(bucket_policy_of(template, logical_id))
    per_group = {f"{kind}{part}" for kind in ("ReadArtifacts", "ListArtifacts") for part in ("Churn", "FraudDetection")}
    assert set(sids) == {
        "DenyOtherEncryption",
        "DenyOtherKeys",
        "ReadArtifacts",
        "ReadWriteArtifacts",
        "ListArtifacts",
        *per_group,
    }
    prefixes = [f"<{logical_id}.Arn>/churn/*", f"<{logical_id}.Arn>/fraud-detection/*"]
    read, write, listing = sids["ReadArtifacts"], sids["ReadWriteArtifacts"], sids["ListArtifacts"]
    assert aws_principals(read) == roles_with(writes=False)
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert aws_principals(write) == roles_with(writes=True)
    assert write["Action"] == ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:AbortMultipartUpload"]
    for statement in (read, write):
        assert [text(r) for r in statement["Resource"]] == prefixes
        assert statement["Condition"] == {"StringEquals": ORG}
    assert sorted(aws_principals(listing)) == sorted(roles_with(writes=True) + roles_with(writes=False))
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"] == {
        "StringEquals": ORG,
        "StringLike": {"s3:prefix": ["churn/", "churn/*", "fraud-detection/", "fraud-detection/*"]},
    }
    # Endpoint roles: their own group's prefix only.
    for group, part in (("churn", "Churn"), ("fraud-detection", "FraudDetection")):
        group_read, group_list = sids[f"ReadArtifacts{part}"], sids[f"ListArtifacts{part}"]
        assert aws_principals(group_read) == aws_principals(group_list) == group_readers(group)
        assert [text(r) for r in as_list(group_read["Resource"])] == [f"<{logical_id}.Arn>/{group}/*"]
        assert group_list["Condition"]["StringLike"] == {"s3:prefix": [f"{group}/", f"{group}/*"]}
    assert all(s["Effect"] == "Allow" for s in (read, write, listing))


def test_artifacts_key_policy_names_exactly_the_admin_and_the_workload_roles_through_s3_for_this_bucket(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates[REGISTRY]
    (key,) = [
        k
        for k in resources_of_type(template, "AWS::KMS::Key").values()
        if "artifacts" in k["Properties"]["Description"]
    ]
    assert key["DeletionPolicy"] == "Retain" and key["Properties"]["EnableKeyRotation"] is True
    sids = by_sid(key["Properties"]["KeyPolicy"])
    # KeyAdministration, DecryptThroughS3 and DenyGrantsNotForAwsResources (AWS Control Tower CT.KMS.PR.3)
    assert len(statements(key["Properties"]["KeyPolicy"])) == len(sids) == 4
    admin = sids["KeyAdministration"]
    assert text(admin["Principal"]["AWS"]) == (
        f"arn:${{AWS::Partition}}:iam::{ACCOUNTS['registry']}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNTS['registry']}-{REGION}"
    )
    assert "kms:Decrypt" not in admin["Action"] and "kms:*" not in admin["Action"]
    bucket = f"arn:<AWS::Partition>:s3:::mlplatform-models-{ACCOUNTS['registry']}-{REGION}"
    for sid, writes, actions in (
        ("EncryptThroughS3", True, ["kms:Decrypt", "kms:GenerateDataKey"]),
        ("DecryptThroughS3", False, ["kms:Decrypt"]),
    ):
        statement = sids[sid]
        endpoint_roles = [] if writes else group_readers("churn") + group_readers("fraud-detection")
        assert sorted(aws_principals(statement)) == sorted(roles_with(writes=writes) + endpoint_roles)
        assert as_list(statement["Action"]) == actions
        assert statement["Resource"] == "*"
        assert statement["Condition"]["StringEquals"] == {
            **ORG,
            "kms:ViaService": {"Fn::Join": ["", [f"s3.{REGION}.", {"Ref": "AWS::URLSuffix"}]]},
        }
        assert [text(v) for v in statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]] == [
            bucket,
            f"{bucket}/*",
        ]


# --- model package groups ---------------------------------------------------------------------------


def group_policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["ModelPackageGroupName"]: r
        for r in resources_of_type(template, "AWS::SageMaker::ModelPackageGroup").values()
    }


def test_model_package_groups_are_retained_and_their_policies_grant_each_role_its_level(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    groups = group_policies(multi_account_templates[REGISTRY])
    assert set(groups) == {"churn", "fraud-detection"}
    read = ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
    for name, group in groups.items():
        assert group["DeletionPolicy"] == "Retain"
        granted: dict[str, list[tuple[list[str], dict[str, Any]]]] = {}
        for statement in statements(group["Properties"]["ModelPackageGroupPolicy"]):
            assert [text(r) for r in statement["Resource"]] == [
                f"arn:<AWS::Partition>:sagemaker:{REGION}:{ACCOUNTS['registry']}:model-package-group/{name}",
                f"arn:<AWS::Partition>:sagemaker:{REGION}:{ACCOUNTS['registry']}:model-package/{name}/*",
            ]
            (principal,) = aws_principals(statement)
            granted.setdefault(principal, []).append((as_list(statement["Action"]), statement["Condition"]))
        pending = {
            "StringEqualsIfExists": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"},
            "StringEquals": ORG,
        }
        assert granted == {
            role_arn(ACCOUNTS["dev"], "mlplatform-sagemaker-execution"): [(read, {"StringEquals": ORG})],
            role_arn(ACCOUNTS["dev"], "mlplatform-pipeline-step"): [
                (["sagemaker:CreateModelPackage", "sagemaker:AddTags"], pending),
                (read, {"StringEquals": ORG}),
            ],
            **{
                role_arn(ACCOUNTS[stage], role): [(read, {"StringEquals": ORG})]
                for stage in ("staging", "prod")
                for role in ("mlplatform-sagemaker-execution", "mlplatform-pipeline-step")
            },
            # prod runs a batch inference pipeline: its Model step creates a model from a version.
            role_arn(ACCOUNTS["prod"], "mlplatform-pipeline-step"): [
                ([*read, "sagemaker:CreateModel"], {"StringEquals": ORG})
            ],
            # The lifecycle pipelines' lookup functions (dev: build, prod: batch and monitoring).
            **{
                role_arn(ACCOUNTS[stage], "mlplatform-lifecycle-lookup"): [(read, {"StringEquals": ORG})]
                for stage in ("dev", "prod")
            },
            **{
                role_arn(ACCOUNTS[stage], "mlplatform-deploy"): [
                    ([*read, "sagemaker:CreateModel"], {"StringEquals": ORG})
                ]
                for stage in ("staging", "prod")
            },
            role_arn(ACCOUNTS["prod"], "analytics-batch-scoring"): [(read, {"StringEquals": ORG})],
            # Endpoint roles: only on the group that feeds them (fraud-realtime pins a fraud-detection version).
            **{
                role_arn(ACCOUNTS[stage], f"mlplatform-endpoint-{endpoint}-{stage}"): [(read, {"StringEquals": ORG})]
                for endpoint in (("churn-async", "churn-realtime") if name == "churn" else ("fraud-realtime",))
                for stage in ("staging", "prod")
            },
            # CloudFormation creates the pinned fraud-realtime model in staging and prod: describe + CreateModel.
            **(
                {
                    f"arn:<AWS::Partition>:iam::{ACCOUNTS[stage]}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNTS[stage]}-"
                    f"{REGION}": [([*read, "sagemaker:CreateModel"], {"StringEquals": ORG})]
                    for stage in ("staging", "prod")
                }
                if name == "fraud-detection"
                else {}
            ),
            role_arn(ACCOUNTS["dev"], "mlplatform-model-approver"): [
                ([*read, "sagemaker:UpdateModelPackage"], {"StringEquals": ORG})
            ],
            # Studio personas (dev): data scientists register; approvers register and approve.
            role_arn(ACCOUNTS["dev"], "mlplatform-studio-data-scientist"): [
                (["sagemaker:CreateModelPackage", "sagemaker:AddTags"], pending),
                (read, {"StringEquals": ORG}),
            ],
            role_arn(ACCOUNTS["dev"], "mlplatform-studio-approver"): [
                (["sagemaker:CreateModelPackage", "sagemaker:AddTags"], pending),
                (read, {"StringEquals": ORG}),
                ([*read, "sagemaker:UpdateModelPackage"], {"StringEquals": ORG}),
            ],
        }


def test_model_package_group_policies_fit_the_service_limit(multi_account_templates: dict[str, dict[str, Any]]) -> None:
    for name, group in group_policies(multi_account_templates[REGISTRY]).items():
        # PutModelPackageGroupPolicy's ResourcePolicy: at most 20,480 characters (ARNs resolve longer than <...>).
        assert len(json.dumps(group["Properties"]["ModelPackageGroupPolicy"])) < 15_000, name


# --- workload roles: identity policies ----------------------------------------------------------------


def test_deploy_role_may_exactly_what_the_deploy_contract_lists(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates[WORKLOADS["prod"]]
    logical_id, _ = role_named(template, "mlplatform-deploy")
    granted = identity_statements(template, logical_id)
    sids = {s["Sid"]: s for s in granted if "Sid" in s}
    prod = ACCOUNTS["prod"]
    # Models and endpoint configs under the platform prefix; endpoints: only those of the deploy groups (issue 15).
    assert [text(r) for r in sids["ManagePlatformEndpoints"]["Resource"]] == [
        *(
            f"arn:<AWS::Partition>:sagemaker:{REGION}:{prod}:{kind}/mlplatform-*"
            for kind in ("model", "endpoint-config")
        ),
        f"arn:<AWS::Partition>:sagemaker:{REGION}:{prod}:endpoint/mlplatform-churn-async-prod",
        f"arn:<AWS::Partition>:sagemaker:{REGION}:{prod}:endpoint/mlplatform-churn-realtime-prod",
    ]
    assert {"sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DeleteModel"} <= set(
        sids["ManagePlatformEndpoints"]["Action"]
    )
    assert (
        sids["ManageEndpointAutoscaling"]["Condition"]["StringEquals"]["application-autoscaling:service-namespace"]
        == "sagemaker"
    )
    passing = sids["PassEndpointRoles"]
    assert passing["Action"] == "iam:PassRole"
    assert text(passing["Resource"]) == role_arn(prod, "mlplatform-endpoint-*")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert (
        text(sids["ReadDeploymentSpecs"]["Resource"])
        == f"arn:<AWS::Partition>:ssm:{REGION}:{prod}:parameter/mlplatform/*"
    )
    assert [text(r) for r in sids["ManageScalingAlarms"]["Resource"]] == [
        f"arn:<AWS::Partition>:cloudwatch:{REGION}:{prod}:alarm:mlplatform-*",
        f"arn:<AWS::Partition>:cloudwatch:{REGION}:{prod}:alarm:TargetTracking-endpoint/mlplatform-*",
    ]
    registry = ACCOUNTS["registry"]
    (create_from_package,) = [s for s in actions_on(granted, "sagemaker:CreateModel") if "Sid" not in s]
    assert [text(r) for r in create_from_package["Resource"]] == [
        f"arn:<AWS::Partition>:sagemaker:{REGION}:{registry}:{kind}/{group}{suffix}"
        for group in ("churn", "fraud-detection")
        for kind, suffix in (("model-package-group", ""), ("model-package", "/*"))
    ]
    decrypt = actions_on(granted, "kms:Decrypt")
    assert decrypt and all(
        text(s["Resource"]) == f"arn:<AWS::Partition>:kms:{REGION}:{registry}:key/*"
        and s["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/mlplatform-model-artifacts"}
        for s in decrypt
    )
    (reads,) = actions_on(granted, "s3:GetObject")
    assert [text(r) for r in reads["Resource"]] == [
        f"arn:<AWS::Partition>:s3:::mlplatform-models-{registry}-{REGION}/{group}/*"
        for group in ("churn", "fraud-detection")
    ]
    assert not actions_on(granted, "s3:PutObject") and not actions_on(granted, "sagemaker:UpdateModelPackage")
    for statement in granted:
        assert statement["Action"] != "*" and not any(a.endswith(":*") for a in as_list(statement["Action"]))


def test_only_the_registering_accounts_pipeline_step_may_register_and_nobody_in_a_workload_may_approve(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    for stage, stack in WORKLOADS.items():
        template = multi_account_templates[stack]
        for name in ("mlplatform-sagemaker-execution", "mlplatform-pipeline-step", "mlplatform-deploy"):
            if stage == "dev" and name == "mlplatform-deploy":
                continue
            logical_id, _ = role_named(template, name)
            granted = identity_statements(template, logical_id)
            registers = actions_on(granted, "sagemaker:CreateModelPackage")
            writes = actions_on(granted, "s3:PutObject")
            assert bool(registers) == (stage == "dev" and name == "mlplatform-pipeline-step"), (stage, name)
            assert bool(writes) == (stage == "dev" and name != "mlplatform-deploy"), (stage, name)
            assert not actions_on(granted, "sagemaker:UpdateModelPackage"), (stage, name)
            for statement in registers:
                assert statement["Condition"] == {
                    "StringEqualsIfExists": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
                }


def test_pipeline_step_role_may_pass_only_the_execution_role(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = multi_account_templates[WORKLOADS["dev"]]
    logical_id, _ = role_named(template, "mlplatform-pipeline-step")
    execution_id, _ = role_named(template, "mlplatform-sagemaker-execution")
    (passing,) = actions_on(identity_statements(template, logical_id), "iam:PassRole")
    assert passing["Resource"] == {"Fn::GetAtt": [execution_id, "Arn"]}
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_sandbox_workload_roles_and_registry_policies_share_the_one_account(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    groups = group_policies(default_templates[REGISTRY])
    principals = {
        p for s in statements(groups["churn"]["Properties"]["ModelPackageGroupPolicy"]) for p in aws_principals(s)
    }
    assert principals == {
        role_arn("<AWS::AccountId>", name)
        for name in (
            "mlplatform-sagemaker-execution",
            "mlplatform-pipeline-step",
            "mlplatform-deploy",
            # churn-async is fed by the churn group: the roles of both stages' endpoints, in the one account.
            "mlplatform-endpoint-churn-async-staging",
            "mlplatform-endpoint-churn-async-prod",
            # The lifecycle pipelines' lookup function (group policies only: no artifacts).
            "mlplatform-lifecycle-lookup",
            # The Studio data scientists (the default config's users have the default persona).
            "mlplatform-studio-data-scientist",
        )
    }
    bus = only(resources_of_type(default_templates[EVENTS], "AWS::Events::EventBus"))
    (statement,) = bus["Policy"]["Statement"]
    assert aws_principals(statement) == [role_arn("<AWS::AccountId>", "mlplatform-model-events-forwarder")]
    assert "aws:PrincipalOrgID" not in statement["Condition"]["StringEquals"]


def test_endpoints_fed_by_a_group_or_pinned_to_one_of_its_versions_add_their_execution_roles_as_readers() -> None:
    package = "arn:aws:sagemaker:eu-west-1:{account}:model-package/{group}/7"
    config = parse_config(
        {
            "accounts": ACCOUNTS,
            "region": "eu-west-1",
            "registry": {"model_package_groups": ["churn", "fraud"]},
            "endpoints": [
                {"name": "churn-async", "model_package_group": "churn", "instance_type": "ml.g5.xlarge"},
                {
                    "name": "fraud-rt",
                    "model_package_arn": package.format(account=ACCOUNTS["registry"], group="fraud"),
                    "instance_type": "ml.g5.xlarge",
                },
                # A version of another account's registry: not the platform's to grant.
                {
                    "name": "partner-rt",
                    "model_package_arn": package.format(account="999999999999", group="fraud"),
                    "instance_type": "ml.g5.xlarge",
                },
                {
                    "name": "image-only",
                    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1",
                    "instance_type": "ml.g5.xlarge",
                },
            ],
        }
    )
    assert endpoint_roles_from_registry(config) == [("churn-async", "churn"), ("fraud-rt", "fraud")]


def test_readers_and_endpoint_roles_get_read_access_in_staging_and_prod_on_their_own_group() -> None:
    config = parse_config(
        {
            "accounts": ACCOUNTS,
            "registry": {"model_package_groups": ["churn"], "readers": [{"account": "prod", "role_name": "scoring"}]},
        }
    )
    with patch(
        "sagemaker_platform.stacks.registry.endpoint_roles_from_registry", return_value=[("churn-async", "churn")]
    ):
        roles = extra_registry_roles(config)
    assert [(r.label, r.account, r.role_name, r.access, r.groups) for r in roles] == [
        ("Reader0", ACCOUNTS["prod"], "scoring", RegistryAccess.READ, None),
        (
            "StagingEndpointChurnAsync",
            ACCOUNTS["staging"],
            "mlplatform-endpoint-churn-async-staging",
            RegistryAccess.READ,
            ("churn",),
        ),
        (
            "ProdEndpointChurnAsync",
            ACCOUNTS["prod"],
            "mlplatform-endpoint-churn-async-prod",
            RegistryAccess.READ,
            ("churn",),
        ),
    ]
    # The roles are the ones the hosting stacks create, one per stage.
    assert [r.role_name for r in roles[1:]] == [
        naming.endpoint_role_name("mlplatform", "churn-async", stage) for stage in naming.STAGES
    ]


def test_sandbox_grants_both_stages_endpoint_roles_in_the_one_account() -> None:
    config = parse_config({"registry": {"model_package_groups": ["churn"]}})
    with patch(
        "sagemaker_platform.stacks.registry.endpoint_roles_from_registry", return_value=[("churn-async", "churn")]
    ):
        roles = extra_registry_roles(config)
    account = cdk.Aws.ACCOUNT_ID
    assert [(r.label, r.account, r.role_name, r.access, r.groups) for r in roles] == [
        (
            "StagingEndpointChurnAsync",
            account,
            "mlplatform-endpoint-churn-async-staging",
            RegistryAccess.READ,
            ("churn",),
        ),
        ("ProdEndpointChurnAsync", account, "mlplatform-endpoint-churn-async-prod", RegistryAccess.READ, ("churn",)),
    ]

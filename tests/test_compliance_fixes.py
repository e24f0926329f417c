"""What issue 15 fixed instead of waiving, checked on every synthesized template of both shipped configs."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.storage import access_logs_bucket, encrypted_bucket
from sagemaker_platform.errors import PropsError

TEMPLATES = ["default_templates", "multi_account_templates"]


def _resources(templates: dict[str, dict[str, Any]], resource_type: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (stack, logical_id, resource)
        for stack, template in templates.items()
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == resource_type
    ]


def _statements(templates: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for stack, logical_id, resource in _resources(templates, resource_type):
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                found.append((f"{stack}/{logical_id}", statement))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fixture", TEMPLATES)
def test_given_any_event_rule_then_every_target_has_a_dead_letter_queue(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    templates = request.getfixturevalue(fixture)
    rules = _resources(templates, "AWS::Events::Rule")
    assert any(logical_id.startswith("PipelineStoppedExecutions") for _, logical_id, _ in rules)
    missing = [
        f"{stack}/{logical_id} -> {target['Id']}"
        for stack, logical_id, rule in rules
        for target in rule["Properties"].get("Targets", [])
        if "DeadLetterConfig" not in target
    ]
    assert missing == []


@pytest.mark.parametrize("fixture", TEMPLATES)
def test_given_any_policy_then_connection_actions_match_the_connection_arns_service(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    templates = request.getfixturevalue(fixture)
    mismatched = []
    for where, statement in _statements(templates):
        actions = [a for a in _as_list(statement["Action"]) if a.endswith(":UseConnection")]
        for action in actions:
            for resource in _as_list(statement.get("Resource", [])):
                if isinstance(resource, str) and ":connection/" in resource:
                    service = resource.split(":")[2]
                    if action.split(":")[0] != service:
                        mismatched.append(f"{where}: {action} on {resource}")
    assert mismatched == []


def test_given_the_multi_account_pipeline_then_its_roles_may_use_the_codeconnections_connection(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    uses = [
        statement
        for where, statement in _statements(multi_account_templates)
        if "codeconnections:UseConnection" in _as_list(statement["Action"])
    ]
    assert len(uses) == 3  # the pipeline, synth and record-commit roles
    assert all(str(s["Resource"]).startswith("arn:aws:codeconnections:") for s in uses)


def test_given_a_codestar_connections_statement_on_a_codeconnections_arn_then_the_role_renames_the_action() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    role = PlatformRole(stack, "Role", assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"))
    new = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    old = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    role.add_to_principal_policy(iam.PolicyStatement(actions=["codestar-connections:UseConnection"], resources=[new]))
    role.add_to_principal_policy(iam.PolicyStatement(actions=["codestar-connections:UseConnection"], resources=[old]))
    statements = app.synth().get_stack_by_name("S").template["Resources"]
    rendered = json.dumps(statements)
    assert '"codeconnections:UseConnection", "Effect": "Allow", "Resource": "' + new in rendered
    assert '"codestar-connections:UseConnection", "Effect": "Allow", "Resource": "' + old in rendered


def test_given_a_step_functions_invoke_grant_then_the_role_has_no_version_wildcard() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    role = PlatformRole(stack, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    arn = "arn:aws:lambda:eu-west-1:111111111111:function:f"
    role.add_to_principal_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[arn, f"{arn}:*"]))
    rendered = json.dumps(app.synth().get_stack_by_name("S").template["Resources"])
    assert f'"Resource": "{arn}"' in rendered
    assert f"{arn}:*" not in rendered


@pytest.mark.parametrize("fixture", TEMPLATES)
def test_given_any_kms_key_then_its_policy_denies_grants_not_for_aws_resources(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    templates = request.getfixturevalue(fixture)
    keys = _resources(templates, "AWS::KMS::Key")
    assert keys
    expected = {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}
    without = [
        f"{stack}/{logical_id}"
        for stack, logical_id, key in keys
        if not any(
            s["Effect"] == "Deny"
            and s["Action"] == "kms:CreateGrant"
            and s.get("Condition", {}).get("BoolIfExists") == expected
            for s in key["Properties"]["KeyPolicy"]["Statement"]
        )
    ]
    assert without == []


@pytest.mark.parametrize("fixture", TEMPLATES)
def test_given_any_versioned_bucket_then_a_lifecycle_rule_expires_noncurrent_versions(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    templates = request.getfixturevalue(fixture)
    buckets = _resources(templates, "AWS::S3::Bucket")
    versioned = [b for b in buckets if b[2]["Properties"].get("VersioningConfiguration", {}).get("Status") == "Enabled"]
    assert versioned
    forever = [
        f"{stack}/{logical_id}"
        for stack, logical_id, bucket in versioned
        if not any(
            rule.get("Status") == "Enabled" and "NoncurrentVersionExpiration" in rule
            for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
        )
    ]
    assert forever == []


def test_given_a_bucket_helper_without_noncurrent_expiry_then_refused_naming_the_bucket() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    logs = access_logs_bucket(
        stack,
        "Logs",
        of="the canary",
        removal_policy=cdk.RemovalPolicy.RETAIN,
        lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(1))],
    )
    with pytest.raises(PropsError, match=r"Data: lifecycle_rules=1 rule.*noncurrent_version_expiration"):
        encrypted_bucket(
            stack,
            "Data",
            key=kms.Key(stack, "Key"),
            access_logs=logs,
            access_logs_prefix="data/",
            removal_policy=cdk.RemovalPolicy.RETAIN,
            replication="canary",
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(1))],
        )
    with pytest.raises(PropsError, match="Logs2: lifecycle_rules=0"):
        access_logs_bucket(stack, "Logs2", of="the canary", removal_policy=cdk.RemovalPolicy.RETAIN, lifecycle_rules=())


def test_given_the_default_app_then_the_deploy_role_manages_only_the_endpoints_the_pipeline_owns(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    statements = [
        statement
        for where, statement in _statements(default_templates)
        if statement.get("Sid") == "ManagePlatformEndpoints"
    ]
    assert len(statements) == 1
    endpoints = [json.dumps(r) for r in _as_list(statements[0]["Resource"]) if ":endpoint/" in json.dumps(r)]
    assert len(endpoints) == 2
    assert all(
        e.endswith(':endpoint/mlplatform-churn-async-staging"]]}')
        or e.endswith(':endpoint/mlplatform-churn-async-prod"]]}')
        for e in endpoints
    ), endpoints


def _artifacts_key_statements(templates: dict[str, dict[str, Any]]) -> list[str]:
    """Identity statements naming the registry's artifacts key (by its alias), as `<stack>/<policy>`."""
    return [
        where
        for where, statement in _statements(templates)
        if "alias/mlplatform-model-artifacts" in json.dumps(statement.get("Condition", {}))
    ]


def test_given_the_sandbox_then_the_artifacts_key_policy_alone_grants_its_own_accounts_roles(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    # The key policy has no account-root statement, so an identity statement in its account could grant nothing:
    # none is written, and each role that reads or writes artifacts is named by the key policy itself.
    ((_, _, key),) = [
        k for k in _resources(default_templates, "AWS::KMS::Key") if k[1].startswith("RegistryArtifactsKey")
    ]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert not any(":root" in json.dumps(s.get("Principal", {})) for s in statements)
    named = json.dumps([s["Principal"] for s in statements if s["Sid"] in ("EncryptThroughS3", "DecryptThroughS3")])
    for role in (
        "mlplatform-sagemaker-execution",
        "mlplatform-pipeline-step",
        "mlplatform-studio-data-scientist",
        "mlplatform-deploy",
        "mlplatform-endpoint-churn-async-staging",
        "mlplatform-endpoint-churn-async-prod",
    ):
        assert f':role/{role}"' in named, role
    assert _artifacts_key_statements(default_templates) == []


def test_given_workload_accounts_then_their_roles_keep_the_identity_side_of_the_cross_account_key_grant(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    where = {statement.split("/")[0] for statement in _artifacts_key_statements(multi_account_templates)}
    assert {
        "mlplatform-workload-access-dev",
        "mlplatform-workload-access-staging",
        "mlplatform-studio",
        "mlplatform-hosting-staging",  # the endpoint roles share it (SharedPolicies/RegistryArtifactsKey1)
    } <= where


def test_given_workload_accounts_then_the_deploy_role_names_its_hosting_keys_in_one_statement(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    # DescribeKey and CreateGrant on the hosting keys share one statement (BoolIfExists on GrantIsForAWSResource),
    # so the keys' wildcard appears in one of the role's managed policies, not in two.
    for stack, account in (("staging", "444444444444"), ("prod", "555555555555")):
        template = {stack: multi_account_templates[f"mlplatform-workload-access-{stack}"]}
        hosting_keys = [
            (where, statement)
            for where, statement in _statements(template)
            if "AccessDeployRole" in where and f":{account}:key/*" in json.dumps(statement["Resource"])
        ]
        assert len(hosting_keys) == 1, hosting_keys
        (_, statement) = hosting_keys[0]
        assert sorted(_as_list(statement["Action"])) == ["kms:CreateGrant", "kms:DescribeKey"]
        assert statement["Condition"]["BoolIfExists"] == {"kms:GrantIsForAWSResource": "true"}


def test_given_a_role_whose_policies_already_grant_a_wildcard_then_a_later_grant_of_it_joins_that_policy() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    role = PlatformRole(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_principal_policy(iam.PolicyStatement(actions=["sagemaker:ListApps"], resources=["*"]))
    for index in range(10):  # fills Policy1 (10 statements) and opens Policy2
        arn = f"arn:aws:sagemaker:eu-west-1:111111111111:domain/d-{index}"
        role.add_to_principal_policy(iam.PolicyStatement(actions=["sagemaker:DescribeDomain"], resources=[arn]))
    role.add_to_principal_policy(iam.PolicyStatement(actions=["sagemaker:ListModelPackageGroups"], resources=["*"]))
    resources = app.synth().get_stack_by_name("S").template["Resources"]
    documents = {
        logical_id[: len("RolePolicyN")]: resource["Properties"]["PolicyDocument"]["Statement"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::ManagedPolicy"
    }
    assert sorted(documents) == ["RolePolicy1", "RolePolicy2"]
    unscoped = {
        name: [s["Action"] for s in statements if s["Resource"] == "*"] for name, statements in documents.items()
    }
    # `Resource: "*"` once on the role (one IAM5 finding), in the policy that held it first.
    assert unscoped == {"RolePolicy1": ["sagemaker:ListApps", "sagemaker:ListModelPackageGroups"], "RolePolicy2": []}

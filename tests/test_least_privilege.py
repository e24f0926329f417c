"""Least privilege of the platform's roles, read from the synthesized templates (issue 15, point 3).

Each test pins one scoping that took a wildcard out of a policy: reverted, the wildcard comes back and the
test fails. The apps are synthesized once per module, without the compliance gate (the gate's own tests run it).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from sagemaker_platform.constructs.roles import NAMED_ACTIONS
from tests.support import REPO_ROOT, default_config_raw, resources_of_type, synth_platform, templates_of

STUDIO = "mlplatform-studio"
PIPELINE = "mlplatform-pipeline"


@pytest.fixture(scope="module")
def default_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return templates_of(synth_platform(default_config_raw(), tmp_path_factory.mktemp("default"), gate=False))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement of the managed and inline policies attached to the role with logical id `role_id`."""
    statements: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and {"Ref": role_id} in props.get(
            "Roles", []
        ):
            statements.extend(props["PolicyDocument"]["Statement"])
    role = template["Resources"][role_id]["Properties"]
    for policy in role.get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    return statements


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    return {action for s in statements for action in _as_list(s["Action"])}


def wildcard_resources(statements: list[dict[str, Any]]) -> list[str]:
    """The rendered resources of `statements` that hold a `*` (what cdk-nag's IAM5 reports)."""
    return [json.dumps(r) for s in statements for r in _as_list(s.get("Resource", [])) if "*" in json.dumps(r)]


def teardown_role(template: dict[str, Any], phase: str) -> str:
    (function,) = [
        f["Properties"]
        for f in resources_of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Environment", {}).get("Variables", {}).get("STUDIO_TEARDOWN_PHASE") == phase
    ]
    return str(function["Role"]["Fn::GetAtt"][0])


# --- Studio lifecycle (teardown) roles ---------------------------------------------------------------------


def test_given_the_studio_lifecycle_on_event_function_then_its_role_may_touch_no_studio_resource(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    """onEvent only names the physical resource (studio_lifecycle.handler.on_event); isComplete does the work."""
    template = default_templates[STUDIO]
    on_event = actions_of(role_statements(template, teardown_role(template, "on_event")))
    assert on_event == {"sqs:SendMessage", "logs:CreateLogStream", "logs:PutLogEvents"}
    is_complete = actions_of(role_statements(template, teardown_role(template, "is_complete")))
    assert {"sagemaker:DeleteDomain", "servicecatalog:AssociatePrincipalWithPortfolio"} <= is_complete


def test_given_the_studio_teardown_then_it_may_describe_and_delete_only_the_domains_home_file_system(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates[STUDIO]
    (domain_id,) = resources_of_type(template, "AWS::SageMaker::Domain")
    statements = role_statements(template, teardown_role(template, "is_complete"))
    efs = [s for s in statements if any(a.startswith("elasticfilesystem:") for a in _as_list(s["Action"]))]
    assert actions_of(efs) == {
        "elasticfilesystem:DescribeFileSystems",
        "elasticfilesystem:DescribeMountTargets",
        "elasticfilesystem:DeleteMountTarget",
        "elasticfilesystem:DeleteFileSystem",
    }
    for statement in efs:
        (resource,) = _as_list(statement["Resource"])
        assert "*" not in json.dumps(resource)
        assert {"Fn::GetAtt": [domain_id, "HomeEfsFileSystemId"]} in resource["Fn::Join"][1]


# --- PlatformRole: the CDK grants' action families, named ----------------------------------------------------


@pytest.fixture(scope="module")
def pipeline_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    raw = yaml.safe_load((REPO_ROOT / "examples" / "multi-account.yaml").read_text())
    return templates_of(synth_platform(raw, tmp_path_factory.mktemp("multi"), gate=False))[PIPELINE]


@pytest.mark.parametrize("role", ["PipelineRole", "SynthRole", "RecordCommitRole"])
def test_given_cdk_pipelines_artifact_grants_on_a_platform_role_then_they_name_each_action(
    pipeline_template: dict[str, Any], role: str
) -> None:
    """CDK Pipelines grants its roles s3:GetObject*, s3:List*, kms:ReEncrypt*, kms:GenerateDataKey* ... on the
    artifact bucket and key; on a PlatformRole these become the actions S3, CodeBuild and CodePipeline use."""
    (role_id,) = [k for k in resources_of_type(pipeline_template, "AWS::IAM::Role") if k.startswith(role)]
    actions = actions_of(role_statements(pipeline_template, role_id))
    assert not [a for a in actions if "*" in a]
    assert {"s3:GetObject", "kms:Decrypt", "kms:GenerateDataKey"} <= actions
    assert not any(a.startswith("kms:ReEncrypt") for a in actions)


def test_given_the_cdk_family_names_then_each_stands_for_actions_of_its_own_family() -> None:
    """A named action must be one the family's wildcard covered: the renaming narrows, never widens."""
    for family, actions in NAMED_ACTIONS.items():
        assert family.endswith("*")
        assert all(action.startswith(family[:-1]) for action in actions), family


def test_given_a_studio_execution_role_then_it_describes_only_the_signed_in_users_own_profile(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    """The session's source identity is the profile name (ExecutionRoleIdentityConfig: USER_PROFILE_NAME)."""
    template = default_templates[STUDIO]
    (domain,) = resources_of_type(template, "AWS::SageMaker::Domain").values()
    assert domain["Properties"]["DomainSettings"]["ExecutionRoleIdentityConfig"] == "USER_PROFILE_NAME"
    statements = [
        s
        for role_id, role in resources_of_type(template, "AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "sagemaker.amazonaws.com"
        for s in role_statements(template, role_id)
        if "sagemaker:DescribeUserProfile" in _as_list(s["Action"])
    ]
    assert statements
    for statement in statements:
        (resource,) = _as_list(statement["Resource"])
        assert json.dumps(resource).endswith('/${aws:SourceIdentity}"]]}'), resource

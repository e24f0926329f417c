"""CI uploads the build pipeline's code and starts the build pipeline: the journey through the synthesized policies.

The CI roles (tooling) assume `<name>-ci-pipeline` in the account of the build pipelines (dev), which may put
objects under the pipeline's code prefix (the `CodeUrl` parameter's default) of the lifecycle bucket, encrypting
with the lifecycle key, and start exactly that pipeline. Over examples/multi-account.yaml (gate on), plus an
env-agnostic sandbox synth of the two stacks with the gate.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagemaker_platform import naming
from tests.registry_helpers import text
from tests.stacks.test_wiring import role_statements, roles_by_name
from tests.support import ACCOUNTS, resources_of_type
from tests.wiring_helpers import Hop, allows, as_list, refused_somewhere, resource_policy_allows, walk

P = "mlplatform"
REGION = "eu-west-1"
ORG = {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}
TOOLING, DEV = ACCOUNTS["tooling"], ACCOUNTS["dev"]
CI_ROLES = ("mlplatform-ci-gitlab", "mlplatform-ci-github")
ACCESS_ROLE = naming.ci_pipeline_role_name(P)
BUILD = "churn-train"


def role_arn(account: str, name: str) -> str:
    return naming.role_arn("<AWS::Partition>", account, name)


def pipeline_arn(name: str, account: str = DEV, region: str = REGION) -> str:
    return f"arn:<AWS::Partition>:sagemaker:{region}:{account}:pipeline/{name}"


def trust(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    role = template["Resources"][roles_by_name(template)[name]]
    return as_list(role["Properties"]["AssumeRolePolicyDocument"]["Statement"])


def flatten(value: Any) -> str:
    """A string intrinsic with each Ref as ``<logical id>`` and any other token as ``<token>`` (JSON-safe)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(flatten(part) for part in parts)
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return f"<{value['Ref']}>"
    return "<token>"


def code_url(template: dict[str, Any], pipeline: str) -> str:
    """The `CodeUrl` parameter's default of `pipeline`, the bucket rendered as ``<logical id>``."""
    for resource in resources_of_type(template, "AWS::SageMaker::Pipeline").values():
        if resource["Properties"]["PipelineName"] == pipeline:
            body = json.loads(flatten(resource["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]))
            (default,) = [p["DefaultValue"] for p in body["Parameters"] if p["Name"] == "CodeUrl"]
            return str(default)
    raise AssertionError(f"no pipeline {pipeline}")


def key_of(template: dict[str, Any], bucket_id: str) -> tuple[str, list[dict[str, Any]]]:
    """(logical id, key policy statements) of the key that encrypts bucket `bucket_id`."""
    bucket = template["Resources"][bucket_id]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    key_id = rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    return key_id, as_list(template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"])


def bucket_policy(template: dict[str, Any], bucket_id: str) -> list[dict[str, Any]]:
    (policy,) = [
        p
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return as_list(policy["Properties"]["PolicyDocument"]["Statement"])


def delegates_to_iam(key_policy: list[dict[str, Any]], account: str, action: str) -> bool:
    """The key policy lets the account's IAM policies grant `action` (account root allowed) and denies no one it."""
    root = f"arn:<AWS::Partition>:iam::{account}:root"
    allowed = any(
        s["Effect"] == "Allow"
        and root in [text(p) for p in as_list(s.get("Principal", {}).get("AWS", []))]
        and allows([s], action, "*")
        for s in key_policy
    )
    denied = any(s["Effect"] == "Deny" and allows([{**s, "Effect": "Allow"}], action, "*") for s in key_policy)
    return allowed and not denied


def upload_hops(
    ci: dict[str, Any],
    lifecycle: dict[str, Any],
    caller: str,
    key: str,
    *,
    accounts: tuple[str, str] = (TOOLING, DEV),
    region: str = REGION,
    org: dict[str, str] = ORG,
) -> list[Hop]:
    """CI role `caller` assumes the access role, which puts `key` into the lifecycle bucket (S3 calls KMS as it)."""
    tooling, account = accounts
    access_arn = role_arn(account, ACCESS_ROLE)
    access = role_statements(lifecycle, ACCESS_ROLE)
    url = code_url(lifecycle, BUILD)
    bucket_id = url.removeprefix("s3://<").split(">")[0]
    key_id, key_policy = key_of(lifecycle, bucket_id)
    s3_context = {**org, "aws:SecureTransport": "true", "s3:x-amz-server-side-encryption": "aws:kms"}
    kms_context = {**org, "kms:ViaService": f"s3.{region}.<AWS::URLSuffix>"}
    object_arn = f"<{bucket_id}.Arn>/{key}"
    return [
        Hop(
            f"{caller}'s identity policy (sts:AssumeRole)",
            allows(role_statements(ci, caller), "sts:AssumeRole", access_arn),
        ),
        Hop(
            f"{ACCESS_ROLE}'s trust policy (for {caller})",
            resource_policy_allows(
                trust(lifecycle, ACCESS_ROLE), role_arn(tooling, caller), "sts:AssumeRole", "*", org
            ),
        ),
        Hop(
            f"{ACCESS_ROLE}'s identity policy (s3:PutObject {key})",
            allows(access, "s3:PutObject", object_arn, s3_context),
        ),
        Hop(
            "the lifecycle bucket policy denies nothing of it",
            not any(
                s["Effect"] == "Deny" and allows([{**s, "Effect": "Allow"}], "s3:PutObject", object_arn, s3_context)
                for s in bucket_policy(lifecycle, bucket_id)
            ),
        ),
        Hop(
            f"{ACCESS_ROLE}'s identity policy (kms:GenerateDataKey through S3)",
            allows(access, "kms:GenerateDataKey", f"<{key_id}.Arn>", kms_context),
        ),
        Hop("the lifecycle key policy delegates to IAM", delegates_to_iam(key_policy, account, "kms:GenerateDataKey")),
    ]


@pytest.fixture(scope="module")
def multi(multi_account_templates: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    return multi_account_templates[f"{P}-ci"], multi_account_templates[f"{P}-lifecycle-dev"]


def test_the_code_url_is_under_the_prefix_ci_uploads_to(multi: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, lifecycle = multi
    url = code_url(lifecycle, BUILD)
    assert url.startswith("s3://<StorageData") and url.endswith(f"/{BUILD}/code"), url


@pytest.mark.parametrize("caller", CI_ROLES)
def test_each_ci_role_uploads_build_code_into_the_dev_lifecycle_bucket(
    multi: tuple[dict[str, Any], dict[str, Any]], caller: str
) -> None:
    ci, lifecycle = multi
    walk(f"{caller} uploads preprocess.py", upload_hops(ci, lifecycle, caller, f"{BUILD}/code/preprocess.py"))


@pytest.mark.parametrize("key", [f"{BUILD}/input/data.csv", f"{BUILD}/executions/x/evaluation.json", "other/code/x.py"])
def test_ci_may_not_write_outside_the_code_prefix(multi: tuple[dict[str, Any], dict[str, Any]], key: str) -> None:
    ci, lifecycle = multi
    assert refused_somewhere(upload_hops(ci, lifecycle, CI_ROLES[0], key))


@pytest.mark.parametrize("caller", CI_ROLES)
def test_each_ci_role_starts_exactly_the_build_pipeline(
    multi: tuple[dict[str, Any], dict[str, Any]], caller: str
) -> None:
    ci, lifecycle = multi
    access = role_statements(lifecycle, ACCESS_ROLE)
    walk(
        f"{caller} starts {BUILD}",
        [
            Hop(
                f"{caller}'s identity policy (sts:AssumeRole)",
                allows(role_statements(ci, caller), "sts:AssumeRole", role_arn(DEV, ACCESS_ROLE)),
            ),
            Hop(
                f"{ACCESS_ROLE}'s trust policy",
                resource_policy_allows(
                    trust(lifecycle, ACCESS_ROLE), role_arn(TOOLING, caller), "sts:AssumeRole", "*", ORG
                ),
            ),
            Hop(
                f"{ACCESS_ROLE}'s identity policy",
                allows(access, "sagemaker:StartPipelineExecution", pipeline_arn(BUILD)),
            ),
        ],
    )
    started = {
        text(r)
        for s in access
        if "sagemaker:StartPipelineExecution" in as_list(s["Action"])
        for r in as_list(s["Resource"])
    }
    assert started == {pipeline_arn(BUILD)}
    # the batch pipeline (prod), another account's pipeline of the same name
    assert not allows(access, "sagemaker:StartPipelineExecution", pipeline_arn("churn-batch-inference"))
    assert not allows(access, "sagemaker:StartPipelineExecution", pipeline_arn(BUILD, account=ACCOUNTS["prod"]))


def test_the_access_role_does_only_what_ci_needs_and_trusts_only_the_ci_roles(
    multi: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, lifecycle = multi
    actions = {a for s in role_statements(lifecycle, ACCESS_ROLE) for a in as_list(s["Action"])}
    assert actions == {"s3:PutObject", "kms:GenerateDataKey", "kms:Decrypt", "sagemaker:StartPipelineExecution"}
    statements = trust(lifecycle, ACCESS_ROLE)
    principals = {text(p) for s in statements for p in as_list(s["Principal"]["AWS"])}
    assert principals == {role_arn(TOOLING, name) for name in CI_ROLES}
    for other in (role_arn(TOOLING, naming.deploy_pipeline_role_name(P)), f"arn:<AWS::Partition>:iam::{TOOLING}:root"):
        assert not resource_policy_allows(statements, other, "sts:AssumeRole", "*", ORG)
    assert not resource_policy_allows(
        statements, role_arn(TOOLING, CI_ROLES[0]), "sts:AssumeRole", "*", {"aws:PrincipalOrgID": "o-other"}
    )


def test_no_ci_role_starts_a_codepipeline_or_assumes_anything_else(
    multi: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    ci, _ = multi
    accounts = sorted(set(ACCOUNTS.values()))
    expected = {f"arn:<AWS::Partition>:iam::{a}:role/cdk-hnb659fds-lookup-role-{a}-{REGION}" for a in accounts}
    expected.add(role_arn(DEV, ACCESS_ROLE))
    for caller in CI_ROLES:
        statements = role_statements(ci, caller)
        assert not any(a.startswith("codepipeline:") for s in statements for a in as_list(s["Action"]))
        assumable = {
            text(r) for s in statements if "sts:AssumeRole" in as_list(s["Action"]) for r in as_list(s["Resource"])
        }
        assert assumable == expected


# --- the env-agnostic sandbox: both stacks through the compliance gate --------------------------------------


def test_given_the_sandbox_then_the_ci_role_uploads_and_starts_in_its_own_account() -> None:
    import aws_cdk as cdk

    from sagemaker_platform.compliance import add_compliance_gate
    from sagemaker_platform.config import parse_config
    from sagemaker_platform.stacks.ci import CiStack
    from sagemaker_platform.stacks.lifecycle import LifecycleStack

    config = parse_config(
        {
            "ci": {"github": {"repositories": [{"name": "org/repo"}]}},
            "registry": {"model_package_groups": ["churn"]},
            "lifecycle": {
                "build": [
                    {"name": BUILD, "model_package_group": "churn", "objective": {"metric": "auc", "json_path": "auc"}}
                ]
            },
        }
    )
    app = cdk.App()
    CiStack(app, "Ci", config=config)
    LifecycleStack(app, "Lifecycle", config=config, account="dev")
    add_compliance_gate(app)  # an acknowledgment that matches nothing fails here
    assembly = app.synth()
    ci = assembly.get_stack_by_name("Ci").template
    lifecycle = assembly.get_stack_by_name("Lifecycle").template
    one = "<AWS::AccountId>"
    walk(
        "sandbox upload",
        upload_hops(
            ci,
            lifecycle,
            "mlplatform-ci-github",
            f"{BUILD}/code/evaluate.py",
            accounts=(one, one),
            region="<AWS::Region>",
            org={},
        ),
    )
    access = role_statements(lifecycle, ACCESS_ROLE)
    assert allows(access, "sagemaker:StartPipelineExecution", pipeline_arn(BUILD, one, "<AWS::Region>"))

"""PlatformPipelineStack: CDK Pipelines over one stage per account, built from the multi-account config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_kms as kms
from aws_cdk import cx_api

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.config import PlatformConfig, parse_config
from sagemaker_platform.constructs.function import PlatformFunction, grant_logs_encrypt
from sagemaker_platform.constructs.roles import NAMED_ACTIONS
from sagemaker_platform.naming import deployed_commit_parameter_name
from sagemaker_platform.stacks.base import AccountRole, Phase
from sagemaker_platform.stacks.pipeline import build_pipeline_stack
from tests.support import ACCOUNTS, CANARY_HANDLER, resources_of_type


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def pipeline_config(**pipeline: Any) -> PlatformConfig:
    settings = {"source": "connection", "repository": "org/platform", "connection_arn": CONNECTION, **pipeline}
    return parse_config({"name": "mlp", "region": "eu-west-1", "accounts": ACCOUNTS, "pipeline": settings})


def demo_stage(stage: cdk.Stage, role: AccountRole, phase: Phase) -> None:
    """A stack with a Lambda asset in every account but tooling: stands in for the platform's stacks."""
    if role == "tooling" or phase != "resources":
        return
    stack = cdk.Stack(stage, "Demo", stack_name=f"demo-{role}")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    grant_logs_encrypt(key)
    PlatformFunction(stack, "Canary", handler_name=CANARY_HANDLER, key=key, description="canary")


def synth_pipeline(config: PlatformConfig, outdir: Path, build_stage: Any, *, gate: bool) -> cx_api.CloudAssembly:
    app = cdk.App(outdir=str(outdir))
    build_pipeline_stack(app, config, build_stage)
    if gate:
        add_compliance_gate(app)
    return app.synth()


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    """Connection source, config file set, four stages with assets; compliance gate on."""
    config = pipeline_config(config_file="platform/prod.yaml")
    return synth_pipeline(config, tmp_path_factory.mktemp("pipeline") / "cdk.out", demo_stage, gate=True)


@pytest.fixture(scope="module")
def template(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    return assembly.get_stack_by_name("mlp-pipeline").template


def test_given_stage_stacks_with_assets_then_each_stage_assembly_finds_its_assets(
    assembly: cx_api.CloudAssembly,
) -> None:
    stages = {nested.id: nested.nested_assembly for nested in assembly.nested_assemblies}
    assert sorted(stages) == [f"assembly-mlp-pipeline-{name}" for name in ("Dev", "Prod", "Registry", "Staging")]
    for stage in stages.values():
        assert len(stage.stacks) == 1
        assets_file = next(Path(stage.directory).glob("*.assets.json"))
        manifest = json.loads(assets_file.read_text())
        for asset in manifest["files"].values():
            assert (Path(stage.directory) / asset["source"]["path"]).exists(), asset["source"]["path"]


def pipeline_stages(template: dict[str, Any]) -> list[dict[str, Any]]:
    (pipeline,) = resources_of_type(template, "AWS::CodePipeline::Pipeline").values()
    return pipeline["Properties"]["Stages"]


def test_given_stacks_in_four_accounts_then_stages_in_order_and_no_empty_tooling_stage(
    template: dict[str, Any],
) -> None:
    names = [stage["Name"] for stage in pipeline_stages(template)]
    assert names == ["Source", "Build", "UpdatePipeline", "Assets", "Dev", "Staging", "Prod", "Registry"]


def test_given_the_prod_stage_then_a_manual_approval_runs_before_any_deployment(template: dict[str, Any]) -> None:
    prod = next(stage for stage in pipeline_stages(template) if stage["Name"] == "Prod")
    actions = sorted(prod["Actions"], key=lambda action: action["RunOrder"])
    assert actions[0]["ActionTypeId"]["Provider"] == "Manual"
    assert actions[0]["Name"] == "PromoteToProd"
    assert all(action["RunOrder"] > actions[0]["RunOrder"] for action in actions[1:])
    others = [stage for stage in pipeline_stages(template) if stage["Name"] != "Prod"]
    assert not any(action["ActionTypeId"]["Provider"] == "Manual" for stage in others for action in stage["Actions"])


@pytest.mark.parametrize(
    ("stage_name", "account"),
    [("Registry", "222222222222"), ("Dev", "333333333333"), ("Staging", "444444444444"), ("Prod", "555555555555")],
)
def test_given_a_stage_then_it_deploys_with_the_bootstrap_roles_of_its_own_account(
    template: dict[str, Any], stage_name: str, account: str
) -> None:
    stage = next(stage for stage in pipeline_stages(template) if stage["Name"] == stage_name)
    deploy_actions = [action for action in stage["Actions"] if action["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert deploy_actions
    for action in deploy_actions:
        # The action runs as the account's CDK deploy role; CloudFormation as its execution role.
        assert f"iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-eu-west-1" in json.dumps(action["RoleArn"])
        rendered = json.dumps(action)
        assert all(other in (account, "111111111111") or other not in rendered for other in ACCOUNTS.values())
    prepare = [action for action in deploy_actions if "RoleArn" in action["Configuration"]]
    assert prepare and all(
        f"iam::{account}:role/cdk-hnb659fds-cfn-exec-role-{account}-eu-west-1" in json.dumps(action["Configuration"])
        for action in prepare
    )


def test_given_the_artifact_bucket_then_encrypted_with_a_rotated_key_that_every_target_deploy_role_may_use(
    template: dict[str, Any],
) -> None:
    (pipeline,) = resources_of_type(template, "AWS::CodePipeline::Pipeline").values()
    bucket_id = pipeline["Properties"]["ArtifactStore"]["Location"]["Ref"]
    bucket = template["Resources"][bucket_id]
    encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    key_id = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    key = template["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == bucket["DeletionPolicy"] == "Retain"
    policy = json.dumps(key["Properties"]["KeyPolicy"])
    for account in ("222222222222", "333333333333", "444444444444", "555555555555"):
        assert f"iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-eu-west-1" in policy


def buildspec_of_action(template: dict[str, Any], stage_name: str, action_name: str) -> dict[str, Any]:
    stage = next(stage for stage in pipeline_stages(template) if stage["Name"] == stage_name)
    action = next(action for action in stage["Actions"] if action["Name"] == action_name)
    project_id = action["Configuration"]["ProjectName"]["Ref"]
    return json.loads(template["Resources"][project_id]["Properties"]["Source"]["BuildSpec"])


def test_given_the_synth_step_then_it_tests_diffs_against_the_deployed_commit_then_synthesizes(
    template: dict[str, Any],
) -> None:
    spec = buildspec_of_action(template, "Build", "Synth")
    assert spec["phases"]["install"]["runtime-versions"] == {"python": "3.12", "nodejs": "20"}
    parameter = deployed_commit_parameter_name("mlp")
    assert spec["phases"]["build"]["commands"] == [
        "make test",
        f"BASE=$(aws ssm get-parameter --name {parameter} --query Parameter.Value --output text) && "
        'if [ "$BASE" = "none" ]; then echo "synth-and-diff: nothing deployed yet"; '
        "else make diff BASE=$BASE CONFIG=platform/prod.yaml FORMAT=markdown OUTPUT=synthdiff.md; fi",
        "make synth CONFIG=platform/prod.yaml",
    ]


def test_given_the_last_stage_then_it_records_the_deployed_commit_after_deploying(template: dict[str, Any]) -> None:
    last = pipeline_stages(template)[-1]
    record = next(action for action in last["Actions"] if action["Name"] == "RecordDeployedCommit")
    assert record["RunOrder"] == max(action["RunOrder"] for action in last["Actions"])
    source = pipeline_stages(template)[0]["Actions"][0]
    assert json.loads(record["Configuration"]["EnvironmentVariables"]) == [
        {"name": "COMMIT", "type": "PLAINTEXT", "value": f"#{{{source['Namespace']}.CommitId}}"}
    ]
    spec = buildspec_of_action(template, last["Name"], "RecordDeployedCommit")
    assert spec["phases"]["build"]["commands"] == [
        f"aws ssm put-parameter --name {deployed_commit_parameter_name('mlp')} --type String --overwrite "
        '--value "$COMMIT"'
    ]
    (parameter,) = resources_of_type(template, "AWS::SSM::Parameter").values()
    assert parameter["Properties"]["Name"] == deployed_commit_parameter_name("mlp")
    assert parameter["Properties"]["Value"] == "none"


def test_given_a_connection_source_then_a_full_clone_for_the_diff(template: dict[str, Any]) -> None:
    source = pipeline_stages(template)[0]["Actions"][0]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"] == {
        "ConnectionArn": CONNECTION,
        "FullRepositoryId": "org/platform",
        "BranchName": "main",
        "OutputArtifactFormat": "CODEBUILD_CLONE_REF",
    }


def test_given_a_codecommit_source_and_no_stacks_then_a_pipeline_of_source_build_and_self_update(
    tmp_path: Path,
) -> None:
    settings = {"source": "codecommit", "repository": "platform", "branch": "release/1", "diff_base": "origin/main"}
    config = parse_config({"accounts": ACCOUNTS, "pipeline": settings})
    template = (
        synth_pipeline(config, tmp_path / "cdk.out", lambda stage, role, phase: None, gate=False).stacks[0].template
    )
    stages = pipeline_stages(template)
    assert [stage["Name"] for stage in stages] == ["Source", "Build", "UpdatePipeline"]
    source = stages[0]["Actions"][0]
    assert source["ActionTypeId"]["Provider"] == "CodeCommit"
    assert source["Configuration"]["RepositoryName"] == "platform"
    assert source["Configuration"]["BranchName"] == "release/1"
    assert source["Configuration"]["OutputArtifactFormat"] == "CODEBUILD_CLONE_REF"
    assert buildspec_of_action(template, "Build", "Synth")["phases"]["build"]["commands"] == [
        "make test",
        "BASE=origin/main && make diff BASE=$BASE FORMAT=markdown OUTPUT=synthdiff.md",
        "make synth",
    ]


def test_given_the_multi_account_example_then_the_app_holds_the_pipeline_and_the_stages_hold_the_rest(
    multi_account_assembly: cx_api.CloudAssembly,
) -> None:
    top_level = [stack.stack_name for stack in multi_account_assembly.stacks]
    assert top_level == ["mlplatform-pipeline"]
    pipeline = multi_account_assembly.get_stack_by_name("mlplatform-pipeline")
    assert pipeline.environment.account == "111111111111"
    for nested in multi_account_assembly.nested_assemblies:
        for stack in nested.nested_assembly.stacks:
            assert stack.environment.account != "111111111111" or nested.id in (
                "assembly-mlplatform-pipeline-ToolingIdentities",
                "assembly-mlplatform-pipeline-Tooling",
            )


def test_given_the_default_sandbox_then_no_pipeline_stack(default_templates: dict[str, dict[str, Any]]) -> None:
    assert "mlplatform-pipeline" not in default_templates


def test_given_a_stage_stack_with_its_own_codebuild_project_then_the_pipeline_acknowledges_nothing_of_it(
    tmp_path: Path,
) -> None:
    """Acknowledgments stay on the pipeline's own resources: a stage's findings still fail the gate."""

    def stage_with_project(stage: cdk.Stage, role: AccountRole, phase: Phase) -> None:
        if role == "dev" and phase == "resources":
            stack = cdk.Stack(stage, "Builds", stack_name="builds-dev")
            codebuild.Project(stack, "Project", build_spec=codebuild.BuildSpec.from_object({"version": "0.2"}))

    with pytest.raises(RuntimeError, match="ValidationFailed") as caught:
        synth_pipeline(pipeline_config(), tmp_path / "cdk.out", stage_with_project, gate=True)
    report = (tmp_path / "cdk.out" / "validation-report.json").read_text()
    assert "HIPAA.Security-CodeBuildProjectSourceRepoUrl" in report
    assert "Dev/Builds/Project" in report, str(caught.value)[:500]


def _cdk_pipelines_policies(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The statements of the inline policies of the roles CDK Pipelines creates itself (self-mutation, assets)."""
    return {
        logical_id: policy["Properties"]["PolicyDocument"]["Statement"]
        for logical_id, policy in resources_of_type(template, "AWS::IAM::Policy").items()
        if "SelfMutation" in logical_id or "FileRole" in logical_id
    }


def test_given_the_roles_cdk_pipelines_creates_then_their_grant_families_are_named_and_nothing_else_changes(
    template: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `s3:GetObject*`, `kms:ReEncrypt*` and the like, from CDK Pipelines' grants on the artifact bucket and key,
    # stand for more than CodeBuild uses: named as our PlatformRoles name them (`roles.NAMED_ACTIONS`).
    named = _cdk_pipelines_policies(template)
    assert len(named) == 2
    actions = [action for statements in named.values() for s in statements for action in as_list(s["Action"])]
    assert "s3:GetObject" in actions and "kms:GenerateDataKey" in actions
    assert not [action for action in actions if action.endswith("*")]
    # The same app with CDK's own rendering: the same statements (effect, resources, conditions), the same order,
    # each family replaced by exactly the actions it stands for.
    monkeypatch.setattr(
        "sagemaker_platform.stacks.pipeline_acknowledgments.name_default_policy_actions", lambda role: None
    )
    config = pipeline_config(config_file="platform/prod.yaml")
    stock = _cdk_pipelines_policies(
        synth_pipeline(config, tmp_path / "cdk.out", demo_stage, gate=False).get_stack_by_name("mlp-pipeline").template
    )
    assert stock.keys() == named.keys()
    for logical_id, statements in stock.items():
        assert len(named[logical_id]) == len(statements)
        for before, after in zip(statements, named[logical_id], strict=True):
            assert {k: v for k, v in before.items() if k != "Action"} == {
                k: v for k, v in after.items() if k != "Action"
            }
            expected = [a for action in as_list(before["Action"]) for a in NAMED_ACTIONS.get(action, (action,))]
            assert as_list(after["Action"]) == list(dict.fromkeys(expected))

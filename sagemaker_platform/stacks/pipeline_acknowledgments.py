"""What CDK Pipelines forces on the delivery pipeline stack, acknowledged with a reason a reviewer can check: the
source repository finding of its CodeBuild projects, the roles it creates itself (self-mutation, asset
publishing) with inline policies, and the wildcards of the artifact bucket's objects and of a project's own
logs and reports (the grant families' actions are named: `PlatformRole`, `name_default_policy_actions`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam

from sagemaker_platform.compliance import acknowledge, skip_checkov
from sagemaker_platform.constructs.roles import name_default_policy_actions

if TYPE_CHECKING:
    from sagemaker_platform.stacks.pipeline import PlatformPipelineStack


def acknowledge_cdk_pipelines(stack: PlatformPipelineStack) -> None:
    """Acknowledge, each with its reason, what CDK Pipelines forces on `stack`'s pipeline, projects and roles."""
    cfn_pipeline = stack.pipeline.pipeline.node.default_child
    assert isinstance(cfn_pipeline, cdk.CfnResource)
    # CDK Pipelines renders the deploy actions' cross-account role ARNs with Fn::Join; cfn-lint prefers Fn::Sub.
    cfn_pipeline.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3703"]}})
    for project in _projects(stack):
        acknowledge(
            project,
            {
                "HIPAA.Security-CodeBuildProjectSourceRepoUrl": "source type CODEPIPELINE: the project reads the "
                "pipeline's artifact and holds no repository URL or credentials (the connection authenticates)",
            },
        )

    _acknowledge_role(stack, stack.pipeline_role, codebuild_project=None)
    _acknowledge_role(stack, stack.synth_role, codebuild_project=stack.pipeline.synth_project)
    if stack.stages:
        _acknowledge_role(stack, stack.record_role, codebuild_project=stack.record_step.project)
    mutation = stack.pipeline.self_mutation_project
    mutation_role = mutation.role
    assert isinstance(mutation_role, iam.Role)
    # The action families of CDK's grants on the artifact bucket and key, named as our PlatformRoles name them.
    name_default_policy_actions(mutation_role)
    forced = (
        "CDK Pipelines creates the stack-mutation project's role itself (no prop to pass a role with managed "
        "policies); it holds only the statements CDK Pipelines needs to update this pipeline stack"
    )
    acknowledge(
        mutation_role,
        {
            "HIPAA.Security-IAMNoInlinePolicy": forced,
            "NIST.800.53.R5-IAMNoInlinePolicy": forced,
            f"AwsSolutions-IAM5[Resource::arn:*:iam::{stack.account}:role/*]": "sts:AssumeRole only on roles "
            "tagged aws-cdk:bootstrap-role (deploy, file/image publishing) in the tooling account itself, "
            "whose names carry the bootstrap qualifier",
            "AwsSolutions-IAM5[Resource::*]": "cloudformation:DescribeStacks and s3:ListBucket, which the CDK "
            "CLI calls to find the bootstrap stack and its bucket before assuming the deploy role",
        },
    )
    _acknowledge_role(stack, mutation_role, codebuild_project=mutation)
    assets = stack.pipeline.node.try_find_child("Assets")
    file_role = assets.node.try_find_child("FileRole") if assets is not None else None
    if isinstance(file_role, iam.Role):
        _acknowledge_asset_role(stack, file_role)


def _acknowledge_asset_role(stack: PlatformPipelineStack, role: iam.Role) -> None:
    forced = (
        "CDK Pipelines creates the asset publishing role itself (no prop to pass a role with managed policies); "
        "it only assumes the target accounts' file-publishing bootstrap roles"
    )
    prefix = f"arn:<AWS::Partition>:{{service}}:{stack.region}:{stack.account}:"
    acknowledge(
        role,
        {
            "HIPAA.Security-IAMNoInlinePolicy": forced,
            "NIST.800.53.R5-IAMNoInlinePolicy": forced,
            f"AwsSolutions-IAM5[Resource::{prefix.format(service='logs')}log-group:/aws/codebuild/*]": "CDK "
            "Pipelines shares this role across the asset publishing projects it generates, so it scopes logs "
            "to the account's CodeBuild log groups",
            f"AwsSolutions-IAM5[Resource::{prefix.format(service='codebuild')}report-group/*]": "CDK Pipelines "
            "shares this role across the generated asset publishing projects (report groups named per project)",
            "AwsSolutions-IAM5[Resource::*]": "codebuild:StartBuild/BatchGetBuilds/StopBuild as CDK Pipelines "
            "grants them to its asset publishing role",
        },
    )
    name_default_policy_actions(role)
    _acknowledge_role(stack, role, codebuild_project=None)
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is not None:
        skip_checkov(
            policy,
            {"CKV_AWS_111": "codebuild:StartBuild/StopBuild on `*` as CDK Pipelines grants them to this role"},
        )


def _acknowledge_role(
    stack: PlatformPipelineStack, role: iam.IRole, *, codebuild_project: codebuild.IProject | None
) -> None:
    """The wildcards of the artifact bucket's objects and of a CodeBuild project's own logs and reports (the
    grant families' actions are named: `PlatformRole`, `name_default_policy_actions`)."""
    bucket = stack.get_logical_id(stack.artifact_bucket.node.default_child)  # type: ignore[arg-type]
    reasons = {
        f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/*]": "objects of the pipeline's own artifact bucket (keys are "
        "generated per execution)"
    }
    if codebuild_project is not None:
        project = stack.get_logical_id(codebuild_project.node.default_child)  # type: ignore[arg-type]
        prefix = f"arn:<AWS::Partition>:{{service}}:{stack.region}:{stack.account}:"
        reasons[
            f"AwsSolutions-IAM5[Resource::{prefix.format(service='logs')}log-group:/aws/codebuild/<{project}>:*]"
        ] = "log streams of this CodeBuild project's default log group, named per build"
        reasons[f"AwsSolutions-IAM5[Resource::{prefix.format(service='codebuild')}report-group/<{project}>-*]"] = (
            "test report groups of this CodeBuild project, named per report"
        )
    acknowledge(role, reasons)


def _projects(stack: PlatformPipelineStack) -> list[codebuild.CfnProject]:
    """The CodeBuild projects of this stack (the stages' own stacks are not this stack's business)."""
    return [
        child
        for child in stack.node.find_all()
        if isinstance(child, codebuild.CfnProject) and cdk.Stack.of(child) is stack
    ]

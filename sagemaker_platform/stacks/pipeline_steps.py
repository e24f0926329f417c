"""The delivery pipeline's own steps around the stages: its source (a full clone), the synth step (test,
synth-and-diff, synth) and the step recording the deployed commit, which the next synth-and-diff compares with."""

from __future__ import annotations

import shlex

from aws_cdk import aws_codecommit as codecommit
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from sagemaker_platform.config import PipelineConfig, PlatformConfig
from sagemaker_platform.naming import deployed_commit_parameter_name

# The deployed-commit parameter's value before the first deployment.
NO_COMMIT = "none"


def pipeline_source(scope: Construct, settings: PipelineConfig) -> pipelines.CodePipelineSource:
    """The repository and branch of `settings`, through a connection or CodeCommit."""
    # A full clone (not a zip): synth-and-diff needs the git history to check out the diff base.
    if settings.source == "connection":
        assert settings.connection_arn is not None  # validated by PipelineConfig
        return pipelines.CodePipelineSource.connection(
            settings.repository,
            settings.branch,
            connection_arn=settings.connection_arn,
            code_build_clone_output=True,
        )
    repository = codecommit.Repository.from_repository_name(scope, "Repository", settings.repository)
    return pipelines.CodePipelineSource.code_commit(repository, settings.branch, code_build_clone_output=True)


def synth_step(
    config: PlatformConfig, settings: PipelineConfig, *, source: pipelines.CodePipelineSource, role: iam.IRole
) -> pipelines.CodeBuildStep:
    """The synth step: `make test`, synth-and-diff against the deployed commit (or `diff_base`), `make synth`."""
    config_arg = f" CONFIG={settings.config_file}" if settings.config_file is not None else ""
    diff = f"make diff BASE=$BASE{config_arg} FORMAT=markdown OUTPUT=synthdiff.md"
    if settings.diff_base is not None:
        diff_command = f"BASE={shlex.quote(settings.diff_base)} && {diff}"
    else:
        # The last commit deployed to every stage; none yet on the pipeline's first run.
        diff_command = (
            f"BASE=$(aws ssm get-parameter --name {deployed_commit_parameter_name(config.name)} "
            f"--query Parameter.Value --output text) && "
            f'if [ "$BASE" = "{NO_COMMIT}" ]; then echo "synth-and-diff: nothing deployed yet"; else {diff}; fi'
        )
    return pipelines.CodeBuildStep(
        "Synth",
        input=source,
        install_commands=["make deps"],
        commands=[
            "make test",
            # Stops the pipeline before anything deploys when a stateful resource would be lost.
            diff_command,
            f"make synth{config_arg}",
        ],
        primary_output_directory="cdk.out",
        role=role,
    )


def record_commit_step(
    config: PlatformConfig, *, source: pipelines.CodePipelineSource, role: iam.IRole
) -> pipelines.CodeBuildStep:
    """The step after the last stage, when every stage runs the source's commit: writes it to the deployed-commit
    parameter."""
    return pipelines.CodeBuildStep(
        "RecordDeployedCommit",
        env={"COMMIT": source.source_attribute("CommitId")},
        commands=[
            f"aws ssm put-parameter --name {deployed_commit_parameter_name(config.name)} --type String "
            '--overwrite --value "$COMMIT"'
        ],
        role=role,
    )

"""`PlatformPipelineStack`: CDK Pipelines in the tooling account, one stage per account of the platform.

Source (a CodeStar connection to GitHub or GitLab, or CodeCommit; a full clone) -> synth
(``make test``, synth-and-diff against the last deployed commit, ``cdk synth``) -> self-mutation ->
the tooling identities, dev and staging stages -> a manual approval -> prod -> registry -> tooling -> the
deployed commit is recorded in SSM (`STAGE_ORDER` says why in that order). Every stage is
``build_platform(stage, config, account=<role>, phase=<phase>)`` in its own account;
deployments go through each account's CDK bootstrap roles (``cdk bootstrap --trust <tooling account>``).
Cross-account keys: the artifact bucket is encrypted with a customer managed key (own bucket, so not
CDK Pipelines' ``cross_account_keys``) that the target accounts' deploy roles may use.
"""

from __future__ import annotations

import shlex
import tempfile
from collections.abc import Callable

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codecommit as codecommit
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from aws_cdk import pipelines
from constructs import Construct

from sagemaker_platform.compliance import acknowledge, skip_checkov
from sagemaker_platform.config import PipelineConfig, PlatformConfig
from sagemaker_platform.constructs.function import grant_logs_encrypt
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole, name_default_policy_actions
from sagemaker_platform.constructs.storage import ACCESS_LOG_RETENTION, access_logs_bucket, encrypted_bucket
from sagemaker_platform.naming import deployed_commit_parameter_name
from sagemaker_platform.stacks.base import AccountRole, Phase, stack_env, stack_name, tag_platform

BuildStage = Callable[[cdk.Stage, AccountRole, Phase], object]
"""Adds the stacks of one account role and phase to a stage (the reference app passes `build_platform`)."""

# Deployment order, (stage ID, account role, phase): a stack whose policies name another stack's role (or bus)
# deploys after it, as IAM, S3, KMS, SageMaker and EventBridge refuse a principal that does not exist yet.
# The deploy-pipeline role first (the staging and prod deploy roles trust it); the workload accounts (their
# roles; dev's tuning role is trusted by its pipeline-step role, in the same stage); the manual approval before
# prod; the registry (its policies name every workload and endpoint role, prod's included); the tooling account
# last (the model-events bus names the registry's forwarder; the deploy pipeline's rules need the bus).
# Stage IDs are part of the stage stacks' construct paths: keep them.
STAGE_ORDER: tuple[tuple[str, AccountRole, Phase], ...] = (
    ("ToolingIdentities", "tooling", "identities"),
    ("Dev", "dev", "resources"),
    ("Staging", "staging", "resources"),
    ("Prod", "prod", "resources"),
    ("Registry", "registry", "resources"),
    ("Tooling", "tooling", "resources"),
)
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
RUNTIME_VERSIONS = {"python": "3.12", "nodejs": "20"}
# The deployed-commit parameter's value before the first deployment.
NO_COMMIT = "none"


class PlatformStage(cdk.Stage):
    """The stacks of one account role and phase, deployed to that account by the pipeline."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        account: AccountRole,
        build: BuildStage,
        env: cdk.Environment,
        phase: Phase = "resources",
    ) -> None:
        super().__init__(scope, id, env=env)
        self.account_role = account
        self.phase = phase
        build(self, account, phase)


class PlatformPipelineStack(cdk.Stack):
    """The platform's delivery pipeline (tooling account).

    :param config: the platform config; needs `accounts` and `pipeline`.
    :param build_stage: adds the stacks of one account role and phase to a stage. The reference app passes
        ``lambda stage, role, phase: build_platform(stage, config, account=role, phase=phase)``.
    :param has_stacks: whether `build_stage` adds any stack for an account role and phase (CDK Pipelines refuses
        an empty stage, and a stage cannot be dropped once created). The reference app passes
        ``planned_stages(config).__contains__``. Default: each stage is built once in a scratch app to find out.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PlatformConfig,
        build_stage: BuildStage,
        has_stacks: Callable[[tuple[AccountRole, Phase]], bool] | None = None,
        **kwargs: object,
    ) -> None:
        if config.accounts is None or config.pipeline is None:
            raise ValueError("PlatformPipelineStack needs a config with `accounts` and `pipeline`")
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        # Before any child exists: the stage stacks are built inside this stack's tree and inherit the flag, so
        # buckets there given `server_access_logs_bucket` grant S3 logging by bucket policy instead of the
        # legacy LogDeliveryWrite ACL (which also forbids BucketOwnerEnforced object ownership).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        tag_platform(self, config, "pipeline")
        self.key = kms.Key(
            self,
            "ArtifactsKey",
            description=f"{config.name} delivery pipeline artifacts (shared with the deploy roles of every account)",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        limit_grants_to_aws_resources(self.key)
        grant_logs_encrypt(self.key)
        self.artifact_bucket = self._artifact_bucket()
        self.log_group = logs.LogGroup(
            self,
            "BuildLogs",
            encryption_key=self.key,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self._roles_and_commit(config)
        self.source = _source(self, config.pipeline)
        self.pipeline = self._code_pipeline(config, config.pipeline)
        self.stages: dict[str, PlatformStage] = {}
        probe = has_stacks or (lambda entry: _builds_stacks(build_stage, *entry))
        self._add_stages(config, build_stage, [entry for entry in STAGE_ORDER if probe((entry[1], entry[2]))])
        # Build now (not at synth) so that the roles and projects CDK Pipelines creates can be acknowledged.
        self.pipeline.build_pipeline()
        self._acknowledge()

    def _roles_and_commit(self, config: PlatformConfig) -> None:
        self.pipeline_role = PlatformRole(
            self,
            "PipelineRole",
            assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com"),
            description=f"{config.name} platform delivery pipeline",
        )
        self.synth_role = PlatformRole(
            self,
            "SynthRole",
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"{config.name} delivery pipeline: test, synth-and-diff, synth",
        )
        self.deployed_commit = ssm.StringParameter(
            self,
            "DeployedCommit",
            parameter_name=deployed_commit_parameter_name(config.name),
            string_value=NO_COMMIT,
            description="Last commit the delivery pipeline deployed to every stage (synth-and-diff compares with it)",
        )
        self.deployed_commit.grant_read(self.synth_role)

    def _code_pipeline(self, config: PlatformConfig, settings: PipelineConfig) -> pipelines.CodePipeline:
        return pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"{config.name}-platform",
            pipeline_type=codepipeline.PipelineType.V2,
            artifact_bucket=self.artifact_bucket,
            role=self.pipeline_role,
            synth=self._synth_step(config, settings),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=BUILD_IMAGE, compute_type=codebuild.ComputeType.MEDIUM
                ),
                partial_build_spec=codebuild.BuildSpec.from_object(
                    {"phases": {"install": {"runtime-versions": RUNTIME_VERSIONS}}}
                ),
                logging=codebuild.LoggingOptions(
                    cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.log_group)
                ),
            ),
            publish_assets_in_parallel=False,
            use_change_sets=True,
            # Actions run as the pipeline role (a PlatformRole: managed policies), not one inline-policy role each.
            use_pipeline_role_for_actions=True,
        )

    def _add_stages(
        self, config: PlatformConfig, build_stage: BuildStage, order: list[tuple[str, AccountRole, Phase]]
    ) -> None:
        """One pipeline stage per entry of `order` (the `STAGE_ORDER` entries that build stacks)."""
        assert config.accounts is not None  # checked by the constructor
        for stage_id, role, phase in order:
            env = stack_env(config, role)
            assert env is not None  # accounts is set
            stage = PlatformStage(self, stage_id, account=role, build=build_stage, env=env, phase=phase)
            pre = (
                [
                    pipelines.ManualApprovalStep(
                        "PromoteToProd",
                        comment=f"Promote {config.name} to the prod account {config.accounts.prod}: "
                        "check the staging deployment first.",
                    )
                ]
                if role == "prod"
                else None
            )
            # After the last stage: every stage runs this commit now; the next synth-and-diff compares with it.
            post = [self._record_commit_step(config)] if stage_id == order[-1][0] else None
            self.pipeline.add_stage(stage, pre=pre, post=post)
            self.stages[stage_id] = stage

    def _artifact_bucket(self) -> s3.Bucket:
        self.artifact_bucket_logs = access_logs_bucket(
            self,
            "ArtifactsAccessLogs",
            of="the pipeline artifact bucket",
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[ACCESS_LOG_RETENTION],
        )
        return encrypted_bucket(
            self,
            "Artifacts",
            key=self.key,
            access_logs=self.artifact_bucket_logs,
            access_logs_prefix="artifacts/",
            removal_policy=cdk.RemovalPolicy.RETAIN,
            holds="the delivery pipeline's build artifacts",
            replication="pipeline artifacts are rebuilt from the source repository on every run; a replica adds "
            "no recovery",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90))],
        )

    def _synth_step(self, config: PlatformConfig, settings: PipelineConfig) -> pipelines.CodeBuildStep:
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
            input=self.source,
            install_commands=["make deps"],
            commands=[
                "make test",
                # Stops the pipeline before anything deploys when a stateful resource would be lost.
                diff_command,
                f"make synth{config_arg}",
            ],
            primary_output_directory="cdk.out",
            role=self.synth_role,
        )

    def _record_commit_step(self, config: PlatformConfig) -> pipelines.CodeBuildStep:
        self.record_role = PlatformRole(
            self,
            "RecordCommitRole",
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"{config.name} delivery pipeline: records the deployed commit",
        )
        self.deployed_commit.grant_write(self.record_role)
        self.record_step = pipelines.CodeBuildStep(
            "RecordDeployedCommit",
            env={"COMMIT": self.source.source_attribute("CommitId")},
            commands=[
                f"aws ssm put-parameter --name {deployed_commit_parameter_name(config.name)} --type String "
                '--overwrite --value "$COMMIT"'
            ],
            role=self.record_role,
        )
        return self.record_step

    # --- acknowledgments of what CDK Pipelines forces -----------------------------------------

    def _acknowledge(self) -> None:
        cfn_pipeline = self.pipeline.pipeline.node.default_child
        assert isinstance(cfn_pipeline, cdk.CfnResource)
        # CDK Pipelines renders the deploy actions' cross-account role ARNs with Fn::Join; cfn-lint prefers Fn::Sub.
        cfn_pipeline.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3703"]}})
        for project in self._projects():
            acknowledge(
                project,
                {
                    "HIPAA.Security-CodeBuildProjectSourceRepoUrl": "source type CODEPIPELINE: the project reads the "
                    "pipeline's artifact and holds no repository URL or credentials (the connection authenticates)",
                },
            )

        self._acknowledge_role(self.pipeline_role, codebuild_project=None)
        self._acknowledge_role(self.synth_role, codebuild_project=self.pipeline.synth_project)
        if self.stages:
            self._acknowledge_role(self.record_role, codebuild_project=self.record_step.project)
        mutation = self.pipeline.self_mutation_project
        mutation_role = mutation.role
        assert isinstance(mutation_role, iam.Role)
        # The action families of CDK's grants on the artifact bucket and key, named as our PlatformRoles name them.
        name_default_policy_actions(mutation_role)
        forced = (
            "CDK Pipelines creates the self-mutation project's role itself (no prop to pass a role with managed "
            "policies); it holds only the statements CDK Pipelines needs to update this pipeline stack"
        )
        acknowledge(
            mutation_role,
            {
                "HIPAA.Security-IAMNoInlinePolicy": forced,
                "NIST.800.53.R5-IAMNoInlinePolicy": forced,
                f"AwsSolutions-IAM5[Resource::arn:*:iam::{self.account}:role/*]": "sts:AssumeRole only on roles "
                "tagged aws-cdk:bootstrap-role (deploy, file/image publishing) in the tooling account itself, "
                "whose names carry the bootstrap qualifier",
                "AwsSolutions-IAM5[Resource::*]": "cloudformation:DescribeStacks and s3:ListBucket, which the CDK "
                "CLI calls to find the bootstrap stack and its bucket before assuming the deploy role",
            },
        )
        self._acknowledge_role(mutation_role, codebuild_project=mutation)
        assets = self.pipeline.node.try_find_child("Assets")
        file_role = assets.node.try_find_child("FileRole") if assets is not None else None
        if isinstance(file_role, iam.Role):
            self._acknowledge_asset_role(file_role)

    def _acknowledge_asset_role(self, role: iam.Role) -> None:
        forced = (
            "CDK Pipelines creates the asset publishing role itself (no prop to pass a role with managed policies); "
            "it only assumes the target accounts' file-publishing bootstrap roles"
        )
        prefix = f"arn:<AWS::Partition>:{{service}}:{self.region}:{self.account}:"
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
        self._acknowledge_role(role, codebuild_project=None)
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            skip_checkov(
                policy,
                {"CKV_AWS_111": "codebuild:StartBuild/StopBuild on `*` as CDK Pipelines grants them to this role"},
            )

    def _acknowledge_role(self, role: iam.IRole, *, codebuild_project: codebuild.IProject | None) -> None:
        """The wildcards of the artifact bucket's objects and of a CodeBuild project's own logs and reports (the
        grant families' actions are named: `PlatformRole`, `name_default_policy_actions`)."""
        bucket = self.get_logical_id(self.artifact_bucket.node.default_child)  # type: ignore[arg-type]
        reasons = {
            f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/*]": "objects of the pipeline's own artifact bucket (keys are "
            "generated per execution)"
        }
        if codebuild_project is not None:
            project = self.get_logical_id(codebuild_project.node.default_child)  # type: ignore[arg-type]
            prefix = f"arn:<AWS::Partition>:{{service}}:{self.region}:{self.account}:"
            reasons[
                f"AwsSolutions-IAM5[Resource::{prefix.format(service='logs')}log-group:/aws/codebuild/<{project}>:*]"
            ] = "log streams of this CodeBuild project's default log group, named per build"
            reasons[f"AwsSolutions-IAM5[Resource::{prefix.format(service='codebuild')}report-group/<{project}>-*]"] = (
                "test report groups of this CodeBuild project, named per report"
            )
        acknowledge(role, reasons)

    def _projects(self) -> list[codebuild.CfnProject]:
        """The CodeBuild projects of this stack (the stages' own stacks are not this stack's business)."""
        return [
            child
            for child in self.node.find_all()
            if isinstance(child, codebuild.CfnProject) and cdk.Stack.of(child) is self
        ]


def _builds_stacks(build_stage: BuildStage, role: AccountRole, phase: Phase) -> bool:
    """Whether `build_stage` adds any stack for `role` and `phase`, tried in a scratch app.

    A stage registers its cloud assembly when it is created, so an empty one cannot be created and dropped.
    """
    # Its own output folder: under the CLI, a plain App() would register the probe in the real cdk.out.
    with tempfile.TemporaryDirectory(prefix="pipeline-probe-") as outdir:
        probe = cdk.Stage(cdk.App(outdir=outdir), "Probe")
        build_stage(probe, role, phase)
        return any(isinstance(child, cdk.Stack) for child in probe.node.children)


def _source(scope: Construct, settings: PipelineConfig) -> pipelines.CodePipelineSource:
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


def build_pipeline_stack(
    scope: Construct,
    config: PlatformConfig,
    build_stage: BuildStage,
    *,
    has_stacks: Callable[[tuple[AccountRole, Phase]], bool] | None = None,
) -> PlatformPipelineStack:
    """The pipeline stack of the reference app, in the tooling account (`has_stacks`: see `PlatformPipelineStack`)."""
    name = stack_name(config, "pipeline")
    # Construct ID = stack name: `cdk deploy <name>` and the self-mutation step select the stack by it.
    return PlatformPipelineStack(
        scope,
        name,
        config=config,
        build_stage=build_stage,
        has_stacks=has_stacks,
        env=stack_env(config, "tooling"),
        stack_name=name,
    )

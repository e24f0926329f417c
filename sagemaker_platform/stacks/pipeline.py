"""`PlatformPipelineStack`: CDK Pipelines in the tooling account, one stage per account of the platform.

Source (a CodeStar connection to GitHub or GitLab, or CodeCommit; a full clone) -> synth
(``make test``, synth-and-diff against the last deployed commit, ``cdk synth``) -> self-mutation ->
the tooling identities, dev and staging stages -> a manual approval -> prod -> registry -> tooling -> the
deployed commit is recorded in SSM (`STAGE_ORDER` says why in that order). Every stage is
``build_platform(stage, config, account=<role>, phase=<phase>)`` in its own account;
deployments go through each account's CDK bootstrap roles (``cdk bootstrap --trust <tooling account>``).
Cross-account keys: the artifact bucket is encrypted with a customer managed key (own bucket, so not
CDK Pipelines' ``cross_account_keys``) that the target accounts' deploy roles may use.

The source, synth and record-commit steps are in `pipeline_steps`; the acknowledgments of what CDK Pipelines
forces (its own roles and projects) in `pipeline_acknowledgments`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from aws_cdk import pipelines
from constructs import Construct

from sagemaker_platform.config import PipelineConfig, PlatformConfig
from sagemaker_platform.constructs.function import grant_logs_encrypt
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.storage import ACCESS_LOG_RETENTION, access_logs_bucket, encrypted_bucket
from sagemaker_platform.naming import deployed_commit_parameter_name
from sagemaker_platform.stacks.base import AccountRole, Phase, stack_env, stack_name, tag_platform
from sagemaker_platform.stacks.pipeline_acknowledgments import acknowledge_cdk_pipelines
from sagemaker_platform.stacks.pipeline_steps import NO_COMMIT, pipeline_source, record_commit_step, synth_step

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
        self.source = pipeline_source(self, config.pipeline)
        self.pipeline = self._code_pipeline(config, config.pipeline)
        self.stages: dict[str, PlatformStage] = {}
        probe = has_stacks or (lambda entry: _builds_stacks(build_stage, *entry))
        self._add_stages(config, build_stage, [entry for entry in STAGE_ORDER if probe((entry[1], entry[2]))])
        # Build now (not at synth) so that the roles and projects CDK Pipelines creates can be acknowledged.
        self.pipeline.build_pipeline()
        acknowledge_cdk_pipelines(self)

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
            synth=synth_step(config, settings, source=self.source, role=self.synth_role),
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

    def _record_commit_step(self, config: PlatformConfig) -> pipelines.CodeBuildStep:
        self.record_role = PlatformRole(
            self,
            "RecordCommitRole",
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"{config.name} delivery pipeline: records the deployed commit",
        )
        self.deployed_commit.grant_write(self.record_role)
        self.record_step = record_commit_step(config, source=self.source, role=self.record_role)
        return self.record_step


def _builds_stacks(build_stage: BuildStage, role: AccountRole, phase: Phase) -> bool:
    """Whether `build_stage` adds any stack for `role` and `phase`, tried in a scratch app.

    A stage registers its cloud assembly when it is created, so an empty one cannot be created and dropped.
    """
    # Its own output folder: under the CLI, a plain App() would register the probe in the real cdk.out.
    with tempfile.TemporaryDirectory(prefix="pipeline-probe-") as outdir:
        probe = cdk.Stage(cdk.App(outdir=outdir), "Probe")
        build_stage(probe, role, phase)
        return any(isinstance(child, cdk.Stack) for child in probe.node.children)


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

"""`LifecycleStorage`: the key and bucket of an account's lifecycle pipelines, and the grants their roles need.

The pipelines run as the account's `<name>-pipeline-step` role (the role the central registry trusts to
register) and their jobs as `<name>-sagemaker-execution`; both live in the workload-access stack, so the
permissions the pipelines add are customer managed policies of this stack attached to those roles by name.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.common import dead_letter_queue, rotated_key
from sagemaker_platform.constructs.lifecycle.nag import nag_sagemaker_arn
from sagemaker_platform.constructs.once import child_once
from sagemaker_platform.constructs.storage import access_logs_bucket, encrypted_bucket, own_or_shared_access_logs

# The jobs a pipeline's steps start, and what SageMaker Pipelines does with them (create, poll, stop, tag).
PIPELINE_JOB_ACTIONS = (
    "sagemaker:AddTags",
    "sagemaker:CreateProcessingJob",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:StopProcessingJob",
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:StopTrainingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:DescribeTransformJob",
    "sagemaker:StopTransformJob",
    "sagemaker:CreateModel",
    "sagemaker:DescribeModel",
)
# A Tuning step's job (SageMaker starts its training jobs itself, as the job role). Creating one is allowed only
# with the lifecycle key on the training volumes (sagemaker:VolumeKmsKey); the others take no request keys.
CREATE_TUNING_JOB_ACTIONS = ("sagemaker:CreateHyperParameterTuningJob",)
TUNING_JOB_ACTIONS = (
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:StopHyperParameterTuningJob",
    "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
)
# SageMaker Pipelines names every job and model it creates `pipelines-<execution id>-<step>-<suffix>`.
PIPELINE_RESOURCE_KINDS = ("processing-job", "training-job", "transform-job", "model")
PIPELINE_RESOURCE_PREFIX = "pipelines-"
BUCKET_READ_ACTIONS = ("s3:GetObject", "s3:ListBucket")
BUCKET_WRITE_ACTIONS = ("s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload")
KEY_READ_ACTIONS = ("kms:Decrypt",)
KEY_WRITE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
KEY_VOLUME_ACTIONS = ("kms:CreateGrant",)


class LifecycleStorage(Construct):
    """The KMS key and the data bucket of one account's lifecycle pipelines (input data, code, outputs, reports).

    :param removal_policy: of the key and the buckets. Default: RETAIN.
    :param access_logs: the bucket receiving the data bucket's S3 server access logs, under
        ``<stack name>/data/``; its policy must admit log delivery from this account. Default: a log bucket of
        its own (logs under ``data/``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        access_logs: s3.IBucket | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.key = rotated_key(
            self, "Model lifecycle pipelines: data, code, evaluation reports, batch outputs, logs", removal_policy
        )
        self.access_logs_bucket, log_namespace = own_or_shared_access_logs(
            self,
            access_logs,
            lambda: access_logs_bucket(
                self, "AccessLogs", of="the lifecycle data bucket", removal_policy=removal_policy
            ),
        )
        self.bucket = encrypted_bucket(
            self,
            "Data",
            key=self.key,
            access_logs=self.access_logs_bucket,
            access_logs_prefix=f"{log_namespace}data/",
            removal_policy=removal_policy,
            # Current objects (code, inputs, reports, batch outputs) stay until a person removes them; a version
            # replaced by a rerun is kept 30 days to recover from a bad run, then expires.
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireOldVersions", noncurrent_version_expiration=cdk.Duration.days(30))
            ],
            replication="pipeline inputs are copies of source data and outputs are reproducible by rerunning the "
            "pipeline; cross-region replication is a deployment choice the platform config does not make",
        )

    @property
    def rule_dead_letter_queue(self) -> sqs.Queue:
        """The dead-letter queue of every EventBridge rule target of this account's lifecycle constructs (made on
        first use): an event EventBridge cannot deliver is kept 14 days, encrypted with the lifecycle key."""
        return child_once(
            self,
            "RuleDeadLetters",
            sqs.Queue,
            lambda: dead_letter_queue(self, "RuleDeadLetters", self.key, of="the lifecycle rules' targets"),
        )

    def s3_uri(self, *parts: str) -> str:
        """``s3://<bucket>/<parts joined by '/'>`` (a token inside: the bucket name)."""
        return "/".join([f"s3://{self.bucket.bucket_name}", *parts])


class PipelinePermissions(Construct):
    """Customer managed policies that let a pipeline role run lifecycle pipelines and a job role do the jobs.

    Works with roles of this app or imported by name (`iam.Role.from_role_name`): the policies attach by name.

    :param pipeline_role: the role the pipelines run as (`RoleArn` of `AWS::SageMaker::Pipeline`).
    :param job_role: the role the pipelines' jobs and models run as.
    :param storage: the bucket and key both use.
    :param function_arns: Lambda functions the pipelines' Lambda steps invoke. Default: none.
    :param tuning: a build pipeline has a Tuning step: the pipeline role runs tuning jobs. Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        pipeline_role: iam.IRole,
        job_role: iam.IRole,
        storage: LifecycleStorage,
        function_arns: list[str] | None = None,
        tuning: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.pipeline_policy = iam.ManagedPolicy(
            self,
            "PipelinePolicy",
            description="Lifecycle pipelines: start and watch their jobs, read their property files",
            statements=self._pipeline_statements(job_role, storage, function_arns, tuning),
            roles=[pipeline_role],
        )
        bucket, key = storage.bucket, storage.key
        self.job_policy = iam.ManagedPolicy(
            self,
            "JobPolicy",
            description="Lifecycle pipeline jobs: read inputs and code, write outputs in the lifecycle bucket",
            statements=[
                iam.PolicyStatement(
                    sid="LifecycleData",
                    actions=list(BUCKET_WRITE_ACTIONS),
                    resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                ),
                iam.PolicyStatement(sid="LifecycleKey", actions=list(KEY_WRITE_ACTIONS), resources=[key.key_arn]),
                # Job volumes are encrypted with the key through a grant SageMaker creates for the job.
                iam.PolicyStatement(
                    sid="LifecycleVolumes",
                    actions=list(KEY_VOLUME_ACTIONS),
                    resources=[key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                ),
            ],
            roles=[job_role],
        )
        self._acknowledge(storage, tuning)

    def _pipeline_statements(
        self, job_role: iam.IRole, storage: LifecycleStorage, function_arns: list[str] | None, tuning: bool
    ) -> list[iam.PolicyStatement]:
        stack = cdk.Stack.of(self)
        bucket = storage.bucket
        jobs = [
            stack.format_arn(service="sagemaker", resource=kind, resource_name=f"{PIPELINE_RESOURCE_PREFIX}*")
            for kind in PIPELINE_RESOURCE_KINDS
        ]
        statements = [
            iam.PolicyStatement(sid="RunPipelineJobs", actions=list(PIPELINE_JOB_ACTIONS), resources=jobs),
            iam.PolicyStatement(
                sid="PassJobRole",
                actions=["iam:PassRole"],
                resources=[job_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            # Std:JsonGet reads the evaluation report as the pipeline role.
            iam.PolicyStatement(
                sid="ReadPropertyFiles",
                actions=list(BUCKET_READ_ACTIONS),
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="DecryptPropertyFiles", actions=list(KEY_READ_ACTIONS), resources=[storage.key.key_arn]
            ),
        ]
        if function_arns:
            statements.append(
                iam.PolicyStatement(sid="InvokeLookup", actions=["lambda:InvokeFunction"], resources=function_arns)
            )
        if tuning:
            tuning_jobs = stack.format_arn(
                service="sagemaker", resource="hyper-parameter-tuning-job", resource_name="*"
            )
            statements += [
                iam.PolicyStatement(
                    sid="CreateTuningJobs",
                    actions=list(CREATE_TUNING_JOB_ACTIONS),
                    resources=[tuning_jobs],
                    conditions={"StringEquals": {"sagemaker:VolumeKmsKey": storage.key.key_arn}},
                ),
                iam.PolicyStatement(sid="RunTuningJobs", actions=list(TUNING_JOB_ACTIONS), resources=[tuning_jobs]),
            ]
        return statements

    def _acknowledge(self, storage: LifecycleStorage, tuning: bool) -> None:
        """The wildcards of both policies, each with why it cannot be narrower."""
        stack = cdk.Stack.of(self)
        bucket_id = stack.get_logical_id(storage.bucket.node.default_child)  # type: ignore[arg-type]
        objects_reason = (
            "pipeline inputs, code and outputs are keyed per pipeline and execution inside the lifecycle bucket"
        )
        acknowledge(self.job_policy, {f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]": objects_reason})
        pipeline_reasons = {f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]": objects_reason}
        for kind in PIPELINE_RESOURCE_KINDS:
            pipeline_reasons[
                f"AwsSolutions-IAM5[Resource::{nag_sagemaker_arn(stack, kind)}/{PIPELINE_RESOURCE_PREFIX}*]"
            ] = (
                f"SageMaker Pipelines names each {kind} it creates {PIPELINE_RESOURCE_PREFIX}<execution>-<step>-...; "
                "the grant covers those names only"
            )
        if tuning:
            pipeline_reasons[
                f"AwsSolutions-IAM5[Resource::{nag_sagemaker_arn(stack, 'hyper-parameter-tuning-job')}/*]"
            ] = (
                "SageMaker Pipelines generates a Tuning step's job name (no documented prefix: docs 'IAM Access "
                "Management' for Pipelines ask Create and Describe per job type). Its sagemaker:pipeline-* tags are "
                "reported on jobs, not documented as request tags, so an aws:RequestTag/ResourceTag condition could "
                "refuse every Tuning step. Create needs the lifecycle volume key (sagemaker:VolumeKmsKey); tuning job "
                "actions only, in this account and region"
            )
        acknowledge(self.pipeline_policy, pipeline_reasons)

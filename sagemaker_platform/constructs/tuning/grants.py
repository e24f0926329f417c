"""What each part of warm-pool tuning may do (least privilege, one place): action lists and the statements.

Every IAM statement the tuning constructs add is rendered by a function here, named for what it allows,
so a reviewer (or a compliance change) finds and edits each grant in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform.compliance import acknowledge

if TYPE_CHECKING:
    from sagemaker_platform.constructs.roles import PlatformRole
    from sagemaker_platform.constructs.tuning.storage import TuningStorage

# --- action lists (one place) -----------------------------------------------------------------

TRAINING_DATA_READ_ACTIONS = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]
TRAINING_OUTPUT_ACTIONS = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListBucket"]
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
ECR_PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
TRAINING_LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
TRAINING_VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
]
# What Step Functions needs for sagemaker:createHyperParameterTuningJob.sync (the service integration
# creates the job, polls it through an EventBridge managed rule, and stops it when the execution stops).
TUNING_SYNC_ACTIONS = [
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:StopHyperParameterTuningJob",
    "sagemaker:AddTags",
    "sagemaker:ListTags",
]
TUNING_SYNC_RULE = "StepFunctionsGetEventsForSageMakerTuningJobsRule"
LAUNCHER_ACTIONS = ["sagemaker:CreateTrainingJob", "sagemaker:AddTags"]
# What the report step reads; it writes only ``tuning/<job>/report.html`` (REPORT_OBJECTS) with the key.
REPORT_READ_ACTIONS = [
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
]
REPORT_OBJECTS = "tuning/*/report.html"
TRAINING_METRICS_NAMESPACE = "/aws/sagemaker/TrainingJobs"


def grant_training_basics(storage: TuningStorage) -> None:
    """The training role: read the data bucket, write the output bucket, use the key, logs and metrics."""
    role = storage.training_role
    # Named read actions, not grant_read's GetObject*/GetBucket*/List* families; the key is granted below.
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=TRAINING_DATA_READ_ACTIONS,
            resources=[storage.data_bucket.bucket_arn, storage.data_bucket.arn_for_objects("*")],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=TRAINING_OUTPUT_ACTIONS,
            resources=[storage.output_bucket.bucket_arn, storage.output_bucket.arn_for_objects("*")],
        )
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[storage.key.key_arn]))
    # Training volumes are encrypted with the key through a grant SageMaker creates for the job.
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["kms:CreateGrant"],
            resources=[storage.key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    log_group = (
        f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/TrainingJobs"
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=TRAINING_LOG_ACTIONS, resources=[log_group, f"{log_group}:log-stream:*"])
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": f"{TRAINING_METRICS_NAMESPACE}*"}},
        )
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))
    acknowledge(
        role,
        {
            "AwsSolutions-IAM5[Resource::<"
            + _logical_id(storage.data_bucket)
            + ".Arn>/*]": "training channels are prefixes chosen per job inside the data bucket",
            "AwsSolutions-IAM5[Resource::<"
            + _logical_id(storage.output_bucket)
            + ".Arn>/*]": "each tuning job writes its artifacts and checkpoints under its own generated prefix",
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
            "/aws/sagemaker/TrainingJobs:log-stream:*]": "SageMaker names one log stream per training job instance",
            "AwsSolutions-IAM5[Resource::*]": "ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no "
            "resource scoping; PutMetricData is limited to the SageMaker training namespace by condition, "
            "and EC2 network-interface actions (only with a VPC) support none either",
        },
    )


def grant_list_tuning_jobs(role: iam.IRole) -> None:
    """The request builder: list tuning jobs, to resolve `warm_start.parent_spec`."""
    # A run-time spec may name any parent, and List supports no resource scoping, so the grant is
    # unconditional but read-only.
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["sagemaker:ListHyperParameterTuningJobs"], resources=["*"])
    )
    acknowledge(
        role,
        {
            "AwsSolutions-IAM5[Resource::*]": "sagemaker:ListHyperParameterTuningJobs supports no resource-level "
            "permissions; it resolves warm_start.parent_spec to the parent spec's last Completed tuning job",
        },
    )


def grant_register(
    scope: Construct, role: iam.IRole, storage: TuningStorage, step_role_arn: str, *, writes_metrics: bool
) -> None:
    """The registrar: assume the pipeline-step role, describe the best training job, read its model."""
    stack = cdk.Stack.of(scope)
    output = storage.output_bucket
    role.add_to_principal_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[step_role_arn]))
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["sagemaker:DescribeTrainingJob"],
            resources=[f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:training-job/*"],
        )
    )
    # Reads the best model (to copy it into the registry), or writes the metrics document next to it.
    object_actions = ["s3:GetObject", "s3:PutObject"] if writes_metrics else ["s3:GetObject"]
    key_actions = ["kms:Decrypt", "kms:GenerateDataKey"] if writes_metrics else ["kms:Decrypt"]
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=object_actions, resources=[output.arn_for_objects("tuning/*")])
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=key_actions, resources=[storage.key.key_arn]))
    acknowledge(
        role,
        {
            f"AwsSolutions-IAM5[Resource::{nag_arn(stack, 'sagemaker', 'training-job/*')}]": (
                "the best training job of a tuning job has a name SageMaker generates"
            ),
            "AwsSolutions-IAM5[Resource::<"
            + _logical_id(output)
            + ".Arn>/tuning/*]": "each tuning job's artifacts are under its own generated prefix",
        },
    )


def grant_report(scope: Construct, role: iam.IRole, storage: TuningStorage) -> None:
    """The reporter: read the tuning job and its training jobs, write only the report object."""
    stack = cdk.Stack.of(scope)
    output = storage.output_bucket
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=REPORT_READ_ACTIONS,
            resources=[f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:hyper-parameter-tuning-job/*"],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:PutObject"], resources=[output.arn_for_objects(REPORT_OBJECTS)])
    )
    # A single-part PutObject with SSE-KMS needs a data key only (no Decrypt: nothing is read back).
    role.add_to_principal_policy(iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[storage.key.key_arn]))
    acknowledge(
        role,
        {
            f"AwsSolutions-IAM5[Resource::{nag_arn(stack, 'sagemaker', 'hyper-parameter-tuning-job/*')}]": (
                "tuning job names carry a per-execution run id; the report step reads the job the execution ran"
            ),
            "AwsSolutions-IAM5[Resource::<"
            + _logical_id(output)
            + f".Arn>/{REPORT_OBJECTS}]": "one report per tuning job, under the job's own generated prefix",
        },
    )


def grant_tuning_sync(scope: Construct, role: PlatformRole, storage: TuningStorage) -> None:
    """The state machine: run a tuning job through the `.sync` integration (its managed rule included)."""
    stack = cdk.Stack.of(scope)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=TUNING_SYNC_ACTIONS,
            resources=[f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:hyper-parameter-tuning-job/*"],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/{TUNING_SYNC_RULE}"],
        )
    )
    storage.grant_pass_training_role(role)
    acknowledge(
        role,
        {
            f"AwsSolutions-IAM5[Resource::{nag_arn(stack, 'sagemaker', 'hyper-parameter-tuning-job/*')}]": (
                "tuning job names carry a per-execution run id, and execution input may name a spec not known at synth"
            ),
            "AwsSolutions-IAM5[Resource::*]": "X-Ray PutTraceSegments/PutTelemetryRecords and the CloudWatch "
            "Logs delivery actions Step Functions logging needs support no resource scoping",
        },
    )


def grant_launch(scope: Construct, role: iam.IRole, storage: TuningStorage, job_name_prefix: str) -> None:
    """The launcher: create (and tag) training jobs named with its prefix only, passing the training role."""
    stack = cdk.Stack.of(scope)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=LAUNCHER_ACTIONS,
            resources=[
                f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:training-job/{job_name_prefix}-*"
            ],
        )
    )
    storage.grant_pass_training_role(role)
    acknowledge(
        role,
        {
            f"AwsSolutions-IAM5[Resource::{nag_arn(stack, 'sagemaker', f'training-job/{job_name_prefix}-*')}]": (
                "launched job names are the prefix plus a hash of each job id"
            ),
        },
    )


def nag_arn(stack: cdk.Stack, service: str, resource: str) -> str:
    """An ARN in `stack`'s account and region as cdk-nag prints it in finding ids (tokens as <AWS::...>)."""
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    return f"arn:<AWS::Partition>:{service}:{region}:{account}:{resource}"


def _logical_id(bucket: s3.Bucket) -> str:
    return cdk.Stack.of(bucket).get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]

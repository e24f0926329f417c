"""Warm-pool tuning: hyperparameter tuning pipelines, and a paced launcher for many small training jobs.

- `TuningStorage`: the KMS key, the data and output buckets and the least-privilege SageMaker
  training role that tuning jobs and launched training jobs share.
- `TuningPipeline`: a Step Functions Standard state machine that builds a
  CreateHyperParameterTuningJob request from a validated tuning spec (from the platform config, or
  passed as execution input), runs it with the `.sync` service integration (which waits for the
  tuning job), writes the tuning report (HTML) next to the tuning output, registers the best
  training job's model in a registry model package group as
  PendingManualApproval with its objective metric, and notifies an SNS topic of every outcome.
  Optional EventBridge Scheduler schedules start it for recurring tuning.
- `TrainingJobLauncher`: an SQS queue in front of a Lambda function that calls CreateTrainingJob at
  most about once per second, backs off on throttling, asks for warm pools
  (KeepAlivePeriodInSeconds) and never starts a job twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from sagemaker_platform import naming, tuning_spec
from sagemaker_platform.compliance import acknowledge, acknowledge_dead_letter_queue
from sagemaker_platform.constructs.function import PlatformFunction, grant_logs_encrypt
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.lifecycle.training import (
    MAX_TRAINING_SECONDS,
    Distribution,
    distribution_hyperparameters,
    scaling_problems,
)
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.storage import ACCESS_LOG_RETENTION, access_logs_bucket, encrypted_bucket
from sagemaker_platform.constructs.workflow import (
    retry_transient,
    state_machine_log_group,
    state_machine_role,
)
from sagemaker_platform.errors import ProblemCollector

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
MAX_KEEP_ALIVE = cdk.Duration.hours(1)
_VPC_GRANT = "vpc"  # key of the VPC grant among TuningStorage's image grants (image names contain ':' or '/')


class TuningStorage(Construct):
    """The key, buckets and SageMaker training role shared by tuning pipelines and the job launcher.

    :param removal_policy: of the key and the buckets. Default: RETAIN (models and data outlive the stack).
    :param key: KMS key for the buckets, logs, topic and queues; its policy must let CloudWatch Logs use it
        (`grant_logs_encrypt`). Default: a new key with rotation.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        key: kms.Key | None = None,
    ) -> None:
        super().__init__(scope, id)
        if key is None:
            key = kms.Key(
                self,
                "Key",
                description="Warm-pool tuning: training data, model artifacts, logs, notifications",
                enable_key_rotation=True,
                removal_policy=removal_policy,
            )
            limit_grants_to_aws_resources(key)
            grant_logs_encrypt(key)
        self.key = key
        self.access_logs_bucket = access_logs_bucket(
            self,
            "AccessLogs",
            of="the tuning data and output buckets",
            removal_policy=removal_policy,
            lifecycle_rules=[ACCESS_LOG_RETENTION],
        )
        # Training data: a replaced or deleted object's old version 90 days (re-running a past tuning job).
        self.data_bucket = self._bucket(
            "Data", "data/", removal_policy, holds="training data", old_versions=cdk.Duration.days(90)
        )
        # Tuning output (artifacts, checkpoints): regenerated by re-running; old versions 30 days.
        self.output_bucket = self._bucket(
            "Output", "output/", removal_policy, holds="tuning job output", old_versions=cdk.Duration.days(30)
        )
        self.training_role = PlatformRole(
            self,
            "TrainingRole",
            # No aws:SourceAccount condition: not every SageMaker path that assumes an execution role sets it.
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker training jobs of the tuning pipelines and the job launcher",
        )
        self._grant_training_basics()
        self._grants: dict[str, iam.Grant] = {}

    # --- public methods -------------------------------------------------------------------------

    def grant_image_pull(self, image: str) -> iam.Grant:
        """Let the training role pull `image` (an ECR URI, or a built-in such as sagemaker-xgboost:1.7-1).

        Granting the same image again returns the first grant.
        """
        if image not in self._grants:
            self._grants[image] = iam.Grant.add_to_principal(
                grantee=self.training_role, actions=ECR_PULL_ACTIONS, resource_arns=[self.image_repository_arn(image)]
            )
        return self._grants[image]

    def grant_training_vpc(self) -> iam.Grant:
        """Let training jobs attach to a VPC (network interfaces; EC2 offers no resource scoping for these)."""
        if _VPC_GRANT not in self._grants:
            self._grants[_VPC_GRANT] = iam.Grant.add_to_principal(
                grantee=self.training_role, actions=TRAINING_VPC_ACTIONS, resource_arns=["*"]
            )
        return self._grants[_VPC_GRANT]

    def grant_pass_training_role(self, grantee: iam.IGrantable) -> iam.Grant:
        """iam:PassRole of the training role, to SageMaker only."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["iam:PassRole"],
            resource_arns=[self.training_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )

    def image_uri(self, image: str) -> str:
        """The URI of `image`; a built-in resolves per region through a CfnMapping (env-agnostic stacks too)."""
        if "/" in image:
            return image
        return cdk.Fn.join(
            "", [self._builtin_account(), ".dkr.ecr.", cdk.Aws.REGION, ".", cdk.Aws.URL_SUFFIX, "/", image]
        )

    def image_repository_arn(self, image: str) -> str:
        if "/" in image:
            match = tuning_spec.ECR_IMAGE_PATTERN.match(image)
            assert match is not None, image
            account, region, repository = match.group("account"), match.group("region"), match.group("repository")
        else:
            account, region, repository = self._builtin_account(), cdk.Aws.REGION, image.split(":")[0]
        return f"arn:{cdk.Aws.PARTITION}:ecr:{region}:{account}:repository/{repository}"

    # --- private --------------------------------------------------------------------------------

    def _builtin_account(self) -> str:
        mapping = self.node.try_find_child("BuiltinImageRegistries")
        if mapping is None:
            # Registry accounts of the SageMaker built-in XGBoost image per region (see tuning_spec).
            mapping = cdk.CfnMapping(
                self,
                "BuiltinImageRegistries",
                mapping={
                    region: {"account": account} for region, account in tuning_spec.XGBOOST_REGISTRY_ACCOUNTS.items()
                },
            )
        assert isinstance(mapping, cdk.CfnMapping)
        return mapping.find_in_map(cdk.Aws.REGION, "account")

    def _bucket(
        self, id: str, log_prefix: str, removal_policy: cdk.RemovalPolicy, *, holds: str, old_versions: cdk.Duration
    ) -> s3.Bucket:
        return encrypted_bucket(
            self,
            id,
            key=self.key,
            access_logs=self.access_logs_bucket,
            access_logs_prefix=log_prefix,
            removal_policy=removal_policy,
            holds=holds,
            replication="tuning data and model artifacts are reproducible from their sources; cross-region "
            "replication is a deployment choice the platform config does not make",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireOldVersions",
                    noncurrent_version_expiration=old_versions,
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                )
            ],
        )

    def _grant_training_basics(self) -> None:
        role = self.training_role
        # Named read actions, not grant_read's GetObject*/GetBucket*/List* families; the key is granted below.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TRAINING_DATA_READ_ACTIONS,
                resources=[self.data_bucket.bucket_arn, self.data_bucket.arn_for_objects("*")],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TRAINING_OUTPUT_ACTIONS,
                resources=[self.output_bucket.bucket_arn, self.output_bucket.arn_for_objects("*")],
            )
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[self.key.key_arn]))
        # Training volumes are encrypted with the key through a grant SageMaker creates for the job.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[self.key.key_arn],
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
                + self._logical_id(self.data_bucket)
                + ".Arn>/*]": "training channels are prefixes chosen per job inside the data bucket",
                "AwsSolutions-IAM5[Resource::<"
                + self._logical_id(self.output_bucket)
                + ".Arn>/*]": "each tuning job writes its artifacts and checkpoints under its own generated prefix",
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
                "/aws/sagemaker/TrainingJobs:log-stream:*]": "SageMaker names one log stream per training job instance",
                "AwsSolutions-IAM5[Resource::*]": "ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no "
                "resource scoping; PutMetricData is limited to the SageMaker training namespace by condition, "
                "and EC2 network-interface actions (only with a VPC) support none either",
            },
        )

    def _logical_id(self, bucket: s3.Bucket) -> str:
        return cdk.Stack.of(self).get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]


class TuningPipeline(Construct):
    """A state machine that tunes, writes the report, registers the best model as PendingManualApproval, and notifies.

    Start an execution with ``{"spec_name": "<a spec of specs>"}`` or ``{"spec": {<a full spec>}}``;
    a spec given at run time is validated by the same rules before any AWS call. Run-time specs may use
    built-in images and images granted with `TuningStorage.grant_image_pull`.

    :param storage: key, buckets and training role.
    :param platform_name: `PlatformConfig.name`; names the register role and the pipeline-step role it assumes.
    :param specs: validated specs (`tuning_spec.parse_spec`) runnable by name. Default: none (run-time specs only).
    :param registry_account: account of the model package groups. Default: None, this account (the sandbox).
    :param model_artifacts_bucket: the registry's artifacts bucket (`naming.model_artifacts_bucket_name`); the
        best model and its metrics are copied there under ``<group>/<tuning job>/`` as the pipeline-step role
        (which the registry lets write there). Default: None, the package points at the tuning output bucket.
    :param topic: where outcomes are published. Default: a new KMS-encrypted topic.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        storage: TuningStorage,
        platform_name: str,
        specs: Sequence[Any] = (),
        registry_account: str | None = None,
        model_artifacts_bucket: str | None = None,
        topic: sns.ITopic | None = None,
    ) -> None:
        super().__init__(scope, id)
        self._validate(specs)
        self.storage = storage
        self.specs: tuple[Any, ...] = tuple(specs)
        stack = cdk.Stack.of(self)
        self.topic = topic if topic is not None else self._topic(storage.key)
        for spec in self.specs:
            storage.grant_image_pull(spec.image)
            if spec.vpc is not None:
                storage.grant_training_vpc()
        self.build_function = PlatformFunction(
            self,
            "RequestBuilder",
            handler_name="tuning_request",
            key=storage.key,
            description="Validates a tuning spec and builds its CreateHyperParameterTuningJob request",
            environment={
                "TRAINING_ROLE_ARN": storage.training_role.role_arn,
                "DATA_BUCKET": storage.data_bucket.bucket_name,
                "OUTPUT_BUCKET": storage.output_bucket.bucket_name,
                "KMS_KEY_ARN": storage.key.key_arn,
            },
        )
        # warm_start.parent_spec: the builder lists the parent spec's tuning jobs. A run-time spec may name any
        # parent, and List supports no resource scoping, so the grant is unconditional but read-only.
        self.build_function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sagemaker:ListHyperParameterTuningJobs"], resources=["*"])
        )
        acknowledge(
            self.build_function.role,
            {
                "AwsSolutions-IAM5[Resource::*]": "sagemaker:ListHyperParameterTuningJobs supports no resource-level "
                "permissions; it resolves warm_start.parent_spec to the parent spec's last Completed tuning job",
            },
        )
        step_role_arn = naming.role_arn(stack.partition, stack.account, naming.pipeline_step_role_name(platform_name))
        self.register_function = PlatformFunction(
            self,
            "Registrar",
            handler_name="tuning_register",
            key=storage.key,
            description="Registers the best model of a tuning job as PendingManualApproval",
            # Streams the model artifact into the registry (multipart, bounded memory).
            timeout=cdk.Duration.minutes(15),
            memory_size=512,
            environment={
                "PIPELINE_STEP_ROLE_ARN": step_role_arn,
                "OUTPUT_BUCKET": storage.output_bucket.bucket_name,
                "KMS_KEY_ARN": storage.key.key_arn,
                "REGISTRY_ACCOUNT": registry_account if registry_account is not None else "",
                "MODEL_ARTIFACTS_BUCKET": model_artifacts_bucket if model_artifacts_bucket is not None else "",
            },
        )
        self.report_function = PlatformFunction(
            self,
            "Reporter",
            handler_name="tuning_report",
            key=storage.key,
            description="Writes the tuning report (HTML, inline SVG charts) of a finished tuning job",
            timeout=cdk.Duration.minutes(2),
            environment={
                "OUTPUT_BUCKET": storage.output_bucket.bucket_name,
                "KMS_KEY_ARN": storage.key.key_arn,
            },
        )
        self._grant_report()
        # The registry's pipeline-step role trusts this exact role name (cross-account contract).
        register_role = self.register_function.role.node.default_child
        assert isinstance(register_role, iam.CfnRole)
        register_role.role_name = naming.tuning_register_role_name(platform_name)
        self._grant_register(step_role_arn, writes_metrics=model_artifacts_bucket is None)
        self.state_machine = self._state_machine()
        self.schedules = [self._schedule(spec) for spec in self.specs if spec.schedule is not None]
        self._notify_stopped_executions()

    # --- public methods -------------------------------------------------------------------------

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.state_machine.grant_start_execution(grantee)

    def metric_failed(self, **props: Any) -> cloudwatch.Metric:
        """Executions that failed (tuning failed or stopped, bad spec, registration failed). Sum over 5 minutes."""
        return self.state_machine.metric_failed(**props)

    # --- private --------------------------------------------------------------------------------

    def _validate(self, specs: Sequence[Any]) -> None:
        problems = ProblemCollector("TuningPipeline")
        names = [getattr(spec, "name", None) for spec in specs]
        for index, spec in enumerate(specs):
            problems.check(
                isinstance(spec, tuning_spec.TuningSpec),
                f"specs[{index}] = {spec!r}: must be a TuningSpec from sagemaker_platform.tuning_spec.parse_spec",
            )
        duplicates = sorted({str(n) for n in names if names.count(n) > 1})
        problems.check(not duplicates, f"specs: duplicate names {duplicates}: each spec name must appear once")
        problems.raise_if_any()

    def _topic(self, key: kms.IKey) -> sns.Topic:
        return sns.Topic(self, "Notifications", master_key=key, enforce_ssl=True)

    def _grant_register(self, step_role_arn: str, *, writes_metrics: bool) -> None:
        role = self.register_function.role
        stack = cdk.Stack.of(self)
        output = self.storage.output_bucket
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
        role.add_to_principal_policy(iam.PolicyStatement(actions=key_actions, resources=[self.storage.key.key_arn]))
        acknowledge(
            role,
            {
                f"AwsSolutions-IAM5[Resource::{_nag_arn(stack, 'sagemaker', 'training-job/*')}]": (
                    "the best training job of a tuning job has a name SageMaker generates"
                ),
                "AwsSolutions-IAM5[Resource::<"
                + stack.get_logical_id(output.node.default_child)  # type: ignore[arg-type]
                + ".Arn>/tuning/*]": "each tuning job's artifacts are under its own generated prefix",
            },
        )

    def _grant_report(self) -> None:
        role = self.report_function.role
        stack = cdk.Stack.of(self)
        output = self.storage.output_bucket
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=REPORT_READ_ACTIONS,
                resources=[
                    f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:hyper-parameter-tuning-job/*"
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[output.arn_for_objects(REPORT_OBJECTS)])
        )
        # A single-part PutObject with SSE-KMS needs a data key only (no Decrypt: nothing is read back).
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[self.storage.key.key_arn])
        )
        acknowledge(
            role,
            {
                f"AwsSolutions-IAM5[Resource::{_nag_arn(stack, 'sagemaker', 'hyper-parameter-tuning-job/*')}]": (
                    "tuning job names carry a per-execution run id; the report step reads the job the execution ran"
                ),
                "AwsSolutions-IAM5[Resource::<"
                + stack.get_logical_id(output.node.default_child)  # type: ignore[arg-type]
                + f".Arn>/{REPORT_OBJECTS}]": "one report per tuning job, under the job's own generated prefix",
            },
        )

    def _state_machine(self) -> sfn.StateMachine:
        stack = cdk.Stack.of(self)
        specs = {spec.name: spec.as_json() for spec in self.specs}
        notify_failure = tasks.SnsPublish.jsonata(
            self,
            "NotifyFailure",
            topic=self.topic,
            subject="Tuning pipeline failed",
            message=sfn.TaskInput.from_text(
                "{% $string({'execution': $states.context.Execution.Id, 'error': $states.input}) %}"
            ),
        ).next(sfn.Fail(self, "Failed", error="TuningPipelineFailed", cause="see the notification"))
        build = tasks.LambdaInvoke.jsonata(
            self,
            "BuildRequest",
            lambda_function=self.build_function.function,
            payload=sfn.TaskInput.from_object(
                {"specs": specs, "input": "{% $states.input %}", "execution_id": "{% $states.context.Execution.Id %}"}
            ),
            outputs="{% $states.result.Payload %}",
        )
        # A throttled or unavailable List of warm_start.parent_spec's jobs is retried; a missing parent
        # (ParentNotFoundError), a refused call or a bad spec is not.
        retry_transient(build)
        build.add_catch(notify_failure, errors=["States.ALL"])
        tune = sfn.CustomState(
            self,
            "Tune",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{stack.partition}:states:::sagemaker:createHyperParameterTuningJob.sync",
                # The whole validated request: optional parts (WarmStartConfig, ...) appear only when set.
                "Arguments": "{% $states.input.request %}",
                "Output": "{% {'tuning': $states.result, 'register': $states.input.register} %}",
            },
        )
        # Failed or Stopped tuning jobs fail the task: notify, then fail the execution.
        tune.add_catch(notify_failure, errors=["States.ALL"])
        # The report goes next to the tuning output; its links travel with the state to the notification.
        report = tasks.LambdaInvoke.jsonata(
            self,
            "WriteReport",
            lambda_function=self.report_function.function,
            payload=sfn.TaskInput.from_object({"tuning_job": "{% $states.input.tuning.HyperParameterTuningJobName %}"}),
            outputs="{% $merge([$states.input, $states.result.Payload]) %}",
        )
        retry_transient(report)
        register = tasks.LambdaInvoke.jsonata(
            self,
            "RegisterBestModel",
            lambda_function=self.register_function.function,
            payload=sfn.TaskInput.from_object(
                {"tuning": "{% $states.input.tuning %}", "register": "{% $states.input.register %}"}
            ),
            outputs="{% $merge([$states.result.Payload, {'report': $states.input.report}]) %}",
        )
        # Repeatable: the artifact copy rewrites the same key, CreateModelPackage has a ClientToken.
        retry_transient(register)
        register.add_catch(notify_failure, errors=["States.ALL"])
        notify_success = tasks.SnsPublish.jsonata(
            self,
            "NotifyRegistered",
            topic=self.topic,
            subject="Tuning pipeline registered a model",
            message=sfn.TaskInput.from_text("{% $string($states.input) %}"),
            outputs="{% $states.input %}",
        )
        # A report that still cannot be written does not hold back the model: the notification says why.
        report.add_catch(
            register,
            errors=["States.ALL"],
            outputs="{% $merge([$states.input, {'report': {'error': $states.errorOutput.Error, "
            "'cause': $states.errorOutput.Cause}}]) %}",
        )
        definition = build.next(tune).next(report).next(register).next(notify_success)
        log_group = state_machine_log_group(self, "ExecutionLogs", key=self.storage.key)
        role = state_machine_role(self, "StateMachineRole", description="Tuning pipeline state machine")
        state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            query_language=sfn.QueryLanguage.JSONATA,
            state_machine_type=sfn.StateMachineType.STANDARD,
            role=role,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(self.storage.key),
        )
        self._grant_tuning_sync(role)
        # Step Functions encrypts execution data with the key: named actions, not grant_encrypt_decrypt's families.
        role.add_to_principal_policy(iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[self.storage.key.key_arn]))
        return state_machine

    def _grant_tuning_sync(self, role: PlatformRole) -> None:
        stack = cdk.Stack.of(self)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TUNING_SYNC_ACTIONS,
                resources=[
                    f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:hyper-parameter-tuning-job/*"
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/{TUNING_SYNC_RULE}"],
            )
        )
        self.storage.grant_pass_training_role(role)
        acknowledge(
            role,
            {
                f"AwsSolutions-IAM5[Resource::{_nag_arn(stack, 'sagemaker', 'hyper-parameter-tuning-job/*')}]": (
                    "tuning job names carry a per-execution run id, and execution input may name a spec not known "
                    "at synth"
                ),
                "AwsSolutions-IAM5[Resource::*]": "X-Ray PutTraceSegments/PutTelemetryRecords and the CloudWatch "
                "Logs delivery actions Step Functions logging needs support no resource scoping",
            },
        )

    def _notify_stopped_executions(self) -> None:
        """Executions stopped from outside (StopExecution, timeout) skip the state machine's own notification."""
        rule = events.Rule(
            self,
            "StoppedExecutions",
            description="Tuning pipeline executions aborted or timed out",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"stateMachineArn": [self.state_machine.state_machine_arn], "status": ["ABORTED", "TIMED_OUT"]},
            ),
        )
        # Like every other rule target of the platform: an event EventBridge cannot deliver is kept, not dropped.
        self.stopped_dead_letter_queue = sqs.Queue(
            self,
            "StoppedExecutionsDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.storage.key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        acknowledge_dead_letter_queue(self.stopped_dead_letter_queue, of="the stopped-executions rule's target")
        rule.add_target(events_targets.SnsTopic(self.topic, dead_letter_queue=self.stopped_dead_letter_queue))
        if isinstance(self.storage.key, kms.Key):
            # EventBridge publishes to the encrypted topic with this key (a service principal needs a key policy grant).
            self.storage.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
                )
            )

    def _schedule(self, spec: Any) -> scheduler.Schedule:
        role = PlatformRole(
            self,
            f"Schedule{_pascal(spec.name)}Role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
            ),
            description=f"Starts the tuning pipeline for spec {spec.name} on its schedule",
        )
        return scheduler.Schedule(
            self,
            f"Schedule{_pascal(spec.name)}",
            schedule=scheduler.ScheduleExpression.expression(spec.schedule),
            description=f"Recurring tuning: {spec.name}",
            key=self.storage.key,
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_text(json.dumps({"spec_name": spec.name})),
                role=role,
                retry_attempts=3,
            ),
        )


@dataclass(frozen=True)
class _LauncherScaling:
    """The launcher's spot and distribution settings: validated at construction, passed as environment."""

    instance_type: str
    instance_count: int
    max_run: cdk.Duration
    keep_alive: cdk.Duration
    use_spot: bool
    max_wait: cdk.Duration | None
    distribution: Distribution | None

    def __post_init__(self) -> None:
        problems = ProblemCollector("TrainingJobLauncher")
        wait = None if self.max_wait is None else int(self.max_wait.to_seconds())
        for problem in scaling_problems(
            instance_type=self.instance_type,
            instance_count=self.instance_count,
            max_run_seconds=int(self.max_run.to_seconds()),
            use_spot=self.use_spot,
            max_wait_seconds=wait,
            distribution=self.distribution,
        ):
            # The construct takes the wait as a Duration prop named max_wait.
            key = "max_wait" if problem.key == "max_wait_seconds" else problem.key
            problems.add(f"{key}={problem.value!r}: {problem.message}")
        # SageMaker keeps no warm pool for managed spot jobs; a keep-alive would only mislead the quota sizing.
        problems.check(
            not (self.use_spot and self.keep_alive.to_seconds() > 0),
            f"keep_alive={self.keep_alive.to_human_string()}: must be zero with use_spot=True "
            "(warm pools do not apply to managed spot training)",
        )
        problems.raise_if_any()

    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.use_spot:
            run = int(self.max_run.to_seconds())
            wait = min(2 * run, MAX_TRAINING_SECONDS) if self.max_wait is None else int(self.max_wait.to_seconds())
            env |= {"USE_SPOT": "true", "MAX_WAIT_SECONDS": str(wait)}
        if self.distribution is not None:
            rendered = distribution_hyperparameters(self.distribution, self.instance_type)
            env["DISTRIBUTION_HYPERPARAMETERS"] = json.dumps(rendered, sort_keys=True)
        return env


class TrainingJobLauncher(Construct):
    """An SQS queue whose messages become SageMaker training jobs, paced under the CreateTrainingJob quota.

    Send ``{"job_id": "...", "hyperparameters": {...}, "channels": {"train": "<prefix in the data bucket>"}}``.
    The same job_id never starts a second job. Every job asks for a warm pool (`keep_alive`), so
    consecutive jobs with the same resource config start on retained instances; raise the service quota
    "ml.<type> for training warm pool usage" to at least `max_concurrency` times instance_count.

    :param storage: key, buckets and training role.
    :param image: ECR image URI, or a built-in such as ``sagemaker-xgboost:1.7-1`` (resolved per region).
    :param instance_type: Default: ml.m5.large.
    :param instance_count: Default: 1.
    :param volume_size_gb: Default: 30.
    :param max_run: per job. Default: 1 hour.
    :param keep_alive: warm pool retention after each job, at most 1 hour. Default: 30 minutes.
    :param requests_per_second: CreateTrainingJob calls per second, all invocations together. Default: 1.
    :param max_concurrency: concurrent Lambda invocations reading the queue (2 to 10). Default: 2.
    :param job_name_prefix: training job names are ``<prefix>-<20 hex of sha256(job_id)>``. Default: "launch".
    :param use_spot: managed spot capacity; each job checkpoints to ``checkpoints/<job name>/`` in the output
        bucket (KMS) and resumes there after an interruption. Warm pools do not apply to spot jobs, so
        `keep_alive` must be zero. Default: False.
    :param max_wait: spot only: the wait for capacity, run included (>= `max_run`). Default: twice `max_run`.
    :param distribution: ``torchrun``, ``pytorchddp`` or ``smdistributed`` on a GPU type (torchrun also Trainium),
        EFA-capable when `instance_count` > 1 (see `sagemaker_platform.constructs.lifecycle.training`). Default: None.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        storage: TuningStorage,
        image: str,
        instance_type: str = "ml.m5.large",
        instance_count: int = 1,
        volume_size_gb: int = 30,
        max_run: cdk.Duration | None = None,
        keep_alive: cdk.Duration | None = None,
        requests_per_second: float = 1.0,
        max_concurrency: int = 2,
        job_name_prefix: str = "launch",
        use_spot: bool = False,
        max_wait: cdk.Duration | None = None,
        distribution: Distribution | None = None,
    ) -> None:
        super().__init__(scope, id)
        max_run = max_run if max_run is not None else cdk.Duration.hours(1)
        keep_alive = keep_alive if keep_alive is not None else cdk.Duration.minutes(30)
        self._validate(image, instance_type, keep_alive, requests_per_second, max_concurrency, job_name_prefix)
        scaling = _LauncherScaling(instance_type, instance_count, max_run, keep_alive, use_spot, max_wait, distribution)
        self.storage = storage
        storage.grant_image_pull(image)
        self.dead_letter_queue = self._queue("QueueDeadLetters")
        acknowledge_dead_letter_queue(
            self.dead_letter_queue, of="the launcher queue (jobs that failed five times)", cdk_nag=False
        )
        function_timeout = cdk.Duration.minutes(5)
        self.queue = self._queue(
            "Queue",
            # Six times the function timeout, as Lambda recommends for SQS event sources.
            visibility_timeout=cdk.Duration.seconds(function_timeout.to_seconds() * 6),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue, max_receive_count=5),
        )
        self.function = PlatformFunction(
            self,
            "Function",
            handler_name="tuning_launcher",
            key=storage.key,
            description="Launches SageMaker training jobs from the queue, paced, with warm pools",
            timeout=function_timeout,
            reserved_concurrency=max_concurrency,
            environment={
                "JOB_NAME_PREFIX": job_name_prefix,
                "TRAINING_IMAGE": storage.image_uri(image),
                "TRAINING_ROLE_ARN": storage.training_role.role_arn,
                "DATA_BUCKET": storage.data_bucket.bucket_name,
                "OUTPUT_BUCKET": storage.output_bucket.bucket_name,
                "KMS_KEY_ARN": storage.key.key_arn,
                "INSTANCE_TYPE": instance_type,
                "INSTANCE_COUNT": str(instance_count),
                "VOLUME_SIZE_GB": str(volume_size_gb),
                "MAX_RUN_SECONDS": str(int(max_run.to_seconds())),
                "KEEP_ALIVE_SECONDS": str(int(keep_alive.to_seconds())),
                **scaling.environment(),
                # Each of max_concurrency invocations spaces its calls so that all together stay under the rate.
                "LAUNCH_INTERVAL_SECONDS": f"{max_concurrency / requests_per_second:g}",
            },
        )
        self.function.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue, batch_size=10, report_batch_item_failures=True, max_concurrency=max_concurrency
            )
        )
        stack = cdk.Stack.of(self)
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=LAUNCHER_ACTIONS,
                resources=[
                    f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:training-job/{job_name_prefix}-*"
                ],
            )
        )
        storage.grant_pass_training_role(self.function.role)
        acknowledge(
            self.function.role,
            {
                f"AwsSolutions-IAM5[Resource::{_nag_arn(stack, 'sagemaker', f'training-job/{job_name_prefix}-*')}]": (
                    "launched job names are the prefix plus a hash of each job id"
                ),
            },
        )

    def grant_send(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` queue launch requests (and use the key that encrypts them)."""
        return self.queue.grant_send_messages(grantee)

    def metric_queue_depth(self, **props: Any) -> cloudwatch.Metric:
        """Launch requests waiting (ApproximateNumberOfMessagesVisible, maximum over 5 minutes)."""
        return self.queue.metric_approximate_number_of_messages_visible(statistic="Maximum", **props)

    def _queue(self, id: str, **props: Any) -> sqs.Queue:
        return sqs.Queue(
            self,
            id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.storage.key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            **props,
        )

    def _validate(
        self,
        image: str,
        instance_type: str,
        keep_alive: cdk.Duration,
        requests_per_second: float,
        max_concurrency: int,
        job_name_prefix: str,
    ) -> None:
        problems = ProblemCollector("TrainingJobLauncher")
        image_problem = tuning_spec.image_problem(image)
        problems.check(image_problem is None, f"image={image!r}: {image_problem}")
        problems.check(
            tuning_spec.INSTANCE_TYPE_PATTERN.match(instance_type) is not None,
            f"instance_type={instance_type!r}: must be a SageMaker training instance type such as ml.m5.large",
        )
        if not cdk.Token.is_unresolved(keep_alive.to_seconds()):
            problems.check(
                0 <= keep_alive.to_seconds() <= MAX_KEEP_ALIVE.to_seconds(),
                f"keep_alive={keep_alive.to_human_string()}: warm pools are kept at most 1 hour (3600 s)",
            )
        problems.check(0 < requests_per_second <= 1, f"requests_per_second={requests_per_second}: must be in (0, 1]")
        problems.check(2 <= max_concurrency <= 10, f"max_concurrency={max_concurrency}: must be between 2 and 10")
        problems.check(
            tuning_spec.SPEC_NAME_PATTERN.match(job_name_prefix) is not None,
            f"job_name_prefix={job_name_prefix!r}: letters, digits and inner hyphens, at most 19 characters",
        )
        problems.raise_if_any()


def _nag_arn(stack: cdk.Stack, service: str, resource: str) -> str:
    """An ARN in `stack`'s account and region as cdk-nag prints it in finding ids (tokens as <AWS::...>)."""
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    return f"arn:<AWS::Partition>:{service}:{region}:{account}:{resource}"


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("-"))

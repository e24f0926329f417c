"""`InferenceGateway`: an asynchronous prediction API over SageMaker endpoints and model ensembles.

    client --SigV4--> API Gateway (IAM auth, JSON schema validation, throttling, WAF, access logs)
        POST /predictions            -> record (DynamoDB) + presigned PUT URL for the input
        GET  /predictions/{id}       -> state + presigned GET URL of the output, or the error
    input bucket --Object Created (EventBridge)--> upload queue (DLQ) -> invoke function
        async endpoint: InvokeEndpointAsync (fire and forget)
        real-time endpoint: InvokeEndpoint, answer written to the output bucket, completion published
        ensemble: StartExecution of its state machine (one step per service, task tokens)
    completion topic (async endpoints' SuccessTopic/ErrorTopic, and the gateway's own) -> completion queue (DLQ)
        -> notify function: record completed|failed, then task token / signed webhook / SNS topic

Every store is encrypted with the gateway's customer managed key; every queue has a dead-letter queue
with an alarm; every handler is idempotent on the prediction record (conditional writes).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge, acknowledge_dead_letter_queue, skip_checkov
from sagemaker_platform.constructs.function import PlatformFunction, grant_logs_encrypt
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.storage import acknowledge_control_tower_bucket
from sagemaker_platform.constructs.workflow import (
    state_machine_log_group,
    state_machine_role,
)
from sagemaker_platform.contracts.gateway import INPUT_PREFIX, OUTPUT_PREFIX
from sagemaker_platform.ensembles import EnsembleSpec, StepSpec, graph_problems, levels
from sagemaker_platform.errors import ProblemCollector

__all__ = ["EnsembleSpec", "GatewayService", "InferenceGateway", "StepSpec"]

HANDLER = "gateway_handlers"
ASYNC_OUTPUT_PREFIX = "async/"
"""Where async endpoints served by the gateway write their results in the output bucket."""
API_STAGE = "v1"
# One batch of 10 may call real-time endpoints (60 s read timeout each); the handler stops starting
# messages 65 s before this and returns the rest to the queue.
INVOKE_TIMEOUT_MINUTES = 5

# Actions granted per function, in one place.
INVOKE_ENDPOINT_ACTIONS = ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync"]
# Every function reads and writes prediction records (records.py: one GetItem, PutItem or UpdateItem per call).
TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
# The gateway key encrypts the table, the buckets and the topics: decrypt what is read, data keys for writes.
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
CLIENT_ACTIONS = ["execute-api:Invoke"]
ENDPOINT_ROLE_INPUT_ACTIONS = ["s3:GetObject"]
ENDPOINT_ROLE_OUTPUT_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"]
ENDPOINT_ROLE_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"]
ENDPOINT_ROLE_TOPIC_ACTIONS = ["sns:Publish"]
API_LOGS_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
]


@dataclass(frozen=True)
class GatewayService:
    """A single-model service: a SageMaker endpoint reached by name.

    :param name: the service name clients put in requests (and ensemble steps use).
    :param endpoint_name: the SageMaker endpoint name (`naming.endpoint_name(platform, endpoint, "prod")`).
    :param kind: ``async`` (InvokeEndpointAsync; the endpoint's notifications must go to the completion
        topic and its output under ``s3://<output bucket>/async/``) or ``realtime`` (InvokeEndpoint).
    :param content_type: sent to the endpoint when a request names none. Default: application/json.
    """

    name: str
    endpoint_name: str
    kind: Literal["async", "realtime"]
    content_type: str = "application/json"


class InferenceGateway(Construct):
    """The asynchronous inference gateway. See the module docstring for the request path.

    Example::

        gateway = InferenceGateway(self, "Gateway", platform_name="mlplatform",
            services=[GatewayService("churn", "mlplatform-churn-async-prod", "async")],
            ensembles=[EnsembleSpec("triage", (StepSpec("score", "churn", (("$", "request"),)),), "score")])
        gateway.grant_predict(app_team_role)

    :param platform_name: prefix of the deterministic names (completion topic, output bucket, state machines).
    :param services: the single-model services (at least one).
    :param ensembles: ensemble DAGs over the services (and each other). Default: none.
    :param key: the customer managed key of every store. Default: a new key with rotation.
    :param throttling_rate_limit: API requests per second. Default: 50.
    :param throttling_burst_limit: API burst. Default: 100.
    :param input_timeout: how long a request waits for its input before it expires. Default: 15 minutes.
    :param step_timeout: how long an ensemble step waits for its prediction. Default: 60 minutes.
    :param retention: how long records, inputs and outputs are kept. Default: 30 days.
    :param max_receive_count: deliveries before a message is dead-lettered. Default: 5.
    :param webhook_attempts: webhook calls per completion before the failure is recorded. Default: 4.
    :param reserved_concurrency: of each gateway function. Default: 10.
    :param waf: an AWS WAF web ACL in front of the API. Default: True.
    :param alarm_topic: where the alarms notify. Default: a new KMS-encrypted topic.
    :param removal_policy: of the table, buckets and key. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform_name: str,
        services: Sequence[GatewayService],
        ensembles: Sequence[EnsembleSpec] = (),
        key: kms.Key | None = None,
        throttling_rate_limit: int = 50,
        throttling_burst_limit: int = 100,
        input_timeout: cdk.Duration | None = None,
        step_timeout: cdk.Duration | None = None,
        retention: cdk.Duration | None = None,
        max_receive_count: int = 5,
        webhook_attempts: int = 4,
        reserved_concurrency: int = 10,
        waf: bool = True,
        alarm_topic: sns.ITopic | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        input_timeout = input_timeout if input_timeout is not None else cdk.Duration.minutes(15)
        step_timeout = step_timeout if step_timeout is not None else cdk.Duration.minutes(60)
        retention = retention if retention is not None else cdk.Duration.days(30)
        self._validate(
            services,
            ensembles,
            throttling_rate_limit,
            throttling_burst_limit,
            max_receive_count,
            webhook_attempts,
            input_timeout,
        )
        self.platform_name = platform_name
        self.services = tuple(services)
        self.ensembles = tuple(ensembles)
        self._removal_policy = removal_policy
        self._max_receive_count = max_receive_count
        stack = cdk.Stack.of(self)

        if key is None:
            key = kms.Key(
                self,
                "Key",
                enable_key_rotation=True,
                removal_policy=removal_policy,
                description=f"{platform_name} inference gateway: records, inputs, outputs, queues, topics, logs",
            )
            limit_grants_to_aws_resources(key)
            grant_logs_encrypt(key)
        self.key = key
        # Async endpoints served by the gateway (another stack) encrypt their outputs with this key by its alias.
        self.key_alias = kms.Alias(self, "KeyAlias", alias_name=naming.gateway_key_alias(platform_name), target_key=key)
        self.alarm_topic = alarm_topic if alarm_topic is not None else self._render_alarm_topic()

        # --- stores ------------------------------------------------------------------------
        self.table = dynamodb.Table(
            self,
            "Predictions",
            partition_key=dynamodb.Attribute(name="prediction_id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            deletion_protection=removal_policy == cdk.RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        acknowledge(
            self.table,
            {
                "HIPAA.Security-DynamoDBInBackupPlan": "point-in-time recovery (35 days) covers the prediction "
                "records, which expire after the retention period anyway",
                "NIST.800.53.R5-DynamoDBInBackupPlan": "point-in-time recovery (35 days) covers the prediction "
                "records, which expire after the retention period anyway",
            },
        )
        self.access_logs_bucket = self._render_access_logs_bucket()
        # Deterministic names: the hosting stack grants its async endpoints' roles on them without exports.
        self.input_bucket = self._render_data_bucket(
            "Inputs",
            INPUT_PREFIX,
            retention,
            name=naming.gateway_input_bucket_name(platform_name, stack.account, stack.region),
            object_events=True,
        )
        self.output_bucket = self._render_data_bucket(
            "Outputs",
            OUTPUT_PREFIX,
            retention,
            name=naming.gateway_output_bucket_name(platform_name, stack.account, stack.region),
            extra_prefixes=(ASYNC_OUTPUT_PREFIX,),
        )
        self._grant_endpoint_roles()

        # --- queues and topics ---------------------------------------------------------------
        # Visibility timeout: six times the consuming function's timeout (the SQS event source guidance).
        self.upload_queue, self.upload_dead_letter_queue = self._render_queue(
            "Uploads", cdk.Duration.minutes(6 * INVOKE_TIMEOUT_MINUTES)
        )
        self.completion_queue, self.completion_dead_letter_queue = self._render_queue(
            "Completions", cdk.Duration.minutes(12)
        )
        self.completion_topic = sns.Topic(
            self,
            "CompletionTopic",
            topic_name=naming.gateway_completion_topic_name(platform_name),
            master_key=key,
            enforce_ssl=True,
            display_name=f"{platform_name} prediction completions",
        )
        # SageMaker publishes async completions (SuccessTopic, ErrorTopic) with the endpoints' execution roles.
        self.completion_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EndpointRolesPublishCompletions",
                principals=[iam.AccountRootPrincipal()],
                actions=ENDPOINT_ROLE_TOPIC_ACTIONS,
                resources=[self.completion_topic.topic_arn],
                conditions=self._endpoint_role_condition(),
            )
        )
        self.completion_topic.add_subscription(
            subscriptions.SqsSubscription(
                self.completion_queue, raw_message_delivery=True, dead_letter_queue=self.completion_dead_letter_queue
            )
        )
        self._render_upload_rule()
        self.webhook_secret = secretsmanager.Secret(
            self,
            "WebhookSecret",
            description=f"{platform_name} gateway: HMAC key that signs webhook calls (X-Gateway-Signature)",
            encryption_key=key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=removal_policy,
        )
        acknowledge(
            self.webhook_secret,
            {
                "AwsSolutions-SMG4": "webhook receivers hold a copy of this signing key; rotating it is a coordinated "
                "change with them, not an automatic one",
                "HIPAA.Security-SecretsManagerRotationEnabled": "webhook receivers hold a copy of this signing key; "
                "rotation is coordinated with them",
                "NIST.800.53.R5-SecretsManagerRotationEnabled": "webhook receivers hold a copy of this signing key; "
                "rotation is coordinated with them",
            },
        )

        # --- functions -----------------------------------------------------------------------
        common_env = {
            "TABLE_NAME": self.table.table_name,
            "INPUT_BUCKET": self.input_bucket.bucket_name,
            "OUTPUT_BUCKET": self.output_bucket.bucket_name,
            "INPUT_TIMEOUT_SECONDS": str(int(input_timeout.to_seconds())),
            "RETENTION_SECONDS": str(int(retention.to_seconds())),
        }
        self.step_function = self._render_function(
            "StepFunction",
            "step",
            "Runs the steps of the gateway's ensemble state machines",
            reserved_concurrency,
            {**common_env, "COMPLETION_TOPIC_ARN": self.completion_topic.topic_arn},
            cdk.Duration.minutes(1),
        )
        self.state_machines = {
            ensemble.name: self._render_state_machine(ensemble, step_timeout) for ensemble in self.ensembles
        }
        all_names = [service.name for service in self.services] + [ensemble.name for ensemble in self.ensembles]
        self.api_function = self._render_function(
            "ApiFunction",
            "api",
            "Inference gateway REST API: create predictions, report their status",
            reserved_concurrency,
            {
                **common_env,
                "SERVICE_NAMES": json.dumps(all_names),
                "CLIENT_TOPIC_ARN_PREFIX": self._client_topic_arn_prefix(),
            },
            cdk.Duration.seconds(29),
        )
        self.invoke_function = self._render_function(
            "InvokeFunction",
            "invoke",
            "Invokes the service of each prediction whose input arrived",
            reserved_concurrency,
            {
                **common_env,
                "COMPLETION_TOPIC_ARN": self.completion_topic.topic_arn,
                "SERVICES": json.dumps(self._service_targets(), sort_keys=True),
            },
            cdk.Duration.minutes(INVOKE_TIMEOUT_MINUTES),
        )
        self.notify_function = self._render_function(
            "NotifyFunction",
            "notify",
            "Records prediction completions and calls clients back",
            reserved_concurrency,
            {
                **common_env,
                "WEBHOOK_SECRET_ARN": self.webhook_secret.secret_arn,
                "WEBHOOK_ATTEMPTS": str(webhook_attempts),
            },
            cdk.Duration.minutes(2),
        )
        self._grant_functions()
        for queue, function in (
            (self.upload_queue, self.invoke_function),
            (self.completion_queue, self.notify_function),
        ):
            function.function.add_event_source(
                event_sources.SqsEventSource(
                    queue,
                    batch_size=10,
                    report_batch_item_failures=True,
                    max_batching_window=cdk.Duration.seconds(1),
                    max_concurrency=max(2, reserved_concurrency),
                )
            )

        # --- API -------------------------------------------------------------------------------
        self.api = self._render_api(throttling_rate_limit, throttling_burst_limit)
        self.web_acl = self._render_waf() if waf else None
        self._render_alarms()

    # --- public methods ---------------------------------------------------------------------------

    def grant_predict(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` create predictions and read their status (SigV4-signed calls to the API).

        The status route's resource ends in ``/GET/predictions/*`` (prediction ids exist only at run time):
        under the compliance gate, acknowledge that AwsSolutions-IAM5 finding on the grantee.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=CLIENT_ACTIONS,
            resource_arns=[
                self.api.arn_for_execute_api("POST", "/predictions", API_STAGE),
                self.api.arn_for_execute_api("GET", "/predictions/*", API_STAGE),
            ],
        )

    def metric(self, metric_name: str, *, queue: sqs.IQueue, **props: Any) -> cloudwatch.Metric:
        """An AWS/SQS metric of one of the gateway's queues."""
        return cloudwatch.Metric(
            namespace="AWS/SQS", metric_name=metric_name, dimensions_map={"QueueName": queue.queue_name}, **props
        )

    def metric_dead_letters(self, queue: sqs.IQueue) -> cloudwatch.Metric:
        """Messages waiting in a dead-letter queue: Maximum over 5 minutes."""
        return self.metric(
            "ApproximateNumberOfMessagesVisible", queue=queue, statistic="Maximum", period=cdk.Duration.minutes(5)
        )

    def metric_oldest_upload_age(self) -> cloudwatch.Metric:
        """Age of the oldest unprocessed upload event, seconds: Maximum over 5 minutes."""
        return self.metric(
            "ApproximateAgeOfOldestMessage",
            queue=self.upload_queue,
            statistic="Maximum",
            period=cdk.Duration.minutes(5),
        )

    @property
    def url(self) -> str:
        return self.api.url

    # --- private ----------------------------------------------------------------------------------

    def _service_targets(self) -> dict[str, dict[str, str]]:
        targets_by_name = {
            service.name: {"kind": service.kind, "target": service.endpoint_name, "content_type": service.content_type}
            for service in self.services
        }
        for name, machine in self.state_machines.items():
            targets_by_name[name] = {"kind": "ensemble", "target": machine.state_machine_arn}
        return targets_by_name

    def _client_topic_arn_prefix(self) -> str:
        stack = cdk.Stack.of(self)
        return (
            f"arn:{stack.partition}:sns:{stack.region}:{stack.account}:"
            f"{naming.gateway_client_topic_prefix(self.platform_name)}"
        )

    def _endpoint_role_condition(self) -> dict[str, Any]:
        stack = cdk.Stack.of(self)
        pattern = naming.role_arn(
            stack.partition, stack.account, f"{naming.endpoint_role_name_prefix(self.platform_name)}*"
        )
        return {"ArnLike": {"aws:PrincipalArn": pattern}}

    def _render_alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "AlarmTopic",
            master_key=self.key,
            enforce_ssl=True,
            display_name=f"{self.platform_name} gateway alarms",
        )
        # CloudWatch publishes alarm notifications as itself: without this, it cannot use the topic's key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            )
        )
        return topic

    def _render_access_logs_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access log delivery writes only to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=cdk.Duration.days(365),
                    noncurrent_version_expiration=cdk.Duration.days(1),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=self._removal_policy,
        )
        reason = (
            "this bucket receives the S3 server access logs of the gateway's buckets; logging it to itself would loop"
        )
        kms_reason = "S3 server access log delivery supports only SSE-S3 on the target bucket"
        replication = (
            "access logs are kept for a year in the account; cross-region replication is not required for them"
        )
        acknowledge(
            bucket,
            {
                "HIPAA.Security-S3DefaultEncryptionKMS": kms_reason,
                "NIST.800.53.R5-S3DefaultEncryptionKMS": kms_reason,
                "HIPAA.Security-S3BucketReplicationEnabled": replication,
                "NIST.800.53.R5-S3BucketReplicationEnabled": replication,
                f"{CONTROL_TOWER}s3_bucket_logging_enabled_check": reason,
                f"{CONTROL_TOWER}s3_bucket_default_encryption_kms_check": kms_reason,
            },
        )
        acknowledge_control_tower_bucket(bucket, of="the server access logs of the gateway's buckets")
        skip_checkov(bucket, {"CKV_AWS_18": reason})
        # Log delivery by bucket policy (what the `serverAccessLogsUseBucketPolicy` feature flag renders), not
        # the legacy LogDeliveryWrite ACL that aws-cdk-lib adds for source buckets without that flag.
        stack = cdk.Stack.of(self)
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3ServerAccessLogsPolicy",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.add_property_deletion_override("AccessControl")
        cfn_bucket.ownership_controls = s3.CfnBucket.OwnershipControlsProperty(
            rules=[s3.CfnBucket.OwnershipControlsRuleProperty(object_ownership="BucketOwnerEnforced")]
        )
        return bucket

    def _render_data_bucket(
        self,
        id: str,
        prefix: str,
        retention: cdk.Duration,
        *,
        name: str | None,
        extra_prefixes: tuple[str, ...] = (),
        object_events: bool = False,
    ) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            id,
            bucket_name=name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=f"{id.lower()}/",
            event_bridge_enabled=False,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=f"expire-{p.rstrip('/')}",
                    prefix=p,
                    expiration=retention,
                    noncurrent_version_expiration=cdk.Duration.days(1),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
                for p in (prefix, *extra_prefixes)
            ],
            removal_policy=self._removal_policy,
        )
        replication = "prediction inputs and outputs are transient (expire after the retention period); the record of "
        replication += "each prediction is in a PITR-protected table"
        # The input bucket sends its object events to EventBridge (the upload rule); the output bucket sends none.
        acknowledge_control_tower_bucket(bucket, of=f"prediction {id.lower()}", object_events=object_events)
        acknowledge(
            bucket,
            {
                "HIPAA.Security-S3BucketReplicationEnabled": replication,
                "NIST.800.53.R5-S3BucketReplicationEnabled": replication,
            },
        )
        return bucket

    def _grant_endpoint_roles(self) -> None:
        """Async endpoints read inputs and write outputs with their own execution roles (`<name>-endpoint-*`)."""
        condition = self._endpoint_role_condition()
        account = iam.AccountRootPrincipal()
        self.input_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EndpointRolesReadInputs",
                principals=[account],
                actions=ENDPOINT_ROLE_INPUT_ACTIONS,
                resources=[self.input_bucket.arn_for_objects(f"{INPUT_PREFIX}*")],
                conditions=condition,
            )
        )
        self.output_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EndpointRolesWriteAsyncOutputs",
                principals=[account],
                actions=ENDPOINT_ROLE_OUTPUT_ACTIONS,
                resources=[self.output_bucket.arn_for_objects(f"{ASYNC_OUTPUT_PREFIX}*")],
                conditions=condition,
            )
        )
        stack = cdk.Stack.of(self)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EndpointRolesUseGatewayData",
                principals=[account],
                actions=ENDPOINT_ROLE_KEY_ACTIONS,
                resources=["*"],
                conditions={
                    **condition,
                    "StringEquals": {
                        "kms:ViaService": [
                            f"s3.{stack.region}.{stack.url_suffix}",
                            f"sns.{stack.region}.{stack.url_suffix}",
                        ]
                    },
                },
            )
        )

    def _render_queue(self, id: str, visibility: cdk.Duration) -> tuple[sqs.Queue, sqs.Queue]:
        dead_letters = sqs.Queue(
            self,
            f"{id}DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        queue = sqs.Queue(
            self,
            f"{id}Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            visibility_timeout=visibility,
            retention_period=cdk.Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=self._max_receive_count),
        )
        acknowledge_dead_letter_queue(dead_letters, of=f"the {id.lower()} queue", cdk_nag=False)
        return queue, dead_letters

    def _render_upload_rule(self) -> None:
        # S3 -> EventBridge is a native bucket property: no custom resource to configure notifications.
        cfn_bucket = self.input_bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
        )
        events.Rule(
            self,
            "UploadRule",
            description="Prediction inputs uploaded to the gateway's input bucket",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [self.input_bucket.bucket_name]},
                    "object": {"key": [{"prefix": INPUT_PREFIX}]},
                },
            ),
            targets=[
                targets.SqsQueue(
                    self.upload_queue,
                    dead_letter_queue=self.upload_dead_letter_queue,
                    retry_attempts=185,
                    max_event_age=cdk.Duration.hours(24),
                )
            ],
        )

    def _render_function(
        self,
        id: str,
        entry: str,
        description: str,
        concurrency: int,
        environment: dict[str, str],
        timeout: cdk.Duration,
    ) -> PlatformFunction:
        return PlatformFunction(
            self,
            id,
            handler_name=HANDLER,
            key=self.key,
            description=description,
            timeout=timeout,
            reserved_concurrency=concurrency,
            environment={"GATEWAY_FUNCTION": entry, **environment},
        )

    def _grant_functions(self) -> None:
        # Named actions per function, not the CDK's grant_read/grant_read_write families (GetObject*, List*,
        # DeleteObject*, kms:ReEncrypt*, kms:GenerateDataKey*): each handler makes one kind of call per store.
        stack = cdk.Stack.of(self)
        inputs = self.input_bucket.arn_for_objects(f"{INPUT_PREFIX}*")
        outputs = self.output_bucket.arn_for_objects(f"{OUTPUT_PREFIX}*")
        any_output = self.output_bucket.arn_for_objects("*")
        for function in (self.api_function, self.invoke_function, self.notify_function, self.step_function):
            self._allow(function, TABLE_ACTIONS, [self.table.table_arn])
            self._allow(function, KEY_USE_ACTIONS, [self.key.key_arn])
        # API: presigned PUT of inputs, presigned GET of outputs (outputs/ and the async endpoints' async/).
        self._allow(self.api_function, ["s3:PutObject"], [inputs])
        self._allow(self.api_function, ["s3:GetObject"], [any_output])
        # Invoke: read the input for real-time endpoints, write their answers, call endpoints, start ensembles.
        self._allow(self.invoke_function, ["s3:GetObject"], [inputs])
        self._allow(self.invoke_function, ["s3:PutObject"], [outputs])
        self._allow(self.invoke_function, ["sns:Publish"], [self.completion_topic.topic_arn])
        self.invoke_function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=INVOKE_ENDPOINT_ACTIONS,
                resources=[
                    stack.format_arn(
                        service="sagemaker", resource="endpoint", resource_name=service.endpoint_name.lower()
                    )
                    for service in self.services
                ],
            )
        )
        for machine in self.state_machines.values():
            machine.grant_start_execution(self.invoke_function.role)
            machine.grant_task_response(self.notify_function.role)
        # Notify: sign webhooks, publish to the clients' topics.
        self.webhook_secret.grant_read(self.notify_function.role)
        self.notify_function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[f"{self._client_topic_arn_prefix()}*"])
        )
        # Step: read the request and earlier outputs, write step inputs, report the ensemble's completion.
        self._allow(self.step_function, ["s3:GetObject", "s3:PutObject"], [inputs])
        self._allow(self.step_function, ["s3:GetObject"], [any_output])
        self._allow(self.step_function, ["sns:Publish"], [self.completion_topic.topic_arn])
        self._acknowledge_wildcards()

    @staticmethod
    def _allow(function: PlatformFunction, actions: list[str], resources: list[str]) -> None:
        function.role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))

    def _acknowledge_wildcards(self) -> None:
        # One acknowledgment per wildcard each role actually holds (see _grant_functions), written for that role.
        stack = cdk.Stack.of(self)
        inputs_id = stack.get_logical_id(self.input_bucket.node.default_child)  # type: ignore[arg-type]
        outputs_id = stack.get_logical_id(self.output_bucket.node.default_child)  # type: ignore[arg-type]
        inputs = f"AwsSolutions-IAM5[Resource::<{inputs_id}.Arn>/{INPUT_PREFIX}*]"
        outputs = f"AwsSolutions-IAM5[Resource::<{outputs_id}.Arn>/{OUTPUT_PREFIX}*]"
        any_output = f"AwsSolutions-IAM5[Resource::<{outputs_id}.Arn>/*]"
        acknowledge(
            self.api_function.role,
            {
                inputs: "PutObject only, for presigned upload URLs of request bodies, one object per prediction id "
                "created at run time under inputs/",
                any_output: "GetObject only, for presigned download URLs of results: outputs/ (real-time and "
                "ensembles) and async/ (written by the async endpoints under names SageMaker chooses)",
            },
        )
        acknowledge(
            self.invoke_function.role,
            {
                inputs: "GetObject only: reads the request body of the prediction it invokes a real-time endpoint for",
                outputs: "PutObject only: writes each real-time answer under outputs/<prediction id>",
            },
        )
        acknowledge(
            self.step_function.role,
            {
                inputs: "GetObject and PutObject: reads the request and writes each ensemble step's input under "
                "inputs/<prediction id>",
                any_output: "GetObject only: reads earlier steps' results, under outputs/ or async/ (named by "
                "SageMaker)",
            },
        )
        acknowledge(
            self.notify_function.role,
            {
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:{_nag_region_account(stack)}:"
                f"{naming.gateway_client_topic_prefix(self.platform_name)}*]": "clients name their own notification "
                "topic per request; only topics with the platform's prediction-topic prefix in this account",
            },
        )

    def _render_state_machine(self, ensemble: EnsembleSpec, step_timeout: cdk.Duration) -> sfn.StateMachine:
        scope = Construct(self, f"Ensemble-{ensemble.name}")
        fail = sfn.Fail(scope, "Failed", error="EnsembleFailed", cause=f"a step of ensemble {ensemble.name} failed")
        report_failure = self._render_task(
            scope, "ReportFailure", {"action": "fail", "error": sfn.JsonPath.object_at("$.error")}
        ).next(fail)
        chain: sfn.IChainable | None = None
        for index, layer in enumerate(levels(ensemble), start=1):
            parallel = sfn.Parallel(
                scope, f"Level{index}", comment=", ".join(step.name for step in layer), result_path=sfn.JsonPath.DISCARD
            )
            for step in layer:
                parallel.branch(self._render_step(scope, step, step_timeout))
            parallel.add_catch(report_failure, result_path="$.error")
            chain = parallel if chain is None else chain.next(parallel)  # type: ignore[attr-defined]
        finish = self._render_task(scope, "Finish", {"action": "finish", "output_step": ensemble.output})
        finish.add_catch(report_failure, result_path="$.error")
        assert chain is not None
        definition = chain.next(finish)  # type: ignore[attr-defined]
        log_group = state_machine_log_group(scope, "Logs", key=self.key)
        role = state_machine_role(
            scope,
            "Role",
            description=f"Ensemble {ensemble.name} of the {self.platform_name} inference gateway (Step Functions)",
        )
        machine = sfn.StateMachine(
            scope,
            "StateMachine",
            state_machine_name=f"{self.platform_name}-gateway-{ensemble.name}",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            role=role,
            tracing_enabled=True,
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(self.key),
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            timeout=cdk.Duration.days(1),
            comment=f"Ensemble {ensemble.name}: {len(ensemble.steps)} steps, output {ensemble.output}",
        )
        return machine

    def _render_task(self, scope: Construct, id: str, payload: dict[str, Any]) -> tasks.LambdaInvoke:
        """A request-response call of the step function about the execution's prediction."""
        return tasks.LambdaInvoke(
            scope,
            id,
            lambda_function=self.step_function.function,
            payload=sfn.TaskInput.from_object({**payload, "prediction_id": sfn.JsonPath.string_at("$.prediction_id")}),
            result_path=sfn.JsonPath.DISCARD,
        )

    def _render_step(self, scope: Construct, step: StepSpec, step_timeout: cdk.Duration) -> sfn.IChainable:
        return tasks.LambdaInvoke(
            scope,
            f"Step-{step.name}",
            lambda_function=self.step_function.function,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    "action": "step",
                    "prediction_id": sfn.JsonPath.string_at("$.prediction_id"),
                    "step": step.name,
                    "service": step.service,
                    "inputs": [list(pair) for pair in step.inputs],
                    "task_token": sfn.JsonPath.task_token,
                }
            ),
            task_timeout=sfn.Timeout.duration(step_timeout),
            result_path=sfn.JsonPath.DISCARD,
        )

    def _render_api(self, rate_limit: int, burst_limit: int) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            encryption_key=self.key,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{self.platform_name}-inference-gateway",
            description="Asynchronous predictions over SageMaker endpoints and ensembles (IAM auth)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.IAM),
            deploy_options=apigw.StageOptions(
                stage_name=API_STAGE,
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                tracing_enabled=True,
                metrics_enabled=True,
            ),
        )
        self._render_api_account_role(api)
        api.add_gateway_response(
            "BadRequestBody",
            type=apigw.ResponseType.BAD_REQUEST_BODY,
            templates={
                "application/json": '{"message": "invalid request", '
                '"problems": ["$context.error.validationErrorString"]}'
            },
        )
        body_validator = apigw.RequestValidator(
            self, "BodyValidator", rest_api=api, validate_request_body=True, validate_request_parameters=True
        )
        params_validator = apigw.RequestValidator(
            self, "ParamsValidator", rest_api=api, validate_request_body=False, validate_request_parameters=True
        )
        model = api.add_model(
            "PredictionRequest",
            content_type="application/json",
            model_name="PredictionRequest",
            schema=self._render_request_schema(),
        )
        integration = apigw.LambdaIntegration(self.api_function.function)
        iam_auth = "IAM authorization: callers are services and teams with AWS credentials signing with SigV4; "
        iam_auth += "access is granted per principal with grant_predict, and each caller sees only its own predictions"
        predictions = api.root.add_resource("predictions")
        create = predictions.add_method(
            "POST", integration, request_validator=body_validator, request_models={"application/json": model}
        )
        get_status = predictions.add_resource("{prediction_id}").add_method(
            "GET",
            integration,
            request_validator=params_validator,
            request_parameters={"method.request.path.prediction_id": True},
        )
        # The method's Lambda permissions (its stage and the console's test-invoke) are limited by SourceArn to this
        # API's own method; the guard rule accepts only a literal or a Ref/GetAtt there, not the Fn::Join CDK writes.
        own_api = (
            "apigateway.amazonaws.com may invoke the function only for this API's own method: SourceArn is the "
            "method's execute-api ARN (an Fn::Join, which the Control Tower rule cannot evaluate)"
        )
        for method in (create, get_status):
            acknowledge(
                method,
                {
                    "AwsSolutions-COG4": iam_auth,
                    f"{CONTROL_TOWER}lambda_function_public_access_prohibited_check": own_api,
                },
            )
        stage = api.deployment_stage.node.default_child
        reason = "predictions are per request and never cacheable: a cache would serve stale states"
        acknowledge(
            api.deployment_stage,
            {
                "HIPAA.Security-APIGWCacheEnabledAndEncrypted": reason,
                "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted": reason,
                "HIPAA.Security-APIGWSSLEnabled": "the only backend is a Lambda proxy integration; client "
                "certificates authenticate HTTP backends",
                "NIST.800.53.R5-APIGWSSLEnabled": "the only backend is a Lambda proxy integration; client "
                "certificates authenticate HTTP backends",
            },
        )
        assert isinstance(stage, apigw.CfnStage)
        skip_checkov(stage, {"CKV_AWS_120": reason})
        return api

    def _render_api_account_role(self, api: apigw.RestApi) -> None:
        """API Gateway's account-level CloudWatch role (execution logs), without the AWS managed policy."""
        stack = cdk.Stack.of(self)
        role = PlatformRole(
            self,
            "ApiLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway writes execution and access logs of the inference gateway",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=API_LOGS_ACTIONS,
                resources=[
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        account = apigw.CfnAccount(self, "ApiAccount", cloud_watch_role_arn=role.role_arn)
        account.node.add_dependency(role)
        api.deployment_stage.node.add_dependency(account)
        acknowledge(
            role,
            {
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:{_nag_region_account(stack)}:log-group:*]": (
                    "API Gateway creates its execution log groups (API-Gateway-Execution-Logs_<api id>/<stage>) "
                    "itself, and this account-level role serves every API of the account"
                ),
            },
        )

    def _render_request_schema(self) -> apigw.JsonSchema:
        names = [service.name for service in self.services] + [ensemble.name for ensemble in self.ensembles]
        string = apigw.JsonSchemaType.STRING
        obj = apigw.JsonSchemaType.OBJECT
        return apigw.JsonSchema(
            schema=apigw.JsonSchemaVersion.DRAFT4,
            title="PredictionRequest",
            type=obj,
            required=["service"],
            additional_properties=False,
            properties={
                "service": apigw.JsonSchema(type=string, enum=names),
                "client_token": apigw.JsonSchema(type=string, pattern="^[A-Za-z0-9._-]{1,64}$"),
                "content_type": apigw.JsonSchema(type=string, pattern=r"^[\w.+-]+/[\w.+-]+(;.{1,200})?$"),
                "notification": apigw.JsonSchema(
                    one_of=[
                        apigw.JsonSchema(
                            type=obj,
                            required=["type"],
                            additional_properties=False,
                            properties={"type": apigw.JsonSchema(type=string, enum=["none"])},
                        ),
                        apigw.JsonSchema(
                            type=obj,
                            required=["type", "url"],
                            additional_properties=False,
                            properties={
                                "type": apigw.JsonSchema(type=string, enum=["webhook"]),
                                "url": apigw.JsonSchema(type=string, pattern="^https://", max_length=2048),
                            },
                        ),
                        apigw.JsonSchema(
                            type=obj,
                            required=["type", "topic_arn"],
                            additional_properties=False,
                            properties={
                                "type": apigw.JsonSchema(type=string, enum=["sns"]),
                                "topic_arn": apigw.JsonSchema(type=string, pattern="^arn:aws[a-z-]*:sns:"),
                            },
                        ),
                    ]
                ),
            },
        )

    def _render_waf(self) -> wafv2.CfnWebACL:
        def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                visibility_config=self._waf_visibility(name),
            )

        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=self._waf_visibility("gateway"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="rate-limit-per-ip",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=3000, aggregate_key_type="IP"
                        )
                    ),
                    visibility_config=self._waf_visibility("rate-limit-per-ip"),
                ),
                managed("AWSManagedRulesKnownBadInputsRuleSet", 1),
                managed("AWSManagedRulesCommonRuleSet", 2),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=self.api.deployment_stage.stage_arn, web_acl_arn=acl.attr_arn
        )
        waf_logs = logs.LogGroup(
            self,
            "WebAclLogs",
            # WAF delivers only to log groups whose name starts with aws-waf-logs-.
            log_group_name=f"aws-waf-logs-{self.platform_name}-gateway",
            encryption_key=self.key,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        wafv2.CfnLoggingConfiguration(
            self, "WebAclLogging", resource_arn=acl.attr_arn, log_destination_configs=[waf_logs.log_group_arn]
        )
        return acl

    @staticmethod
    def _waf_visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
        )

    def _render_alarms(self) -> None:
        action = cloudwatch_actions.SnsAction(self.alarm_topic)
        alarms: list[cloudwatch.Alarm] = []
        for id, queue, what in (
            ("UploadDeadLetters", self.upload_dead_letter_queue, "upload events"),
            ("CompletionDeadLetters", self.completion_dead_letter_queue, "completions"),
        ):
            alarms.append(
                self.metric_dead_letters(queue).create_alarm(
                    self,
                    f"{id}Alarm",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    alarm_description=f"Poison {what} reached the dead-letter queue: inspect, fix, redrive",
                )
            )
        alarms.append(
            self.metric_oldest_upload_age().create_alarm(
                self,
                "UploadBacklogAlarm",
                threshold=900,
                evaluation_periods=3,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="Upload events wait more than 15 minutes: the invoke function fails or is throttled",
            )
        )
        alarms.append(
            self.api.metric_server_error(period=cdk.Duration.minutes(5), statistic="Sum").create_alarm(
                self,
                "ApiServerErrorsAlarm",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="The inference gateway API answered 5xx",
            )
        )
        for name, machine in self.state_machines.items():
            alarms.append(
                machine.metric_failed(period=cdk.Duration.minutes(5), statistic="Sum").create_alarm(
                    self,
                    f"Ensemble-{name}-FailedAlarm",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    alarm_description=f"Executions of ensemble {name} failed (the predictions are recorded as failed)",
                )
            )
        for alarm in alarms:
            alarm.add_alarm_action(action)

    def _validate(
        self,
        services: Sequence[GatewayService],
        ensembles: Sequence[EnsembleSpec],
        rate_limit: int,
        burst_limit: int,
        max_receive_count: int,
        webhook_attempts: int,
        input_timeout: cdk.Duration,
    ) -> None:
        problems = ProblemCollector("InferenceGateway")
        problems.check(len(services) > 0, "services=[]: declare at least one service")
        names = [service.name for service in services]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.add(f"services: {name!r} appears more than once; service names must be unique")
        for service in services:
            problems.check(
                service.kind in ("async", "realtime"),
                f"services[{service.name!r}].kind={service.kind!r}: allowed 'async' or 'realtime'",
            )
        for problem in graph_problems(names, ensembles):
            problems.add(f"ensembles: {problem}")
        problems.check(rate_limit >= 1, f"throttling_rate_limit={rate_limit}: must be >= 1")
        problems.check(burst_limit >= 1, f"throttling_burst_limit={burst_limit}: must be >= 1")
        problems.check(1 <= max_receive_count <= 1000, f"max_receive_count={max_receive_count}: allowed 1-1000")
        problems.check(1 <= webhook_attempts <= 10, f"webhook_attempts={webhook_attempts}: allowed 1-10")
        if not cdk.Token.is_unresolved(input_timeout.to_seconds()):
            seconds = input_timeout.to_seconds()
            problems.check(
                60 <= seconds <= 43200,
                f"input_timeout={seconds}s: allowed 1 minute to 12 hours (the upload URL is signed by the function's "
                "role session)",
            )
        problems.raise_if_any()


def _nag_region_account(stack: cdk.Stack) -> str:
    """`region:account` as cdk-nag prints them in finding ids: literal when the stack has an env, else tokens."""
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    return f"{region}:{account}"

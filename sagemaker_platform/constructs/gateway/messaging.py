"""The gateway's messaging: queues with dead-letter queues, the completion and alarm topics, the upload rule,
the webhook signing secret."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.common import KEY_USE_ACTIONS, let_service_use_key
from sagemaker_platform.constructs.gateway.settings import ENDPOINT_ROLE_TOPIC_ACTIONS, INPUT_PREFIX
from sagemaker_platform.constructs.gateway.storage import endpoint_role_condition
from sagemaker_platform.constructs.queues import dead_letter_queue

# Webhook receivers hold a copy of the signing key, so its rotation is a coordinated change.
_ROTATION_REASON = "webhook receivers hold a copy of this signing key; rotation is coordinated with them"


def render_alarm_topic(scope: Construct, key: kms.IKey, platform_name: str) -> sns.Topic:
    """A KMS-encrypted topic for the gateway's alarms, which CloudWatch of this account may publish to."""
    topic = sns.Topic(
        scope,
        "AlarmTopic",
        master_key=key,
        enforce_ssl=True,
        display_name=f"{platform_name} gateway alarms",
    )
    # CloudWatch publishes alarm notifications as itself: without this, it cannot use the topic's key.
    let_service_use_key(key, "cloudwatch.amazonaws.com", sid="CloudWatchAlarmsPublish", actions=KEY_USE_ACTIONS)
    return topic


def render_queue(
    scope: Construct, id: str, *, visibility: cdk.Duration, key: kms.IKey, max_receive_count: int
) -> tuple[sqs.Queue, sqs.Queue]:
    """`<id>Queue` and its dead-letter queue `<id>DeadLetterQueue`, both encrypted with `key`."""
    dead_letters = dead_letter_queue(scope, f"{id}DeadLetterQueue", key, of=f"the {id.lower()} queue", cdk_nag=False)
    queue = sqs.Queue(
        scope,
        f"{id}Queue",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        visibility_timeout=visibility,
        retention_period=cdk.Duration.days(4),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=max_receive_count),
    )
    return queue, dead_letters


def render_completion_topic(
    scope: Construct, platform_name: str, *, key: kms.IKey, queue: sqs.IQueue, dead_letter_queue: sqs.IQueue
) -> sns.Topic:
    """The topic of prediction completions (the async endpoints' and the gateway's own), delivered to `queue`."""
    topic = sns.Topic(
        scope,
        "CompletionTopic",
        topic_name=naming.gateway_completion_topic_name(platform_name),
        master_key=key,
        enforce_ssl=True,
        display_name=f"{platform_name} prediction completions",
    )
    # SageMaker publishes async completions (SuccessTopic, ErrorTopic) with the endpoints' execution roles.
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="EndpointRolesPublishCompletions",
            principals=[iam.AccountRootPrincipal()],
            actions=ENDPOINT_ROLE_TOPIC_ACTIONS,
            resources=[topic.topic_arn],
            conditions=endpoint_role_condition(scope, platform_name),
        )
    )
    topic.add_subscription(
        subscriptions.SqsSubscription(queue, raw_message_delivery=True, dead_letter_queue=dead_letter_queue)
    )
    return topic


def render_upload_rule(
    scope: Construct, *, input_bucket: s3.Bucket, queue: sqs.IQueue, dead_letter_queue: sqs.IQueue
) -> events.Rule:
    """Object Created events of the input bucket's `inputs/` prefix, to the upload queue."""
    # S3 -> EventBridge is a native bucket property: no custom resource to configure notifications.
    cfn_bucket = input_bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
        event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
    )
    return events.Rule(
        scope,
        "UploadRule",
        description="Prediction inputs uploaded to the gateway's input bucket",
        event_pattern=events.EventPattern(
            source=["aws.s3"],
            detail_type=["Object Created"],
            detail={
                "bucket": {"name": [input_bucket.bucket_name]},
                "object": {"key": [{"prefix": INPUT_PREFIX}]},
            },
        ),
        targets=[
            targets.SqsQueue(
                queue, dead_letter_queue=dead_letter_queue, retry_attempts=185, max_event_age=cdk.Duration.hours(24)
            )
        ],
    )


def render_webhook_secret(
    scope: Construct, platform_name: str, *, key: kms.IKey, removal_policy: cdk.RemovalPolicy
) -> secretsmanager.Secret:
    """The HMAC key that signs webhook calls (header X-Gateway-Signature)."""
    secret = secretsmanager.Secret(
        scope,
        "WebhookSecret",
        description=f"{platform_name} gateway: HMAC key that signs webhook calls (X-Gateway-Signature)",
        encryption_key=key,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            password_length=64, exclude_punctuation=True, include_space=False
        ),
        removal_policy=removal_policy,
    )
    acknowledge(
        secret,
        {
            "AwsSolutions-SMG4": "webhook receivers hold a copy of this signing key; rotating it is a coordinated "
            "change with them, not an automatic one",
            "HIPAA.Security-SecretsManagerRotationEnabled": _ROTATION_REASON,
            "NIST.800.53.R5-SecretsManagerRotationEnabled": _ROTATION_REASON,
        },
    )
    return secret

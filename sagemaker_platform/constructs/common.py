"""Small resource helpers several capabilities share: a notification topic (the dead-letter queue: `queues`),
an alarm that fires on any occurrence, letting AWS services of this account use a key, and the account of a
regional AWS registry (images) looked up at deploy time.

Each renders exactly what its callers used to write inline, so moving a caller here changes no template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.function import grant_logs_encrypt
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.once import child_once

# Re-exported: the dead-letter queue lives in `queues` so that `PlatformFunction` can use it too.
from sagemaker_platform.constructs.queues import DEAD_LETTER_RETENTION as DEAD_LETTER_RETENTION
from sagemaker_platform.constructs.queues import dead_letter_queue as dead_letter_queue


def rotated_key(
    scope: Construct, description: str, removal_policy: cdk.RemovalPolicy, *, usable_by_logs: bool = True
) -> kms.Key:
    """`Key`: a customer managed key with rotation, granting only to AWS resources, usable by CloudWatch Logs.

    :param usable_by_logs: let CloudWatch Logs use the key (`grant_logs_encrypt`); False for a key that encrypts
        no log group. Default: True.
    """
    key = kms.Key(scope, "Key", description=description, enable_key_rotation=True, removal_policy=removal_policy)
    limit_grants_to_aws_resources(key)
    if usable_by_logs:
        grant_logs_encrypt(key)
    return key


KEY_USE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""Exactly what a service needs of a key to publish to or deliver into an encrypted topic or queue."""


def let_services_use_key(key: kms.IKey, services: Sequence[str]) -> None:
    """Let AWS services of this account encrypt to and decrypt from `key` (encrypted queues and topics)."""
    for service in services:
        let_service_use_key(key, service)


def let_service_use_key(
    key: kms.IKey,
    service: str,
    *,
    sid: str | None = None,
    actions: Sequence[str] = ("kms:GenerateDataKey*", "kms:Decrypt"),
) -> None:
    """Let the AWS service `service` of this account use `key` (only for this account: aws:SourceAccount)."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            actions=list(actions),
            principals=[iam.ServicePrincipal(service)],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(key).account}},
        )
    )


def regional_account(
    scope: Construct, mapping_id: str, accounts: Mapping[str, str], region: str = cdk.Aws.REGION
) -> str:
    """The account of `region` in `accounts` (region -> account ID), looked up in the CfnMapping `mapping_id` of
    `scope`, made on first use: every lookup in `scope` shares it, and an env-agnostic stack resolves it at deploy."""
    mapping = child_once(
        scope,
        mapping_id,
        cdk.CfnMapping,
        lambda: cdk.CfnMapping(
            scope, mapping_id, mapping={name: {"account": account} for name, account in accounts.items()}
        ),
    )
    return mapping.find_in_map(region, "account")


def notification_topic(scope: Construct, display_name: str, key: kms.IKey, emails: Sequence[str]) -> sns.Topic:
    """`Notifications`: an encrypted, TLS-only topic with an email subscription per address in `emails`."""
    topic = sns.Topic(scope, "Notifications", display_name=display_name, master_key=key, enforce_ssl=True)
    for email in emails:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    return topic


def alarm_on_any(
    scope: Construct, id: str, metric: cloudwatch.IMetric, description: str, topic: sns.ITopic
) -> cloudwatch.Alarm:
    """An alarm on `metric` >= 1 in one period that notifies `topic`; no data is healthy."""
    alarm = cloudwatch.Alarm(
        scope,
        id,
        metric=metric,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    return alarm


def encrypted_table(
    scope: Construct,
    id: str,
    *,
    key: kms.IKey,
    partition_key: str,
    removal_policy: cdk.RemovalPolicy,
    backup: str,
    sort_key: str | None = None,
    **props: Any,
) -> dynamodb.Table:
    """A pay-per-request table with string keys, encrypted with `key`, point-in-time recovery on.

    `backup`: why point-in-time recovery is backup enough for what the table holds (no AWS Backup plan): the
    reason of the HIPAA and NIST backup-plan acknowledgments. `props`: any other `dynamodb.Table` prop (time
    to live, deletion protection, ...).
    """
    table = dynamodb.Table(
        scope,
        id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=None if sort_key is None else dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=removal_policy,
        **props,
    )
    acknowledge(table, {"HIPAA.Security-DynamoDBInBackupPlan": backup, "NIST.800.53.R5-DynamoDBInBackupPlan": backup})
    return table

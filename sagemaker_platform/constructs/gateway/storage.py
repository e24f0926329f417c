"""The gateway's stores: its key, the prediction records table, the input, output and access-log buckets."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge, skip_checkov
from sagemaker_platform.constructs.common import encrypted_table, rotated_key
from sagemaker_platform.constructs.gateway.settings import (
    ASYNC_OUTPUT_PREFIX,
    ENDPOINT_ROLE_INPUT_ACTIONS,
    ENDPOINT_ROLE_KEY_ACTIONS,
    ENDPOINT_ROLE_OUTPUT_ACTIONS,
    INPUT_PREFIX,
)
from sagemaker_platform.constructs.storage import (
    acknowledge_control_tower_bucket,
    allow_account_log_delivery,
    deliver_access_logs,
)

# Point-in-time recovery is the records' backup; the same reason for both frameworks' finding.
_PITR_REASON = (
    "point-in-time recovery (35 days) covers the prediction records, which expire after the retention period anyway"
)


def render_key(scope: Construct, platform_name: str, removal_policy: cdk.RemovalPolicy) -> kms.Key:
    """The customer managed key of every store, with rotation, usable by CloudWatch Logs."""
    return rotated_key(
        scope, f"{platform_name} inference gateway: records, inputs, outputs, queues, topics, logs", removal_policy
    )


def render_table(scope: Construct, key: kms.IKey, removal_policy: cdk.RemovalPolicy) -> dynamodb.Table:
    """The prediction records (`prediction_id`), expiring on `expires_at`."""
    return encrypted_table(
        scope,
        "Predictions",
        key=key,
        partition_key="prediction_id",
        removal_policy=removal_policy,
        backup=_PITR_REASON,
        time_to_live_attribute="expires_at",
        deletion_protection=removal_policy == cdk.RemovalPolicy.RETAIN,
    )


def render_access_logs_bucket(scope: Construct, removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
    """The target of the S3 server access logs of the gateway's buckets (SSE-S3, as log delivery requires)."""
    bucket = s3.Bucket(
        scope,
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
        removal_policy=removal_policy,
    )
    _acknowledge_access_logs_bucket(bucket)
    _allow_log_delivery(bucket)
    return bucket


def render_data_bucket(
    scope: Construct,
    id: str,
    prefix: str,
    *,
    retention: cdk.Duration,
    key: kms.IKey,
    access_logs: s3.IBucket,
    log_namespace: str,
    removal_policy: cdk.RemovalPolicy,
    name: str | None,
    extra_prefixes: tuple[str, ...] = (),
    object_events: bool = False,
) -> s3.Bucket:
    """A KMS-encrypted bucket of prediction data whose `prefix` (and `extra_prefixes`) expire after `retention`.

    Its server access logs go to `access_logs` under ``<log_namespace><id in lower case>/``.
    """
    bucket = s3.Bucket(
        scope,
        id,
        bucket_name=name,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        # The gateway's own log bucket as it always was (the L2 prop); a shared one imported by name through the
        # L1 below, as the L2 would warn that it cannot add the delivery statement to an imported bucket.
        server_access_logs_bucket=None if log_namespace else access_logs,
        server_access_logs_prefix=None if log_namespace else f"{id.lower()}/",
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
        removal_policy=removal_policy,
    )
    replication = "prediction inputs and outputs are transient (expire after the retention period); the record of "
    replication += "each prediction is in a PITR-protected table"
    # The input bucket sends its object events to EventBridge (the upload rule); the output bucket sends none.
    acknowledge_control_tower_bucket(bucket, of=f"prediction {id.lower()}", object_events=object_events)
    if log_namespace:  # a log bucket shared with other stacks (`own_or_shared_access_logs`)
        deliver_access_logs(bucket, access_logs, f"{log_namespace}{id.lower()}/")
    acknowledge(
        bucket,
        {
            "HIPAA.Security-S3BucketReplicationEnabled": replication,
            "NIST.800.53.R5-S3BucketReplicationEnabled": replication,
        },
    )
    return bucket


def endpoint_role_condition(scope: Construct, platform_name: str) -> dict[str, Any]:
    """The condition that admits the platform's endpoint execution roles (`<name>-endpoint-*`) of this account."""
    stack = cdk.Stack.of(scope)
    pattern = naming.role_arn(stack.partition, stack.account, f"{naming.endpoint_role_name_prefix(platform_name)}*")
    return {"ArnLike": {"aws:PrincipalArn": pattern}}


def grant_endpoint_roles(
    scope: Construct, platform_name: str, *, input_bucket: s3.Bucket, output_bucket: s3.Bucket, key: kms.IKey
) -> None:
    """Async endpoints read inputs and write outputs with their own execution roles (`<name>-endpoint-*`)."""
    condition = endpoint_role_condition(scope, platform_name)
    account = iam.AccountRootPrincipal()
    for sid, bucket, actions, prefix in (
        ("EndpointRolesReadInputs", input_bucket, ENDPOINT_ROLE_INPUT_ACTIONS, INPUT_PREFIX),
        ("EndpointRolesWriteAsyncOutputs", output_bucket, ENDPOINT_ROLE_OUTPUT_ACTIONS, ASYNC_OUTPUT_PREFIX),
    ):
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[account],
                actions=actions,
                resources=[bucket.arn_for_objects(f"{prefix}*")],
                conditions=condition,
            )
        )
    stack = cdk.Stack.of(scope)
    via = [f"s3.{stack.region}.{stack.url_suffix}", f"sns.{stack.region}.{stack.url_suffix}"]
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="EndpointRolesUseGatewayData",
            principals=[account],
            actions=ENDPOINT_ROLE_KEY_ACTIONS,
            resources=["*"],
            conditions={**condition, "StringEquals": {"kms:ViaService": via}},
        )
    )


def _acknowledge_access_logs_bucket(bucket: s3.Bucket) -> None:
    reason = "this bucket receives the S3 server access logs of the gateway's buckets; logging it to itself would loop"
    kms_reason = "S3 server access log delivery supports only SSE-S3 on the target bucket"
    replication = "access logs are kept for a year in the account; cross-region replication is not required for them"
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


def _allow_log_delivery(bucket: s3.Bucket) -> None:
    # Log delivery by bucket policy (what the `serverAccessLogsUseBucketPolicy` feature flag renders), not
    # the legacy LogDeliveryWrite ACL that aws-cdk-lib adds for source buckets without that flag.
    allow_account_log_delivery(bucket, sid="S3ServerAccessLogsPolicy")
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.add_property_deletion_override("AccessControl")
    cfn_bucket.ownership_controls = s3.CfnBucket.OwnershipControlsProperty(
        rules=[s3.CfnBucket.OwnershipControlsRuleProperty(object_ownership="BucketOwnerEnforced")]
    )

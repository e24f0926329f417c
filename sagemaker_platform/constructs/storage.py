"""The two S3 bucket shapes every capability uses: an SSE-S3 server-access-log bucket and a KMS data bucket.

`access_logs_bucket` makes the bucket that receives S3 server access logs, with the compliance
acknowledgments that shape forces (it cannot log to itself, log delivery writes only to SSE-S3 buckets,
logs are not replicated). `encrypted_bucket` makes a data bucket encrypted with a customer managed key
that delivers its access logs to such a bucket under a prefix.

Both are functions, not constructs: each adds exactly one `AWS::S3::Bucket` (and its policy) at
``scope/id``, so moving an existing bucket onto them keeps its logical ID.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge, skip_checkov
from sagemaker_platform.errors import ProblemCollector

LOG_DELIVERY_PRINCIPAL = "logging.s3.amazonaws.com"
# Server access logs: kept a year for audits; an overwritten or deleted log object's old version 30 days.
ACCESS_LOG_RETENTION = s3.LifecycleRule(
    id="ExpireAccessLogs",
    expiration=cdk.Duration.days(365),
    noncurrent_version_expiration=cdk.Duration.days(30),
    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
)
SSE_S3_ONLY = "S3 server access log delivery writes only to buckets encrypted with SSE-S3, not SSE-KMS"


def access_logs_bucket(
    scope: Construct,
    id: str,
    *,
    of: str,
    removal_policy: cdk.RemovalPolicy,
    lifecycle_rules: Sequence[s3.LifecycleRule] = (ACCESS_LOG_RETENTION,),
) -> s3.Bucket:
    """A bucket that receives S3 server access logs: SSE-S3, versioned, TLS only, no ACLs, no public access.

    Records why it does not log to itself, is not KMS-encrypted and is not replicated, for cdk-nag
    (AwsSolutions, HIPAA Security, NIST 800-53 R5) and checkov. Source buckets are given delivery rights
    one prefix at a time by `encrypted_bucket`.

    :param of: what the logs are of, for the acknowledgment reasons (e.g. "the tuning buckets").
    :param removal_policy: what happens to the bucket when it leaves the stack.
    :param lifecycle_rules: how long logs are kept; at least one rule must expire noncurrent versions (the
        bucket is versioned). Default: `ACCESS_LOG_RETENTION` (logs a year, noncurrent versions 30 days).
    """
    problems = ProblemCollector("access_logs_bucket")
    problems.check(bool(of.strip()), f"of={of!r}: name what the logs are of (e.g. 'the tuning buckets')")
    _check_noncurrent_expiry(problems, id, lifecycle_rules)
    problems.raise_if_any()
    bucket = _private_bucket(
        scope,
        id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        removal_policy=removal_policy,
        lifecycle_rules=lifecycle_rules,
    )
    own_logs = f"this bucket receives the server access logs of {of}; logging it to itself would loop"
    replication = f"server access logs of {of} are kept in their own region; replicating them is not required"
    acknowledge(
        bucket,
        {
            "HIPAA.Security-S3DefaultEncryptionKMS": SSE_S3_ONLY,
            "NIST.800.53.R5-S3DefaultEncryptionKMS": SSE_S3_ONLY,
            "HIPAA.Security-S3BucketReplicationEnabled": replication,
            "NIST.800.53.R5-S3BucketReplicationEnabled": replication,
        },
    )
    skip_checkov(bucket, {"CKV_AWS_18": own_logs, "CKV_AWS_145": SSE_S3_ONLY})
    acknowledge(
        bucket,
        {
            f"{CONTROL_TOWER}s3_bucket_logging_enabled_check": own_logs,
            f"{CONTROL_TOWER}s3_bucket_default_encryption_kms_check": SSE_S3_ONLY,
        },
    )
    acknowledge_control_tower_bucket(bucket, of=f"the server access logs of {of}")
    return bucket


def encrypted_bucket(
    scope: Construct,
    id: str,
    *,
    key: kms.IKey,
    access_logs: s3.IBucket,
    access_logs_prefix: str,
    removal_policy: cdk.RemovalPolicy,
    replication: str,
    holds: str = "platform data",
    bucket_name: str | None = None,
    lifecycle_rules: Sequence[s3.LifecycleRule] = (),
) -> s3.Bucket:
    """A data bucket: SSE-KMS with `key` and an S3 bucket key, versioned, TLS only, no ACLs, no public access.

    Server access logs go to `access_logs` under `access_logs_prefix`, delivered under a bucket policy
    statement on `access_logs` limited to this bucket and account (never the legacy LogDeliveryWrite ACL,
    whatever the app's `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` flag says).

    :param key: the customer managed key that encrypts the objects.
    :param access_logs: the bucket receiving the access logs (see `access_logs_bucket`).
    :param access_logs_prefix: key prefix of this bucket's logs in `access_logs`, ending in "/".
    :param removal_policy: what happens to the bucket when it leaves the stack.
    :param replication: why the bucket is not replicated (acknowledges the HIPAA and NIST replication rules).
    :param holds: what the bucket holds, for the Control Tower acknowledgments. Default: "platform data".
    :param bucket_name: physical name. Default: generated by CloudFormation.
    :param lifecycle_rules: object lifecycle; at least one rule must expire noncurrent versions (the bucket is
        versioned, and old versions would otherwise be kept forever).
    """
    _check_encrypted_bucket(id, access_logs_prefix, replication, lifecycle_rules)
    bucket = _private_bucket(
        scope,
        id,
        encryption=s3.BucketEncryption.KMS,
        key=key,
        bucket_name=bucket_name,
        removal_policy=removal_policy,
        lifecycle_rules=lifecycle_rules,
    )
    _deliver_access_logs(bucket, access_logs, access_logs_prefix)
    acknowledge(
        bucket,
        {
            "HIPAA.Security-S3BucketReplicationEnabled": replication,
            "NIST.800.53.R5-S3BucketReplicationEnabled": replication,
        },
    )
    acknowledge_control_tower_bucket(bucket, of=holds)
    return bucket


def _check_encrypted_bucket(
    id: str, access_logs_prefix: str, replication: str, lifecycle_rules: Sequence[s3.LifecycleRule]
) -> None:
    problems = ProblemCollector("encrypted_bucket")
    if not cdk.Token.is_unresolved(access_logs_prefix):
        problems.check(
            access_logs_prefix.endswith("/") and not access_logs_prefix.startswith("/") and access_logs_prefix != "/",
            f"access_logs_prefix={access_logs_prefix!r}: a key prefix like 'artifacts/' (ends in '/', not only '/')",
        )
    problems.check(bool(replication.strip()), f"replication={replication!r}: say why this bucket is not replicated")
    _check_noncurrent_expiry(problems, id, lifecycle_rules)
    problems.raise_if_any()


def _deliver_access_logs(bucket: s3.Bucket, access_logs: s3.IBucket, access_logs_prefix: str) -> None:
    """`bucket` logs to `access_logs` under the prefix, delivered under a statement limited to it and its account."""
    # Set on the L1: the L2 `server_access_logs_bucket` prop would add the LogDeliveryWrite ACL (which needs
    # ACLs enabled on the log bucket) unless the app sets a feature flag.
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=access_logs.bucket_name, log_file_prefix=access_logs_prefix
    )
    access_logs.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(LOG_DELIVERY_PRINCIPAL)],
            actions=["s3:PutObject"],
            resources=[access_logs.arn_for_objects(f"{access_logs_prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": cdk.Stack.of(bucket).account},
            },
        )
    )


def acknowledge_control_tower_bucket(bucket: s3.IBucket, *, of: str, object_events: bool = False) -> None:
    """Acknowledge the two Control Tower bucket controls that do not apply to a bucket with expiring objects.

    Object Lock (CT.S3.PR.9) keeps every version for a retention period, which the bucket's lifecycle expiry
    exists to end; event notifications (CT.S3.PR.4) are for consumers of object events, and nothing here
    consumes this bucket's (the platform's workflows react to SageMaker and Step Functions events).

    :param of: what the bucket holds, for the reasons.
    :param object_events: the bucket sends object events (only Object Lock is acknowledged). Default: False.
    """
    reasons = {
        f"{CONTROL_TOWER}s3_bucket_object_lock_enabled_check": f"this bucket holds {of}, which its lifecycle rules "
        "expire; Object Lock would keep every version for a fixed retention instead",
    }
    if not object_events:
        reasons[f"{CONTROL_TOWER}s3_event_notifications_enabled_check"] = (
            f"this bucket holds {of}; no workflow consumes its object events (they react to SageMaker and Step "
            "Functions events)"
        )
    acknowledge(bucket, reasons)


def _check_noncurrent_expiry(problems: ProblemCollector, id: str, rules: Sequence[s3.LifecycleRule]) -> None:
    # Every bucket here is versioned: without an expiry of noncurrent versions, each overwrite or delete keeps
    # its old version forever (and AWS Control Tower's CT.S3.PR.3 refuses the bucket).
    problems.check(
        any(rule.noncurrent_version_expiration is not None for rule in rules),
        f"{id}: lifecycle_rules={len(rules)} rule(s) without noncurrent_version_expiration; the bucket is versioned, "
        "give one rule a noncurrent_version_expiration (e.g. cdk.Duration.days(30))",
    )


def _private_bucket(
    scope: Construct,
    id: str,
    *,
    encryption: s3.BucketEncryption,
    removal_policy: cdk.RemovalPolicy,
    lifecycle_rules: Sequence[s3.LifecycleRule],
    key: kms.IKey | None = None,
    bucket_name: str | None = None,
) -> s3.Bucket:
    """Versioned, TLS only, ACLs disabled, public access blocked; with a key, an S3 bucket key cuts KMS calls."""
    return s3.Bucket(
        scope,
        id,
        bucket_name=bucket_name,
        encryption=encryption,
        encryption_key=key,
        bucket_key_enabled=True if key is not None else None,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=removal_policy,
        lifecycle_rules=list(lifecycle_rules),
    )

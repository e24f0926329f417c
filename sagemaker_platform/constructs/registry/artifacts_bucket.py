"""The registry's storage: the model artifacts bucket, its access logs bucket and the customer managed keys.

Functions, not constructs: each adds its resources directly under the `ModelRegistry` it is given, so that
construct paths (and logical IDs of the retained bucket and key) stay where they have always been.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.registry.access import KEY_ADMIN_ACTIONS
from sagemaker_platform.constructs.storage import access_logs_bucket, encrypted_bucket
from sagemaker_platform.errors import PropsError


def render_key(
    scope: Construct,
    id: str,
    *,
    description: str,
    policy: iam.PolicyDocument,
    admins: Sequence[iam.IPrincipal],
    removal_policy: cdk.RemovalPolicy,
) -> kms.Key:
    """A rotated customer managed key whose policy names `admins` (no account root) for administration only."""
    key = kms.Key(
        scope,
        id,
        description=description,
        enable_key_rotation=True,
        policy=policy,
        removal_policy=removal_policy,
    )
    limit_grants_to_aws_resources(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="KeyAdministration", principals=list(admins), actions=list(KEY_ADMIN_ACTIONS), resources=["*"]
        )
    )
    return key


def render_logs_bucket(scope: Construct, removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
    """The server access logs bucket of the artifacts bucket (logs kept as `ACCESS_LOG_RETENTION` says)."""
    return access_logs_bucket(scope, "AccessLogsBucket", of="the model artifacts bucket", removal_policy=removal_policy)


def render_artifacts_bucket(
    scope: Construct,
    *,
    bucket_name: str,
    key: kms.IKey,
    logs_bucket: s3.IBucket,
    logs_prefix: str,
    removal_policy: cdk.RemovalPolicy,
) -> s3.Bucket:
    """The model artifacts bucket: encrypted with `key`, versioned, TLS only, logged to `logs_bucket` under
    `logs_prefix`."""
    return encrypted_bucket(
        scope,
        "ArtifactsBucket",
        bucket_name=bucket_name,
        key=key,
        access_logs=logs_bucket,
        access_logs_prefix=logs_prefix,
        removal_policy=removal_policy,
        holds="model artifacts",
        replication="the registry is the single source of model artifacts in its region; versioning and RETAIN "
        "protect them, and cross-region replication is a per-organisation choice",
        # Current artifacts are kept as long as their model packages; an overwritten or deleted artifact's old
        # version a year (long enough to restore a model package that still names it).
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireOldVersions",
                noncurrent_version_expiration=cdk.Duration.days(365),
                abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
            )
        ],
    )


def deny_foreign_encryption(bucket: s3.IBucket, key: kms.IKey, key_alias_name: str) -> None:
    """Deny writing objects not encrypted with `key` (by ARN or alias) to `bucket`."""
    # Objects encrypted with another key (or SSE-S3) would be unreadable to, or readable beyond, the
    # roles this key policy names.
    objects = bucket.arn_for_objects("*")
    alias_arn = cdk.Stack.of(bucket).format_arn(service="kms", resource=key_alias_name)
    denied: dict[str, dict[str, object]] = {
        "DenyOtherEncryption": {"s3:x-amz-server-side-encryption": "aws:kms"},
        "DenyOtherKeys": {"s3:x-amz-server-side-encryption-aws-kms-key-id": [key.key_arn, alias_arn]},
    }
    for sid, condition in denied.items():
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[objects],
                conditions={"StringNotEqualsIfExists": condition},
            )
        )


def deployment_role(stack: cdk.Stack) -> iam.IPrincipal:
    """The CloudFormation execution role of `stack`'s `DefaultStackSynthesizer` (the default key admin)."""
    synthesizer = stack.synthesizer
    if not isinstance(synthesizer, cdk.DefaultStackSynthesizer):
        raise PropsError(
            "ModelRegistry",
            [
                f"key_admins=None: the stack {stack.node.path} uses {type(synthesizer).__name__}, so the "
                "CloudFormation execution role is not known; pass key_admins (the roles that deploy and "
                "administer the key)"
            ],
        )
    return iam.ArnPrincipal(cdk.Fn.sub(synthesizer.cloud_formation_execution_role_arn))

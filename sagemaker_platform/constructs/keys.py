"""Key policy statements every customer managed key of this library carries."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms


def limit_grants_to_aws_resources(key: kms.Key) -> kms.Key:
    """Deny `kms:CreateGrant` on `key` unless the grant is for an AWS resource or made by an AWS service.

    Grants delegate use of a key without a policy change; the services that use this library's keys (SageMaker,
    Lambda, DynamoDB, SQS, Logs) create theirs on the caller's behalf (`kms:GrantIsForAWSResource` is true), so
    nobody else needs to. This is the statement AWS Control Tower's proactive control CT.KMS.PR.3 requires.

    Example::

        key = limit_grants_to_aws_resources(kms.Key(self, "Key", enable_key_rotation=True))
    """
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyGrantsNotForAwsResources",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
        )
    )
    return key

"""`ModelArtifacts`: where a group's model artifacts live (bucket prefix and key), and their identity-side grants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_platform.constructs.registry.access import (
    ARTIFACT_LIST_ACTIONS,
    ARTIFACT_READ_ACTIONS,
    ARTIFACT_WRITE_ACTIONS,
    KEY_READ_ACTIONS,
    KEY_WRITE_ACTIONS,
)
from sagemaker_platform.constructs.registry.policies import acknowledge_wildcard_resources


@dataclass(frozen=True)
class ModelArtifacts:
    """Where a group's model artifacts live: a bucket prefix and the KMS key that encrypts it.

    :param bucket: the artifacts bucket (e.g. `s3.Bucket.from_bucket_attributes` with its account).
    :param prefix: key prefix of the group's artifacts, e.g. ``"churn/"``.
    :param key: the bucket's KMS key, when this app knows its ARN. Default: none (see `key_alias`).
    :param key_alias: the key's alias (``"alias/..."``), for a key whose ARN is not known here (a key in
        another account): grants then name any key of `key_account` in `key_region` carrying that alias
        (`kms:ResourceAliases`). Default: none.
    :param key_account: account of the aliased key. Default: the bucket's account.
    :param key_region: region of the aliased key. Default: the bucket's region.
    :param key_policy_only: the aliased key's policy has no account-root statement, so in the key's own
        account identity policies cannot grant it and its key policy names each principal (the platform
        registry's key: `ModelRegistry.add_access`); grants then write no key statement for a grantee of
        that account, only for grantees in other accounts, where both policies must allow. Default: False.
    """

    bucket: s3.IBucket
    prefix: str
    key: kms.IKey | None = None
    key_alias: str | None = None
    key_account: str | None = None
    key_region: str | None = None
    key_policy_only: bool = False

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Identity-side grant: list the prefix, read its objects, decrypt them through S3."""
        return grant_artifacts(grantee, [self], read=True, write=False)

    def grant_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Identity-side grant: write objects under the prefix, encrypting them with the key through S3."""
        return grant_artifacts(grantee, [self], read=False, write=True)

    @property
    def objects_arn(self) -> str:
        """ARN pattern of every object under the prefix."""
        return self.bucket.arn_for_objects(f"{self.prefix}*")

    def key_grant(self, actions: Sequence[str]) -> tuple[list[str], dict[str, dict[str, object]]] | None:
        """(resources, conditions) of a statement using the key through S3; None when no key is known."""
        stack = cdk.Stack.of(self.bucket)
        region = self.key_region if self.key_region is not None else self.bucket.env.region
        via_s3: dict[str, object] = {"kms:ViaService": f"s3.{region}.{stack.url_suffix}"}
        if self.key is not None:
            return [self.key.key_arn], {"StringEquals": via_s3}
        if self.key_alias is not None:
            account = self.key_account if self.key_account is not None else self.bucket.env.account
            return (
                [f"arn:{stack.partition}:kms:{region}:{account}:key/*"],
                {"StringEquals": via_s3, "ForAnyValue:StringEquals": {"kms:ResourceAliases": self.key_alias}},
            )
        return None


@dataclass(frozen=True)
class AccessStatement:
    """One identity statement of a registry grant, with its wildcard resources and why they cannot be named.

    `wildcards` are the resources acknowledged for AwsSolutions-IAM5 with `reason` wherever the statement lands
    (the grantee's own policy, or a policy several roles share: `SharedPolicies`).
    """

    statement: iam.PolicyStatement
    wildcards: tuple[str, ...] = ()
    reason: str = ""


def grant_artifacts(
    grantee: iam.IGrantable, artifacts: Sequence[ModelArtifacts], *, read: bool, write: bool
) -> iam.Grant:
    """Identity-side grant on several artifact prefixes at once: one statement per kind of access, every
    prefix of a bucket in it, and one per key (so that many groups stay within a role's policy quota)."""
    account = cdk.Stack.of(grantee).account if isinstance(grantee, Construct) else None
    return add_access_statements(grantee, artifact_statements(artifacts, account, read=read, write=write))


def add_access_statements(grantee: iam.IGrantable, statements: Sequence[AccessStatement]) -> iam.Grant:
    """Add each statement to `grantee`'s identity policy and acknowledge its wildcards there."""
    grants: list[iam.Grant] = []
    acknowledged: set[tuple[str, ...]] = set()
    for item in statements:
        if item.wildcards and item.wildcards not in acknowledged:
            acknowledge_wildcard_resources(grantee, item.wildcards, item.reason)
            acknowledged.add(item.wildcards)
        grants.append(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=item.statement.actions,
                resource_arns=item.statement.resources,
                conditions=item.statement.conditions or None,
            )
        )
    combined = grants[0]
    for grant in grants[1:]:
        combined = combined.combine(grant)
    return combined


def artifact_statements(
    artifacts: Sequence[ModelArtifacts], grantee_account: str | None, *, read: bool, write: bool
) -> list[AccessStatement]:
    """The statements of `grant_artifacts` for a grantee in `grantee_account` (None: an imported principal)."""
    statements: list[AccessStatement] = []
    for bucket_artifacts in _by_bucket(artifacts):
        bucket = bucket_artifacts[0].bucket
        if read:
            statements.append(_objects_statement(ARTIFACT_READ_ACTIONS, bucket_artifacts))
            statements.append(
                AccessStatement(
                    iam.PolicyStatement(
                        actions=list(ARTIFACT_LIST_ACTIONS),
                        resources=[bucket.bucket_arn],
                        conditions={
                            "StringLike": {
                                "s3:prefix": [p for a in bucket_artifacts for p in (a.prefix, f"{a.prefix}*")]
                            }
                        },
                    )
                )
            )
        if write:
            statements.append(_objects_statement(ARTIFACT_WRITE_ACTIONS, bucket_artifacts))
        key = bucket_artifacts[0].key_grant(KEY_WRITE_ACTIONS if write else KEY_READ_ACTIONS)
        if key is not None and not _granted_by_key_policy(grantee_account, bucket_artifacts[0]):
            resources, conditions = key
            aliased = bucket_artifacts[0].key is None
            statements.append(
                AccessStatement(
                    iam.PolicyStatement(
                        actions=list(KEY_WRITE_ACTIONS if write else KEY_READ_ACTIONS),
                        resources=resources,
                        conditions=conditions,
                    ),
                    tuple(resources) if aliased else (),
                    f"the key's ARN is not known outside its account; the grant holds only for the key carrying "
                    f"{bucket_artifacts[0].key_alias} (kms:ResourceAliases), used through S3 (kms:ViaService)",
                )
            )
    return statements


def _objects_statement(actions: Sequence[str], bucket_artifacts: Sequence[ModelArtifacts]) -> AccessStatement:
    """`actions` on the objects under each prefix of one bucket's artifacts."""
    objects = tuple(a.objects_arn for a in bucket_artifacts)
    return AccessStatement(
        iam.PolicyStatement(actions=list(actions), resources=list(objects)),
        objects,
        "model artifacts are written under their group's prefix with run-specific keys; the grant covers those "
        "prefixes only",
    )


def _granted_by_key_policy(grantee_account: str | None, artifacts: ModelArtifacts) -> bool:
    """The key's own policy alone decides for a grantee of `grantee_account` (`key_policy_only`, grantee in
    the key's account; None: an imported principal, never)."""
    if not artifacts.key_policy_only or artifacts.key is not None or grantee_account is None:
        return False
    account = artifacts.key_account if artifacts.key_account is not None else artifacts.bucket.env.account
    return grantee_account == account


def _by_bucket(artifacts: Sequence[ModelArtifacts]) -> list[list[ModelArtifacts]]:
    buckets: dict[int, list[ModelArtifacts]] = {}
    for item in artifacts:
        buckets.setdefault(id(item.bucket), []).append(item)
    return list(buckets.values())

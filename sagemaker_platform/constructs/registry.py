"""The central model registry: model package groups, the artifacts bucket and key, approval forwarding.

- `ModelPackageGroup`: one SageMaker model package group (L2 style) with a resource policy and
  `grant_read` / `grant_register` / `grant_approve` / `grant_deploy`; `from_model_package_group_arn`
  and `from_model_package_group_name` import one (e.g. the central registry's, from a workload account).
- `ModelRegistry` (registry account): the groups, a model artifacts bucket with its customer managed
  key, and an EventBridge rule forwarding approved versions to the tooling account's bus.
- `ModelEventsBus` (tooling account): the bus receiving them, open only to the registry's forwarder role.

Metrics: SageMaker publishes no CloudWatch metrics for model package groups or model packages (the
model registry is a control-plane catalogue), so these constructs have no `metric_*` methods; watch the
"SageMaker Model Package State Change" events instead.

Cross-account access needs both sides: the principal's identity policy (the `grant_*` methods add it
where the principal is a role this app can change) and the registry's resource policies (the group's
policy, the bucket policy, the key policy; `ModelRegistry.add_access` writes all three for one role).
Every principal is a named role, never an account root; with `organization_id`, every resource policy
statement for a principal also requires `aws:PrincipalOrgID`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IValidation

from sagemaker_platform import naming
from sagemaker_platform.compliance import acknowledge, acknowledge_dead_letter_queue
from sagemaker_platform.config import MODEL_PACKAGE_GROUP_NAME_PATTERN
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.storage import access_logs_bucket, encrypted_bucket
from sagemaker_platform.errors import ProblemCollector, PropsError

# --- actions (one place per capability) ---------------------------------------------------------

READ_ACTIONS = (
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
)
"""Describe the group and its versions."""
REGISTER_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:AddTags")
"""Create a version (only as PendingManualApproval, see `REGISTER_CONDITIONS`) and tag it on creation."""
REGISTER_CONDITIONS: dict[str, dict[str, object]] = {
    "StringEqualsIfExists": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
}
"""A registrant may not approve its own version by registering it as Approved."""
APPROVE_ACTIONS = ("sagemaker:UpdateModelPackage",)
"""Set a version's approval status (and its approval description)."""
DEPLOY_ACTIONS = ("sagemaker:CreateModel",)
"""Create a SageMaker model from a version (with `READ_ACTIONS`)."""
ARTIFACT_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
ARTIFACT_LIST_ACTIONS = ("s3:ListBucket",)
ARTIFACT_WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
KEY_READ_ACTIONS = ("kms:Decrypt",)
KEY_WRITE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
)

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
SAGEMAKER_EVENT_SOURCE = "aws.sagemaker"


class RegistryAccess(Enum):
    """What one role may do with the registry (`ModelRegistry.add_access`)."""

    READ = "read"
    """Describe groups and versions; read artifacts."""
    WRITE = "write"
    """READ, and write artifacts (e.g. a training job's execution role)."""
    REGISTER = "register"
    """WRITE, and create versions as PendingManualApproval."""
    APPROVE = "approve"
    """READ, and approve or reject versions."""
    DEPLOY = "deploy"
    """READ, and create SageMaker models from versions."""

    @property
    def writes_artifacts(self) -> bool:
        return self in (RegistryAccess.WRITE, RegistryAccess.REGISTER)


_GROUP_ACTIONS = {
    RegistryAccess.READ: READ_ACTIONS,
    RegistryAccess.WRITE: READ_ACTIONS,
    RegistryAccess.REGISTER: READ_ACTIONS,
    RegistryAccess.APPROVE: READ_ACTIONS + APPROVE_ACTIONS,
    RegistryAccess.DEPLOY: READ_ACTIONS + DEPLOY_ACTIONS,
}
"""The group actions of each access level, beside REGISTER's conditional `REGISTER_ACTIONS`."""


# --- props --------------------------------------------------------------------------------------


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
    """

    bucket: s3.IBucket
    prefix: str
    key: kms.IKey | None = None
    key_alias: str | None = None
    key_account: str | None = None
    key_region: str | None = None

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Identity-side grant: list the prefix, read its objects, decrypt them through S3."""
        return grant_artifacts(grantee, [self], read=True, write=False)

    def grant_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Identity-side grant: write objects under the prefix, encrypting them with the key through S3."""
        return grant_artifacts(grantee, [self], read=False, write=True)

    @property
    def objects_arn(self) -> str:
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


def grant_artifacts(
    grantee: iam.IGrantable, artifacts: Sequence[ModelArtifacts], *, read: bool, write: bool
) -> iam.Grant:
    """Identity-side grant on several artifact prefixes at once: one statement per kind of access, every
    prefix of a bucket in it, and one per key (so that many groups stay within a role's policy quota)."""
    grants: list[iam.Grant] = []
    for bucket_artifacts in _by_bucket(artifacts):
        bucket = bucket_artifacts[0].bucket
        objects = [a.objects_arn for a in bucket_artifacts]
        acknowledge_wildcard_resources(
            grantee,
            objects,
            "model artifacts are written under their group's prefix with run-specific keys; the grant covers "
            "those prefixes only",
        )
        if read:
            grants.append(
                iam.Grant.add_to_principal(grantee=grantee, actions=list(ARTIFACT_READ_ACTIONS), resource_arns=objects)
            )
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(ARTIFACT_LIST_ACTIONS),
                resource_arns=[bucket.bucket_arn],
                conditions={
                    "StringLike": {"s3:prefix": [p for a in bucket_artifacts for p in (a.prefix, f"{a.prefix}*")]}
                },
            )
        if write:
            grants.append(
                iam.Grant.add_to_principal(grantee=grantee, actions=list(ARTIFACT_WRITE_ACTIONS), resource_arns=objects)
            )
        key = bucket_artifacts[0].key_grant(KEY_WRITE_ACTIONS if write else KEY_READ_ACTIONS)
        if key is not None:
            resources, conditions = key
            if bucket_artifacts[0].key is None:
                acknowledge_wildcard_resources(
                    grantee,
                    resources,
                    f"the key's ARN is not known outside its account; the grant holds only for the key carrying "
                    f"{bucket_artifacts[0].key_alias} (kms:ResourceAliases), used through S3 (kms:ViaService)",
                )
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(KEY_WRITE_ACTIONS if write else KEY_READ_ACTIONS),
                resource_arns=resources,
                conditions=conditions,
            )
    combined = grants[0]
    for grant in grants[1:]:
        combined = combined.combine(grant)
    return combined


def _by_bucket(artifacts: Sequence[ModelArtifacts]) -> list[list[ModelArtifacts]]:
    buckets: dict[int, list[ModelArtifacts]] = {}
    for item in artifacts:
        buckets.setdefault(id(item.bucket), []).append(item)
    return list(buckets.values())


def grant_groups(grantee: iam.IGrantable, groups: Sequence[ModelPackageGroupBase], access: RegistryAccess) -> iam.Grant:
    """Identity-side grant of `access` on several groups at once (and their artifacts, when known).

    One statement per set of actions with every group's ARNs in it, so that a role with access to many
    groups stays within its managed policy quota. The groups' resource policies are their owner's
    (`ModelPackageGroup` adds to its own; `ModelRegistry.add_access`).
    """
    if not groups:
        raise PropsError("grant_groups", ["groups=[]: give at least one model package group"])
    resources = [arn for group in groups for arn in (group.model_package_group_arn, *group.model_package_arns)]
    grant = iam.Grant.add_to_principal(grantee=grantee, actions=list(_GROUP_ACTIONS[access]), resource_arns=resources)
    if access is RegistryAccess.REGISTER:
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(REGISTER_ACTIONS), resource_arns=resources, conditions=REGISTER_CONDITIONS
        ).combine(grant)
    acknowledge_wildcard_resources(
        grantee,
        [arn for group in groups for arn in group.model_package_arns],
        "versions of a model package group get their numbers from SageMaker at registration; the grant covers "
        "the named groups' versions only",
    )
    artifacts = [group.artifacts for group in groups if group.artifacts is not None]
    if access is not RegistryAccess.APPROVE and artifacts:
        grant_artifacts(grantee, artifacts, read=True, write=access.writes_artifacts)
    if access is RegistryAccess.DEPLOY:
        repositories = [repository for group in groups for repository in group.image_repositories]
        for repository in repositories:
            repository.grant_pull(grantee)
        if repositories:
            acknowledge_wildcard_resources(
                grantee,
                ["*"],
                "ecr:GetAuthorizationToken supports no resource-level permissions; the image pulls are granted "
                "on the named repositories only",
            )
    return grant


# --- ModelPackageGroup --------------------------------------------------------------------------


class ModelPackageGroupBase(cdk.Resource):
    """What an owned and an imported group share: their ARNs and the `grant_*` methods."""

    model_package_group_name: str
    model_package_group_arn: str
    artifacts: ModelArtifacts | None
    image_repositories: tuple[ecr.IRepository, ...]

    @property
    def model_package_arns(self) -> list[str]:
        """ARN patterns of every version in the group.

        SageMaker writes resource names into ARNs in lower case; a mixed-case group name is listed both
        ways so that the grant holds whichever form a request carries.
        """
        names = [self.model_package_group_name]
        if not cdk.Token.is_unresolved(self.model_package_group_name):
            lower = self.model_package_group_name.lower()
            if lower != self.model_package_group_name:
                names.append(lower)
        return [
            cdk.Stack.of(self).format_arn(
                service="sagemaker",
                resource="model-package",
                resource_name=f"{name}/*",
                account=self.env.account,
                region=self.env.region,
            )
            for name in names
        ]

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Describe and list the group and its versions; read the group's artifacts (when known)."""
        return self._grant_access(grantee, RegistryAccess.READ)

    def grant_register(self, grantee: iam.IGrantable) -> iam.Grant:
        """What registering a version needs: `grant_read`, create versions (PendingManualApproval only) and
        write artifacts."""
        return self._grant_access(grantee, RegistryAccess.REGISTER)

    def grant_approve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Approve or reject versions (UpdateModelPackage), with the describe actions (not the artifacts)."""
        return self._grant_access(grantee, RegistryAccess.APPROVE)

    def grant_deploy(self, grantee: iam.IGrantable) -> iam.Grant:
        """What creating a model from a version needs, also from another account.

        Describe the group and its versions, CreateModel from them, read and decrypt the artifacts
        (when `artifacts` is known) and pull the inference images (when `image_repositories` are known).
        """
        return self._grant_access(grantee, RegistryAccess.DEPLOY)

    def _grant_access(self, grantee: iam.IGrantable, access: RegistryAccess) -> iam.Grant:
        return grant_groups(grantee, [self], access)


@jsii.implements(iam.IResourceWithPolicyV2)
class ModelPackageGroup(ModelPackageGroupBase):
    """A SageMaker model package group with a resource policy for cross-account access.

    Example::

        group = ModelPackageGroup(self, "Churn", model_package_group_name="churn",
                                  organization_id="o-a1b2c3d4e5")
        group.grant_register(iam.Role.from_role_arn(self, "DevStep",
                             "arn:aws:iam::333333333333:role/mlplatform-pipeline-step", mutable=False))

    A grant to a role of another account (or of an account not known at synth) lands in the group's
    resource policy too; a grant to a role of this stack's account lands in its identity policy only.
    For an imported role of this account that the app cannot change, add the statement yourself:
    ``group.add_to_resource_policy(group.allow(role, READ_ACTIONS))``.

    :param model_package_group_name: SageMaker's pattern ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$``.
    :param description: Default: none.
    :param artifacts: where the group's artifacts live; `grant_read` / `grant_register` /
        `grant_deploy` then cover them too. Default: none (SageMaker permissions only).
    :param image_repositories: ECR repositories of the versions' inference images, pulled by
        `grant_deploy`. Default: none.
    :param organization_id: adds ``aws:PrincipalOrgID`` to every resource policy statement.
        Default: none.
    :param removal_policy: Default: RETAIN (deleting a group deletes the record of every version).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model_package_group_name: str,
        description: str | None = None,
        artifacts: ModelArtifacts | None = None,
        image_repositories: Sequence[ecr.IRepository] = (),
        organization_id: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id, physical_name=model_package_group_name)
        self._validate_name(model_package_group_name)
        self.artifacts = artifacts
        self.image_repositories = tuple(image_repositories)
        self._organization_id = organization_id
        self._policy = iam.PolicyDocument()
        self._resource = sagemaker.CfnModelPackageGroup(
            self,
            "Resource",
            model_package_group_name=model_package_group_name,
            model_package_group_description=description,
            # An empty document resolves to nothing: no policy property until a statement is added.
            model_package_group_policy=self._policy,
        )
        self._resource.apply_removal_policy(removal_policy)
        self.model_package_group_name = model_package_group_name
        self.model_package_group_arn = self._resource.attr_model_package_group_arn
        self.node.add_validation(_PolicyChecks(self, lambda: [("model package group resource policy", self._policy)]))

    # --- imports ---

    @classmethod
    def from_model_package_group_arn(
        cls,
        scope: Construct,
        id: str,
        model_package_group_arn: str,
        *,
        artifacts: ModelArtifacts | None = None,
        image_repositories: Sequence[ecr.IRepository] = (),
    ) -> ModelPackageGroupBase:
        """An existing group (any account). Grants from it are identity-side only: the owner's resource
        policy must allow the principal too (`ModelRegistry.add_access`)."""
        parts = cdk.Arn.split(model_package_group_arn, cdk.ArnFormat.SLASH_RESOURCE_NAME)
        if parts.resource_name is None or (
            not cdk.Token.is_unresolved(model_package_group_arn) and parts.resource != "model-package-group"
        ):
            raise PropsError(
                "ModelPackageGroup.from_model_package_group_arn",
                [
                    f"model_package_group_arn={model_package_group_arn!r}: expected "
                    "arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>"
                ],
            )
        return _ImportedModelPackageGroup(
            scope,
            id,
            name=parts.resource_name,
            arn=model_package_group_arn,
            artifacts=artifacts,
            image_repositories=image_repositories,
        )

    @classmethod
    def from_model_package_group_name(
        cls,
        scope: Construct,
        id: str,
        model_package_group_name: str,
        *,
        account: str | None = None,
        region: str | None = None,
        artifacts: ModelArtifacts | None = None,
        image_repositories: Sequence[ecr.IRepository] = (),
    ) -> ModelPackageGroupBase:
        """An existing group by name. `account` / `region` default to the scope's stack's."""
        stack = cdk.Stack.of(scope)
        arn = stack.format_arn(
            service="sagemaker",
            resource="model-package-group",
            resource_name=model_package_group_name,
            account=account,
            region=region,
        )
        return cls.from_model_package_group_arn(
            scope, id, arn, artifacts=artifacts, image_repositories=image_repositories
        )

    # --- public methods ---

    def add_to_resource_policy(self, statement: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        """Add a statement to the group's resource policy (PutModelPackageGroupPolicy)."""
        self._policy.add_statements(statement)
        return iam.AddToResourcePolicyResult(statement_added=True, policy_dependable=self._resource)

    # --- private ---

    def _grant_access(self, grantee: iam.IGrantable, access: RegistryAccess) -> iam.Grant:
        principal_grant = super()._grant_access(grantee, access)
        if principal_grant.principal_statement is not None and _same_account(grantee, self):
            return principal_grant
        # The principal is in another account, or is a role this app cannot change: the group's
        # resource policy must allow it.
        statements = [self.allow(grantee.grant_principal, _GROUP_ACTIONS[access])]
        if access is RegistryAccess.REGISTER:
            statements.insert(0, self.allow(grantee.grant_principal, REGISTER_ACTIONS, conditions=REGISTER_CONDITIONS))
        grant = principal_grant
        for statement in statements:
            grant = grant.combine(
                iam.Grant.add_statement_to_resource_policy(
                    statement=statement,
                    resource=self,
                    grantee=grantee,
                    actions=statement.actions,
                    resource_arns=[],
                )
            )
        return grant

    def allow(
        self,
        principal: iam.IPrincipal,
        actions: Sequence[str],
        *,
        conditions: dict[str, dict[str, object]] | None = None,
    ) -> iam.PolicyStatement:
        """A resource policy statement for `principal` on the group and its versions (not yet added).

        With `organization_id`, it also requires ``aws:PrincipalOrgID``.
        """
        resource_conditions: dict[str, dict[str, object]] = {
            key: dict(value) for key, value in (conditions or {}).items()
        }
        if self._organization_id is not None:
            resource_conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = self._organization_id
        return iam.PolicyStatement(
            principals=[principal],
            actions=list(actions),
            resources=[self.model_package_group_arn_for_policy, *self.model_package_arns],
            conditions=resource_conditions or None,
        )

    @property
    def model_package_group_arn_for_policy(self) -> str:
        # The group's own policy cannot Ref/GetAtt the group (a circular reference): its ARN, built.
        return cdk.Stack.of(self).format_arn(
            service="sagemaker", resource="model-package-group", resource_name=self.model_package_group_name
        )

    @staticmethod
    def _validate_name(name: str) -> None:
        if cdk.Token.is_unresolved(name):
            return
        problems = ProblemCollector("ModelPackageGroup")
        problems.check(
            MODEL_PACKAGE_GROUP_NAME_PATTERN.match(name) is not None,
            f"model_package_group_name={name!r}: must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}$",
        )
        problems.raise_if_any()


class _ImportedModelPackageGroup(ModelPackageGroupBase):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        arn: str,
        artifacts: ModelArtifacts | None,
        image_repositories: Sequence[ecr.IRepository],
    ) -> None:
        super().__init__(scope, id, environment_from_arn=arn)
        self.model_package_group_name = name
        self.model_package_group_arn = arn
        self.artifacts = artifacts
        self.image_repositories = tuple(image_repositories)


# --- ModelRegistry ------------------------------------------------------------------------------


def _sid_part(group: str) -> str:
    """A group name as part of a statement id (Sids are alphanumeric): `fraud-detection` -> `FraudDetection`."""
    return "".join(part[:1].upper() + part[1:] for part in group.split("-"))


class ModelRegistry(Construct):
    """The central registry of the registry account.

    - one `ModelPackageGroup` per name in `model_package_groups`, its artifacts under ``<group>/``;
    - the model artifacts bucket: customer managed KMS key (S3 Bucket Key), versioned, TLS only, server
      access logs to a logs bucket of its own, public access blocked, RETAIN, objects only encrypted with
      its key; the bucket and key policies allow exactly the roles given to `add_access`;
    - an EventBridge rule forwarding "SageMaker Model Package State Change" events of these groups whose
      status is Approved (and Rejected, for the groups in `forward_rejected`) to `events_bus_arn`, through
      the role `<name>-model-events-forwarder`; what the bus refuses lands in a KMS-encrypted dead-letter
      queue (`dead_letter_queue`, 14 days).

    Metrics: SageMaker publishes none for the registry; alarm on the dead-letter queue's
    `metric_approximate_number_of_messages_visible()`.

    :param platform_name: prefix of the bucket, key alias, rule and role names (`naming`).
    :param model_package_groups: group names (SageMaker's pattern).
    :param events_bus_arn: the tooling account's model events bus. Default: no forwarding.
    :param forward_rejected: groups (of `model_package_groups`) whose Rejected versions are forwarded too, so
        that the tooling account can stop and roll back their deployments. Default: none.
    :param organization_id: ``aws:PrincipalOrgID`` on every statement for a principal. Default: none.
    :param key_admins: principals that administer the artifacts key. Default: the CloudFormation
        execution role of the stack's `DefaultStackSynthesizer` (the CDK bootstrap role that deploys it).
        No account root: the key serves exactly the roles given to `add_access`.
    :param dead_letter_readers: roles of the registry account that may read (and delete) the forwarding
        dead letters. Default: none; the queue's depth still shows failures, and approving a version again
        (UpdateModelPackage) makes SageMaker emit its event again.
    :param removal_policy: of the groups, bucket and key. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform_name: str,
        model_package_groups: Sequence[str],
        events_bus_arn: str | None = None,
        forward_rejected: Sequence[str] = (),
        organization_id: str | None = None,
        key_admins: Sequence[iam.IPrincipal] | None = None,
        dead_letter_readers: Sequence[iam.IRole] = (),
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        self._validate(model_package_groups, forward_rejected)
        self._organization_id = organization_id
        self._key_alias_name = naming.model_artifacts_key_alias(platform_name)
        self._key_admins = list(key_admins) if key_admins is not None else [_deployment_role(stack)]
        self._key_policy = iam.PolicyDocument()  # no account-root statement: every principal is named below
        self.key = self._render_key(
            "ArtifactsKey",
            f"{platform_name}: model artifacts in the central registry",
            self._key_policy,
            removal_policy,
        )
        self.key.add_alias(self._key_alias_name)
        self.logs_bucket = self._render_logs_bucket(removal_policy)
        bucket_name = naming.model_artifacts_bucket_name(platform_name, stack.account, stack.region)
        # The key policy names the bucket by its built ARN: a GetAtt would make key and bucket depend on each other.
        self._bucket_arn = f"arn:{stack.partition}:s3:::{bucket_name}"
        self.bucket = encrypted_bucket(
            self,
            "ArtifactsBucket",
            bucket_name=bucket_name,
            key=self.key,
            access_logs=self.logs_bucket,
            access_logs_prefix="artifacts/",
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
        self._deny_foreign_encryption()
        self._statements: dict[str, iam.PolicyStatement] = {}
        self.groups: dict[str, ModelPackageGroup] = {
            name: ModelPackageGroup(
                self,
                # The name itself: unique, and stable for as long as the group is in the config.
                f"Group-{name}",
                model_package_group_name=name,
                description=f"{platform_name}: versions of {name}",
                artifacts=ModelArtifacts(bucket=self.bucket, prefix=f"{name}/", key=self.key),
                organization_id=organization_id,
                removal_policy=removal_policy,
            )
            for name in model_package_groups
        }
        self.forwarding_rule: events.Rule | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        self.events_key: kms.Key | None = None
        if events_bus_arn is not None:
            self.forwarding_rule = self._render_forwarding(
                platform_name, events_bus_arn, list(model_package_groups), list(forward_rejected), removal_policy
            )
            for reader in dead_letter_readers:
                self.grant_read_dead_letters(reader)
        self._add_validations()

    # --- public methods ---

    def add_access(self, role: iam.IRole, access: RegistryAccess, *, groups: Sequence[str] | None = None) -> None:
        """Let `role` (usually in another account) use the groups and their artifacts at `access` level.

        Writes the resource-side statements: each group's resource policy, and the bucket and key policies
        (use through S3, for this bucket only). Roles with the same artifact access to the same groups share
        one statement, so the bucket and key policies grow with the kinds of access plus the groups, not with
        their product. The role's own identity policy is its account's business (`WorkloadAccess`,
        `grant_groups`).

        :param groups: the group names `role` may use (e.g. the one group an endpoint is fed by).
            Default: every group of the registry.
        """
        names = self._group_names(groups)
        for name in names:
            group = self.groups[name]
            # Written explicitly, not through grant_*: an imported role may be of this very account and
            # still not be this app's to change (e.g. an approver's role in the registry account).
            if access is RegistryAccess.REGISTER:
                group.add_to_resource_policy(group.allow(role, REGISTER_ACTIONS, conditions=REGISTER_CONDITIONS))
            group.add_to_resource_policy(group.allow(role, _GROUP_ACTIONS[access]))
        if access is RegistryAccess.APPROVE:
            return
        writes = access.writes_artifacts
        # Statements for a subset of groups get the subset in their Sid: a churn reader is not a fraud reader.
        suffix = "" if names == tuple(self.groups) else "".join(_sid_part(name) for name in names)
        self._shared_statement(
            ("ReadWriteArtifacts" if writes else "ReadArtifacts") + suffix,
            self._render_objects_statement,
            writes,
            names,
        ).add_principals(role)
        self._shared_statement("ListArtifacts" + suffix, self._render_list_statement, writes, names).add_principals(
            role
        )
        # One key statement whatever the groups: with an S3 Bucket Key the encryption context is the bucket,
        # so the key cannot tell prefixes apart; the bucket policy and the role's own policy do.
        self._shared_statement(
            "EncryptThroughS3" if writes else "DecryptThroughS3", self._render_key_statement, writes, names
        ).add_principals(role)

    def add_model_creator(self, principal: iam.IPrincipal, *, groups: Sequence[str]) -> None:
        """Let `principal` describe the versions of `groups` and create SageMaker models from them.

        For the principal that calls CreateModel with a pinned version of another account (CloudFormation's
        execution role in a hosting account): the caller needs the group's resource policy; the model's
        execution role (`add_access`) is what then reads and decrypts the artifacts.
        """
        for name in self._group_names(groups):
            group = self.groups[name]
            group.add_to_resource_policy(group.allow(principal, READ_ACTIONS + DEPLOY_ACTIONS))

    def grant_read_dead_letters(self, role: iam.IRole) -> iam.Grant:
        """Let a role of the registry account read and delete the forwarding dead letters (and decrypt them
        through SQS)."""
        if self.dead_letter_queue is None or self.events_key is None:
            raise PropsError("ModelRegistry.grant_read_dead_letters", ["no events_bus_arn: nothing is forwarded"])
        stack = cdk.Stack.of(self)
        self.events_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[role],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"kms:ViaService": f"sqs.{stack.region}.{stack.url_suffix}"}},
            )
        )
        return self.dead_letter_queue.grant_consume_messages(role)

    # --- private ---

    def _group_names(self, groups: Sequence[str] | None) -> tuple[str, ...]:
        if groups is None:
            return tuple(self.groups)
        unknown = sorted(set(groups) - set(self.groups))
        if unknown or not groups:
            raise PropsError(
                "ModelRegistry.add_access",
                [f"groups={list(groups)!r}: give one or more of the registry's groups {sorted(self.groups)}"],
            )
        # In the registry's order, so that the same subset always renders the same statement.
        return tuple(name for name in self.groups if name in groups)

    def _shared_statement(
        self,
        sid: str,
        render: Callable[[str, bool, Sequence[str]], tuple[iam.PolicyStatement, bool]],
        writes: bool,
        names: Sequence[str],
    ) -> iam.PolicyStatement:
        if sid not in self._statements:
            statement, on_key = render(sid, writes, names)
            if on_key:
                self.key.add_to_resource_policy(statement)
            else:
                self.bucket.add_to_resource_policy(statement)
            self._statements[sid] = statement
        return self._statements[sid]

    def _render_objects_statement(
        self, sid: str, writes: bool, names: Sequence[str]
    ) -> tuple[iam.PolicyStatement, bool]:
        statement = iam.PolicyStatement(
            sid=sid,
            actions=list(ARTIFACT_READ_ACTIONS + (ARTIFACT_WRITE_ACTIONS if writes else ())),
            resources=[self.bucket.arn_for_objects(f"{name}/*") for name in names],
            conditions=self._org_conditions() or None,
        )
        return statement, False

    def _render_list_statement(self, sid: str, writes: bool, names: Sequence[str]) -> tuple[iam.PolicyStatement, bool]:
        statement = iam.PolicyStatement(
            sid=sid,
            actions=list(ARTIFACT_LIST_ACTIONS),
            resources=[self.bucket.bucket_arn],
            conditions={
                **self._org_conditions(),
                "StringLike": {"s3:prefix": [p for name in names for p in (f"{name}/", f"{name}/*")]},
            },
        )
        return statement, False

    def _render_key_statement(self, sid: str, writes: bool, names: Sequence[str]) -> tuple[iam.PolicyStatement, bool]:
        stack = cdk.Stack.of(self)
        conditions = self._org_conditions()
        statement = iam.PolicyStatement(
            sid=sid,
            actions=list(KEY_WRITE_ACTIONS if writes else KEY_READ_ACTIONS),
            resources=["*"],
            conditions={
                **conditions,
                "StringEquals": {
                    **conditions.get("StringEquals", {}),
                    "kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}",
                },
                # With an S3 Bucket Key the context is the bucket; without one, the object.
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [self._bucket_arn, f"{self._bucket_arn}/*"]},
            },
        )
        return statement, True

    # --- private ---

    def _org_conditions(self) -> dict[str, dict[str, object]]:
        if self._organization_id is None:
            return {}
        return {"StringEquals": {"aws:PrincipalOrgID": self._organization_id}}

    def _deny_foreign_encryption(self) -> None:
        # Objects encrypted with another key (or SSE-S3) would be unreadable to, or readable beyond, the
        # roles this key policy names.
        objects = self.bucket.arn_for_objects("*")
        stack = cdk.Stack.of(self)
        alias_arn = stack.format_arn(service="kms", resource=self._key_alias_name)
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyOtherEncryption",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[objects],
                conditions={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyOtherKeys",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[objects],
                conditions={
                    "StringNotEqualsIfExists": {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": [self.key.key_arn, alias_arn]
                    }
                },
            )
        )

    def _render_logs_bucket(self, removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
        return access_logs_bucket(
            self,
            "AccessLogsBucket",
            of="the model artifacts bucket",
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=cdk.Duration.days(365),
                    noncurrent_version_expiration=cdk.Duration.days(30),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                )
            ],
        )

    def _render_forwarding(
        self,
        platform_name: str,
        events_bus_arn: str,
        groups: list[str],
        rejected: list[str],
        removal_policy: cdk.RemovalPolicy,
    ) -> events.Rule:
        stack = cdk.Stack.of(self)
        rule_name = naming.model_approvals_rule_name(platform_name)
        rule_arn = stack.format_arn(service="events", resource="rule", resource_name=rule_name)
        role = PlatformRole(
            self,
            "ForwarderRole",
            role_name=naming.model_events_forwarder_role_name(platform_name),
            description=f"{platform_name}: forwards approved (and rejected) model package versions to the tooling bus",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account, "aws:SourceArn": rule_arn}}
            ),
        )
        bus = events.EventBus.from_event_bus_arn(self, "ToolingBus", events_bus_arn)
        rule = events.Rule(
            self,
            "ForwardApprovals",
            rule_name=rule_name,
            description="Approved (and rejected deployed) versions of the registry's groups, to the tooling account",
            event_pattern=forwarding_event_pattern(groups, rejected),
        )
        # Events the tooling bus refuses (a missing bus policy, throttling) are kept for replay, not dropped.
        self.events_key = self._render_key(
            "ForwardingKey",
            f"{platform_name}: undelivered model approval events",
            iam.PolicyDocument(),
            removal_policy,
        )
        self.events_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeDeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.dead_letter_queue = sqs.Queue(
            self,
            "ForwardingDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.events_key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            removal_policy=removal_policy,
        )
        acknowledge_dead_letter_queue(self.dead_letter_queue, of="the approval forwarding rule's target")
        rule.add_target(targets.EventBus(bus, role=role, dead_letter_queue=self.dead_letter_queue))
        return rule

    def _render_key(
        self, id: str, description: str, policy: iam.PolicyDocument, removal_policy: cdk.RemovalPolicy
    ) -> kms.Key:
        key = kms.Key(
            self,
            id,
            description=description,
            enable_key_rotation=True,
            policy=policy,
            removal_policy=removal_policy,
        )
        limit_grants_to_aws_resources(key)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="KeyAdministration", principals=self._key_admins, actions=list(KEY_ADMIN_ACTIONS), resources=["*"]
            )
        )
        return key

    def _add_validations(self) -> None:
        documents = lambda: [  # noqa: E731 - read at synth, once every statement is in
            ("artifacts bucket policy", self.bucket.policy.document if self.bucket.policy is not None else None),
            ("artifacts key policy", self._key_policy),
        ]
        self.node.add_validation(_PolicyChecks(self, documents))

    @staticmethod
    def _validate(model_package_groups: Sequence[str], forward_rejected: Sequence[str]) -> None:
        problems = ProblemCollector("ModelRegistry")
        problems.check(len(model_package_groups) > 0, "model_package_groups=[]: give at least one group name")
        unknown = sorted(set(forward_rejected) - set(model_package_groups))
        problems.check(
            not unknown,
            f"forward_rejected={list(forward_rejected)}: {unknown} not in model_package_groups "
            f"{list(model_package_groups)}",
        )
        lowered = [name.lower() for name in model_package_groups]
        duplicates = sorted({name for name in lowered if lowered.count(name) > 1})
        problems.check(not duplicates, f"model_package_groups: duplicate names {duplicates} (names ignore case)")
        problems.raise_if_any()


def approval_event_pattern(groups: Sequence[str]) -> events.EventPattern:
    """The pattern of an approved version of one of `groups` ("SageMaker Model Package State Change")."""
    return forwarding_event_pattern(groups, ())


def forwarding_event_pattern(groups: Sequence[str], rejected: Sequence[str]) -> events.EventPattern:
    """Approved versions of `groups`, and Rejected versions of `rejected` (a subset of `groups`)."""
    detail: dict[str, Any] = {"ModelPackageGroupName": list(groups)}
    if not rejected:
        detail["ModelApprovalStatus"] = ["Approved"]
    elif set(rejected) == set(groups):
        detail["ModelApprovalStatus"] = ["Approved", "Rejected"]
    else:
        # Rejections only of the groups something deploys; every approval, as before.
        detail["$or"] = [
            {"ModelApprovalStatus": ["Approved"]},
            {"ModelApprovalStatus": ["Rejected"], "ModelPackageGroupName": list(rejected)},
        ]
    return events.EventPattern(source=[SAGEMAKER_EVENT_SOURCE], detail_type=[MODEL_PACKAGE_STATE_CHANGE], detail=detail)


# --- ModelEventsBus -----------------------------------------------------------------------------

_FORWARDER_STATEMENT_ID = "RegistryForwarderOnly"


class ModelEventsBus(Construct):
    """The tooling account's bus for model package events, open only to the registry's forwarder role.

    Its policy allows `events:PutEvents` to exactly one principal, the role `forwarder_role_arn` of the
    registry account, and only for events whose source is ``aws.sagemaker`` and detail type
    "SageMaker Model Package State Change" (with `organization_id`, also ``aws:PrincipalOrgID``).

    :param event_bus_name: `naming.model_events_bus_name`.
    :param forwarder_role_arn: the registry account's forwarder role (`naming.model_events_forwarder_role_name`).
    :param organization_id: Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        event_bus_name: str,
        forwarder_role_arn: str,
        organization_id: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.bus = events.EventBus(
            self,
            "Bus",
            event_bus_name=event_bus_name,
            description="Model package state changes forwarded by the central registry",
        )
        conditions: dict[str, object] = {
            "events:source": SAGEMAKER_EVENT_SOURCE,
            "events:detail-type": MODEL_PACKAGE_STATE_CHANGE,
        }
        if organization_id is not None:
            conditions["aws:PrincipalOrgID"] = organization_id
        statement = iam.PolicyStatement(
            sid=_FORWARDER_STATEMENT_ID,
            principals=[iam.ArnPrincipal(forwarder_role_arn)],
            actions=["events:PutEvents"],
            # Built from the name: the bus's own policy cannot refer to the bus's Arn attribute.
            resources=[
                cdk.Stack.of(self).format_arn(service="events", resource="event-bus", resource_name=event_bus_name)
            ],
            conditions={"StringEquals": conditions},
        )
        # The policy is the bus's own `Policy` property, not an AWS::Events::EventBusPolicy: cdk-nag reads that
        # resource's deprecated `principal` (a deprecation warning on every synth). The statement id differs
        # from the former policy resource's (`cdk-RegistryForwarderOnly`), whose removal on update deletes
        # only its own statement.
        cfn_bus = self.bus.node.default_child
        assert isinstance(cfn_bus, events.CfnEventBus)
        cfn_bus.policy = iam.PolicyDocument(statements=[statement]).to_json()

    @property
    def event_bus_arn(self) -> str:
        return self.bus.event_bus_arn

    @property
    def event_bus_name(self) -> str:
        return self.bus.event_bus_name


# --- helpers ------------------------------------------------------------------------------------


def _same_account(grantee: iam.IGrantable, resource: cdk.Resource) -> bool:
    principal_account = grantee.grant_principal.principal_account
    if principal_account is None:
        return True  # a service principal or similar: no account to cross
    account = resource.env.account
    # As Token.compareStrings (whose jsii result cannot be compared in Python): two unresolved accounts
    # count as the same, one unresolved and one concrete as different.
    if cdk.Token.is_unresolved(principal_account) and cdk.Token.is_unresolved(account):
        return True
    return principal_account == account


def _deployment_role(stack: cdk.Stack) -> iam.IPrincipal:
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


def acknowledge_wildcard_resources(grantee: object, resources: Sequence[str], reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for exactly `resources` on `grantee` (when it is a construct of this app).

    The finding ids name each resource as cdk-nag prints it (``arn:<AWS::Partition>:...``).
    """
    target = getattr(grantee, "grant_principal", grantee)
    if not isinstance(target, Construct):
        return
    stack = cdk.Stack.of(target)
    acknowledge(target, {f"AwsSolutions-IAM5[Resource::{_nag_text(stack.resolve(arn))}]": reason for arn in resources})


def _nag_text(value: object) -> str:
    """A resolved CloudFormation value as cdk-nag writes it in finding ids."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_nag_text(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return str(value["Fn::Sub"])
    raise TypeError(f"cannot name {value!r} as cdk-nag does")


# S3 bucket policies hold 20 KB, KMS key policies 32 KB. A policy is measured as it will deploy, each
# token replaced by the longest value it can take.
_POLICY_LIMITS = {"artifacts bucket policy": 20_480, "artifacts key policy": 32_768}
_LONGEST_REF = {"AWS::Partition": "aws-us-gov", "AWS::URLSuffix": "amazonaws.com.cn", "AWS::AccountId": "0" * 12}
_LONGEST_OTHER = 96  # a region, an ARN from GetAtt, any other Ref


def deployed_policy_size(value: object) -> int:
    """Characters of a resolved policy once CloudFormation has replaced its intrinsics (at most)."""

    def deployed(item: object) -> object:
        if isinstance(item, dict) and "Fn::Join" in item:
            separator, parts = item["Fn::Join"]
            return str(separator).join(str(deployed(part)) for part in parts)
        if isinstance(item, dict) and "Ref" in item:
            return _LONGEST_REF.get(item["Ref"], "x" * _LONGEST_OTHER)
        if isinstance(item, dict) and ("Fn::GetAtt" in item or "Fn::Sub" in item):
            return "x" * _LONGEST_OTHER
        if isinstance(item, dict):
            return {key: deployed(entry) for key, entry in item.items()}
        if isinstance(item, list):
            return [deployed(entry) for entry in item]
        return item

    return len(json.dumps(deployed(value), separators=(",", ":")))


@jsii.implements(IValidation)
class _PolicyChecks:
    """Refuses a resource policy that names an account root (``arn:...:root`` or a bare account id) as
    principal, or that would exceed its service limit (too many groups or roles)."""

    def __init__(
        self, scope: Construct, documents: Callable[[], Sequence[tuple[str, iam.PolicyDocument | None]]]
    ) -> None:
        self._scope = scope
        self._documents = documents

    def validate(self) -> list[str]:
        stack = cdk.Stack.of(self._scope)
        problems = []
        for what, document in self._documents():
            if document is None or document.is_empty:
                continue
            resolved = stack.resolve(document.to_json())
            for statement in resolved.get("Statement", []):
                for principal in _aws_principals(statement):
                    if principal.endswith(":root") or principal.isdigit():
                        problems.append(f"{what}: principal {principal} is an account root; name a role instead")
            size = deployed_policy_size(resolved)
            if what in _POLICY_LIMITS and size > _POLICY_LIMITS[what]:
                problems.append(
                    f"{what}: about {size} characters, over its limit of {_POLICY_LIMITS[what]}; split the model "
                    "package groups over more than one registry (platform name), or give fewer roles access"
                )
        return problems


def _aws_principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return []
    value = principal.get("AWS", [])
    return [_nag_text(v) for v in (value if isinstance(value, list) else [value])]

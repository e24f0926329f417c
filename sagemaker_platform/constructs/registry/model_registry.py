"""`ModelRegistry`: the central registry of the registry account, composed of its groups, the artifacts
bucket and key, and approval forwarding; `add_access` writes the resource side of every role's access.

Cross-account access needs both sides: the principal's identity policy (the `grant_*` methods add it
where the principal is a role this app can change) and the registry's resource policies (the group's
policy, the bucket policy, the key policy; `ModelRegistry.add_access` writes all three for one role).
Every principal is a named role, never an account root; with `organization_id`, every resource policy
statement for a principal also requires `aws:PrincipalOrgID`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.registry.access import (
    ARTIFACT_LIST_ACTIONS,
    ARTIFACT_READ_ACTIONS,
    ARTIFACT_WRITE_ACTIONS,
    DEPLOY_ACTIONS,
    GROUP_ACTIONS,
    KEY_READ_ACTIONS,
    KEY_WRITE_ACTIONS,
    READ_ACTIONS,
    REGISTER_ACTIONS,
    REGISTER_CONDITIONS,
    RegistryAccess,
)
from sagemaker_platform.constructs.registry.artifacts import ModelArtifacts
from sagemaker_platform.constructs.registry.artifacts_bucket import (
    deny_foreign_encryption,
    deployment_role,
    render_artifacts_bucket,
    render_key,
    render_logs_bucket,
)
from sagemaker_platform.constructs.registry.forwarding import render_forwarding
from sagemaker_platform.constructs.registry.group import ModelPackageGroup
from sagemaker_platform.constructs.registry.policies import PolicyChecks
from sagemaker_platform.constructs.storage import own_or_shared_access_logs
from sagemaker_platform.errors import ProblemCollector, PropsError

_StatementRenderer = Callable[[str, bool, Sequence[str]], tuple[iam.PolicyStatement, bool]]
"""Renders a shared statement from (sid, writes, group names); True when it belongs in the key policy."""


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
    :param access_logs: the bucket receiving the artifacts bucket's S3 server access logs, under
        ``<stack name>/artifacts/``; its policy must admit log delivery from this account. Default: a log
        bucket of its own (`AccessLogsBucket`, logs under ``artifacts/``).
    """

    key: kms.Key
    """The artifacts bucket's customer managed key (alias `naming.model_artifacts_key_alias`)."""
    bucket: s3.Bucket
    """The model artifacts bucket (`naming.model_artifacts_bucket_name`)."""
    logs_bucket: s3.IBucket
    """The artifacts bucket's server access logs bucket (`access_logs` when given)."""

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
        access_logs: s3.IBucket | None = None,
    ) -> None:
        super().__init__(scope, id)
        self._validate(model_package_groups, forward_rejected)
        self._organization_id = organization_id
        self._key_alias_name = naming.model_artifacts_key_alias(platform_name)
        self._key_admins = list(key_admins) if key_admins is not None else [deployment_role(cdk.Stack.of(self))]
        self._key_policy = iam.PolicyDocument()  # no account-root statement: every principal is named below
        self._render_storage(platform_name, removal_policy, access_logs)
        self._statements: dict[str, iam.PolicyStatement] = {}
        self.groups: dict[str, ModelPackageGroup] = self._render_groups(
            platform_name, model_package_groups, organization_id, removal_policy
        )
        self.forwarding_rule: events.Rule | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        self.events_key: kms.Key | None = None
        if events_bus_arn is not None:
            self._add_forwarding(platform_name, events_bus_arn, model_package_groups, forward_rejected, removal_policy)
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
            group.add_to_resource_policy(group.allow(role, GROUP_ACTIONS[access]))
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

    def _render_storage(
        self, platform_name: str, removal_policy: cdk.RemovalPolicy, access_logs: s3.IBucket | None
    ) -> None:
        stack = cdk.Stack.of(self)
        self.key = render_key(
            self,
            "ArtifactsKey",
            description=f"{platform_name}: model artifacts in the central registry",
            policy=self._key_policy,
            admins=self._key_admins,
            removal_policy=removal_policy,
        )
        self.key.add_alias(self._key_alias_name)
        self.logs_bucket, log_namespace = own_or_shared_access_logs(
            self, access_logs, lambda: render_logs_bucket(self, removal_policy)
        )
        bucket_name = naming.model_artifacts_bucket_name(platform_name, stack.account, stack.region)
        # The key policy names the bucket by its built ARN: a GetAtt would make key and bucket depend on each other.
        self._bucket_arn = f"arn:{stack.partition}:s3:::{bucket_name}"
        self.bucket = render_artifacts_bucket(
            self,
            bucket_name=bucket_name,
            key=self.key,
            logs_bucket=self.logs_bucket,
            logs_prefix=f"{log_namespace}artifacts/",
            removal_policy=removal_policy,
        )
        deny_foreign_encryption(self.bucket, self.key, self._key_alias_name)

    def _render_groups(
        self,
        platform_name: str,
        names: Sequence[str],
        organization_id: str | None,
        removal_policy: cdk.RemovalPolicy,
    ) -> dict[str, ModelPackageGroup]:
        return {
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
            for name in names
        }

    def _add_forwarding(
        self,
        platform_name: str,
        events_bus_arn: str,
        groups: Sequence[str],
        rejected: Sequence[str],
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        forwarding = render_forwarding(
            self,
            platform_name=platform_name,
            events_bus_arn=events_bus_arn,
            groups=list(groups),
            rejected=list(rejected),
            key_admins=self._key_admins,
            removal_policy=removal_policy,
        )
        self.forwarding_rule = forwarding.rule
        self.dead_letter_queue = forwarding.dead_letter_queue
        self.events_key = forwarding.events_key

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
        render: _StatementRenderer,
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

    def _org_conditions(self) -> dict[str, dict[str, object]]:
        if self._organization_id is None:
            return {}
        return {"StringEquals": {"aws:PrincipalOrgID": self._organization_id}}

    def _add_validations(self) -> None:
        documents = lambda: [  # noqa: E731 - read at synth, once every statement is in
            ("artifacts bucket policy", self.bucket.policy.document if self.bucket.policy is not None else None),
            ("artifacts key policy", self._key_policy),
        ]
        self.node.add_validation(PolicyChecks(self, documents))

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


def _sid_part(group: str) -> str:
    """A group name as part of a statement id (Sids are alphanumeric): `fraud-detection` -> `FraudDetection`."""
    return "".join(part[:1].upper() + part[1:] for part in group.split("-"))

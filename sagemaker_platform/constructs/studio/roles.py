"""Execution roles of the Studio domain: personas, own roles, what Studio needs, and data grants."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IConstruct

from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.studio import actions
from sagemaker_platform.constructs.studio.base import StudioDomainBase
from sagemaker_platform.constructs.studio.nag import domain_wildcard_reasons, nag_arn, wildcard_finding
from sagemaker_platform.constructs.studio.settings import AuthMode, Persona
from sagemaker_platform.constructs.wildcards import acknowledge_statement_wildcards


class _StudioRoles(StudioDomainBase):
    """The roles part of `StudioDomain`, and the state its other parts share (set in `StudioDomain.__init__`)."""

    removal_policy: cdk.RemovalPolicy
    auth_mode: AuthMode
    key: kms.IKey
    _ops_key: kms.Key
    _kept: list[IConstruct]
    domain: sagemaker.CfnDomain
    execution_role: PlatformRole
    member_policy: iam.ManagedPolicy
    persona_roles: dict[Persona, PlatformRole]
    user_profile_roles: dict[str, iam.IRole]
    _personas: dict[str, Persona]

    def roles_of_persona(self, persona: Persona) -> list[iam.IRole]:
        """Every execution role a user of `persona` may run with: the persona's role and the own roles
        (`own_role`) of its users. Grant a persona's permissions on each."""
        if persona not in self.persona_roles:
            return []
        own = [role for user, role in sorted(self.user_profile_roles.items()) if self._personas[user] == persona]
        return [self.persona_roles[persona], *own]

    def grant_read_data(
        self, bucket: s3.IBucket, objects_key_pattern: str = "*", *, user: str | None = None
    ) -> iam.Grant:
        """Let the default execution role (or `user`'s own role) list and read objects of `bucket` under the pattern.

        Named actions only (no `s3:GetObject*`), `s3:ListBucket` limited to the pattern as prefix, and
        `kms:Decrypt` on the bucket's key when it has one. The pattern's wildcard is acknowledged on the role.
        """
        return self._grant_data(
            bucket, objects_key_pattern, user, actions.DATA_READ_ACTIONS, actions.DATA_READ_KEY_ACTIONS
        )

    def grant_read_write_data(
        self, bucket: s3.IBucket, objects_key_pattern: str = "*", *, user: str | None = None
    ) -> iam.Grant:
        """As `grant_read_data`, plus writing and deleting objects under the pattern (and encrypting with the key)."""
        return self._grant_data(
            bucket,
            objects_key_pattern,
            user,
            actions.DATA_READ_ACTIONS + actions.DATA_WRITE_ACTIONS,
            actions.DATA_READ_KEY_ACTIONS + actions.DATA_WRITE_KEY_ACTIONS,
        )

    # --- private helpers ----------------------------------------------------------------------------------

    def _grant_data(
        self,
        bucket: s3.IBucket,
        pattern: str,
        user: str | None,
        object_actions: list[str],
        key_actions: list[str],
    ) -> iam.Grant:
        role = self._role_of(user)
        grant = iam.Grant.add_to_principal(
            grantee=role, actions=object_actions, resource_arns=[bucket.arn_for_objects(pattern)]
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=role,
                actions=actions.DATA_LIST_ACTIONS,
                resource_arns=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [pattern]}},
            )
        )
        if bucket.encryption_key is not None:
            grant = grant.combine(bucket.encryption_key.grant(role, *key_actions))
        if "*" in pattern:
            acknowledge(
                role,
                {
                    f"AwsSolutions-IAM5[Resource::{nag_arn(cdk.Stack.of(role), bucket)}/{pattern}]": f"objects "
                    f"under '{pattern}' of this bucket, granted on purpose with StudioDomain.grant_*_data"
                },
            )
        return grant

    # --- rendering ---------------------------------------------------------------------------------------

    def _role_of(self, user: str | None) -> iam.IRole:
        if user is None:
            return self.execution_role
        if user not in self.user_profile_roles:
            raise KeyError(
                f"user {user!r} has no role of its own; users with own_role: {sorted(self.user_profile_roles)}"
            )
        return self.user_profile_roles[user]

    def _render_execution_role(
        self, id: str, purpose: str, scope: Construct | None = None, *, role_name: str | None = None
    ) -> PlatformRole:
        stack = cdk.Stack.of(self)
        role = PlatformRole(
            scope if scope is not None else self,
            id,
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"SageMaker Studio {purpose}, scoped to one domain",
        )
        return role

    def add_to_member_policy(self, statement: iam.PolicyStatement, wildcard_reason: str | None = None) -> None:
        """Grant `statement` to every execution role of this domain (`member_policy`): the persona roles and the
        users' own roles. A wildcard resource needs `wildcard_reason`, acknowledged on the policy."""
        self.member_policy.add_statements(statement)
        acknowledge_statement_wildcards(self.member_policy, statement, wildcard_reason)

    def _render_member_policy(self) -> iam.ManagedPolicy:
        """What Studio needs from an execution role, limited to this domain's apps, spaces and profiles: one
        policy attached to every execution role of the domain (`_attach_member_policy`), so that its wildcards
        are written, and reviewed, once."""
        stack = cdk.Stack.of(self)
        arn = f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}"
        log_group = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws/sagemaker/studio"
        policy = iam.ManagedPolicy(
            self,
            "MemberPolicy",
            description="What every execution role of this Studio domain needs (its apps, spaces, own profile)",
            statements=[
                iam.PolicyStatement(
                    actions=actions.DOMAIN_DESCRIBE_ACTIONS, resources=[f"{arn}:domain/{self.domain_id}"]
                ),
                iam.PolicyStatement(
                    actions=actions.PROFILE_DESCRIBE_ACTIONS,
                    resources=[f"{arn}:user-profile/{self.domain_id}/{actions.OWN_PROFILE_PATTERN}"],
                ),
                iam.PolicyStatement(actions=actions.APP_ACTIONS, resources=[f"{arn}:app/{self.domain_id}/*"]),
                iam.PolicyStatement(actions=actions.SPACE_ACTIONS, resources=[f"{arn}:space/{self.domain_id}/*"]),
                iam.PolicyStatement(actions=actions.LOG_ACTIONS, resources=[log_group, f"{log_group}:*"]),
                iam.PolicyStatement(actions=actions.KEY_USE_ACTIONS, resources=[self.key.key_arn]),
                iam.PolicyStatement(
                    actions=["kms:CreateGrant"],
                    resources=[self.key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                ),
                iam.PolicyStatement(actions=actions.LIST_ACTIONS, resources=["*"]),
            ],
        )
        acknowledge(
            policy,
            {
                **domain_wildcard_reasons(stack, self._domain_ref(), with_list=True, with_profiles=False),
                wildcard_finding(stack, "logs", "log-group:/aws/sagemaker/studio:*"): "log streams of Studio's "
                "own log group get generated names",
            },
        )
        return policy

    def _attach_member_policy(self, role: iam.IRole) -> None:
        """Make `role` an execution role of this domain (a role of a profile shard attaches the policy of the
        domain's stack: CloudFormation passes the role's name up through the shard's outputs)."""
        self.member_policy.attach_to_role(role)

    def _domain_ref(self) -> str:
        """How cdk-nag renders this domain's id in the domain's own stack."""
        return f"<{cdk.Stack.of(self).get_logical_id(self.domain)}.DomainId>"

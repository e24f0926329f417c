"""`ModelPackageGroup`: one SageMaker model package group, L2 style.

`IModelPackageGroup` is what an owned group and an imported one (`from_model_package_group_arn`,
`from_model_package_group_name`) share: their ARNs, where their artifacts live, and the `grant_*` methods,
each returning an `iam.Grant`.

Metrics: SageMaker publishes no CloudWatch metrics for model package groups or model packages (the
model registry is a control-plane catalogue), so there are no `metric_*` methods; watch the
"SageMaker Model Package State Change" events instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_platform.constructs.registry.access import (
    GROUP_ACTIONS,
    REGISTER_ACTIONS,
    REGISTER_CONDITIONS,
    RegistryAccess,
)
from sagemaker_platform.constructs.registry.artifacts import (
    ModelArtifacts,
)
from sagemaker_platform.constructs.registry.grants import grant_groups
from sagemaker_platform.constructs.registry.policies import PolicyChecks, same_account
from sagemaker_platform.contracts.names import NAME_63_RE as MODEL_PACKAGE_GROUP_NAME_PATTERN
from sagemaker_platform.errors import ProblemCollector, PropsError


class IModelPackageGroup(Protocol):
    """A model package group, owned by this app or imported."""

    @property
    def model_package_group_name(self) -> str:
        """The group's name."""
        ...

    @property
    def model_package_group_arn(self) -> str:
        """The group's ARN."""
        ...

    @property
    def model_package_arns(self) -> list[str]:
        """ARN patterns of every version in the group."""
        ...

    @property
    def artifacts(self) -> ModelArtifacts | None:
        """Where the group's artifacts live; None when not known."""
        ...

    @property
    def image_repositories(self) -> tuple[ecr.IRepository, ...]:
        """ECR repositories of the versions' inference images (pulled by `grant_deploy`)."""
        ...

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Describe and list the group and its versions; read its artifacts (when known)."""
        ...

    def grant_register(self, grantee: iam.IGrantable) -> iam.Grant:
        """Register versions (PendingManualApproval only) and write artifacts."""
        ...

    def grant_approve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Approve or reject versions."""
        ...

    def grant_deploy(self, grantee: iam.IGrantable) -> iam.Grant:
        """Create SageMaker models from versions."""
        ...


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
        self.node.add_validation(PolicyChecks(self, lambda: [("model package group resource policy", self._policy)]))

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
    ) -> IModelPackageGroup:
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
    ) -> IModelPackageGroup:
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
        """The group's ARN as its own resource policy names it."""
        # The group's own policy cannot Ref/GetAtt the group (a circular reference): its ARN, built.
        return cdk.Stack.of(self).format_arn(
            service="sagemaker", resource="model-package-group", resource_name=self.model_package_group_name
        )

    # --- private ---

    def _grant_access(self, grantee: iam.IGrantable, access: RegistryAccess) -> iam.Grant:
        principal_grant = super()._grant_access(grantee, access)
        if principal_grant.principal_statement is not None and same_account(grantee, self):
            return principal_grant
        # The principal is in another account, or is a role this app cannot change: the group's
        # resource policy must allow it.
        statements = [self.allow(grantee.grant_principal, GROUP_ACTIONS[access])]
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
    """A group of any account, known by its ARN: identity-side grants only."""

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

"""`IStudioDomain`, the interface of a Studio domain, and `StudioDomainBase`, its grants (STYLE.md point 11).

SageMaker publishes no CloudWatch metrics per Studio domain (its metrics are per endpoint, job and
pipeline), so the base class offers no `metric_*` methods.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct, Node

from sagemaker_platform.constructs.studio.actions import PRESIGNED_URL_ACTIONS


@runtime_checkable
class IStudioDomain(Protocol):
    """A SageMaker Studio domain: one this app creates (`StudioDomain`) or an imported one.

    :ivar domain_id: the domain's id, e.g. ``d-abc123``.
    :ivar domain_arn: the domain's ARN.
    :ivar domain_url: the domain's Studio URL; None when unknown (an import without it).
    """

    @property
    def node(self) -> Node:
        """The construct tree node."""
        ...

    domain_id: str
    domain_arn: str
    domain_url: str | None

    def grant_create_presigned_url(self, grantee: iam.IGrantable, user_profile: str = "*") -> iam.Grant:
        """Let `grantee` create presigned Studio URLs for `user_profile` of this domain."""
        ...


class StudioDomainBase(Construct):
    """What every Studio domain offers, created or imported: its identifiers and grants.

    Metrics: none; SageMaker publishes no CloudWatch metrics per Studio domain.
    """

    domain_id: str
    domain_arn: str
    domain_url: str | None

    def grant_create_presigned_url(self, grantee: iam.IGrantable, user_profile: str = "*") -> iam.Grant:
        """Let `grantee` create presigned Studio URLs (`sagemaker:CreatePresignedDomainUrl`) for a user profile.

        :param grantee: who opens Studio for the user, e.g. a sign-in portal's function role.
        :param user_profile: the user profile name. Default: ``"*"``, every profile of this domain (the
            wildcard stays inside the domain; acknowledge it on the grantee if cdk-nag reports it).
        :returns: the grant, on `grantee`'s identity policy.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=PRESIGNED_URL_ACTIONS, resource_arns=[self.user_profile_arn(user_profile)]
        )

    def user_profile_arn(self, user_profile: str) -> str:
        """The ARN of `user_profile` in this domain: ``arn:...:user-profile/<domain id>/<name>``."""
        return cdk.Stack.of(self).format_arn(
            service="sagemaker", resource="user-profile", resource_name=f"{self.domain_id}/{user_profile}"
        )


class _ImportedStudioDomain(StudioDomainBase):
    """A domain created elsewhere, known by its id (and optionally its ARN and URL)."""

    def __init__(
        self, scope: Construct, id: str, *, domain_id: str, domain_arn: str | None, domain_url: str | None
    ) -> None:
        super().__init__(scope, id)
        self.domain_id = domain_id
        self.domain_arn = (
            domain_arn
            if domain_arn is not None
            else cdk.Stack.of(self).format_arn(service="sagemaker", resource="domain", resource_name=domain_id)
        )
        self.domain_url = domain_url

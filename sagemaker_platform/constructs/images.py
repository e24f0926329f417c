"""Container images: the platform's ECR repositories for custom training and inference images.

Each repository is KMS-encrypted (customer managed key), scans on push, has immutable tags and lifecycle
rules, and is retained by default. Its repository policy lets *named* roles of the workload accounts pull
(never an account root), and, when CI lives in another account, named CI roles push.

Why the roles are named in an `aws:PrincipalArn` condition (with `Principal: "*"`) and not as principals:
ECR's SetRepositoryPolicy refuses a principal that does not exist yet, and the repositories deploy first
(with the tooling account's identities) while the endpoint roles that pull are created later by the hosting
stacks. The condition names each role exactly (StringEquals, no wildcard), so it grants no more.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_platform.compliance import acknowledge, skip_checkov
from sagemaker_platform.errors import ProblemCollector

# --- actions, in one place ---------------------------------------------------------------------------------

PULL_ACTIONS: tuple[str, ...] = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
"""What SageMaker does with an execution role to pull an image (plus ecr:GetAuthorizationToken, on `*`)."""
PUSH_ACTIONS: tuple[str, ...] = (
    *PULL_ACTIONS,
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
)
"""What `docker push` (and a CI job reading its scan findings) does."""


def repository_name(platform: str, name: str) -> str:
    """ECR repository of an `images.repositories` entry: `<platform>/<name>`."""
    return f"{platform}/{name}"


class ImageRepository(Construct):
    """One ECR repository for the platform's images, shared with named roles.

    Example::

        key = kms.Key(self, "ImagesKey", enable_key_rotation=True)
        repo = ImageRepository(self, "ChurnServing", repository_name="mlplatform/churn-serving", key=key,
                               pull_role_arns=["arn:aws:iam::444444444444:role/mlplatform-endpoint-churn-staging"])

    :param repository_name: the ECR repository name.
    :param key: the KMS key encrypting the images.
    :param pull_role_arns: exact ARNs of the roles (any account) the repository policy lets pull. Default: none.
    :param push_role_arns: exact ARNs of the roles the repository policy lets push (only needed for roles of
        another account; same-account roles need only their identity policy). Default: none.
    :param organization_id: with it, every statement also requires `aws:PrincipalOrgID`. Default: none.
    :param keep_tagged: lifecycle: the newest images kept. Default: 100.
    :param untagged_days: lifecycle: untagged images expire after these days. Default: 7.
    :param removal_policy: Default: RETAIN (images are build outputs that deployed endpoints still run).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        repository_name: str,
        key: kms.IKey,
        pull_role_arns: Sequence[str] = (),
        push_role_arns: Sequence[str] = (),
        organization_id: str | None = None,
        keep_tagged: int = 100,
        untagged_days: int = 7,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        self._validate(pull_role_arns, push_role_arns, keep_tagged, untagged_days)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=repository_name,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=key,
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            lifecycle_rules=_lifecycle_rules(keep_tagged, untagged_days),
            removal_policy=removal_policy,
            empty_on_delete=False,
        )
        self._organization_id = organization_id
        if pull_role_arns:
            self._allow("PullByNamedRoles", PULL_ACTIONS, pull_role_arns)
        if push_role_arns:
            self._allow("PushByNamedCiRoles", PUSH_ACTIONS, push_role_arns)
        if pull_role_arns or push_role_arns:
            self._acknowledge_named_principals()

    @property
    def repository_arn(self) -> str:
        return self.repository.repository_arn

    @property
    def repository_uri(self) -> str:
        return self.repository.repository_uri

    def grant_pull(self, grantee: iam.IGrantable) -> iam.Grant:
        """Identity-side pull for a role of this account (other accounts: name the role in `pull_role_arns`)."""
        return self.repository.grant_pull(grantee)

    def grant_push(self, grantee: iam.IGrantable) -> iam.Grant:
        """Identity-side push (`docker push`) for a role of this account."""
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(PUSH_ACTIONS), resource_arns=[self.repository.repository_arn]
        )
        ecr.AuthorizationToken.grant_read(grantee)
        return grant

    def _acknowledge_named_principals(self) -> None:
        acknowledge(
            self.repository,
            {
                "AwsSolutions-ECR1": "not open: every statement's Principal '*' is narrowed by StringEquals on "
                "aws:PrincipalArn to the exact ARNs of named roles (ECR refuses principals that do not exist "
                "yet, and the pulling roles are created by stacks deployed after this one)",
            },
        )
        skip_checkov(
            self.repository,
            {
                "CKV_AWS_32": "Principal '*' is narrowed by an exact aws:PrincipalArn list of named roles: ECR "
                "refuses principals that do not exist yet, and the pulling roles are created after this stack",
            },
        )

    def _allow(self, sid: str, actions: Sequence[str], role_arns: Sequence[str]) -> None:
        conditions: dict[str, dict[str, object]] = {"StringEquals": {"aws:PrincipalArn": sorted(set(role_arns))}}
        if self._organization_id is not None:
            conditions["StringEquals"]["aws:PrincipalOrgID"] = self._organization_id
        self.repository.add_to_resource_policy(
            iam.PolicyStatement(sid=sid, principals=[iam.AnyPrincipal()], actions=list(actions), conditions=conditions)
        )

    @staticmethod
    def _validate(
        pull_role_arns: Sequence[str], push_role_arns: Sequence[str], keep_tagged: int, untagged_days: int
    ) -> None:
        problems = ProblemCollector("ImageRepository")
        for name, arns in (("pull_role_arns", pull_role_arns), ("push_role_arns", push_role_arns)):
            for arn in arns:
                if cdk.Token.is_unresolved(arn):
                    continue
                problems.check(
                    ":role/" in arn and "*" not in arn,
                    f"{name}: {arn!r} must be the exact ARN of a role (no wildcard, never an account root)",
                )
        problems.check(1 <= keep_tagged <= 10000, f"keep_tagged={keep_tagged}: allowed 1-10000")
        problems.check(1 <= untagged_days <= 3650, f"untagged_days={untagged_days}: allowed 1-3650")
        problems.raise_if_any()


def _lifecycle_rules(keep_tagged: int, untagged_days: int) -> list[ecr.LifecycleRule]:
    """Untagged images (layers of overwritten builds) expire first; then only the newest images are kept."""
    return [
        ecr.LifecycleRule(
            rule_priority=1,
            description=f"Expire untagged images after {untagged_days} days",
            tag_status=ecr.TagStatus.UNTAGGED,
            max_image_age=cdk.Duration.days(untagged_days),
        ),
        ecr.LifecycleRule(
            rule_priority=2,
            description=f"Keep the newest {keep_tagged} images",
            tag_status=ecr.TagStatus.ANY,
            max_image_count=keep_tagged,
        ),
    ]

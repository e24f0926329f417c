"""Inference container images: Deep Learning Containers (per region and partition), ECR repositories, URIs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.constructs.common import regional_account
from sagemaker_platform.constructs.shared_policies import SharedStatement, add_shared_statements
from sagemaker_platform.constructs.wildcards import add_statement
from sagemaker_platform.errors import PropsError
from sagemaker_platform.regions import url_suffix_of

__all__ = [
    "DLC_REGISTRY_ACCOUNTS",
    "ContainerImage",
]

# AWS Deep Learning Containers registry account per region (aws/deep-learning-containers
# available_images.md, the SageMaker Python SDK image_uri_config and the SageMaker docs' ECR paths).
# Regions missing here (newer ones) need `account=` on `ContainerImage.from_dlc`.
DLC_REGISTRY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-northeast-1": "763104351884",
    "ap-northeast-2": "763104351884",
    "ap-northeast-3": "364406365360",
    "ap-south-1": "763104351884",
    "ap-south-2": "772153158452",
    "ap-southeast-1": "763104351884",
    "ap-southeast-2": "763104351884",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ca-central-1": "763104351884",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-1": "763104351884",
    "eu-central-2": "380420809688",
    "eu-north-1": "763104351884",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "eu-west-1": "763104351884",
    "eu-west-2": "763104351884",
    "eu-west-3": "763104351884",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
    "sa-east-1": "763104351884",
    "us-east-1": "763104351884",
    "us-east-2": "763104351884",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
    "us-west-1": "763104351884",
    "us-west-2": "763104351884",
}

_DLC_MAPPING_ID = "DlcRegistryAccounts"
_ECR_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
_IMAGE_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)[:@].+$"
)


@dataclass(frozen=True)
class ContainerImage:
    """An inference container image. Build it with one of the `from_*` class methods."""

    _kind: Literal["dlc", "ecr", "uri"]
    repository_name: str
    tag: str = ""
    account: str | None = None
    uri: str = ""
    ecr_repository: ecr.IRepository | None = field(default=None, compare=False)

    @classmethod
    def from_dlc(cls, repository: str, tag: str, *, account: str | None = None) -> ContainerImage:
        """An AWS Deep Learning Container by repository and tag, e.g. ``from_dlc("pytorch-inference", tag)``.

        The registry account is looked up for the stack's region (a CloudFormation mapping for an
        env-agnostic stack) and the domain follows the partition. `account`: Default: the DLC registry
        of the region; give it for regions missing from `DLC_REGISTRY_ACCOUNTS` or for a mirror.
        """
        return cls("dlc", repository_name=repository, tag=tag, account=account)

    @classmethod
    def from_account_repository(cls, repository: str, tag: str, *, account: str) -> ContainerImage:
        """An image in an ECR repository of `account` in the stack's region, e.g. the platform's image account
        (`images`): the URI and the pull grant are built like a DLC's, with that account."""
        return cls("dlc", repository_name=repository, tag=tag, account=account)

    @classmethod
    def from_ecr_repository(cls, repository: ecr.IRepository, tag: str) -> ContainerImage:
        """An image in an ECR repository of this platform (pull permission is granted to the model's role)."""
        return cls("ecr", repository_name=repository.repository_name, tag=tag, ecr_repository=repository)

    @classmethod
    def from_uri(cls, uri: str) -> ContainerImage:
        """A pre-built image by URI (``<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>``)."""
        match = _IMAGE_URI.match(uri)
        return cls(
            "uri",
            repository_name=match.group("repo") if match else uri.rsplit("/", 1)[-1].split(":")[0],
            tag=uri.rsplit(":", 1)[-1] if ":" in uri.rsplit("/", 1)[-1] else "",
            account=match.group("account") if match else None,
            uri=uri,
        )

    @property
    def is_triton(self) -> bool:
        """NVIDIA Triton Inference Server (the only server SageMaker supports for GPU multi-model endpoints)."""
        return "tritonserver" in self.repository_name

    @property
    def is_gpu_build(self) -> bool:
        """The tag names a GPU build (DLC tags carry ``-gpu-``), which cannot run on CPU-only serverless."""
        return bool(re.search(r"(^|[-_.])gpu([-_.]|$)", self.tag))

    def image_uri(self, scope: Construct) -> str:
        """The image URI in the region and partition of `scope`'s stack."""
        if self._kind == "uri":
            return self.uri
        if self._kind == "ecr":
            assert self.ecr_repository is not None
            return self.ecr_repository.repository_uri_for_tag(self.tag)
        stack = cdk.Stack.of(scope)
        suffix = stack.url_suffix if cdk.Token.is_unresolved(stack.region) else url_suffix_of(stack.region)
        return f"{self._registry_account(stack)}.dkr.ecr.{stack.region}.{suffix}/{self.repository_name}:{self.tag}"

    def grant_pull(self, grantee: iam.IGrantable, scope: Construct) -> None:
        """Let `grantee` (the model's execution role) pull this image."""
        stack = cdk.Stack.of(scope)
        if self._kind == "ecr":
            assert self.ecr_repository is not None
            repository_arn = self.ecr_repository.repository_arn
        else:
            account = self._registry_account(stack) if self._kind == "dlc" else self.account
            if account is None:  # not an ECR URI we can scope: SageMaker pulls it as a public image
                return
            region = stack.region if self._kind == "dlc" else _IMAGE_URI.match(self.uri).group("region")  # type: ignore[union-attr]
            repository_arn = f"arn:{stack.partition}:ecr:{region}:{account}:repository/{self.repository_name}"
        add_statement(grantee, iam.PolicyStatement(actions=list(_ECR_PULL_ACTIONS), resources=[repository_arn]))
        # The same for every image: one policy per stack for the roles that pull (`SharedPolicies`).
        add_shared_statements(
            grantee,
            "EcrAuthorization",
            [
                SharedStatement(
                    iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
                    "ecr:GetAuthorizationToken supports no resource-level permissions; each role pulls image layers "
                    "from its own named repositories only",
                )
            ],
            "ECR authorization tokens for the roles that pull model images",
        )

    def _registry_account(self, stack: cdk.Stack) -> str:
        if self.account is not None:
            return self.account
        if cdk.Token.is_unresolved(stack.region):
            return regional_account(stack, _DLC_MAPPING_ID, dict(sorted(DLC_REGISTRY_ACCOUNTS.items())), stack.region)
        account = DLC_REGISTRY_ACCOUNTS.get(stack.region)
        if account is None:
            raise PropsError(
                "ContainerImage.from_dlc",
                [
                    f"region={stack.region!r} has no known Deep Learning Containers registry; pass account=... "
                    f"(known regions: {', '.join(sorted(DLC_REGISTRY_ACCOUNTS))})"
                ],
            )
        return account

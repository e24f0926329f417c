"""`PlatformImageRegistry`: the platform's own ECR repositories (`images`) that tuning training jobs may pull.

A spec's `image: {platform_repository, tag}` is resolved here at synth (grants, the launcher's image) and by
the request builder at run time, from the environment this registry renders (`environment`): the URI depends
on the images account, region and platform name, which a spec never states.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform.contracts.tuning_spec import PlatformImage
from sagemaker_platform.regions import url_suffix_of


@dataclass(frozen=True)
class PlatformImageRegistry:
    """Repositories `<prefix>/<name>` of `account`, in the stack's region, that the training role may pull.

    Example::

        PlatformImageRegistry(account="111111111111", prefix="mlplatform", repositories=("churn-training",))

    :param account: the account holding the repositories (may be a token, e.g. `Aws.ACCOUNT_ID`).
    :param prefix: the repositories' name prefix (the platform name: `images.repository_name`).
    :param repositories: names (without the prefix) granted to the training role; their repository policies
        must let the role in too when `account` is another account.
    """

    account: str
    prefix: str
    repositories: tuple[str, ...]

    def registry(self, scope: Construct) -> str:
        """`<account>.dkr.ecr.<region>.<suffix>/<prefix>`, in the region and partition of `scope`'s stack."""
        stack = cdk.Stack.of(scope)
        suffix = stack.url_suffix if cdk.Token.is_unresolved(stack.region) else url_suffix_of(stack.region)
        return f"{self.account}.dkr.ecr.{stack.region}.{suffix}/{self.prefix}"

    def image_uri(self, scope: Construct, image: PlatformImage) -> str:
        return f"{self.registry(scope)}/{image.repository}:{image.tag}"

    def repository_arn(self, scope: Construct, image: PlatformImage) -> str:
        stack = cdk.Stack.of(scope)
        return f"arn:{stack.partition}:ecr:{stack.region}:{self.account}:repository/{self.prefix}/{image.repository}"

    def environment(self, scope: Construct) -> dict[str, str]:
        """What the request builder reads (`tuning_request.PlatformImages`)."""
        return {
            "PLATFORM_IMAGE_REGISTRY": self.registry(scope),
            "PLATFORM_IMAGE_REPOSITORIES": ",".join(self.repositories),
        }

    def problem(self, image: PlatformImage) -> str | None:
        """Why the training role cannot pull `image`, or None."""
        if image.repository in self.repositories:
            return None
        return (
            f"platform_repository={image.repository!r} is not granted to the training role; "
            f"granted: {', '.join(self.repositories) or 'none'}"
        )

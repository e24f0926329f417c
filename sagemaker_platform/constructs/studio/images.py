"""SageMaker-published Studio Classic images, resolved per region and partition."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform.constructs.common import regional_account
from sagemaker_platform.constructs.studio.settings import _IMAGE_NAME, STUDIO_IMAGE_ACCOUNTS, ClassicImages
from sagemaker_platform.errors import ProblemCollector


def studio_image_arn(scope: Construct, image: str) -> str:
    """ARN of a SageMaker-published Studio image in the region and partition of `scope`'s stack.

    A concrete region without the image fails here, listing the supported regions; an env-agnostic
    stack resolves the account through a `CfnMapping` at deploy time.
    """
    stack = cdk.Stack.of(scope)
    if not cdk.Token.is_unresolved(stack.region) and stack.region not in STUDIO_IMAGE_ACCOUNTS:
        problems = ProblemCollector("StudioDomain")
        problems.add(
            f"classic_images=True: region {stack.region!r} has no SageMaker Studio Classic images; "
            f"supported regions: {', '.join(sorted(STUDIO_IMAGE_ACCOUNTS))}"
        )
        problems.raise_if_any()
    if cdk.Token.is_unresolved(stack.region):
        _studio_region_rule(stack)
    account = regional_account(stack, "StudioImageAccounts", STUDIO_IMAGE_ACCOUNTS, stack.region)
    return f"arn:{stack.partition}:sagemaker:{stack.region}:{account}:image/{image}"


def validate_images(classic_images: bool | ClassicImages) -> None:
    """Refuse a `ClassicImages` whose image names are not SageMaker image names."""
    if not isinstance(classic_images, ClassicImages):
        return
    problems = ProblemCollector("StudioDomain")
    for field_name in ("jupyter_server", "kernel_gateway"):
        value = getattr(classic_images, field_name)
        problems.check(
            bool(_IMAGE_NAME.match(value)),
            f"classic_images.{field_name}={value!r}: must be a SageMaker image name, e.g. datascience-1.0",
        )
    problems.raise_if_any()


def _studio_region_rule(stack: cdk.Stack) -> None:
    """An env-agnostic stack deploys anywhere: refuse a region without Studio images with a readable message
    before any resource is created (instead of a raw Fn::FindInMap failure on the domain)."""
    if stack.node.try_find_child("StudioImageRegion") is not None:
        return
    supported = sorted(STUDIO_IMAGE_ACCOUNTS)
    rule = cdk.CfnRule(stack, "StudioImageRegion")
    rule.add_assertion(
        cdk.Fn.condition_contains(supported, cdk.Aws.REGION),
        "SageMaker Studio Classic images (studio.classic_images) are published only in these regions: "
        + ", ".join(supported)
        + ". Deploy to one of them, or turn classic_images off.",
    )

"""`RegistryLookup`: the Lambda function a pipeline's Lambda step calls to read the central registry at run time.

It answers the build pipeline's champion/challenger gate (the latest Approved version's objective metric)
and the batch inference pipeline (the latest Approved version to score with). Its role has a fixed name
(`naming.lifecycle_lookup_role_name`) so that the registry's group policies can grant it read access
(`stacks.registry.extra_registry_roles`); it may only describe and list the groups it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.function import PlatformFunction
from sagemaker_platform.constructs.lifecycle.definition import LambdaOutput, Step
from sagemaker_platform.constructs.lifecycle.nag import nag_text
from sagemaker_platform.constructs.registry import READ_ACTIONS

HANDLER_ASSET = "lifecycle_lookup"
LOOKUP_TIMEOUT_SECONDS = 60
# "champion": the gate's question (the latest Approved version's metric); "latest": the version to score with.
LookupMode = Literal["champion", "latest"]


class RegistryLookup(Construct):
    """The registry lookup function of one account.

    Example::

        lookup = RegistryLookup(self, "Lookup", platform_name="mlplatform", key=storage.key,
                                model_package_group_arns=[group_arn])

    :param platform_name: names the function's role (`naming.lifecycle_lookup_role_name`), which the
        registry's group policies name.
    :param key: KMS key of the function's logs, environment and dead-letter queue.
    :param model_package_group_arns: the groups it may read (describe the group, list and describe versions).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform_name: str,
        key: kms.IKey,
        model_package_group_arns: Sequence[str],
    ) -> None:
        super().__init__(scope, id)
        self.function = PlatformFunction(
            self,
            "Function",
            handler_name=HANDLER_ASSET,
            key=key,
            description="Lifecycle pipelines: reads the latest Approved version of a registry group",
            timeout=cdk.Duration.seconds(LOOKUP_TIMEOUT_SECONDS),
            role_name=naming.lifecycle_lookup_role_name(platform_name),
        )
        versions = [arn.replace(":model-package-group/", ":model-package/") + "/*" for arn in model_package_group_arns]
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadRegistryGroups",
                actions=list(READ_ACTIONS),
                resources=sorted(model_package_group_arns) + sorted(versions),
            )
        )
        stack = cdk.Stack.of(self)
        acknowledge(
            self.function.role,
            {
                f"AwsSolutions-IAM5[Resource::{nag_text(stack, arn)}]": "the versions of this registry group are "
                "numbered as they are registered; describe and list only"
                for arn in versions
            },
        )

    @property
    def function_arn(self) -> str:
        return self.function.function_arn


def lookup_step(name: str, *, function_arn: str, model_package_group_arn: str, mode: LookupMode, **step: Any) -> Step:
    """A pipeline's Lambda step calling the lookup function; its outputs are the handler's answer
    (``has_champion``, ``champion_metric``, ``model_package_arn``). `step`: other `Step` fields (``depends_on``)."""
    return Step(
        name=name,
        type="Lambda",
        function_arn=function_arn,
        arguments={"model_package_group": model_package_group_arn, "mode": mode},
        outputs=(
            LambdaOutput("has_champion", "Boolean"),
            LambdaOutput("champion_metric", "Float"),
            LambdaOutput("model_package_arn", "String"),
        ),
        **step,
    )

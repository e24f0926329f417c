"""`RegistryLookup`: the Lambda function a pipeline's Lambda step calls to read the central registry at run time.

It answers the build pipeline's champion/challenger gate (the latest Approved version's objective metric)
and the batch inference pipeline (the latest Approved version to score with). It reads the registry as the
account's pipeline-step role, which trusts this function's role by name (`naming.lifecycle_lookup_role_name`).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.function import PlatformFunction

HANDLER_ASSET = "lifecycle_lookup"
LOOKUP_TIMEOUT_SECONDS = 60


class RegistryLookup(Construct):
    """The registry lookup function of one account.

    Example::

        lookup = RegistryLookup(self, "Lookup", platform_name="mlplatform", key=storage.key,
                                pipeline_step_role_arn=step_role.role_arn)

    :param platform_name: names the function's role (`naming.lifecycle_lookup_role_name`), which the
        pipeline-step role trusts.
    :param key: KMS key of the function's logs, environment and dead-letter queue.
    :param pipeline_step_role_arn: the role the registry trusts; the function assumes it.
    """

    def __init__(
        self, scope: Construct, id: str, *, platform_name: str, key: kms.IKey, pipeline_step_role_arn: str
    ) -> None:
        super().__init__(scope, id)
        self.function = PlatformFunction(
            self,
            "Function",
            handler_name=HANDLER_ASSET,
            key=key,
            description="Lifecycle pipelines: reads the latest Approved version of a registry group",
            timeout=cdk.Duration.seconds(LOOKUP_TIMEOUT_SECONDS),
            environment={"PIPELINE_STEP_ROLE_ARN": pipeline_step_role_arn},
            role_name=naming.lifecycle_lookup_role_name(platform_name),
        )
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[pipeline_step_role_arn])
        )

    @property
    def function_arn(self) -> str:
        return self.function.function_arn

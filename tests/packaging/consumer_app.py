"""A consumer's CDK app: what an application team writes after ``pip install sagemaker-platform``.

tests/packaging/test_wheel.py copies this file into a temporary folder outside the repository and runs
it with the Python of a clean virtual environment where only the built wheel (and its dependencies)
is installed, so every import and every Lambda handler must come from the installed package.

It is the README's consumer examples put together: a Studio domain with a data grant, a model package
group of the central registry imported with a deploy grant, and an asynchronous GPU endpoint hosting a
registry version that scales to zero — all through the compliance gate.
"""

from __future__ import annotations

import json
import sys

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

import sagemaker_platform
from sagemaker_platform.assets import handler_dir
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.hosting import (
    AsyncSettings,
    Endpoint,
    EndpointSettings,
    RegistryArtifacts,
    VariantSettings,
)
from sagemaker_platform.constructs.hosting_catalog import ModelSource
from sagemaker_platform.constructs.registry import ModelArtifacts, ModelPackageGroup
from sagemaker_platform.constructs.studio import StudioDomain, StudioUser

HANDLER = "studio_teardown"
REGISTRY_ACCOUNT = "222222222222"
REGION = "eu-west-1"
PACKAGE_ARN = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/churn/4"
ARTIFACTS_BUCKET = f"mlplatform-models-{REGISTRY_ACCOUNT}-{REGION}"
ARTIFACTS_KEY = f"arn:aws:kms:{REGION}:{REGISTRY_ACCOUNT}:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def build_consumer_stack(app: cdk.App) -> cdk.Stack:
    """The consumer's stack: single constructs of the library in an application team's own app."""
    stack = cdk.Stack(app, "ConsumerStack", env=cdk.Environment(account="333333333333", region=REGION))
    studio = StudioDomain(
        stack,
        "Studio",
        domain_name="research",
        auth_mode="IAM",
        users=[StudioUser("alice"), StudioUser("bob", own_role=True)],
        idle_shutdown_minutes=120,
    )
    datasets = s3.Bucket.from_bucket_name(stack, "Datasets", "research-datasets")
    studio.grant_read_data(datasets, "curated/*")

    endpoint = Endpoint(
        stack,
        "Churn",
        endpoint_name="churn-async",
        model=ModelSource.from_model_package(PACKAGE_ARN, artifacts=RegistryArtifacts(ARTIFACTS_BUCKET, ARTIFACTS_KEY)),
        settings=EndpointSettings(
            mode="async",
            variants=(VariantSettings(instance_type="ml.g5.xlarge", min_instances=0, max_instances=2),),
            async_inference=AsyncSettings(invocation_timeout_seconds=3600, max_concurrent_invocations_per_instance=1),
        ),
    )
    group = ModelPackageGroup.from_model_package_group_arn(
        stack,
        "ChurnGroup",
        f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/churn",
        artifacts=ModelArtifacts(
            bucket=s3.Bucket.from_bucket_attributes(
                stack, "RegistryArtifacts", bucket_name=ARTIFACTS_BUCKET, account=REGISTRY_ACCOUNT, region=REGION
            ),
            prefix="churn/",
            key_alias="alias/mlplatform-model-artifacts",
        ),
    )
    group.grant_deploy(endpoint.role)
    return stack


def main() -> int:
    app = cdk.App()
    build_consumer_stack(app)
    add_compliance_gate(app)
    app.synth()
    # What the test checks: where the package and its handler code were found.
    print(
        json.dumps(
            {
                "package_file": sagemaker_platform.__file__,
                "version": sagemaker_platform.__version__,
                "handler_dir": str(handler_dir(HANDLER)),
                "root_exports": sagemaker_platform.Endpoint is Endpoint,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

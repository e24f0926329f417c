"""Image URIs of SageMaker's own images, resolved per region through a CfnMapping (env-agnostic stacks too)."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from constructs import Construct

from sagemaker_platform.constructs.common import regional_account
from sagemaker_platform.tuning_spec import XGBOOST_REGISTRY_ACCOUNTS

# Registry accounts of the Model Monitor analyzer image (sagemaker-model-monitor-analyzer), per region.
MODEL_MONITOR_ACCOUNTS = {
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
    "ca-central-1": "536280801234",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "eu-central-1": "048819808253",
    "eu-north-1": "895015795356",
    "ap-south-1": "126357580389",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "sa-east-1": "539772159869",
}
MODEL_MONITOR_IMAGE = "sagemaker-model-monitor-analyzer"


def builtin_image_uri(scope: Construct, image: str) -> str:
    """The URI of `image`: as given (an ECR URI), or a SageMaker built-in (``sagemaker-xgboost:1.7-1``,
    ``sagemaker-scikit-learn:1.2-1-cpu-py3``; one registry account per region for both)."""
    if "/" in image:
        return image
    return regional_image_uri(scope, "LifecycleBuiltinImageRegistries", XGBOOST_REGISTRY_ACCOUNTS, image)


def model_monitor_image_uri(scope: Construct) -> str:
    """The Model Monitor analyzer of the stack's region (baselining steps and monitoring jobs)."""
    return regional_image_uri(
        scope, "ModelMonitorImageRegistries", MODEL_MONITOR_ACCOUNTS, f"{MODEL_MONITOR_IMAGE}:latest"
    )


def regional_image_uri(scope: Construct, mapping_id: str, accounts: Mapping[str, str], image: str) -> str:
    """``<account of the region>.dkr.ecr.<region>.<suffix>/<image>``, the account from a stack-level mapping
    (`mapping_id`, made on first use)."""
    account = regional_account(cdk.Stack.of(scope), mapping_id, accounts)
    return cdk.Fn.join("", [account, ".dkr.ecr.", cdk.Aws.REGION, ".", cdk.Aws.URL_SUFFIX, "/", image])

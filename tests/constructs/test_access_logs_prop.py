"""The `access_logs` prop of the constructs whose buckets log access: without it, each keeps its own log bucket
where it always was (a library user's template and logical IDs do not change); with it, no log bucket of its
own, and the logs go to the given bucket under ``<stack name>/<its prefix>``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from constructs import Construct

from sagemaker_platform.constructs.gateway import GatewayService, InferenceGateway
from sagemaker_platform.constructs.hosting import HostingShared
from sagemaker_platform.constructs.lifecycle import LifecycleStorage
from sagemaker_platform.constructs.registry import ModelRegistry
from sagemaker_platform.constructs.tuning import TuningStorage
from tests.support import resources_of_type

SHARED_LOGS = "team-access-logs-bucket"
Build = Callable[[Construct, s3.IBucket | None], Any]


def _gateway(stack: Construct, logs: s3.IBucket | None) -> Any:
    service = GatewayService("churn", "mlplatform-churn-prod", "async")
    return InferenceGateway(stack, "Gateway", platform_name="mlplatform", services=[service], access_logs=logs)


def _registry(stack: Construct, logs: s3.IBucket | None) -> Any:
    return ModelRegistry(stack, "Registry", platform_name="ml", model_package_groups=["churn"], access_logs=logs)


# (construct, its own log bucket's logical ID as the reference app deployed it before, {source bucket: prefix})
CASES: dict[str, tuple[Build, str, dict[str, str]]] = {
    "tuning": (
        lambda stack, logs: TuningStorage(stack, "Storage", access_logs=logs),
        "StorageAccessLogs96FB524C",
        {"StorageData": "data/", "StorageOutput": "output/"},
    ),
    "hosting": (
        lambda stack, logs: HostingShared(stack, "Shared", access_logs=logs),
        "SharedAccessLogs09FDFF7D",
        {"SharedBucket": "hosting/"},
    ),
    "lifecycle": (
        lambda stack, logs: LifecycleStorage(stack, "Storage", access_logs=logs),
        "StorageAccessLogs96FB524C",
        {"StorageData": "data/"},
    ),
    "registry": (_registry, "RegistryAccessLogsBucketDF72E946", {"RegistryArtifactsBucket": "artifacts/"}),
    "gateway": (_gateway, "GatewayAccessLogs87AA0EC3", {"GatewayInputs": "inputs/", "GatewayOutputs": "outputs/"}),
}


def _buckets(build: Build, *, shared: bool) -> dict[str, dict[str, Any]]:
    stack = cdk.Stack(cdk.App(), "Lib")
    logs = s3.Bucket.from_bucket_name(stack, "TeamLogs", SHARED_LOGS) if shared else None
    build(stack, logs)
    return resources_of_type(Template.from_stack(stack).to_json(), "AWS::S3::Bucket")


def _logging(buckets: dict[str, dict[str, Any]], source_prefix: str) -> dict[str, Any]:
    (logical_id,) = [logical_id for logical_id in buckets if logical_id.startswith(source_prefix)]
    logging: dict[str, Any] = buckets[logical_id]["Properties"]["LoggingConfiguration"]
    return logging


@pytest.mark.parametrize("case", sorted(CASES))
def test_given_no_access_logs_then_the_construct_keeps_its_own_log_bucket_and_prefixes(case: str) -> None:
    build, own_logical_id, prefixes = CASES[case]
    buckets = _buckets(build, shared=False)
    assert own_logical_id in buckets
    for source, prefix in prefixes.items():
        logging = _logging(buckets, source)
        assert logging == {"DestinationBucketName": {"Ref": own_logical_id}, "LogFilePrefix": prefix}


@pytest.mark.parametrize("case", sorted(CASES))
def test_given_access_logs_then_the_construct_logs_there_under_its_stack_name_and_has_no_log_bucket(
    case: str,
) -> None:
    build, own_logical_id, prefixes = CASES[case]
    buckets = _buckets(build, shared=True)
    assert own_logical_id not in buckets
    assert len(buckets) == len(prefixes), sorted(buckets)  # the data buckets only
    for source, prefix in prefixes.items():
        assert _logging(buckets, source) == {"DestinationBucketName": SHARED_LOGS, "LogFilePrefix": f"Lib/{prefix}"}

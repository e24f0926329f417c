"""Constants and sample data shared by the deploy handler tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sagemaker_platform import naming

EVENTS = Path(__file__).resolve().parent / "events"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PLATFORM = "mlplatform"
GROUP = "churn"
ENDPOINT = "churn-realtime"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{naming.deploy_state_machine_name(PLATFORM)}"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:deployments"
SMOKE_TEST = {
    "payload": '{"instances": [[1, 2, 3]]}',
    "content_type": "application/json",
    "accept": None,
    "target_model": None,
    "expect_contains": "body",
}
GROUPS = {GROUP: {"endpoints": [ENDPOINT], "rollback_on_reject": True, "smoke_test": SMOKE_TEST}}


def package_event(
    version: int = 1, status: str = "Approved", group: str = GROUP, time: str | None = None
) -> dict[str, Any]:
    """A 'SageMaker Model Package State Change' event as the registry forwards it, emitted now unless `time`."""
    event = json.loads((EVENTS / "model_package_state_change.json").read_text())
    event["time"] = time if time is not None else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group}/{version}"
    event["resources"] = [arn]
    event["detail"] |= {
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "ModelPackageArn": arn,
        "ModelApprovalStatus": status,
    }
    return copy.deepcopy(event)


def deployment_spec(endpoint: str, stage: str, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "version": 1,
        "endpoint_name": naming.endpoint_name(PLATFORM, endpoint, stage),  # type: ignore[arg-type]
        "mode": "realtime",
        "execution_role_arn": naming.role_arn(
            "aws",
            ACCOUNT,
            naming.endpoint_role_name(PLATFORM, endpoint, stage),  # type: ignore[arg-type]
        ),
        "enable_network_isolation": False,
        "vpc_config": None,
        "variants": [
            {
                "VariantName": "AllTraffic",
                "InstanceType": "ml.g4dn.xlarge",
                "InitialInstanceCount": 1,
                "VolumeSizeInGB": None,
                "ModelDataDownloadTimeoutInSeconds": None,
                "ContainerStartupHealthCheckTimeoutInSeconds": None,
                "ServerlessConfig": None,
            }
        ],
        "async_inference_config": None,
        "data_capture_config": None,
        "kms_key_arn": None,
        "deployment_config": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300},
                "TerminationWaitInSeconds": 120,
            },
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": f"{endpoint}-{stage}-errors"}]},
        },
        "autoscaling": {
            "variant": "AllTraffic",
            "min_capacity": 1,
            "max_capacity": 4,
            "policies": [
                {
                    "PolicyName": "invocations",
                    "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": {
                        "TargetValue": 70.0,
                        "PredefinedMetricSpecification": {
                            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                        },
                    },
                }
            ],
            "alarms": [],
        },
    }
    return spec | overrides


def credentials(access_key: str) -> dict[str, Any]:
    """Temporary credentials as STS returns them, told apart by their access key id."""
    return {
        "AccessKeyId": access_key,
        "SecretAccessKey": "secret",
        "SessionToken": "token",
        "Expiration": datetime(2030, 1, 1, tzinfo=UTC),
    }

"""Contract: what `render_deployment_spec` (hosting, at synth) writes, the deployer (run time) accepts as is.

Before: the deployer's tests read a frozen fixture (`tests.deploy_support.deployment_spec`), so the two
sides could drift apart unnoticed. Here the rendered spec goes through JSON straight into the parser and
the request builders, for every endpoint mode.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from sagemaker_platform.constructs.hosting import (
    AsyncOutput,
    AsyncSettings,
    DataCaptureSettings,
    DeploymentGuardrails,
    EndpointSettings,
    ServerlessSettings,
    VariantSettings,
    render_deployment_spec,
)
from sagemaker_platform.contracts import deployment_spec

from deployer.errors import SpecError  # isort: skip
from deployer.spec import endpoint_config_request, model_request, parse_spec, policy_requests  # isort: skip

ROLE = "arn:aws:iam::111111111111:role/mlp-churn-staging-endpoint"
KEY = "arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
PACKAGE = "arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/4"
ASYNC_OUTPUT = AsyncOutput(
    output_path="s3://mlp-gateway-outputs/async/",
    failure_path="s3://mlp-gateway-outputs/async-failures/",
    kms_key_arn=KEY,
    success_topic_arn="arn:aws:sns:eu-west-1:111111111111:mlp-async-success",
    error_topic_arn="arn:aws:sns:eu-west-1:111111111111:mlp-async-error",
)

SETTINGS: dict[str, tuple[EndpointSettings, dict[str, Any]]] = {
    "realtime": (
        EndpointSettings(
            variants=(
                VariantSettings(instance_type="ml.g5.xlarge", min_instances=1, max_instances=4, max_rps_per_instance=5),
            ),
            data_capture=DataCaptureSettings(),
            deployment=DeploymentGuardrails(),
        ),
        {"data_capture_destination": "s3://mlp-capture/churn/", "data_capture_kms_key_arn": KEY},
    ),
    "async": (
        EndpointSettings(
            mode="async",
            variants=(VariantSettings(instance_type="ml.g5.xlarge", min_instances=0, max_instances=2),),
            async_inference=AsyncSettings(),
        ),
        {"async_output": ASYNC_OUTPUT},
    ),
    "serverless": (
        EndpointSettings(mode="serverless", variants=(VariantSettings(serverless=ServerlessSettings()),)),
        {},
    ),
    "multi-model": (
        EndpointSettings(mode="multi-model", variants=(VariantSettings(instance_type="ml.m5.xlarge"),)),
        {},
    ),
}


def rendered(mode: str) -> dict[str, Any]:
    settings, extra = SETTINGS[mode]
    return render_deployment_spec(
        endpoint_name=f"mlp-churn-{mode}-staging",
        settings=settings,
        execution_role_arn=ROLE,
        kms_key_arn=None if mode == "serverless" else KEY,
        rollback_alarm_names=("mlp-churn-errors",),
        **extra,
    )


@pytest.mark.parametrize("mode", sorted(SETTINGS))
def test_given_a_rendered_spec_then_the_deployer_parses_it_and_builds_valid_requests(mode: str) -> None:
    spec_json = rendered(mode)
    assert spec_json["version"] == deployment_spec.VERSION
    spec = parse_spec(json.dumps(spec_json))
    assert (spec.endpoint_name, spec.mode, spec.execution_role_arn) == (
        spec_json["endpoint_name"],
        mode,
        ROLE,
    )
    model = botocore.session.get_session().get_service_model("sagemaker")
    create_model = model_request(spec, "mlp-churn-v4-abc", PACKAGE)
    validate_parameters(create_model, model.operation_model("CreateModel").input_shape)
    config = endpoint_config_request(spec, "mlp-churn-v4-abc", "mlp-churn-v4-abc", {})
    validate_parameters(config, model.operation_model("CreateEndpointConfig").input_shape)
    autoscaling = botocore.session.get_session().get_service_model("application-autoscaling")
    for request in policy_requests(spec):
        validate_parameters(request, autoscaling.operation_model("PutScalingPolicy").input_shape)


def test_given_a_spec_of_another_version_then_the_deployer_refuses_it_naming_the_field() -> None:
    spec_json = rendered("realtime") | {"version": deployment_spec.VERSION + 1}
    with pytest.raises(SpecError, match="version"):
        parse_spec(json.dumps(spec_json))

"""`Endpoint(gateway=GatewayRouting...)`: an async endpoint the inference gateway serves reports to the gateway.

The CfnEndpointConfig that the construct creates and the deployment spec it publishes carry the same routing.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from sagemaker_platform import naming
from sagemaker_platform.constructs.hosting import (
    AsyncSettings,
    Endpoint,
    EndpointSettings,
    GatewayRouting,
    VariantSettings,
)
from sagemaker_platform.constructs.hosting_catalog import ContainerImage, ModelData, ModelSource
from sagemaker_platform.errors import PropsError
from tests.registry_helpers import text
from tests.support import resources_of_type

ACCOUNT, REGION = "123456789012", "us-east-1"
IMAGE = ContainerImage.from_dlc("pytorch-inference", "2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker")
ASYNC = EndpointSettings(
    mode="async",
    variants=(VariantSettings(instance_type="ml.g4dn.xlarge", min_instances=0, max_instances=2),),
    async_inference=AsyncSettings(invocation_timeout_seconds=3600),
)


def endpoint(stack: cdk.Stack, settings: EndpointSettings = ASYNC) -> Endpoint:
    return Endpoint(
        stack,
        "Churn",
        endpoint_name="mlplatform-churn-async-prod",
        model=ModelSource.from_image(IMAGE, ModelData.from_url("s3://models-bucket/churn/model.tar.gz")),
        settings=settings,
        gateway=GatewayRouting.for_platform(stack, "mlplatform"),
        deployment_spec_parameter_name="/mlplatform/prod/endpoints/churn-async/deployment-spec",
    )


@pytest.fixture(scope="module")
def routed() -> tuple[Endpoint, dict[str, Any]]:
    stack = cdk.Stack(cdk.App(), "Hosting", env=cdk.Environment(account=ACCOUNT, region=REGION))
    construct = endpoint(stack)
    return construct, Template.from_stack(stack).to_json()


def test_given_gateway_routing_then_the_endpoint_config_and_the_spec_send_results_to_the_gateway(
    routed: tuple[Endpoint, dict[str, Any]],
) -> None:
    construct, template = routed
    (config,) = resources_of_type(template, "AWS::SageMaker::EndpointConfig").values()
    output = config["Properties"]["AsyncInferenceConfig"]["OutputConfig"]
    bucket = naming.gateway_output_bucket_name("mlplatform", ACCOUNT, REGION)
    topic = f"arn:<AWS::Partition>:sns:{REGION}:{ACCOUNT}:mlplatform-gateway-completions"
    assert text(output["S3OutputPath"]) == f"s3://{bucket}/async/mlplatform-churn-async-prod/output"
    assert text(output["S3FailurePath"]) == f"s3://{bucket}/async/mlplatform-churn-async-prod/failure"
    assert {k: text(v) for k, v in output["NotificationConfig"].items()} == {"SuccessTopic": topic, "ErrorTopic": topic}
    assert text(output["KmsKeyId"]) == f"arn:<AWS::Partition>:kms:{REGION}:{ACCOUNT}:alias/mlplatform-gateway"
    # The published spec is the same dictionary.
    spec_output = cdk.Stack.of(construct).resolve(construct.deployment_spec["async_inference_config"])["OutputConfig"]
    assert spec_output == output
    # No topics of its own: completions go to the gateway only.
    assert resources_of_type(template, "AWS::SNS::Topic").keys() == {
        logical_id for logical_id in resources_of_type(template, "AWS::SNS::Topic") if "AlarmTopic" in logical_id
    }


def test_given_gateway_routing_for_a_realtime_endpoint_then_it_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Hosting", env=cdk.Environment(account=ACCOUNT, region=REGION))
    realtime = EndpointSettings(variants=(VariantSettings(instance_type="ml.g5.xlarge"),))
    with pytest.raises(PropsError, match="allowed only for mode='async'"):
        endpoint(stack, realtime)

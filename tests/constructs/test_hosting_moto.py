"""End to end against moto: the model, endpoint config and endpoint an async `Endpoint` synthesizes are created
with the SageMaker API exactly as synthesized, then invoked asynchronously through the S3 input prefix."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from moto import mock_aws

from sagemaker_platform.constructs.hosting import AsyncSettings, Endpoint, EndpointSettings, VariantSettings
from sagemaker_platform.constructs.hosting_catalog import ContainerImage, ModelData, ModelSource
from tests.support import resources_of_type

ACCOUNT = "123456789012"
REGION = "us-east-1"


class Intrinsics:
    """Resolves the intrinsic functions of a synthesized template the way CloudFormation would."""

    def __init__(self, template: dict[str, Any], physical: dict[str, str]) -> None:
        self.template = template
        self.physical = physical
        self.pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::URLSuffix": "amazonaws.com",
        }

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.pseudo.get(value["Ref"]) or self.physical[value["Ref"]]
        if "Fn::GetAtt" in value:
            return self.physical[".".join(value["Fn::GetAtt"])]
        if "Fn::Join" in value:
            delimiter, parts = value["Fn::Join"]
            return delimiter.join(str(self(part)) for part in parts)
        return {key: self(item) for key, item in value.items()}


@pytest.fixture(scope="module")
def synthesized() -> tuple[dict[str, Any], Endpoint]:
    app = cdk.App()
    stack = cdk.Stack(app, "Moto", env=cdk.Environment(account=ACCOUNT, region=REGION))
    endpoint = Endpoint(
        stack,
        "Async",
        endpoint_name="sd-async",
        model=ModelSource.from_image(
            ContainerImage.from_dlc("pytorch-inference", "2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker"),
            ModelData.from_url("s3://models-bucket/sd/model.tar.gz"),
        ),
        settings=EndpointSettings(
            mode="async",
            # ml.g4dn: a GPU type that moto's instance-type list knows.
            variants=(VariantSettings(instance_type="ml.g4dn.xlarge", min_instances=0, max_instances=2),),
            async_inference=AsyncSettings(invocation_timeout_seconds=3600, max_concurrent_invocations_per_instance=1),
        ),
    )
    return app.synth().get_stack_by_name("Moto").template, endpoint


def physical_ids(template: dict[str, Any]) -> dict[str, str]:
    """Physical names/ARNs for every resource, as CloudFormation would have created them."""
    ids: dict[str, str] = {}
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        if kind == "AWS::IAM::Role":
            ids[f"{logical_id}.Arn"] = f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"
        elif kind == "AWS::KMS::Key":
            ids[f"{logical_id}.Arn"] = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{logical_id.lower()}"
        elif kind == "AWS::SNS::Topic":
            ids[logical_id] = f"arn:aws:sns:{REGION}:{ACCOUNT}:{logical_id}"
        elif kind == "AWS::S3::Bucket":
            ids[logical_id] = logical_id.lower()
    return ids


@mock_aws
def test_given_the_synthesized_async_endpoint_when_created_with_the_api_then_it_invokes_asynchronously(
    synthesized: tuple[dict[str, Any], Endpoint],
) -> None:
    template, endpoint = synthesized
    resolve = Intrinsics(template, physical_ids(template))
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    runtime = boto3.client("sagemaker-runtime", region_name=REGION)

    (model,) = (resolve(r["Properties"]) for r in resources_of_type(template, "AWS::SageMaker::Model").values())
    (config,) = (
        resolve(r["Properties"]) for r in resources_of_type(template, "AWS::SageMaker::EndpointConfig").values()
    )
    (created,) = (resolve(r["Properties"]) for r in resources_of_type(template, "AWS::SageMaker::Endpoint").values())
    sagemaker.create_model(
        ModelName=model["ModelName"],
        ExecutionRoleArn=model["ExecutionRoleArn"],
        PrimaryContainer=model["PrimaryContainer"],
        EnableNetworkIsolation=model["EnableNetworkIsolation"],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=config["EndpointConfigName"],
        ProductionVariants=config["ProductionVariants"],
        AsyncInferenceConfig=config["AsyncInferenceConfig"],
    )
    sagemaker.create_endpoint(EndpointName=created["EndpointName"], EndpointConfigName=created["EndpointConfigName"])

    described = sagemaker.describe_endpoint_config(EndpointConfigName=config["EndpointConfigName"])
    output = described["AsyncInferenceConfig"]["OutputConfig"]
    assert output["S3OutputPath"].endswith("/async/sd-async/output")
    assert output["KmsKeyId"].startswith("arn:aws:kms:")
    assert described["ProductionVariants"][0]["InstanceType"] == "ml.g4dn.xlarge"
    assert sagemaker.describe_endpoint(EndpointName="sd-async")["EndpointStatus"] == "InService"

    bucket = output["S3OutputPath"].removeprefix("s3://").split("/", 1)[0]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{endpoint.input_prefix}request-1.json", Body=b'{"prompt": "a cat"}')
    response = runtime.invoke_endpoint_async(
        EndpointName="sd-async",
        InputLocation=f"s3://{bucket}/{endpoint.input_prefix}request-1.json",
        InvocationTimeoutSeconds=endpoint.invocation_timeout_seconds,
    )
    assert response["OutputLocation"].startswith("s3://")
    result_bucket, result_key = response["OutputLocation"].removeprefix("s3://").split("/", 1)
    assert s3.get_object(Bucket=result_bucket, Key=result_key)["Body"].read()

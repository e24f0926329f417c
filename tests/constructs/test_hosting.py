"""Endpoint: the four modes, scale to zero, KMS on every store, grants, and the deployment spec contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_iam as iam
from moto import mock_aws

from sagemaker_platform.compliance import acknowledge, add_compliance_gate
from sagemaker_platform.constructs.hosting import (
    AsyncSettings,
    DataCaptureSettings,
    DeploymentGuardrails,
    Endpoint,
    EndpointSettings,
    HostingShared,
    InferenceComponent,
    InferenceComponentEndpoint,
    ServerlessSettings,
    VariantSettings,
    content_name,
    render_deployment_spec,
)
from sagemaker_platform.constructs.hosting_catalog import (
    INSTANCE_TYPES,
    ContainerImage,
    ModelData,
    ModelSource,
    hosting_defaults,
)
from sagemaker_platform.constructs.roles import PlatformRole
from sagemaker_platform.constructs.wildcards import flatten_cfn_reference
from tests.support import REPO_ROOT, resources_of_type

ACCOUNT = "123456789012"
REGION = "us-east-1"

PACKAGE = "arn:aws:sagemaker:us-east-1:222222222222:model-package/churn/3"
DLC_GPU = ContainerImage.from_dlc("pytorch-inference", "2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker")
DLC_CPU = ContainerImage.from_dlc("pytorch-inference", "2.6.0-cpu-py312-ubuntu22.04-sagemaker")
TRITON = ContainerImage.from_uri("785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3")
ASYNC_ZERO = EndpointSettings(
    mode="async",
    # ml.g4dn: a GPU type with local NVMe that moto's instance-type list knows (the moto test below).
    variants=(VariantSettings(instance_type="ml.g4dn.xlarge", min_instances=0, max_instances=4),),
    async_inference=AsyncSettings(invocation_timeout_seconds=3600, max_concurrent_invocations_per_instance=2),
    data_capture=DataCaptureSettings(sampling_percentage=10),
)


def build_endpoints(stack: cdk.Stack) -> dict[str, Endpoint]:
    shared = HostingShared(stack, "Shared")
    endpoints = {
        "pipeline": Endpoint(
            stack,
            "Pipeline",
            endpoint_name="churn-async",
            model=ModelSource.from_model_package_group("churn"),
            settings=ASYNC_ZERO,
            shared=shared,
            deployment_spec_parameter_name="/p/staging/endpoints/churn-async/deployment-spec",
        ),
        "async": Endpoint(
            stack,
            "Async",
            endpoint_name="sd-async",
            model=ModelSource.from_image(DLC_GPU, ModelData.from_url("s3://models-bucket/sd/model.tar.gz")),
            settings=ASYNC_ZERO,
            shared=shared,
        ),
        "realtime": Endpoint(
            stack,
            "Realtime",
            endpoint_name="llm-rt",
            model=ModelSource.from_model_package(PACKAGE),
            settings=EndpointSettings(
                variants=(
                    VariantSettings(
                        instance_type="ml.g5.12xlarge",
                        min_instances=1,
                        max_instances=3,
                        max_rps_per_instance=4,
                        gpu_utilization_target=70,
                    ),
                ),
                deployment=DeploymentGuardrails(traffic_routing="LINEAR", step_percent=25),
            ),
            shared=shared,
        ),
        "cpu": Endpoint(
            stack,
            "Cpu",
            endpoint_name="tabular-rt",
            model=ModelSource.from_image(DLC_CPU, ModelData.from_url("s3://models-bucket/tabular/")),
            settings=EndpointSettings(variants=(VariantSettings(instance_type="ml.m5.xlarge"),)),
            shared=shared,
        ),
        "mme": Endpoint(
            stack,
            "Mme",
            endpoint_name="users-mme",
            model=ModelSource.from_image(TRITON, ModelData.from_url("s3://models-bucket/users/")),
            settings=EndpointSettings(
                mode="multi-model",
                variants=(VariantSettings(instance_type="ml.g5.2xlarge", max_instances=2, gpu_utilization_target=60),),
            ),
            shared=shared,
        ),
        "serverless": Endpoint(
            stack,
            "Serverless",
            endpoint_name="faq-sls",
            model=ModelSource.from_image(DLC_CPU, ModelData.from_url("s3://models-bucket/faq/model.tar.gz")),
            settings=EndpointSettings(
                mode="serverless",
                variants=(VariantSettings(serverless=ServerlessSettings(4096, 10, 2)),),
            ),
            shared=shared,
        ),
    }
    InferenceComponentEndpoint(
        stack,
        "Components",
        endpoint_name="llm-shared",
        instance_type="ml.g5.12xlarge",
        min_instances=0,
        max_instances=2,
        components=[
            InferenceComponent(
                "llama", ModelSource.from_model_package(PACKAGE), accelerators=2, memory_mb=32768, max_copies=2
            ),
            InferenceComponent(
                "mistral",
                ModelSource.from_image(DLC_GPU, ModelData.from_url("s3://models-bucket/m/")),
                accelerators=1,
                memory_mb=16384,
                min_copies=1,
                copies=1,
                max_copies=1,
            ),
        ],
        shared=shared,
    )
    client = PlatformRole(stack, "Client", assumed_by=iam.AccountRootPrincipal())
    endpoints["async"].grant_invoke_async(client)
    endpoints["mme"].grant_invoke(client, target_models=["user-42/*"])
    # The client's own prefixes (input, output, failure of the async endpoint): what a consumer acknowledges.
    for policy in client.managed_policies:
        for statement in stack.resolve(policy.document.to_json())["Statement"]:
            for resource in (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            ):
                if "*" in flatten_cfn_reference(resource):
                    acknowledge(
                        client,
                        {
                            f"AwsSolutions-IAM5[Resource::{flatten_cfn_reference(resource)}]": "the async endpoint's "
                            "requests and results are objects named per request under its own prefixes"
                        },
                    )
    return endpoints


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Endpoint], cdk.Stack]:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("hosting")))
    stack = cdk.Stack(app, "Hosting", env=cdk.Environment(account=ACCOUNT, region=REGION))
    endpoints = build_endpoints(stack)
    add_compliance_gate(app)
    return app.synth().get_stack_by_name("Hosting").template, endpoints, stack


@pytest.fixture(scope="module")
def template(synthesized: tuple[dict[str, Any], dict[str, Endpoint], cdk.Stack]) -> dict[str, Any]:
    return synthesized[0]


def only(template: dict[str, Any], resource_type: str, prefix: str) -> dict[str, Any]:
    (resource,) = [r for lid, r in resources_of_type(template, resource_type).items() if lid.startswith(prefix)]
    return resource["Properties"]


def all_of(template: dict[str, Any], resource_type: str, prefix: str) -> list[dict[str, Any]]:
    return [r["Properties"] for lid, r in resources_of_type(template, resource_type).items() if lid.startswith(prefix)]


# --- scale to zero ------------------------------------------------------------------------------


def test_given_async_min_zero_then_the_scalable_target_minimum_is_zero_not_the_initial_count(
    template: dict[str, Any],
) -> None:
    target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget", "AsyncScaling")
    assert target["MinCapacity"] == 0
    assert target["MaxCapacity"] == 4
    assert target["ResourceId"] == "endpoint/sd-async/variant/AllTraffic"
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    config = only(template, "AWS::SageMaker::EndpointConfig", "Async")
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 1


def test_given_async_endpoint_then_backlog_target_tracking_and_backlog_without_capacity_step_scaling(
    template: dict[str, Any],
) -> None:
    policies = {p["PolicyType"]: p for p in all_of(template, "AWS::ApplicationAutoScaling::ScalingPolicy", "Async")}
    tracking = policies["TargetTrackingScaling"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["CustomizedMetricSpecification"] == {
        "MetricName": "ApproximateBacklogSizePerInstance",
        "Namespace": "AWS/SageMaker",
        "Dimensions": [{"Name": "EndpointName", "Value": "sd-async"}],
        "Statistic": "Average",
    }
    step = policies["StepScaling"]["StepScalingPolicyConfiguration"]
    assert step["AdjustmentType"] == "ChangeInCapacity"
    assert step["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    (alarm,) = [
        a["Properties"]
        for a in alarms.values()
        if a["Properties"].get("MetricName") == "HasBacklogWithoutCapacity"
        and a["Properties"]["Dimensions"] == [{"Name": "EndpointName", "Value": "sd-async"}]
    ]
    assert alarm["Namespace"] == "AWS/SageMaker"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and alarm["Threshold"] == 1
    step_id = next(
        lid
        for lid, r in resources_of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy").items()
        if lid.startswith("Async") and r["Properties"]["PolicyType"] == "StepScaling"
    )
    assert alarm["AlarmActions"] == [{"Ref": step_id}]


# --- modes ----------------------------------------------------------------------------------------


def test_given_async_endpoint_then_output_failure_kms_and_topics_are_configured(template: dict[str, Any]) -> None:
    config = only(template, "AWS::SageMaker::EndpointConfig", "Async")
    output = config["AsyncInferenceConfig"]["OutputConfig"]
    assert "KmsKeyId" in output
    assert json.dumps(output["S3OutputPath"]).endswith('/async/sd-async/output"]]}')
    assert json.dumps(output["S3FailurePath"]).endswith('/async/sd-async/failure"]]}')
    assert set(output["NotificationConfig"]) == {"SuccessTopic", "ErrorTopic"}
    assert config["AsyncInferenceConfig"]["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 2}


def test_given_async_topics_then_they_are_kms_encrypted_and_tls_only(template: dict[str, Any]) -> None:
    topics = {lid: r for lid, r in resources_of_type(template, "AWS::SNS::Topic").items() if lid.startswith("Async")}
    assert len(topics) == 2
    assert all("KmsMasterKeyId" in t["Properties"] for t in topics.values())
    policies = resources_of_type(template, "AWS::SNS::TopicPolicy")
    for topic_id in topics:
        (policy,) = [p for p in policies.values() if {"Ref": topic_id} in p["Properties"]["Topics"]]
        (deny,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_given_realtime_gpu_endpoint_then_target_tracking_on_invocations_and_gpu_utilization(
    template: dict[str, Any],
) -> None:
    policies = [
        p["TargetTrackingScalingPolicyConfiguration"]
        for p in all_of(template, "AWS::ApplicationAutoScaling::ScalingPolicy", "Realtime")
    ]
    by_metric = {
        p.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
        or p["CustomizedMetricSpecification"]["MetricName"]: p
        for p in policies
    }
    assert by_metric["SageMakerVariantInvocationsPerInstance"]["TargetValue"] == 4 * 0.5 * 60
    gpu = by_metric["GPUUtilization"]
    assert gpu["TargetValue"] == 70 * 4  # ml.g5.12xlarge has 4 GPUs; the metric sums them
    assert gpu["CustomizedMetricSpecification"]["Namespace"] == "/aws/sagemaker/Endpoints"
    endpoint = only(template, "AWS::SageMaker::Endpoint", "Realtime")
    routing = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "LINEAR" and routing["LinearStepSize"] == {"Type": "CAPACITY_PERCENT", "Value": 25}
    assert endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": "llm-rt-5xx"},
        {"AlarmName": "llm-rt-latency-p99"},
    ]
    alarm_names = {a["AlarmName"] for a in all_of(template, "AWS::CloudWatch::Alarm", "Realtime")}
    assert {"llm-rt-5xx", "llm-rt-latency-p99"} <= alarm_names


def test_given_a_large_gpu_type_then_large_model_defaults_apply(template: dict[str, Any]) -> None:
    (variant,) = only(template, "AWS::SageMaker::EndpointConfig", "Realtime")["ProductionVariants"]
    assert variant["ModelDataDownloadTimeoutInSeconds"] == 3600
    assert variant["ContainerStartupHealthCheckTimeoutInSeconds"] == 3600
    assert "VolumeSizeInGB" not in variant  # NVMe type: the API refuses a volume size
    p3 = hosting_defaults(INSTANCE_TYPES["ml.p3.2xlarge"])
    assert (p3.volume_size_gb, p3.model_data_download_timeout_seconds) == (128, 1200)
    assert hosting_defaults(INSTANCE_TYPES["ml.m5.xlarge"]).volume_size_gb is None


def test_given_multi_model_then_mode_multimodel_over_a_prefix_and_a_target_model_grant(
    template: dict[str, Any],
) -> None:
    model = only(template, "AWS::SageMaker::Model", "Mme")
    assert model["PrimaryContainer"]["Mode"] == "MultiModel"
    assert model["PrimaryContainer"]["ModelDataUrl"] == "s3://models-bucket/users/"
    statements = [
        s
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (invoke,) = [
        s
        for s in statements
        if s["Action"] == ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    ]
    assert invoke["Condition"] == {"StringLike": {"sagemaker:TargetModel": ["user-42/*"]}}


def test_given_uncompressed_model_data_then_model_data_source_is_an_s3_prefix(template: dict[str, Any]) -> None:
    container = only(template, "AWS::SageMaker::Model", "Cpu")["PrimaryContainer"]
    assert container["ModelDataSource"] == {
        "S3DataSource": {"S3Uri": "s3://models-bucket/tabular/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    }
    assert (
        container["Image"]
        == "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker"
    )


def test_given_serverless_then_serverless_config_and_no_instance_settings(template: dict[str, Any]) -> None:
    (variant,) = only(template, "AWS::SageMaker::EndpointConfig", "Serverless")["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 4096, "MaxConcurrency": 10, "ProvisionedConcurrency": 2}
    assert "InstanceType" not in variant and "InitialInstanceCount" not in variant
    assert all_of(template, "AWS::ApplicationAutoScaling::ScalableTarget", "Serverless") == []


def test_given_a_model_package_group_then_the_pipeline_creates_model_config_and_endpoint(
    template: dict[str, Any],
) -> None:
    for resource_type in ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"):
        assert all_of(template, resource_type, "Pipeline") == []
    assert all_of(template, "AWS::CloudWatch::Dashboard", "Pipeline")
    names = {a["AlarmName"] for a in all_of(template, "AWS::CloudWatch::Alarm", "Pipeline")}
    assert names == {"churn-async-latency-p99", "churn-async-5xx", "churn-async-gpu-memory", "churn-async-backlog-age"}
    parameter = only(template, "AWS::SSM::Parameter", "Pipeline")
    assert parameter["Name"] == "/p/staging/endpoints/churn-async/deployment-spec" and parameter["Type"] == "String"


# --- KMS on every store ---------------------------------------------------------------------------


def test_every_store_is_kms_encrypted(template: dict[str, Any]) -> None:
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    for lid, bucket in buckets.items():
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        algorithm = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        # Server access log delivery accepts SSE-S3 only; everything else is KMS.
        assert algorithm == ("AES256" if "AccessLogs" in lid else "aws:kms"), lid
    assert all("KmsMasterKeyId" in t["Properties"] for t in resources_of_type(template, "AWS::SNS::Topic").values())
    for config in all_of(template, "AWS::SageMaker::EndpointConfig", ""):
        if "DataCaptureConfig" in config:
            assert "KmsKeyId" in config["DataCaptureConfig"]
    assert "KmsKeyId" in only(template, "AWS::SageMaker::EndpointConfig", "Cpu")  # ml.m5: EBS volume
    assert "KmsKeyId" not in only(template, "AWS::SageMaker::EndpointConfig", "Async")  # ml.g4dn: NVMe


# --- grants -----------------------------------------------------------------------------------------


def test_given_grant_invoke_async_then_invoke_input_upload_and_result_read(template: dict[str, Any]) -> None:
    statements = [
        s
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {json.dumps(s["Action"]): s for s in statements}
    assert "sagemaker:InvokeEndpointAsync" in actions['"sagemaker:InvokeEndpointAsync"']["Action"]
    upload = actions['"s3:PutObject"']
    assert json.dumps(upload["Resource"]).endswith('/async/sd-async/input/*"]]}')
    assert '"kms:Decrypt"' in json.dumps(statements)


def test_given_an_execution_role_then_it_reads_only_its_model_and_writes_only_its_prefixes(
    template: dict[str, Any],
) -> None:
    statements = [
        s
        for lid, p in resources_of_type(template, "AWS::IAM::ManagedPolicy").items()
        if lid.startswith("Async")
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    text = json.dumps(statements)
    assert ":s3:::models-bucket/sd/model.tar.gz" in text
    assert ":ecr:us-east-1:763104351884:repository/pytorch-inference" in text
    assert "/async/sd-async/output/*" in text and "/async/sd-async/input/*" in text
    assert '"s3:*"' not in text and '"Action": "*"' not in text


# --- the deployment spec: one source of truth ---------------------------------------------------------


def test_the_spec_carries_exactly_what_the_construct_deploys(
    synthesized: tuple[dict[str, Any], dict[str, Endpoint], cdk.Stack],
) -> None:
    template, endpoints, stack = synthesized
    endpoint = endpoints["async"]
    spec = stack.resolve(endpoint.deployment_spec)
    config = only(template, "AWS::SageMaker::EndpointConfig", "Async")
    deployed_variant = {k: v for k, v in config["ProductionVariants"][0].items() if k != "ModelName"}
    assert deployed_variant == {k: v for k, v in spec["variants"][0].items() if v is not None}
    assert config["AsyncInferenceConfig"] == spec["async_inference_config"]
    assert config["DataCaptureConfig"] == spec["data_capture_config"]
    policies = sorted(
        (p for p in all_of(template, "AWS::ApplicationAutoScaling::ScalingPolicy", "Async")),
        key=lambda p: p["PolicyName"],
    )
    spec_policies = sorted(spec["autoscaling"]["policies"], key=lambda p: p["PolicyName"])
    assert [{k: v for k, v in p.items() if k != "ScalingTargetId"} for p in policies] == spec_policies
    (alarm,) = spec["autoscaling"]["alarms"]
    deployed_alarm = next(
        a for a in all_of(template, "AWS::CloudWatch::Alarm", "Async") if a["AlarmName"] == alarm["AlarmName"]
    )
    assert {k: v for k, v in deployed_alarm.items() if k != "AlarmActions"} == alarm
    assert spec["autoscaling"]["min_capacity"] == 0
    assert spec.get("kms_key_arn") is None  # ml.g4dn has local NVMe storage


def test_the_published_spec_is_schema_version_1_json_with_explicit_nulls_under_4kb(
    synthesized: tuple[dict[str, Any], dict[str, Endpoint], cdk.Stack],
) -> None:
    template, _, _ = synthesized
    value = only(template, "AWS::SSM::Parameter", "Pipeline")["Value"]
    # Stand-ins as long as real ARNs, to check the standard tier's 4 KB limit holds.
    filled = "".join(part if isinstance(part, str) else "x" * 110 for part in value["Fn::Join"][1])
    spec = json.loads(filled)
    assert len(filled) < 4096
    assert spec["version"] == 1 and spec["mode"] == "async" and spec["endpoint_name"] == "churn-async"
    assert set(spec) == {
        "version",
        "endpoint_name",
        "mode",
        "execution_role_arn",
        "enable_network_isolation",
        "vpc_config",
        "variants",
        "async_inference_config",
        "data_capture_config",
        "kms_key_arn",
        "deployment_config",
        "autoscaling",
    }
    assert spec["vpc_config"] is None and spec["variants"][0]["ServerlessConfig"] is None
    assert [p["PolicyType"] for p in spec["autoscaling"]["policies"]] == ["TargetTrackingScaling", "StepScaling"]


def test_render_deployment_spec_is_a_pure_function_of_its_inputs() -> None:
    kwargs: dict[str, Any] = {
        "endpoint_name": "e",
        "settings": EndpointSettings(variants=(VariantSettings(instance_type="ml.m5.large"),)),
        "execution_role_arn": "arn:aws:iam::1:role/r",
        "kms_key_arn": "arn:aws:kms:us-east-1:1:key/k",
    }
    assert render_deployment_spec(**kwargs) == render_deployment_spec(**kwargs)
    assert render_deployment_spec(**kwargs)["autoscaling"] is None  # min = max: nothing to scale


def test_generated_names_are_deterministic_and_change_with_the_content() -> None:
    stack = cdk.Stack(cdk.App(), "Names")
    first = content_name(stack, "mlplatform-churn-async-staging", {"a": 1})
    assert first == content_name(stack, "mlplatform-churn-async-staging", {"a": 1})
    assert first != content_name(stack, "mlplatform-churn-async-staging", {"a": 2})
    assert len(content_name(stack, "x" * 80, {})) <= 63


# --- container images ---------------------------------------------------------------------------------


def test_given_an_env_agnostic_stack_then_the_dlc_account_comes_from_a_region_mapping() -> None:
    stack = cdk.Stack(cdk.App(), "Agnostic")
    uri = stack.resolve(DLC_GPU.image_uri(stack))
    assert {"Fn::FindInMap": ["DlcRegistryAccounts", {"Ref": "AWS::Region"}, "account"]} in uri["Fn::Join"][1]
    assert {"Ref": "AWS::URLSuffix"} in uri["Fn::Join"][1]


def test_given_a_china_region_then_the_dlc_uri_uses_its_registry_and_domain() -> None:
    stack = cdk.Stack(cdk.App(), "China", env=cdk.Environment(account="123456789012", region="cn-north-1"))
    uri = DLC_CPU.image_uri(stack)
    assert uri.startswith("727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:")
    override = ContainerImage.from_dlc("pytorch-inference", "x", account="111111111111")
    assert override.image_uri(stack) == "111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:x"


# --- inference components ---------------------------------------------------------------------------


def test_given_inference_components_then_each_model_reserves_accelerators_memory_and_copies(
    template: dict[str, Any],
) -> None:
    components = {c["InferenceComponentName"]: c for c in all_of(template, "AWS::SageMaker::InferenceComponent", "")}
    assert set(components) == {"llm-shared-llama", "llm-shared-mistral"}
    llama = components["llm-shared-llama"]
    assert llama["EndpointName"] == "llm-shared" and llama["VariantName"] == "AllTraffic"
    assert llama["Specification"]["ComputeResourceRequirements"] == {
        "NumberOfAcceleratorDevicesRequired": 2,
        "MinMemoryRequiredInMb": 32768,
    }
    assert llama["Specification"]["StartupParameters"]["ContainerStartupHealthCheckTimeoutInSeconds"] == 3600
    assert llama["RuntimeConfig"] == {"CopyCount": 1}
    config = only(template, "AWS::SageMaker::EndpointConfig", "Components")
    assert "ExecutionRoleArn" in config
    (variant,) = config["ProductionVariants"]
    assert "ModelName" not in variant
    assert variant["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2}


def test_given_a_component_with_min_copies_zero_then_it_scales_to_and_from_zero(template: dict[str, Any]) -> None:
    targets = all_of(template, "AWS::ApplicationAutoScaling::ScalableTarget", "Componentsllama")
    assert targets == [
        {
            "MaxCapacity": 2,
            "MinCapacity": 0,
            "ResourceId": "inference-component/llm-shared-llama",
            "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
            "ServiceNamespace": "sagemaker",
        }
    ]
    policies = {
        p["PolicyType"]: p for p in all_of(template, "AWS::ApplicationAutoScaling::ScalingPolicy", "Componentsllama")
    }
    tracking = policies["TargetTrackingScaling"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"
    }
    (alarm,) = [
        a
        for a in all_of(template, "AWS::CloudWatch::Alarm", "Componentsllama")
        if a["MetricName"] == "NoCapacityInvocationFailures"
    ]
    assert alarm["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "llm-shared-llama"}]
    assert {
        a["AlarmName"] for a in all_of(template, "AWS::CloudWatch::Alarm", "Components") if "AlarmActions" in a
    } >= {
        "llm-shared-5xx",
        "llm-shared-llama-latency-p99",
        "llm-shared-mistral-latency-p99",
        "llm-shared-llama-no-capacity",
    }
    assert only(template, "AWS::CloudWatch::Dashboard", "Components")["DashboardName"] == "llm-shared"
    # A component with min = max copies has nothing to scale.
    assert all_of(template, "AWS::ApplicationAutoScaling::ScalableTarget", "Componentsmistral") == []


def test_the_construct_template_is_cfn_lint_clean(
    synthesized: tuple[dict[str, Any], dict[str, Endpoint], cdk.Stack], tmp_path: Path
) -> None:
    # Inference components and the other modes are not all in the reference app: lint them here.
    file = tmp_path / "hosting.template.json"
    file.write_text(json.dumps(synthesized[0]))
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--config-file", str(REPO_ROOT / ".cfnlintrc"), "--format", "parseable", "--", str(file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_given_several_variants_vpc_and_an_ecr_image_then_each_variant_scales_and_the_model_is_in_the_vpc() -> None:
    from aws_cdk import aws_ecr as ecr

    from sagemaker_platform.constructs.hosting import VpcPlacement

    app = cdk.App()
    stack = cdk.Stack(app, "Variants", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    repository = ecr.Repository.from_repository_name(stack, "Repo", "my-server")
    variants = tuple(
        VariantSettings(
            instance_type="ml.g5.xlarge", name=name, max_instances=2, max_rps_per_instance=8, initial_weight=weight
        )
        for name, weight in (("Blue", 0.9), ("Green", 0.1))
    )
    endpoint = Endpoint(
        stack,
        "E",
        endpoint_name="ab",
        model=ModelSource.from_image(ContainerImage.from_ecr_repository(repository, "v3")),
        settings=EndpointSettings(
            variants=variants, vpc=VpcPlacement(("subnet-0123456789abcdef0",), ("sg-0123456789abcdef0",))
        ),
    )
    template = app.synth().get_stack_by_name("Variants").template
    targets = all_of(template, "AWS::ApplicationAutoScaling::ScalableTarget", "E")
    assert sorted(t["ResourceId"] for t in targets) == ["endpoint/ab/variant/Blue", "endpoint/ab/variant/Green"]
    config = only(template, "AWS::SageMaker::EndpointConfig", "E")
    assert [v["InitialVariantWeight"] for v in config["ProductionVariants"]] == [0.9, 0.1]
    model = only(template, "AWS::SageMaker::Model", "E")
    assert model["VpcConfig"] == {"Subnets": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}
    assert model["EnableNetworkIsolation"] is True
    assert "my-server:v3" in json.dumps(model["PrimaryContainer"]["Image"])
    statements = json.dumps(
        [p["Properties"]["PolicyDocument"] for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()]
    )
    assert "ec2:CreateNetworkInterface" in statements and "repository/my-server" in statements
    assert stack.resolve(endpoint.deployment_spec)["vpc_config"]["Subnets"] == ["subnet-0123456789abcdef0"]


def test_given_an_endpoint_by_name_then_invoke_grants_target_its_arn() -> None:
    stack = cdk.Stack(cdk.App(), "Import", env=cdk.Environment(account="123456789012", region="us-east-1"))
    ref = Endpoint.from_endpoint_name(stack, "Churn", "mlplatform-churn-async-prod")
    assert stack.resolve(ref.endpoint_arn) == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":sagemaker:us-east-1:123456789012:endpoint/mlplatform-churn-async-prod",
            ],
        ]
    }
    role = iam.Role(stack, "R", assumed_by=iam.AccountRootPrincipal())
    ref.grant_invoke_async(role)
    (policy,) = resources_of_type(cdk.assertions.Template.from_stack(stack).to_json(), "AWS::IAM::Policy").values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "sagemaker:InvokeEndpointAsync", "Effect": "Allow", "Resource": stack.resolve(ref.endpoint_arn)}
    ]


# --- end to end against moto ------------------------------------------------------------------------
# The model, endpoint config and endpoint synthesized for the async endpoint are created with the
# SageMaker API exactly as synthesized, then invoked asynchronously through the S3 input prefix.


class Intrinsics:
    """Resolves the intrinsic functions of a synthesized template the way CloudFormation would."""

    def __init__(self, physical: dict[str, str]) -> None:
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
    synthesized: tuple[dict[str, Any], dict[str, Endpoint], cdk.Stack],
) -> None:
    full, endpoints, _ = synthesized
    endpoint = endpoints["async"]
    # Only the async endpoint's resources (and what they reference).
    template = {
        "Resources": {
            k: v
            for k, v in full["Resources"].items()
            if not k.startswith(("Realtime", "Cpu", "Mme", "Serverless", "Components"))
        }
    }
    resolve = Intrinsics(physical_ids(template))
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
        DataCaptureConfig=config["DataCaptureConfig"],
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

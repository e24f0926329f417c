"""Every hosting refusal: one test each, checking that the message names what was given and what is allowed."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from sagemaker_platform.constructs.hosting import (
    AsyncSettings,
    DeploymentGuardrails,
    Endpoint,
    EndpointSettings,
    InferenceComponent,
    InferenceComponentEndpoint,
    ServerlessSettings,
    VariantSettings,
)
from sagemaker_platform.constructs.hosting_catalog import ContainerImage, ModelData, ModelSource
from sagemaker_platform.errors import PropsError

PACKAGE = ModelSource.from_model_package("arn:aws:sagemaker:us-east-1:222222222222:model-package/churn/3")
CPU_IMAGE = ContainerImage.from_dlc("pytorch-inference", "2.6.0-cpu-py312-ubuntu22.04-sagemaker")
GPU_IMAGE = ContainerImage.from_dlc("pytorch-inference", "2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker")


def refused(
    settings: EndpointSettings,
    model: ModelSource = PACKAGE,
    *,
    volume_key: bool = False,
    endpoint_name: str = "e",
) -> str:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(PropsError) as caught:
        Endpoint(
            stack,
            "E",
            endpoint_name=endpoint_name,
            model=model,
            settings=settings,
            volume_key=kms.Key(stack, "K") if volume_key else None,
        )
    return str(caught.value)


def one(instance_type: str | None = "ml.g5.xlarge", **kwargs: object) -> tuple[VariantSettings, ...]:
    return (VariantSettings(instance_type=instance_type, **kwargs),)  # type: ignore[arg-type]


def test_given_a_volume_key_on_an_nvme_instance_type_then_refused() -> None:
    message = refused(EndpointSettings(variants=one("ml.g5.xlarge")), volume_key=True)
    assert "volume_key: instance type(s) ml.g5.xlarge have local NVMe storage" in message
    assert "allowed: omit volume_key" in message


def test_given_a_volume_size_on_an_nvme_instance_type_then_refused() -> None:
    message = refused(EndpointSettings(variants=one("ml.g5.2xlarge", volume_size_gb=100)))
    assert "volume_size_gb=100 on instance_type='ml.g5.2xlarge', which has 450 GB of local NVMe" in message


def test_given_gpu_multi_model_without_triton_then_refused() -> None:
    model = ModelSource.from_image(GPU_IMAGE, ModelData.from_url("s3://bkt/models/"))
    message = refused(EndpointSettings(mode="multi-model", variants=one("ml.g5.xlarge")), model)
    assert "image repository 'pytorch-inference' on GPU instance type(s) ml.g5.xlarge" in message
    assert "require an NVIDIA Triton Inference Server image" in message


def test_given_multi_model_from_a_model_package_then_refused() -> None:
    message = refused(EndpointSettings(mode="multi-model", variants=one("ml.m5.large")))
    assert "a multi-model endpoint loads models from an S3 prefix" in message


def test_given_serverless_with_a_gpu_instance_type_then_refused() -> None:
    settings = EndpointSettings(mode="serverless", variants=one("ml.g5.xlarge", serverless=ServerlessSettings()))
    message = refused(settings)
    assert "instance_type='ml.g5.xlarge' has 1 NVIDIA A10G accelerator(s)" in message
    assert "serverless endpoints run on CPU only and refuse GPUs" in message


def test_given_serverless_with_a_gpu_image_then_refused() -> None:
    settings = EndpointSettings(mode="serverless", variants=one(None, serverless=ServerlessSettings()))
    message = refused(settings, ModelSource.from_image(GPU_IMAGE, ModelData.from_url("s3://bkt/m.tar.gz")))
    assert "image tag '2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker' is a GPU build" in message


def test_given_serverless_memory_out_of_range_then_refused() -> None:
    settings = EndpointSettings(mode="serverless", variants=one(None, serverless=ServerlessSettings(1500, 5)))
    assert "serverless.memory_size_mb=1500: allowed 1024, 2048, 3072, 4096, 5120, 6144" in refused(settings)


def test_given_provisioned_concurrency_above_max_then_refused() -> None:
    settings = EndpointSettings(mode="serverless", variants=one(None, serverless=ServerlessSettings(2048, 4, 8)))
    assert "serverless.provisioned_concurrency=8: allowed 1 to max_concurrency=4" in refused(settings)


def test_given_min_above_initial_then_refused() -> None:
    settings = EndpointSettings(
        variants=one(min_instances=3, initial_instances=2, max_instances=4, max_rps_per_instance=5)
    )
    message = refused(settings)
    assert "min_instances=3, initial_instances=2, max_instances=4: allowed 0 <= min <= initial <= max" in message


def test_given_initial_above_max_then_refused() -> None:
    settings = EndpointSettings(
        variants=one(min_instances=1, initial_instances=5, max_instances=4, max_rps_per_instance=5)
    )
    assert "initial_instances=5, max_instances=4" in refused(settings)


def test_given_min_zero_on_a_realtime_endpoint_then_refused() -> None:
    settings = EndpointSettings(variants=one(min_instances=0, max_instances=2, max_rps_per_instance=5))
    assert "min_instances=0 with mode='realtime': only asynchronous endpoints" in refused(settings)


def test_given_an_unknown_instance_type_then_refused_with_the_catalog_families() -> None:
    message = refused(EndpointSettings(variants=one("ml.z9.huge")))
    assert "instance_type='ml.z9.huge' is not in the catalog; allowed: " in message and "ml.g5.*" in message


def test_given_an_async_invocation_timeout_above_an_hour_then_refused() -> None:
    settings = EndpointSettings(
        mode="async",
        variants=one(min_instances=0, max_instances=1),
        async_inference=AsyncSettings(invocation_timeout_seconds=7200),
    )
    assert "async_inference.invocation_timeout_seconds=7200: allowed 1-3600" in refused(settings)


def test_given_async_settings_on_a_realtime_endpoint_then_refused() -> None:
    settings = EndpointSettings(variants=one(), async_inference=AsyncSettings())
    assert "async_inference is set but mode='realtime'" in refused(settings)


def test_given_two_variants_on_an_async_endpoint_then_refused() -> None:
    variants = (VariantSettings(instance_type="ml.g5.xlarge"), VariantSettings(instance_type="ml.g5.xlarge", name="B"))
    assert "an asynchronous endpoint has exactly one variant" in refused(
        EndpointSettings(mode="async", variants=variants)
    )


def test_given_a_scaling_range_without_a_signal_then_refused() -> None:
    message = refused(EndpointSettings(variants=one(min_instances=1, max_instances=3)))
    assert "min_instances=1 < max_instances=3 needs a scaling signal" in message


def test_given_a_gpu_target_on_a_cpu_instance_then_refused() -> None:
    settings = EndpointSettings(variants=one("ml.m5.large", gpu_utilization_target=70))
    assert "gpu_utilization_target set on instance_type='ml.m5.large', which has no GPU" in refused(settings)


def test_given_timeouts_out_of_range_then_refused() -> None:
    settings = EndpointSettings(variants=one(model_data_download_timeout_seconds=7200))
    assert "model_data_download_timeout_seconds=7200: allowed 60-3600" in refused(settings)


def test_given_a_bad_endpoint_name_then_refused() -> None:
    message = refused(EndpointSettings(variants=one()), endpoint_name="bad_name")
    assert "endpoint_name='bad_name': must match" in message


def test_given_a_bad_model_package_arn_then_refused() -> None:
    model = ModelSource.from_model_package("arn:aws:sagemaker:us-east-1:1:model-package-group/churn")
    assert "must be a versioned model package ARN" in refused(EndpointSettings(variants=one()), model)


def test_given_guardrails_out_of_range_then_refused() -> None:
    settings = EndpointSettings(variants=one(), deployment=DeploymentGuardrails(step_percent=0))
    assert "deployment.step_percent=0: allowed 1-99" in refused(settings)


def test_given_several_problems_then_all_are_reported_at_once() -> None:
    settings = EndpointSettings(variants=one("ml.g5.xlarge", volume_size_gb=10, min_instances=0))
    message = refused(settings, volume_key=True)
    assert message.count("\n  - ") == 4  # min 0, no scaling signal, NVMe volume size, NVMe key


def test_given_target_models_on_a_realtime_endpoint_then_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    endpoint = Endpoint(stack, "E", endpoint_name="e", model=PACKAGE, settings=EndpointSettings(variants=one()))
    with pytest.raises(
        PropsError, match=r"target_models=\['a'\] given for mode='realtime'; allowed only for multi-model"
    ):
        endpoint.grant_invoke(iam.AccountRootPrincipal(), target_models=["a"])


def test_given_grant_invoke_async_on_a_realtime_endpoint_then_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    endpoint = Endpoint(stack, "E", endpoint_name="e", model=PACKAGE, settings=EndpointSettings(variants=one()))
    with pytest.raises(PropsError, match="grant_invoke_async on mode='realtime'; allowed only for mode='async'"):
        endpoint.grant_invoke_async(iam.AccountRootPrincipal())


def test_given_model_data_that_is_neither_archive_nor_prefix_then_refused() -> None:
    with pytest.raises(PropsError, match=r"url='s3://bkt/model.zip': an archive must end in '.tar.gz'"):
        ModelData.from_url("s3://bkt/model.zip")


def test_given_a_dlc_in_a_region_without_a_known_registry_then_refused_naming_the_override() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(account="123456789012", region="ap-southeast-7"))
    with pytest.raises(
        PropsError, match=r"region='ap-southeast-7' has no known Deep Learning Containers registry; pass account="
    ):
        CPU_IMAGE.image_uri(stack)


def test_given_inference_components_needing_more_accelerators_than_the_fleet_then_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(PropsError) as caught:
        InferenceComponentEndpoint(
            stack,
            "E",
            endpoint_name="e",
            instance_type="ml.g5.12xlarge",
            max_instances=1,
            components=[InferenceComponent("a", PACKAGE, accelerators=2, max_copies=3)],
        )
    assert "components need 6 accelerators at max_copies, but 1 x ml.g5.12xlarge offer 4" in str(caught.value)


def test_given_a_component_asking_more_accelerators_than_an_instance_has_then_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(PropsError, match=r"accelerators=2 per copy, but ml.g5.xlarge has 1 NVIDIA A10G; allowed 0-1"):
        InferenceComponentEndpoint(
            stack,
            "E",
            endpoint_name="e",
            instance_type="ml.g5.xlarge",
            components=[InferenceComponent("a", PACKAGE, accelerators=2)],
        )

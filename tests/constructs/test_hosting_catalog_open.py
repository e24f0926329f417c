"""The open, corrected hosting catalog: declared instance types, current types, SageMaker's multi-model support."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sagemaker_platform.config import InstanceTypeConfig, parse_config
from sagemaker_platform.constructs.hosting import EndpointSettings, VariantSettings, endpoint_problems
from sagemaker_platform.constructs.hosting_catalog import (
    INSTANCE_TYPES,
    MULTI_MODEL_GPU_TYPES,
    ContainerImage,
    InstanceSpec,
    ModelData,
    ModelSource,
    multi_model_refusal,
)
from sagemaker_platform.errors import ConfigError
from sagemaker_platform.instance_types import declared_spec

TRITON = ContainerImage.from_uri("785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3")
PYTORCH = ContainerImage.from_dlc("pytorch-inference", "2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker")
MODELS = ModelData.from_url("s3://models-bucket/users/")
B200 = InstanceSpec(
    instance_type="ml.p6-b200.48xlarge",
    vcpus=192,
    memory_gib=2048,
    accelerator="NVIDIA B200",
    accelerator_kind="gpu",
    accelerator_count=8,
    accelerator_memory_gib=1440,
    local_nvme_gb=30720,
)
RECS_MME = 3  # index of the Triton multi-model endpoint in examples/multi-account.yaml


def mme(instance_type: str, image: ContainerImage = TRITON, declared: InstanceSpec | None = None) -> list[str]:
    settings = EndpointSettings(
        mode="multi-model",
        variants=(VariantSettings(instance_type=instance_type, declared_spec=declared),),
    )
    return endpoint_problems("recs", settings, ModelSource.from_image(image, MODELS))


def config_with(raw: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(raw)
    changed["endpoints"][index].update(changes)
    return changed


# --- the catalog -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "kind", "count"),
    [
        ("ml.p5e.48xlarge", "gpu", 8),
        ("ml.p5en.48xlarge", "gpu", 8),
        ("ml.trn1.32xlarge", "trainium", 16),
        ("ml.trn2.48xlarge", "trainium", 16),
        ("ml.inf1.xlarge", "inferentia", 1),
        ("ml.g6.xlarge", "gpu", 1),
        ("ml.g6e.12xlarge", "gpu", 4),
        ("ml.m7i.xlarge", None, 0),
        ("ml.c7g.xlarge", None, 0),
    ],
)
def test_the_catalog_knows_current_types(instance_type: str, kind: str | None, count: int) -> None:
    spec = INSTANCE_TYPES[instance_type]
    assert (spec.accelerator_kind, spec.accelerator_count) == (kind, count)


def test_every_multi_model_gpu_type_in_the_catalog_is_a_single_gpu_type() -> None:
    # SageMaker's GPU MME table lists single-GPU sizes only.
    for name in MULTI_MODEL_GPU_TYPES & set(INSTANCE_TYPES):
        assert INSTANCE_TYPES[name].gpu_count == 1, name


# --- multi-model compatibility (construct) -------------------------------------------------------------------


@pytest.mark.parametrize("instance_type", ["ml.p4d.24xlarge", "ml.g5.48xlarge", "ml.g5.12xlarge", "ml.p5.48xlarge"])
def test_given_triton_mme_on_a_gpu_type_sagemaker_does_not_support_then_refused_listing_the_allowed(
    instance_type: str,
) -> None:
    (problem,) = mme(instance_type)
    assert f"instance_type={instance_type!r}" in problem
    assert "ml.g5.2xlarge" in problem and "ml.g4dn.xlarge" in problem and "a CPU instance type" in problem


@pytest.mark.parametrize("instance_type", ["ml.inf2.xlarge", "ml.inf1.xlarge", "ml.trn1.2xlarge"])
def test_given_mme_on_inferentia_or_trainium_then_refused(instance_type: str) -> None:
    (problem,) = mme(instance_type, PYTORCH)
    assert "do not run on Inferentia or Trainium" in problem


@pytest.mark.parametrize("instance_type", ["ml.g5.2xlarge", "ml.g4dn.xlarge", "ml.p3.2xlarge"])
def test_given_triton_mme_on_a_supported_gpu_type_then_accepted(instance_type: str) -> None:
    assert mme(instance_type) == []


def test_given_cpu_mme_on_any_cpu_type_then_accepted_and_gpu_mme_still_needs_triton() -> None:
    assert mme("ml.m7i.xlarge", ContainerImage.from_dlc("sklearn-inference", "1.2-1")) == []
    (problem,) = mme("ml.g5.xlarge", PYTORCH)
    assert "Triton" in problem


# --- declared types (props) ------------------------------------------------------------------------------------


def test_given_an_unknown_type_then_refused_with_the_way_to_declare_it() -> None:
    (problem,) = mme("ml.p6-b200.48xlarge")
    assert "not in the catalog" in problem and "declared_spec" in problem


def test_given_a_declared_type_then_the_same_rules_apply() -> None:
    # Declared 8-GPU type: multi-model is refused exactly like a catalog 8-GPU type ...
    (problem,) = mme("ml.p6-b200.48xlarge", declared=B200)
    assert "not a GPU type SageMaker supports for multi-model endpoints" in problem
    # ... a real-time endpoint on it is accepted, and NVMe refuses a volume size.
    ok = EndpointSettings(
        mode="realtime", variants=(VariantSettings(instance_type=B200.instance_type, declared_spec=B200),)
    )
    assert endpoint_problems("llm", ok, ModelSource.from_image(PYTORCH)) == []
    sized = EndpointSettings(
        mode="realtime",
        variants=(VariantSettings(instance_type=B200.instance_type, declared_spec=B200, volume_size_gb=100),),
    )
    assert any("local NVMe" in p for p in endpoint_problems("llm", sized, ModelSource.from_image(PYTORCH)))


def test_given_an_instance_types_entry_then_its_spec_carries_each_key() -> None:
    declared = InstanceTypeConfig.model_validate(
        {
            "name": B200.instance_type,
            "vcpus": B200.vcpus,
            "memory_gib": B200.memory_gib,
            "accelerator": B200.accelerator,
            "accelerator_family": B200.accelerator_kind,
            "accelerator_count": B200.accelerator_count,
            "accelerator_memory_gib": B200.accelerator_memory_gib,
            "local_nvme_gb": B200.local_nvme_gb,
        }
    )
    assert declared_spec(declared) == B200


def test_given_a_declared_type_that_shadows_the_catalog_or_is_inconsistent_then_refused() -> None:
    shadow = InstanceSpec("ml.g5.xlarge", 4, 16, accelerator_kind="gpu", accelerator_count=1, accelerator_memory_gib=24)
    (problem,) = mme("ml.g5.xlarge", declared=shadow)
    assert "already in the built-in catalog" in problem
    broken = InstanceSpec("ml.x9.large", 2, 8, accelerator_kind="gpu", accelerator_count=0)
    assert any("accelerator_count >= 1" in problem for problem in mme("ml.x9.large", declared=broken))
    assert multi_model_refusal(INSTANCE_TYPES["ml.m5.large"]) is None


# --- the platform config ----------------------------------------------------------------------------------------


def test_given_a_triton_mme_on_p4d_in_the_config_then_one_error_names_endpoints_i_instance_type(
    multi_account_raw: dict[str, Any],
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(config_with(multi_account_raw, RECS_MME, instance_type="ml.p4d.24xlarge"))
    message = str(error.value)
    assert message.count("\n  - ") == 1
    assert f'`endpoints[{RECS_MME}].instance_type` = "ml.p4d.24xlarge"' in message
    assert "ml.g5.2xlarge" in message


def test_given_a_pytorch_mme_on_inf2_in_the_config_then_refused(multi_account_raw: dict[str, Any]) -> None:
    raw = config_with(
        multi_account_raw,
        RECS_MME,
        instance_type="ml.inf2.xlarge",
        image={"repository": "pytorch-inference-neuronx", "tag": "2.1.2-neuronx-py310-sdk2.20.0-ubuntu20.04"},
    )
    with pytest.raises(ConfigError, match=rf"endpoints\[{RECS_MME}\]\.instance_type.*Inferentia or Trainium"):
        parse_config(raw)


def test_given_an_unknown_type_in_the_config_then_refused_until_declared(multi_account_raw: dict[str, Any]) -> None:
    raw = config_with(multi_account_raw, 2, instance_type="ml.p6-b300.48xlarge")
    with pytest.raises(ConfigError, match=r"endpoints\[2\]\.instance_type.*declare it under `instance_types`"):
        parse_config(raw)
    raw["instance_types"] = [
        {"name": "ml.p6-b300.48xlarge", "vcpus": 192, "memory_gib": 4096, "accelerator_family": "gpu",
         "accelerator_count": 8, "accelerator_memory_gib": 2100, "local_nvme_gb": 30720},
    ]  # fmt: skip
    assert parse_config(raw).endpoints[2].instance_type == "ml.p6-b300.48xlarge"


@pytest.mark.parametrize(
    ("declared", "key", "expected"),
    [
        ({"name": "ml.g5.xlarge", "vcpus": 4, "memory_gib": 16}, "instance_types[0].name", "built-in catalog"),
        (
            {"name": "ml.x9.large", "vcpus": 2, "memory_gib": 8, "accelerator_count": 2},
            "instance_types[0].accelerator_family",
            "required when accelerator_count",
        ),
    ],
)
def test_given_a_bad_declared_type_in_the_config_then_one_error_names_it(
    multi_account_raw: dict[str, Any], declared: dict[str, Any], key: str, expected: str
) -> None:
    raw = copy.deepcopy(multi_account_raw)
    raw["instance_types"] = [declared]
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert f"`{key}`" in str(error.value) and expected in str(error.value)


_HEADER = "instance_type,vcpus,memory_gib,accelerator,accelerator_kind,accelerator_count,accelerator_memory_gib,"
_HEADER += "local_nvme_gb,efa\n"


def test_given_the_catalog_table_then_a_row_reads_as_its_instance_spec() -> None:
    from sagemaker_platform.constructs.hosting.instances import parse_catalog

    catalog = parse_catalog(_HEADER + "ml.g9.xlarge,4,16,NVIDIA X,gpu,1,24,250,yes\nml.c9.large,2,4,,,0,0,0,no\n")
    assert list(catalog) == ["ml.g9.xlarge", "ml.c9.large"]
    assert catalog["ml.g9.xlarge"] == InstanceSpec("ml.g9.xlarge", 4, 16, "NVIDIA X", "gpu", 1, 24, 250, efa=True)
    assert catalog["ml.c9.large"] == InstanceSpec("ml.c9.large", 2, 4)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("ml.g9.xlarge,4,16,NVIDIA X,gpus,1,24,250,no\n", "ml.g9.xlarge: accelerator_kind='gpus'"),
        ("ml.g9.xlarge,4,16,NVIDIA X,gpu,1,24,250,true\n", "ml.g9.xlarge: efa='true'; allowed: yes, no"),
        ("ml.c9.large,2,4,,,0,0,0,no\nml.c9.large,2,8,,,0,0,0,no\n", "ml.c9.large is listed twice"),
    ],
)
def test_given_a_mistyped_catalog_row_then_loading_names_the_type_and_the_value(rows: str, message: str) -> None:
    from sagemaker_platform.constructs.hosting.instances import parse_catalog

    with pytest.raises(ValueError, match=message):
        parse_catalog(_HEADER + rows)

"""The SageMaker hosting instance catalog: accelerators, memory, local NVMe, large-model defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AcceleratorKind = Literal["gpu", "inferentia", "trainium"]
ACCELERATOR_KINDS: tuple[AcceleratorKind, ...] = ("gpu", "inferentia", "trainium")


@dataclass(frozen=True)
class InstanceSpec:
    """What matters for hosting about one SageMaker instance type."""

    instance_type: str
    vcpus: int
    memory_gib: int
    accelerator: str | None = None
    """Accelerator model, e.g. ``"NVIDIA A10G"``; None for CPU-only types."""
    accelerator_kind: AcceleratorKind | None = None
    accelerator_count: int = 0
    accelerator_memory_gib: int = 0
    """Total accelerator memory of the instance (all GPUs or Neuron devices together)."""
    local_nvme_gb: int = 0
    """Local NVMe instance storage: SageMaker uses it for the model and refuses a volume size or volume KMS key."""
    efa: bool = False
    """Elastic Fabric Adapter: the inter-node network multi-node distributed training needs."""

    @property
    def gpu_count(self) -> int:
        return self.accelerator_count if self.accelerator_kind == "gpu" else 0

    @property
    def is_gpu(self) -> bool:
        return self.accelerator_kind == "gpu"

    @property
    def is_accelerated(self) -> bool:
        return self.accelerator_kind is not None

    @property
    def is_neuron(self) -> bool:
        """AWS Inferentia or Trainium (Neuron devices): no multi-model endpoints on them."""
        return self.accelerator_kind in ("inferentia", "trainium")

    @property
    def has_local_nvme(self) -> bool:
        return self.local_nvme_gb > 0

    @property
    def is_large_model_class(self) -> bool:
        """80 GiB of accelerator memory or more: multi-GPU types that host models of tens of GB."""
        return self.accelerator_memory_gib >= LARGE_MODEL_ACCELERATOR_GIB


LARGE_MODEL_ACCELERATOR_GIB = 80


def _family(
    prefix: str,
    sizes: dict[str, tuple[int, int, int, int, int]],
    *,
    accelerator: str | None = None,
    kind: AcceleratorKind | None = None,
    efa: frozenset[str] = frozenset(),
) -> dict[str, InstanceSpec]:
    """sizes: size -> (vCPUs, memory GiB, accelerators, accelerator memory GiB, local NVMe GB); efa: the sizes
    with an Elastic Fabric Adapter."""
    return {
        f"{prefix}.{size}": InstanceSpec(
            instance_type=f"{prefix}.{size}",
            vcpus=vcpus,
            memory_gib=memory,
            accelerator=accelerator if count else None,
            accelerator_kind=kind if count else None,
            accelerator_count=count,
            accelerator_memory_gib=accel_memory,
            local_nvme_gb=nvme,
            efa=size in efa,
        )
        for size, (vcpus, memory, count, accel_memory, nvme) in sizes.items()
    }


# Sizes with an Elastic Fabric Adapter: the EC2 User Guide's "Supported instance types" list of EFA (issue 19),
# and SageMaker's "Run training jobs with EFA" (p4d, p4de, p5*, trn1.32xlarge, trn2, g5.48xlarge, g6e.8xlarge+).
_ALL = frozenset({"24xlarge", "48xlarge"})

# Figures from the EC2 instance type pages of each family (ml.* types are the same hardware).
INSTANCE_TYPES: dict[str, InstanceSpec] = {
    **_family("ml.t2", {"medium": (2, 4, 0, 0, 0), "large": (2, 8, 0, 0, 0), "xlarge": (4, 16, 0, 0, 0)}),
    **_family(
        "ml.m5",
        {
            "large": (2, 8, 0, 0, 0),
            "xlarge": (4, 16, 0, 0, 0),
            "2xlarge": (8, 32, 0, 0, 0),
            "4xlarge": (16, 64, 0, 0, 0),
        },
    ),
    **_family(
        "ml.m5d",
        {"large": (2, 8, 0, 0, 75), "xlarge": (4, 16, 0, 0, 150), "2xlarge": (8, 32, 0, 0, 300)},
    ),
    **_family(
        "ml.c5",
        {
            "large": (2, 4, 0, 0, 0),
            "xlarge": (4, 8, 0, 0, 0),
            "2xlarge": (8, 16, 0, 0, 0),
            "4xlarge": (16, 32, 0, 0, 0),
        },
    ),
    **_family(
        "ml.c5d",
        {"large": (2, 4, 0, 0, 50), "xlarge": (4, 8, 0, 0, 100), "2xlarge": (8, 16, 0, 0, 200)},
    ),
    **_family("ml.r5", {"large": (2, 16, 0, 0, 0), "xlarge": (4, 32, 0, 0, 0), "2xlarge": (8, 64, 0, 0, 0)}),
    **_family("ml.c6i", {"large": (2, 4, 0, 0, 0), "xlarge": (4, 8, 0, 0, 0), "2xlarge": (8, 16, 0, 0, 0)}),
    **_family("ml.m6i", {"large": (2, 8, 0, 0, 0), "xlarge": (4, 16, 0, 0, 0), "2xlarge": (8, 32, 0, 0, 0)}),
    **_family(
        "ml.g4dn",
        {
            "xlarge": (4, 16, 1, 16, 125),
            "2xlarge": (8, 32, 1, 16, 225),
            "4xlarge": (16, 64, 1, 16, 225),
            "8xlarge": (32, 128, 1, 16, 900),
            "12xlarge": (48, 192, 4, 64, 900),
            "16xlarge": (64, 256, 1, 16, 900),
        },
        accelerator="NVIDIA T4",
        kind="gpu",
    ),
    **_family(
        "ml.g5",
        {
            "xlarge": (4, 16, 1, 24, 250),
            "2xlarge": (8, 32, 1, 24, 450),
            "4xlarge": (16, 64, 1, 24, 600),
            "8xlarge": (32, 128, 1, 24, 900),
            "16xlarge": (64, 256, 1, 24, 1900),
            "12xlarge": (48, 192, 4, 96, 3800),
            "24xlarge": (96, 384, 4, 96, 3800),
            "48xlarge": (192, 768, 8, 192, 7600),
        },
        accelerator="NVIDIA A10G",
        kind="gpu",
        efa=frozenset({"48xlarge"}),
    ),
    **_family(
        "ml.g6",
        {
            "xlarge": (4, 16, 1, 24, 250),
            "2xlarge": (8, 32, 1, 24, 450),
            "4xlarge": (16, 64, 1, 24, 600),
            "8xlarge": (32, 128, 1, 24, 900),
            "16xlarge": (64, 256, 1, 24, 1880),
            "12xlarge": (48, 192, 4, 96, 3760),
            "24xlarge": (96, 384, 4, 96, 3760),
            "48xlarge": (192, 768, 8, 192, 7520),
        },
        accelerator="NVIDIA L4",
        kind="gpu",
    ),
    **_family(
        "ml.g6e",
        {
            "xlarge": (4, 32, 1, 48, 250),
            "2xlarge": (8, 64, 1, 48, 450),
            "4xlarge": (16, 128, 1, 48, 600),
            "8xlarge": (32, 256, 1, 48, 900),
            "16xlarge": (64, 512, 1, 48, 1900),
            "12xlarge": (48, 384, 4, 192, 3800),
            "24xlarge": (96, 768, 4, 192, 3800),
            "48xlarge": (192, 1536, 8, 384, 7600),
        },
        accelerator="NVIDIA L40S",
        kind="gpu",
        efa=frozenset({"8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"}),
    ),
    **_family(
        "ml.p3",
        {"2xlarge": (8, 61, 1, 16, 0), "8xlarge": (32, 244, 4, 64, 0), "16xlarge": (64, 488, 8, 128, 0)},
        accelerator="NVIDIA V100",
        kind="gpu",
    ),
    **_family("ml.p4d", {"24xlarge": (96, 1152, 8, 320, 8000)}, accelerator="NVIDIA A100", kind="gpu", efa=_ALL),
    **_family("ml.p4de", {"24xlarge": (96, 1152, 8, 640, 8000)}, accelerator="NVIDIA A100 80GB", kind="gpu", efa=_ALL),
    **_family("ml.p5", {"48xlarge": (192, 2048, 8, 640, 30720)}, accelerator="NVIDIA H100", kind="gpu", efa=_ALL),
    **_family(
        "ml.inf2",
        {
            "xlarge": (4, 16, 1, 32, 0),
            "8xlarge": (32, 128, 1, 32, 0),
            "24xlarge": (96, 384, 6, 192, 0),
            "48xlarge": (192, 768, 12, 384, 0),
        },
        accelerator="AWS Inferentia2",
        kind="inferentia",
    ),
    # --- added for issue 16; sources: the EC2 instance type pages of each family (accelerated computing,
    # general purpose, compute optimized) and SageMaker AI pricing's "Real-Time Inference" instance list.
    **_family("ml.p5e", {"48xlarge": (192, 2048, 8, 1128, 30720)}, accelerator="NVIDIA H200", kind="gpu", efa=_ALL),
    **_family("ml.p5en", {"48xlarge": (192, 2048, 8, 1128, 30720)}, accelerator="NVIDIA H200", kind="gpu", efa=_ALL),
    **_family(
        "ml.inf1",
        {
            "xlarge": (4, 8, 1, 8, 0),
            "2xlarge": (8, 16, 1, 8, 0),
            "6xlarge": (24, 48, 4, 32, 0),
            "24xlarge": (96, 192, 16, 128, 0),
        },
        accelerator="AWS Inferentia",
        kind="inferentia",
    ),
    **_family(
        "ml.trn1",
        {"2xlarge": (8, 32, 1, 32, 474), "32xlarge": (128, 512, 16, 512, 7600)},
        accelerator="AWS Trainium",
        kind="trainium",
        efa=frozenset({"32xlarge"}),
    ),
    **_family(
        "ml.trn2", {"48xlarge": (192, 2048, 16, 1536, 7600)}, accelerator="AWS Trainium2", kind="trainium", efa=_ALL
    ),
    **_family(
        "ml.m7i",
        {
            "large": (2, 8, 0, 0, 0),
            "xlarge": (4, 16, 0, 0, 0),
            "2xlarge": (8, 32, 0, 0, 0),
            "4xlarge": (16, 64, 0, 0, 0),
            "8xlarge": (32, 128, 0, 0, 0),
            "12xlarge": (48, 192, 0, 0, 0),
            "16xlarge": (64, 256, 0, 0, 0),
            "24xlarge": (96, 384, 0, 0, 0),
            "48xlarge": (192, 768, 0, 0, 0),
        },
    ),
    **_family(
        "ml.c7i",
        {
            "large": (2, 4, 0, 0, 0),
            "xlarge": (4, 8, 0, 0, 0),
            "2xlarge": (8, 16, 0, 0, 0),
            "4xlarge": (16, 32, 0, 0, 0),
            "8xlarge": (32, 64, 0, 0, 0),
            "12xlarge": (48, 96, 0, 0, 0),
            "16xlarge": (64, 128, 0, 0, 0),
            "24xlarge": (96, 192, 0, 0, 0),
            "48xlarge": (192, 384, 0, 0, 0),
        },
    ),
    **_family(
        "ml.r7i",
        {
            "large": (2, 16, 0, 0, 0),
            "xlarge": (4, 32, 0, 0, 0),
            "2xlarge": (8, 64, 0, 0, 0),
            "4xlarge": (16, 128, 0, 0, 0),
            "8xlarge": (32, 256, 0, 0, 0),
        },
    ),
    # Graviton (arm64): the image must be an arm64 build.
    **_family(
        "ml.c7g",
        {
            "large": (2, 4, 0, 0, 0),
            "xlarge": (4, 8, 0, 0, 0),
            "2xlarge": (8, 16, 0, 0, 0),
            "4xlarge": (16, 32, 0, 0, 0),
            "8xlarge": (32, 64, 0, 0, 0),
            "12xlarge": (48, 96, 0, 0, 0),
            "16xlarge": (64, 128, 0, 0, 0),
        },
    ),
    **_family(
        "ml.m6g",
        {
            "large": (2, 8, 0, 0, 0),
            "xlarge": (4, 16, 0, 0, 0),
            "2xlarge": (8, 32, 0, 0, 0),
            "4xlarge": (16, 64, 0, 0, 0),
            "8xlarge": (32, 128, 0, 0, 0),
            "12xlarge": (48, 192, 0, 0, 0),
            "16xlarge": (64, 256, 0, 0, 0),
        },
    ),
}

# GPU multi-model endpoints (Triton only): the single-GPU sizes SageMaker's "Supported algorithms, frameworks,
# and instances for multi-model endpoints" page lists (docs.aws.amazon.com/sagemaker/latest/dg/
# multi-model-support.html; ml.p2.xlarge is listed too but retired from this catalog). CPU multi-model
# endpoints support every CPU type; Inferentia and Trainium support none.
MULTI_MODEL_GPU_TYPES: frozenset[str] = frozenset(
    {
        "ml.p2.xlarge",
        "ml.p3.2xlarge",
        *(f"ml.g4dn.{size}" for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")),
        *(f"ml.g5.{size}" for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")),
    }
)


def multi_model_refusal(spec: InstanceSpec) -> str | None:
    """Why SageMaker refuses a multi-model endpoint on `spec`, with what is allowed; None when it accepts it."""
    if spec.is_neuron:
        return (
            f"{spec.instance_type} has {spec.accelerator_kind} accelerators: SageMaker multi-model endpoints do not "
            "run on Inferentia or Trainium; allowed: a CPU instance type, or a GPU type among "
            + ", ".join(sorted(MULTI_MODEL_GPU_TYPES))
        )
    if spec.is_gpu and spec.instance_type not in MULTI_MODEL_GPU_TYPES:
        return (
            f"{spec.instance_type} is not a GPU type SageMaker supports for multi-model endpoints; allowed: a CPU "
            "instance type, or " + ", ".join(sorted(MULTI_MODEL_GPU_TYPES))
        )
    return None


_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")


def declared_instance_problems(spec: InstanceSpec) -> list[str]:
    """Problems with an instance type declared by the user (one the built-in catalog does not know).

    The same figures drive the same validation as a catalog entry, so they must be consistent: an accelerator
    kind with a count and memory, or none of them.
    """
    name = spec.instance_type
    problems: list[str] = []
    if not _INSTANCE_TYPE.match(name):
        problems.append(f"instance_type={name!r}: must look like ml.<family>.<size>")
    elif name in INSTANCE_TYPES:
        problems.append(f"instance_type={name!r} is already in the built-in catalog; declare only unknown types")
    if spec.vcpus < 1 or spec.memory_gib < 1:
        problems.append(f"{name}: vcpus={spec.vcpus}, memory_gib={spec.memory_gib}: both must be >= 1")
    if spec.accelerator_kind is None:
        if spec.accelerator_count or spec.accelerator_memory_gib:
            problems.append(
                f"{name}: accelerator_count={spec.accelerator_count}, accelerator_memory_gib="
                f"{spec.accelerator_memory_gib} without an accelerator family; allowed: set accelerator_family "
                f"({', '.join(ACCELERATOR_KINDS)}) or leave both 0"
            )
    elif spec.accelerator_kind not in ACCELERATOR_KINDS:
        problems.append(
            f"{name}: accelerator_family={spec.accelerator_kind!r}; allowed: {', '.join(ACCELERATOR_KINDS)} or none"
        )
    elif spec.accelerator_count < 1 or spec.accelerator_memory_gib < 1:
        problems.append(
            f"{name}: accelerator_family={spec.accelerator_kind!r} needs accelerator_count >= 1 and "
            f"accelerator_memory_gib >= 1 (given {spec.accelerator_count} and {spec.accelerator_memory_gib})"
        )
    if spec.local_nvme_gb < 0:
        problems.append(f"{name}: local_nvme_gb={spec.local_nvme_gb}: must be >= 0")
    return problems


def instance_spec(instance_type: str, declared: Mapping[str, InstanceSpec] | None = None) -> InstanceSpec | None:
    """The catalog entry of `instance_type` (or the user's `declared` one), or None when neither knows it."""
    if declared is not None and instance_type in declared:
        return declared[instance_type]
    return INSTANCE_TYPES.get(instance_type)


def catalog_families() -> str:
    """The instance families of the catalog, for error messages."""
    return ", ".join(sorted({name.rsplit(".", 1)[0] + ".*" for name in INSTANCE_TYPES}))


@dataclass(frozen=True)
class HostingDefaults:
    """Variant settings SageMaker's own defaults get wrong for large models (None: the service default)."""

    volume_size_gb: int | None
    model_data_download_timeout_seconds: int | None
    container_startup_health_check_timeout_seconds: int | None


def hosting_defaults(spec: InstanceSpec) -> HostingDefaults:
    """Large-model defaults from the catalog.

    Accelerated types load models of several GB (LLMs, diffusion models: 5-10 minutes to start), so the
    download and startup health-check timeouts are raised; types with 80 GiB of accelerator memory or more
    get the API maximum (3600 s). A volume size is set only where there is no local NVMe storage (the API
    refuses it there): 128 GB, or the 512 GB maximum for the large-model class. CPU types keep the
    service defaults.
    """
    if not spec.is_accelerated:
        return HostingDefaults(None, None, None)
    large = spec.is_large_model_class
    volume = None if spec.has_local_nvme else (512 if large else 128)
    return HostingDefaults(
        volume_size_gb=volume,
        model_data_download_timeout_seconds=3600 if large else 1200,
        container_startup_health_check_timeout_seconds=3600 if large else 900,
    )

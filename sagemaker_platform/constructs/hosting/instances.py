"""The SageMaker hosting instance catalog: accelerators, memory, local NVMe, large-model defaults."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal, cast

__all__ = [
    "ACCELERATOR_KINDS",
    "INSTANCE_TYPES",
    "LARGE_MODEL_ACCELERATOR_GIB",
    "MULTI_MODEL_GPU_TYPES",
    "AcceleratorKind",
    "HostingDefaults",
    "InstanceSpec",
    "catalog_families",
    "declared_instance_problems",
    "hosting_defaults",
    "instance_spec",
    "multi_model_refusal",
    "parse_catalog",
]

AcceleratorKind = Literal["gpu", "inferentia", "trainium"]
ACCELERATOR_KINDS: tuple[AcceleratorKind, ...] = ("gpu", "inferentia", "trainium")


@dataclass(frozen=True)
class InstanceSpec:
    """What matters for hosting about one SageMaker instance type."""

    instance_type: str
    """The SageMaker name, e.g. ``"ml.g5.xlarge"``."""
    vcpus: int
    """Virtual CPUs per instance."""
    memory_gib: int
    """Instance memory in GiB: the ceiling of one inference component copy's `memory_mb` on this type."""
    accelerator: str | None = None
    """Accelerator model, e.g. ``"NVIDIA A10G"``; None for CPU-only types."""
    accelerator_kind: AcceleratorKind | None = None
    """``"gpu"``, ``"inferentia"`` or ``"trainium"``; None for CPU-only types."""
    accelerator_count: int = 0
    """GPUs or Neuron devices per instance (0 on CPU-only types): what inference components' `accelerators` share."""
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


def parse_catalog(table: str) -> dict[str, InstanceSpec]:
    """The catalog from its CSV table, one row per instance type, in table order.

    The shipped table is ``instance_types.csv`` next to this module. Figures from the EC2 instance type pages of
    each family (ml.* types are the same hardware) and SageMaker AI pricing's "Real-Time Inference" instance
    list. ``efa``: the EC2 User Guide's "Supported instance types" list of EFA and SageMaker's "Run training jobs
    with EFA" (p4d, p4de, p5*, trn1.32xlarge, trn2, g5.48xlarge, g6e.8xlarge+). Graviton types (c7g, m6g) need an
    arm64 image. Accelerator columns are empty for CPU types.

    Raises ValueError on a row a typo would otherwise let through: an unknown accelerator kind (it would pass as
    CPU-only), an ``efa`` other than yes/no, or a type listed twice (the second row would silently win).
    """
    catalog: dict[str, InstanceSpec] = {}
    for row in csv.DictReader(io.StringIO(table)):
        name, kind = row["instance_type"], row["accelerator_kind"] or None
        if kind is not None and kind not in ACCELERATOR_KINDS:
            raise ValueError(f"instance catalog: {name}: accelerator_kind={kind!r}; allowed: {ACCELERATOR_KINDS}")
        if row["efa"] not in ("yes", "no"):
            raise ValueError(f"instance catalog: {name}: efa={row['efa']!r}; allowed: yes, no")
        if name in catalog:
            raise ValueError(f"instance catalog: {name} is listed twice")
        catalog[name] = InstanceSpec(
            instance_type=name,
            vcpus=int(row["vcpus"]),
            memory_gib=int(row["memory_gib"]),
            accelerator=row["accelerator"] or None,
            accelerator_kind=cast("AcceleratorKind | None", kind),
            accelerator_count=int(row["accelerator_count"]),
            accelerator_memory_gib=int(row["accelerator_memory_gib"]),
            local_nvme_gb=int(row["local_nvme_gb"]),
            efa=row["efa"] == "yes",
        )
    return catalog


INSTANCE_TYPES: dict[str, InstanceSpec] = parse_catalog(
    resources.files(__package__).joinpath("instance_types.csv").read_text(encoding="utf-8")
)

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

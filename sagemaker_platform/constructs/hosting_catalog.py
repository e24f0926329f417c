"""What hosting needs to know about instance types and where models come from.

- `INSTANCE_TYPES`: the SageMaker hosting instance catalog (accelerators and their memory, local NVMe
  storage). It drives validation (NVMe types refuse a volume KMS key and a volume size, serverless
  refuses GPUs, GPU multi-model needs Triton) and the large-model defaults of `hosting_defaults`.
- `ContainerImage`: an inference image by AWS Deep Learning Container repository and tag (resolved per
  region and partition, with an account override), by ECR repository, or by URI.
- `ModelData`: model artifacts as a `.tar.gz` object or as an uncompressed S3 prefix.
- `ModelSource`: what a SageMaker model is made from: a model package (also from another account's
  registry), an image with optional model data, or a model package group left to the deploy pipeline.

Pure data and small `bind`/`grant` helpers; no resource is created here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.constructs.wildcards import add_statement
from sagemaker_platform.errors import PropsError
from sagemaker_platform.regions import url_suffix_of

AcceleratorKind = Literal["gpu", "inferentia", "trainium"]
ACCELERATOR_KINDS: tuple[AcceleratorKind, ...] = ("gpu", "inferentia", "trainium")


# --- instance catalog -------------------------------------------------------------------------


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
) -> dict[str, InstanceSpec]:
    """sizes: size -> (vCPUs, memory GiB, accelerators, accelerator memory GiB, local NVMe GB)."""
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
        )
        for size, (vcpus, memory, count, accel_memory, nvme) in sizes.items()
    }


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
    ),
    **_family(
        "ml.p3",
        {"2xlarge": (8, 61, 1, 16, 0), "8xlarge": (32, 244, 4, 64, 0), "16xlarge": (64, 488, 8, 128, 0)},
        accelerator="NVIDIA V100",
        kind="gpu",
    ),
    **_family("ml.p4d", {"24xlarge": (96, 1152, 8, 320, 8000)}, accelerator="NVIDIA A100", kind="gpu"),
    **_family("ml.p4de", {"24xlarge": (96, 1152, 8, 640, 8000)}, accelerator="NVIDIA A100 80GB", kind="gpu"),
    **_family("ml.p5", {"48xlarge": (192, 2048, 8, 640, 30720)}, accelerator="NVIDIA H100", kind="gpu"),
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
    **_family("ml.p5e", {"48xlarge": (192, 2048, 8, 1128, 30720)}, accelerator="NVIDIA H200", kind="gpu"),
    **_family("ml.p5en", {"48xlarge": (192, 2048, 8, 1128, 30720)}, accelerator="NVIDIA H200", kind="gpu"),
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
    ),
    **_family("ml.trn2", {"48xlarge": (192, 2048, 16, 1536, 7600)}, accelerator="AWS Trainium2", kind="trainium"),
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


# --- container images -------------------------------------------------------------------------

# AWS Deep Learning Containers registry account per region (aws/deep-learning-containers
# available_images.md, the SageMaker Python SDK image_uri_config and the SageMaker docs' ECR paths).
# Regions missing here (newer ones) need `account=` on `ContainerImage.from_dlc`.
DLC_REGISTRY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-northeast-1": "763104351884",
    "ap-northeast-2": "763104351884",
    "ap-northeast-3": "364406365360",
    "ap-south-1": "763104351884",
    "ap-south-2": "772153158452",
    "ap-southeast-1": "763104351884",
    "ap-southeast-2": "763104351884",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ca-central-1": "763104351884",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-1": "763104351884",
    "eu-central-2": "380420809688",
    "eu-north-1": "763104351884",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "eu-west-1": "763104351884",
    "eu-west-2": "763104351884",
    "eu-west-3": "763104351884",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
    "sa-east-1": "763104351884",
    "us-east-1": "763104351884",
    "us-east-2": "763104351884",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
    "us-west-1": "763104351884",
    "us-west-2": "763104351884",
}

_DLC_MAPPING_ID = "DlcRegistryAccounts"
_ECR_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
_IMAGE_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)[:@].+$"
)


@dataclass(frozen=True)
class ContainerImage:
    """An inference container image. Build it with one of the `from_*` class methods."""

    _kind: Literal["dlc", "ecr", "uri"]
    repository_name: str
    tag: str = ""
    account: str | None = None
    uri: str = ""
    ecr_repository: ecr.IRepository | None = field(default=None, compare=False)

    @classmethod
    def from_dlc(cls, repository: str, tag: str, *, account: str | None = None) -> ContainerImage:
        """An AWS Deep Learning Container by repository and tag, e.g. ``from_dlc("pytorch-inference", tag)``.

        The registry account is looked up for the stack's region (a CloudFormation mapping for an
        env-agnostic stack) and the domain follows the partition. `account`: Default: the DLC registry
        of the region; give it for regions missing from `DLC_REGISTRY_ACCOUNTS` or for a mirror.
        """
        return cls("dlc", repository_name=repository, tag=tag, account=account)

    @classmethod
    def from_account_repository(cls, repository: str, tag: str, *, account: str) -> ContainerImage:
        """An image in an ECR repository of `account` in the stack's region, e.g. the platform's image account
        (`images`): the URI and the pull grant are built like a DLC's, with that account."""
        return cls("dlc", repository_name=repository, tag=tag, account=account)

    @classmethod
    def from_ecr_repository(cls, repository: ecr.IRepository, tag: str) -> ContainerImage:
        """An image in an ECR repository of this platform (pull permission is granted to the model's role)."""
        return cls("ecr", repository_name=repository.repository_name, tag=tag, ecr_repository=repository)

    @classmethod
    def from_uri(cls, uri: str) -> ContainerImage:
        """A pre-built image by URI (``<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>``)."""
        match = _IMAGE_URI.match(uri)
        return cls(
            "uri",
            repository_name=match.group("repo") if match else uri.rsplit("/", 1)[-1].split(":")[0],
            tag=uri.rsplit(":", 1)[-1] if ":" in uri.rsplit("/", 1)[-1] else "",
            account=match.group("account") if match else None,
            uri=uri,
        )

    @property
    def is_triton(self) -> bool:
        """NVIDIA Triton Inference Server (the only server SageMaker supports for GPU multi-model endpoints)."""
        return "tritonserver" in self.repository_name

    @property
    def is_gpu_build(self) -> bool:
        """The tag names a GPU build (DLC tags carry ``-gpu-``), which cannot run on CPU-only serverless."""
        return bool(re.search(r"(^|[-_.])gpu([-_.]|$)", self.tag))

    def image_uri(self, scope: Construct) -> str:
        """The image URI in the region and partition of `scope`'s stack."""
        if self._kind == "uri":
            return self.uri
        if self._kind == "ecr":
            assert self.ecr_repository is not None
            return self.ecr_repository.repository_uri_for_tag(self.tag)
        stack = cdk.Stack.of(scope)
        suffix = stack.url_suffix if cdk.Token.is_unresolved(stack.region) else url_suffix_of(stack.region)
        return f"{self._registry_account(stack)}.dkr.ecr.{stack.region}.{suffix}/{self.repository_name}:{self.tag}"

    def grant_pull(self, grantee: iam.IGrantable, scope: Construct) -> None:
        """Let `grantee` (the model's execution role) pull this image."""
        stack = cdk.Stack.of(scope)
        if self._kind == "ecr":
            assert self.ecr_repository is not None
            repository_arn = self.ecr_repository.repository_arn
        else:
            account = self._registry_account(stack) if self._kind == "dlc" else self.account
            if account is None:  # not an ECR URI we can scope: SageMaker pulls it as a public image
                return
            region = stack.region if self._kind == "dlc" else _IMAGE_URI.match(self.uri).group("region")  # type: ignore[union-attr]
            repository_arn = f"arn:{stack.partition}:ecr:{region}:{account}:repository/{self.repository_name}"
        add_statement(grantee, iam.PolicyStatement(actions=list(_ECR_PULL_ACTIONS), resources=[repository_arn]))
        add_statement(
            grantee,
            iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            "ecr:GetAuthorizationToken supports no resource-level permissions; the image's layers are pulled "
            "from its one named repository",
        )

    def _registry_account(self, stack: cdk.Stack) -> str:
        if self.account is not None:
            return self.account
        if cdk.Token.is_unresolved(stack.region):
            return _dlc_mapping(stack).find_in_map(stack.region, "account")
        account = DLC_REGISTRY_ACCOUNTS.get(stack.region)
        if account is None:
            raise PropsError(
                "ContainerImage.from_dlc",
                [
                    f"region={stack.region!r} has no known Deep Learning Containers registry; pass account=... "
                    f"(known regions: {', '.join(sorted(DLC_REGISTRY_ACCOUNTS))})"
                ],
            )
        return account


def _dlc_mapping(stack: cdk.Stack) -> cdk.CfnMapping:
    existing = stack.node.try_find_child(_DLC_MAPPING_ID)
    if isinstance(existing, cdk.CfnMapping):
        return existing
    return cdk.CfnMapping(
        stack,
        _DLC_MAPPING_ID,
        mapping={region: {"account": account} for region, account in sorted(DLC_REGISTRY_ACCOUNTS.items())},
    )


# --- model data -------------------------------------------------------------------------------

_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.*)$")


@dataclass(frozen=True)
class ModelData:
    """Model artifacts in S3: a ``.tar.gz`` object, or an uncompressed prefix (faster for large models)."""

    bucket_name: str
    key: str
    compressed: bool
    key_arn: str | None = None
    """KMS key the artifacts are encrypted with (decrypt is granted to the model's role). Default: none."""

    @classmethod
    def from_url(cls, url: str, *, key_arn: str | None = None) -> ModelData:
        """``s3://bucket/path/model.tar.gz`` (an archive) or ``s3://bucket/path/`` (an uncompressed prefix)."""
        match = _S3_URL.match(url)
        if match is None:
            raise PropsError(
                "ModelData", [f"url={url!r}: must be s3://<bucket>/<key>.tar.gz or s3://<bucket>/<prefix>/"]
            )
        key = match.group("key")
        if key.endswith(".tar.gz"):
            return cls(match.group("bucket"), key, compressed=True, key_arn=key_arn)
        if key == "" or key.endswith("/"):
            return cls(match.group("bucket"), key, compressed=False, key_arn=key_arn)
        raise PropsError(
            "ModelData",
            [f"url={url!r}: an archive must end in '.tar.gz' and an uncompressed prefix in '/'"],
        )

    @property
    def url(self) -> str:
        return f"s3://{self.bucket_name}/{self.key}"

    def container_fields(self, *, multi_model: bool = False) -> dict[str, object]:
        """The model-data part of a SageMaker ContainerDefinition (API shape)."""
        if self.compressed or multi_model:
            # A multi-model endpoint loads archives on demand from ModelDataUrl, a prefix.
            return {"ModelDataUrl": self.url}
        return {
            "ModelDataSource": {
                "S3DataSource": {"S3Uri": self.url, "S3DataType": "S3Prefix", "CompressionType": "None"}
            }
        }

    def grant_read(self, grantee: iam.IGrantable, scope: Construct) -> None:
        partition = cdk.Stack.of(scope).partition
        objects = f"arn:{partition}:s3:::{self.bucket_name}/{self.key}{'' if self.compressed else '*'}"
        add_statement(
            grantee,
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[objects]),
            f"an uncompressed model is every object under its one prefix {self.key!r}, read as SageMaker loads it",
        )
        if not self.compressed:
            add_statement(
                grantee,
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[f"arn:{partition}:s3:::{self.bucket_name}"],
                    conditions={"StringLike": {"s3:prefix": [f"{self.key}*"]}},
                ),
            )
        if self.key_arn is not None:
            add_statement(grantee, iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.key_arn]))


# --- model sources ----------------------------------------------------------------------------

_MODEL_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}(/\d+)?$"
)


@dataclass(frozen=True)
class RegistryArtifacts:
    """The central registry's artifacts bucket and key, which a model package's model data lives in.

    The key is named by ARN (`key_arn`) or, as the platform's registry does, by alias (`key_alias` with the
    key's `key_account` and `key_region`): the grant then holds for the key carrying that alias, through S3.
    `prefix`: the key prefix the models' data is under, e.g. a registry group's ``"churn/"``. Default: none
    (the whole bucket), for a registry whose layout is not known here.
    """

    bucket_name: str
    key_arn: str | None = None
    key_alias: str | None = None
    key_account: str | None = None
    key_region: str | None = None
    prefix: str | None = None

    @property
    def objects_pattern(self) -> str:
        """The object keys the grant covers: the prefix's objects, or every object."""
        return f"{self.prefix or ''}*"

    def grant_read(self, grantee: iam.IGrantable, scope: Construct) -> None:
        stack = cdk.Stack.of(scope)
        partition = stack.partition
        add_statement(
            grantee,
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[f"arn:{partition}:s3:::{self.bucket_name}/{self.objects_pattern}"],
            ),
            f"registry versions get their artifact keys at registration (run-specific), all under {self.prefix!r}"
            if self.prefix is not None
            else "a registry of unknown layout: the versions' artifact keys are not known at synth",
        )
        if self.key_arn is not None:
            add_statement(grantee, iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.key_arn]))
        elif self.key_alias is not None:
            region = self.key_region if self.key_region is not None else stack.region
            account = self.key_account if self.key_account is not None else stack.account
            add_statement(
                grantee,
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[f"arn:{partition}:kms:{region}:{account}:key/*"],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{region}.{stack.url_suffix}"},
                        "ForAnyValue:StringEquals": {"kms:ResourceAliases": self.key_alias},
                    },
                ),
                f"the registry's key lives in the registry account, its ARN unknown here: Decrypt holds only for "
                f"the key carrying {self.key_alias} (kms:ResourceAliases), through S3 (kms:ViaService)",
            )


@dataclass(frozen=True)
class ModelSource:
    """What a model is made from. Build it with one of the `from_*` class methods."""

    kind: Literal["model-package", "image", "model-package-group"]
    model_package_arn: str | None = None
    model_package_group: str | None = None
    image: ContainerImage | None = None
    model_data: ModelData | None = None
    environment: tuple[tuple[str, str], ...] = ()
    artifacts: RegistryArtifacts | None = None

    @classmethod
    def from_model_package(cls, arn: str, *, artifacts: RegistryArtifacts | None = None) -> ModelSource:
        """A versioned model package, e.g. one approved in the central registry of another account.

        `artifacts`: the registry's artifacts bucket (and key) the package's model data is in, so the
        execution role may read it. Default: none (the model data must be readable otherwise).
        """
        return cls("model-package", model_package_arn=arn, artifacts=artifacts)

    @classmethod
    def from_image(
        cls,
        image: ContainerImage,
        model_data: ModelData | None = None,
        *,
        environment: dict[str, str] | None = None,
    ) -> ModelSource:
        """An image and (optionally) model data in S3; `environment`: container variables (Default: none)."""
        return cls("image", image=image, model_data=model_data, environment=tuple(sorted((environment or {}).items())))

    @classmethod
    def from_model_package_group(cls, group: str, *, artifacts: RegistryArtifacts | None = None) -> ModelSource:
        """Each approved version of `group`, deployed by the deploy pipeline from the published deployment spec."""
        return cls("model-package-group", model_package_group=group, artifacts=artifacts)

    @property
    def deployed_by_pipeline(self) -> bool:
        return self.kind == "model-package-group"

    def problems(self) -> list[str]:
        """Problems with the source itself (what was given, what is allowed)."""
        arn = self.model_package_arn
        unresolved = cdk.Token.is_unresolved(arn)
        if self.kind == "model-package" and not unresolved and not _MODEL_PACKAGE_ARN.match(arn or ""):
            return [
                f"model_package_arn={self.model_package_arn!r}: must be a versioned model package ARN, "
                "arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>"
            ]
        return []

    def container(self, scope: Construct, *, multi_model: bool = False) -> dict[str, object]:
        """The SageMaker ContainerDefinition (API shape) of this source; not for pipeline-deployed sources."""
        if self.kind == "model-package":
            return {"ModelPackageName": self.model_package_arn}
        if self.kind != "image" or self.image is None:
            raise ValueError("a model package group is deployed by the pipeline; it has no container here")
        container: dict[str, object] = {"Image": self.image.image_uri(scope)}
        if self.model_data is not None:
            container.update(self.model_data.container_fields(multi_model=multi_model))
        if multi_model:
            container["Mode"] = "MultiModel"
        if self.environment:
            container["Environment"] = dict(self.environment)
        return container

    def grant_read(self, grantee: iam.IGrantable, scope: Construct) -> None:
        """What the execution role needs to load this model: the image, the data, the package."""
        if self.image is not None:
            self.image.grant_pull(grantee, scope)
        if self.model_data is not None:
            self.model_data.grant_read(grantee, scope)
        if self.artifacts is not None:
            self.artifacts.grant_read(grantee, scope)
        if self.model_package_arn is not None:
            add_statement(
                grantee,
                iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"], resources=[self.model_package_arn]),
            )

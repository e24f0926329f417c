"""Training that scales: managed spot capacity with checkpoints, and distributed training on EFA instances.

Pure rules and request fragments used by `ModelBuildPipeline`'s training step (and by the config check):
- spot: ``EnableManagedSpotTraining`` with ``MaxWaitTimeInSeconds`` >= ``MaxRuntimeInSeconds`` (SageMaker
  refuses less: the wait for capacity includes the run) and a ``CheckpointConfig`` so an interrupted job
  resumes instead of starting over;
- distribution: the hyperparameters the SageMaker framework containers read to launch the training script on
  every GPU/Neuron device (the names the SageMaker Python SDK writes), on types the catalog says can do it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

from sagemaker_platform.constructs.hosting_catalog import INSTANCE_TYPES, InstanceSpec, instance_spec

Distribution = Literal["torchrun", "pytorchddp", "smdistributed"]
DISTRIBUTIONS: tuple[Distribution, ...] = ("torchrun", "pytorchddp", "smdistributed")
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"
MAX_TRAINING_SECONDS = 2419200  # 28 days: SageMaker's limit on MaxRuntimeInSeconds and MaxWaitTimeInSeconds

# The SDK's `distribution=` argument turned into hyperparameters (sagemaker.pytorch.estimator /
# sagemaker.estimator.Framework): torchrun is the SDK's "torch_distributed", pytorchddp launches with mpirun,
# smdistributed is the SageMaker distributed data parallel library. Values are JSON, as the SDK encodes them.
_LAUNCH_FLAG: Mapping[Distribution, str] = {
    "torchrun": "sagemaker_torch_distributed_enabled",
    "pytorchddp": "sagemaker_pytorch_ddp_enabled",
    "smdistributed": "sagemaker_distributed_dataparallel_enabled",
}


def distribution_hyperparameters(distribution: Distribution, instance_type: str) -> dict[str, str]:
    """The hyperparameters a framework container reads to launch a distributed job."""
    rendered = {_LAUNCH_FLAG[distribution]: "true", "sagemaker_instance_type": f'"{instance_type}"'}
    if distribution == "smdistributed":
        rendered["sagemaker_distributed_dataparallel_custom_mpi_options"] = '""'
    return rendered


class ScalingProblem(NamedTuple):
    """One refused setting: the key, the value given and what is allowed."""

    key: str
    value: object
    message: str

    def describe(self, label: str) -> str:
        return f"{label}.{self.key}={self.value!r}: {self.message}"


def scaling_problems(
    *,
    instance_type: str,
    instance_count: int,
    max_run_seconds: int,
    use_spot: bool,
    max_wait_seconds: int | None,
    distribution: str | None,
    declared: Mapping[str, InstanceSpec] | None = None,
) -> list[ScalingProblem]:
    """Why a training job's spot and distribution settings are refused, or []."""
    problems: list[ScalingProblem] = []
    if max_wait_seconds is not None:
        if not use_spot:
            problems.append(ScalingProblem("max_wait_seconds", max_wait_seconds, "only with use_spot=true"))
        elif not max_run_seconds <= max_wait_seconds <= MAX_TRAINING_SECONDS:
            problems.append(
                ScalingProblem(
                    "max_wait_seconds",
                    max_wait_seconds,
                    f"must be >= max_run_seconds ({max_run_seconds}) and <= {MAX_TRAINING_SECONDS}: "
                    "the wait for spot capacity includes the run",
                )
            )
    if distribution is None:
        return problems
    if distribution not in DISTRIBUTIONS:
        return [*problems, ScalingProblem("distribution", distribution, f"allowed: {', '.join(DISTRIBUTIONS)}")]
    spec = instance_spec(instance_type, declared)
    if spec is None:
        message = "not in the instance catalog; a distributed job needs a known GPU or Trainium type"
        return [*problems, ScalingProblem("instance_type", instance_type, message)]
    if not (spec.is_gpu or (distribution == "torchrun" and spec.accelerator_kind == "trainium")):
        allowed = "a GPU or Trainium type" if distribution == "torchrun" else "a GPU type"
        problems.append(
            ScalingProblem(
                "distribution", distribution, f"{instance_type} has no suitable accelerator; allowed: {allowed}"
            )
        )
    # Multi-node jobs exchange gradients every step; without EFA the network is the bottleneck, and the
    # SageMaker data parallel library refuses to start without it.
    if (instance_count > 1 or distribution == "smdistributed") and not spec.efa:
        problems.append(
            ScalingProblem(
                "instance_type",
                instance_type,
                f"distribution={distribution!r} with instance_count={instance_count} needs an EFA-capable type; "
                f"allowed: {', '.join(efa_types(declared))}",
            )
        )
    return problems


def efa_types(declared: Mapping[str, InstanceSpec] | None = None) -> list[str]:
    """The instance types with an Elastic Fabric Adapter, for error messages."""
    known = {**INSTANCE_TYPES, **(declared or {})}
    return sorted(name for name, spec in known.items() if spec.efa)

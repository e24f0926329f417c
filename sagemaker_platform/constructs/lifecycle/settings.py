"""Typed props of the lifecycle pipelines (frozen dataclasses, validated by the constructs that take them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sagemaker_platform.constructs.lifecycle.training import Distribution

DEFAULT_TRAINING_IMAGE = "sagemaker-xgboost:1.7-1"
DEFAULT_PROCESSING_IMAGE = "sagemaker-scikit-learn:1.2-1-cpu-py3"


@dataclass(frozen=True)
class Objective:
    """The metric the evaluation step writes and the gate compares.

    :param metric: its name (recorded on the registered version as ``objective_metric``).
    :param json_path: where the evaluation report (``evaluation.json``) holds its value, e.g. ``metrics.auc.value``.
    :param type: Maximize (a challenger must be greater) or Minimize (smaller). Default: Maximize.
    """

    metric: str
    json_path: str
    type: Literal["Maximize", "Minimize"] = "Maximize"


@dataclass(frozen=True)
class JobResources:
    """Instances of one processing or training step.

    :param image: an ECR image URI or a SageMaker built-in (``sagemaker-xgboost:1.7-1``).
    :param instance_type: Default: ml.m5.large. :param instance_count: Default: 1.
    :param volume_size_gb: Default: 30. :param max_run_seconds: Default: 3600.
    """

    image: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    volume_size_gb: int = 30
    max_run_seconds: int = 3600


@dataclass(frozen=True)
class TrainingSettings:
    """The build pipeline's training step.

    :param resources: Default: the built-in XGBoost image on one ml.m5.large.
    :param hyperparameters: Default: none. :param network_isolation: Default: True (built-in algorithms need
        no network).
    :param use_spot: managed spot capacity, with checkpoints under the execution's prefix of the lifecycle
        bucket (``<pipeline>/executions/<id>/checkpoints``, KMS). Default: False (on-demand).
    :param max_wait_seconds: spot only: how long to wait for capacity, run included (>= max_run_seconds).
        Default: twice max_run_seconds, at most 28 days.
    :param distribution: launch the training script on every device of every instance: ``torchrun``,
        ``pytorchddp`` or ``smdistributed`` (a framework image; GPU types, torchrun also Trainium; EFA types
        when instance_count > 1 and always for smdistributed). Default: None (the image's own launch).
    """

    resources: JobResources = JobResources(image=DEFAULT_TRAINING_IMAGE)
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    network_isolation: bool = True
    use_spot: bool = False
    max_wait_seconds: int | None = None
    distribution: Distribution | None = None


@dataclass(frozen=True)
class ModelFormat:
    """What the registered model takes and returns. Default: CSV in, CSV out."""

    content_types: tuple[str, ...] = ("text/csv",)
    response_types: tuple[str, ...] = ("text/csv",)

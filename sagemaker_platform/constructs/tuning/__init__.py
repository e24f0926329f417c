"""Warm-pool tuning (package): hyperparameter tuning pipelines, and a paced launcher for many small training jobs.

- `TuningStorage`: the KMS key, the data and output buckets and the least-privilege SageMaker
  training role that tuning jobs and launched training jobs share.
- `TuningPipeline`: a Step Functions Standard state machine that builds a
  CreateHyperParameterTuningJob request from a validated tuning spec (from the platform config, or
  passed as execution input), runs it with the `.sync` service integration (which waits for the
  tuning job), writes the tuning report (HTML) next to the tuning output, registers the best
  training job's model in a registry model package group as
  PendingManualApproval with its objective metric, and notifies an SNS topic of every outcome.
  Optional EventBridge Scheduler schedules start it for recurring tuning.
- `TrainingJobLauncher`: an SQS queue in front of a Lambda function that calls CreateTrainingJob at
  most about once per second, backs off on throttling, asks for warm pools
  (KeepAlivePeriodInSeconds) and never starts a job twice.

Modules, one concern each: `grants` (action lists and every IAM statement), `storage` (`TuningStorage`), `images`
(`PlatformImageRegistry`), `functions` (the pipeline's handler functions), `state_machine`, `pipeline`
(`TuningPipeline`), `launcher` (`TrainingJobLauncher`). Every name the former `tuning.py` module offered is
re-exported here, so existing imports keep working.
"""

from __future__ import annotations

from sagemaker_platform.constructs.tuning.grants import (
    ECR_PULL_ACTIONS,
    KEY_USE_ACTIONS,
    LAUNCHER_ACTIONS,
    REPORT_OBJECTS,
    REPORT_READ_ACTIONS,
    TRAINING_DATA_READ_ACTIONS,
    TRAINING_LOG_ACTIONS,
    TRAINING_METRICS_NAMESPACE,
    TRAINING_OUTPUT_ACTIONS,
    TRAINING_VPC_ACTIONS,
    TUNING_SYNC_ACTIONS,
    TUNING_SYNC_RULE,
)
from sagemaker_platform.constructs.tuning.images import PlatformImageRegistry
from sagemaker_platform.constructs.tuning.launcher import MAX_KEEP_ALIVE, TrainingJobLauncher
from sagemaker_platform.constructs.tuning.pipeline import TuningPipeline
from sagemaker_platform.constructs.tuning.storage import TuningStorage

__all__ = [
    "ECR_PULL_ACTIONS",
    "KEY_USE_ACTIONS",
    "LAUNCHER_ACTIONS",
    "MAX_KEEP_ALIVE",
    "REPORT_OBJECTS",
    "REPORT_READ_ACTIONS",
    "TRAINING_DATA_READ_ACTIONS",
    "TRAINING_LOG_ACTIONS",
    "TRAINING_METRICS_NAMESPACE",
    "TRAINING_OUTPUT_ACTIONS",
    "TRAINING_VPC_ACTIONS",
    "TUNING_SYNC_ACTIONS",
    "TUNING_SYNC_RULE",
    "PlatformImageRegistry",
    "TrainingJobLauncher",
    "TuningPipeline",
    "TuningStorage",
]

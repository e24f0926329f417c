"""The model lifecycle as infrastructure: build (with a champion/challenger gate) and batch inference pipelines.

- `ModelBuildPipeline` (build.py): preprocess → train → evaluate → gate → register; its job steps in
  build_jobs.py, its champion/challenger gate (baselines, registration) in build_gate.py.
- `BatchInferencePipeline` (batch.py): latest Approved version → model → transform.
- `RegistryLookup` (lookup.py): the Lambda function their Lambda steps call to read the registry at run time.
- `LifecycleStorage`, `PipelinePermissions` (storage.py): the bucket and key, and the roles' grants.
- `ModelQualityBaseline` (baseline.py): the build's model quality baseline (scored test split, QualityCheck).
- definition.py: the typed SageMaker Pipelines definition both render.
"""

from sagemaker_platform.constructs.lifecycle.baseline import ModelQualityBaseline
from sagemaker_platform.constructs.lifecycle.batch import BatchInferencePipeline
from sagemaker_platform.constructs.lifecycle.build import ModelBuildPipeline
from sagemaker_platform.constructs.lifecycle.lookup import RegistryLookup
from sagemaker_platform.constructs.lifecycle.settings import JobResources, ModelFormat, Objective, TrainingSettings
from sagemaker_platform.constructs.lifecycle.storage import LifecycleStorage, PipelinePermissions

__all__ = [
    "BatchInferencePipeline",
    "JobResources",
    "LifecycleStorage",
    "ModelBuildPipeline",
    "ModelFormat",
    "ModelQualityBaseline",
    "Objective",
    "PipelinePermissions",
    "RegistryLookup",
    "TrainingSettings",
]
